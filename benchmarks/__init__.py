"""Benchmarks: `make bench` (speed, benchmarks/bench.py) and `make eval` (quality)."""
