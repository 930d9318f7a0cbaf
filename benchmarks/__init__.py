"""Benchmarks: each figure is printed with its ratio against a baseline measured in the same run."""
