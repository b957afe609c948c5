"""Shared test configuration: headless plotting and a deterministic hypothesis profile."""

import matplotlib

matplotlib.use("Agg")

from hypothesis import settings  # noqa: E402

# Deterministic property tests: the same examples on every machine and every run.
settings.register_profile("mathprog", derandomize=True, deadline=None, max_examples=100)
settings.load_profile("mathprog")
