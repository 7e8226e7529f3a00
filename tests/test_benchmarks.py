"""The benchmarks stay runnable: each benchmarks/bench_*.py imports (its names from shapetrace resolve)
and declares run_all.py's --claims and --quick. No timing here: the figures are the benchmarks' own."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(path.stem for path in BENCHMARKS.glob("bench_*.py"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_benchmark_imports_and_declares_the_claims_options(name, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    module = importlib.import_module(name)
    assert callable(module.main)
    source = (BENCHMARKS / f"{name}.py").read_text()
    assert '"--claims"' in source and '"--quick"' in source, name
