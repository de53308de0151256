"""The colony: tick loop, substrate, agents (Digester, Synthesizer, Sentinel), lifecycle and evolution."""
