"""Benchmarks of werkmatch; results go to docs/benchmarks.md with the command that reproduces them."""
