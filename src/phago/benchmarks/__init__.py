"""Benchmarks behind ``phago bench`` (never run as tests). Each returns a flat dict of named figures."""
