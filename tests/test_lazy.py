"""A trace's analyses (cross-check, receptive fields, closed forms) run on the first read of a field
they fill, once, and give exactly what running them at once gives."""

import copy
import pickle

import pytest
import torch
from torch import nn

import shapetrace
import shapetrace.analysis
import shapetrace.pipeline
from shapetrace import zoo
from shapetrace.analysis import analyse
from shapetrace.recorder import record
from shapetrace.records import evolve
from shapetrace.views import without_function_rows

ANALYSED = ("expected_shapes", "check", "derivation", "receptive_field", "textbook_derivation", "finding")
ANALYSED += ("size_form",)


@pytest.fixture
def runs(monkeypatch):
    """How many times the analyses ran."""
    count = []
    real = shapetrace.analysis.analyse

    def counted(trace):
        count.append(1)
        return real(trace)

    monkeypatch.setattr(shapetrace.analysis, "analyse", counted)
    monkeypatch.setattr(shapetrace.pipeline, "analyse", counted)
    return count


def test_the_analyses_run_once_on_the_first_read_of_what_they_fill(runs):
    traced = shapetrace.trace(zoo.build("lenet"), (1, 1, 28, 28))
    shapes = [layer.output_shapes for layer in traced.layers]
    assert shapes[-1] == ((1, 10),) and traced.totals.macs > 0 and traced.layers[1].params == 156
    assert runs == [], "reading shapes, parameters and MACs ran the analyses"
    assert traced.layers[1].check == "ok"
    assert runs == [1]
    assert traced.checks == {"ok": 12, "mismatch": 0, "unchecked": 1}
    assert traced.layers[-1].receptive_field is None and traced.flatten_form is not None
    assert runs == [1], "the analyses ran twice"


@pytest.mark.parametrize("name", ["lenet", "googlenet", "resnet18"])
def test_read_later_equals_analysed_at_once(name):
    """Every layer (function rows hidden or not) and the trace's own analysed fields equal those of the
    analyses run eagerly over the same recording."""
    model = zoo.build(name)
    size = zoo.ZOO[name].default_input
    traced = shapetrace.trace(model, size)
    eager = without_function_rows(
        analyse(record(model, (torch.randn(size),), {}, device=torch.device("cpu")).trace)
    )
    assert len(traced.layers) == len(eager.layers)
    for late, now in zip(traced.layers, eager.layers, strict=True):
        for field in ANALYSED:
            assert getattr(late, field) == getattr(now, field), (late.name, field)
    assert traced.flatten_form == eager.flatten_form and traced.form_stop == eager.form_stop
    hidden = [layer.check for layer in traced.graph]
    assert hidden == [layer.check for layer in eager.graph]


def test_a_pickled_or_copied_trace_carries_its_analyses_not_the_pending_run(runs):
    traced = shapetrace.trace(zoo.build("lenet"), (1, 1, 28, 28))
    restored = pickle.loads(pickle.dumps(traced))
    assert runs == [1]
    assert "_pending" not in restored.__dict__ and "_pending" not in restored.layers[0].__dict__
    assert restored == traced and restored.layers[0].derivation == traced.layers[0].derivation
    assert copy.deepcopy(traced).layers[3].check == "ok"


def test_a_changed_copy_keeps_its_other_analysed_fields():
    traced = shapetrace.trace(nn.Sequential(nn.Conv2d(1, 2, 3)), (1, 1, 8, 8))
    changed = evolve(traced.layers[0], check="mismatch")
    assert changed.check == "mismatch" and traced.layers[0].check == "ok"
    assert changed.receptive_field.size == (3, 3) and changed.derivation is not None


def test_a_failed_trace_is_analysed_at_once(runs):
    with pytest.raises(shapetrace.ShapeError) as caught:
        shapetrace.trace(zoo.build("alexnet"), (1, 1, 100, 100), suggest_sizes=False)
    assert caught.value.trace.error.kind == "features" and runs == [1]


@pytest.mark.parametrize("name", ["lenet", "googlenet"])
def test_a_trace_nobody_reads_is_freed_without_the_cyclic_collector(name):
    """The pending analyses hold the untagged records, not the trace handed back: dropping the trace
    frees its records by reference counting alone (no full collection needed), read or not."""
    import gc
    import weakref

    model = zoo.build(name)
    for read in (False, True):
        traced = shapetrace.trace(model, zoo.ZOO[name].default_input)
        if read:
            assert traced.layers[0].check is not None
        refs = [weakref.ref(traced), weakref.ref(traced.layers[0]), weakref.ref(traced.layers[-1])]
        was = gc.isenabled()
        gc.disable()
        try:
            del traced
            assert [ref() for ref in refs] == [None, None, None], read
        finally:
            if was:
                gc.enable()
