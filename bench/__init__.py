"""Benchmark: a deterministic corpus of synthetic MODS articles, pyoai's server as the yardstick, a runner."""
