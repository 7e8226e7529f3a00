"""Shared fixtures and the hypothesis profiles.

The default run keeps every property test to a modest number of examples; the thorough profile runs
2,000 per property: `HYPOTHESIS_PROFILE=thorough python -m pytest` (everything), or
`python -m pytest -m thorough` (only the property tests, which this file marks `thorough`)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

if os.environ.get("PYTEST_XDIST_WORKER"):  # `-n auto`: one worker per core, each with one torch thread
    import torch

    torch.set_num_threads(1)


def pytest_addoption(parser):
    parser.addoption(
        "--regenerate-golden",
        action="store_true",
        help="rewrite the golden files in tests/recorded/ from the current output, then review the diff",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "thorough: a property test; -m thorough runs these at 2,000 examples")
    if (config.option.markexpr or "").strip() == "thorough":
        settings.load_profile("thorough")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.thorough)


def pytest_report_header(config):
    profile = settings._current_profile
    return f"hypothesis profile: {profile}, {settings.default.max_examples} examples per property"
