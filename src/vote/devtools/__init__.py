"""Developer tools shared by the tests and the benchmarks (never used by the running service)."""
