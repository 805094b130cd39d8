"""Benchmarks of the design core: edit latency and auto-save throughput, each next to a raw-driver baseline.

Run from the repository root: ``.venv/bin/python -m benchmarks [--backend sqlite|postgres|all] [--quick]``.
See ``benchmarks/RESULTS.md`` for the figures of a full run and what they mean.
"""
