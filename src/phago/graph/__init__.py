"""The concept graph: columnar Hebbian edges, maintenance (decay, prune, degree cap), structure."""
