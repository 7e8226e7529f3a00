"""Rules for layers of the user's own (shapetrace.register_rule, @shapetrace.shape_rule): checked in a
real trace, replayed by the solver, labelled in the diagram, explained in both languages; registering
twice, or a rule that raises, is a clear error, never a traceback."""

from __future__ import annotations

import pytest
import torch.nn.functional as F
from torch import nn

import shapetrace
from shapetrace import Call, Derivation, Refusal
from shapetrace.cli import main
from shapetrace.messages import render
from shapetrace.render.diagram import build_diagram
from tests.test_solve import _exhaustive


class Blur(nn.Module):
    """Average over k×k windows every `stride` pixels (a user's layer: its work is F.avg_pool2d)."""

    def __init__(self, kernel_size: int = 3, stride: int = 2) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride)


@shapetrace.shape_rule(
    Blur,
    attributes=("kernel_size", "stride"),
    explain="h' = ⌊({h} − {kernel_size})/{stride}⌋ + 1 = {out}",
    macs=lambda call: 7,
)
def blur_shape(call: Call) -> Derivation:
    *lead, h, w = call.inputs[0]
    k, s = call.attributes["kernel_size"], call.attributes["stride"]
    if min(h, w) < k:
        raise Refusal(f"Blur({k}) needs at least {k}×{k} pixels, got {h}×{w}")
    out = ((h - k) // s + 1, (w - k) // s + 1)
    return Derivation(((*lead, *out),), values={"h": h, "out": out[0]})


class Halve(nn.Module):
    """Keeps every other row and column; its rule (registered below) forgets the odd sizes' last one."""

    def forward(self, x):
        return x[..., ::2, ::2]


shapetrace.register_rule(
    Halve, shape=lambda call: (*call.inputs[0][:-2], *(n // 2 for n in call.inputs[0][-2:]))
)


def _net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), Blur(), nn.ReLU())


def test_a_registered_rule_checks_ok_and_states_its_derivation():
    trace = shapetrace.trace(_net(), (1, 3, 32, 32))
    blur = trace.layers[1]
    assert (blur.type, blur.base_type, blur.check) == ("Blur", "tests.test_custom_rules.Blur", "ok")
    assert blur.attributes == (("kernel_size", 3), ("stride", 2)) and blur.macs == 7
    assert blur.formula == "h' = ⌊(30 − 3)/2⌋ + 1 = 14"
    assert render(blur.derivation, "zh") == blur.formula  # the user's words, shown as given
    assert trace.checks == {"ok": 3, "mismatch": 0, "unchecked": 0}


def test_a_wrong_rule_is_a_mismatch_and_a_right_one_ok():
    even = shapetrace.trace(nn.Sequential(Halve()), (1, 1, 4, 6)).layers[0]
    assert even.check == "ok" and even.formula == "by the Halve rule: [1, 1, 2, 3]"
    odd = shapetrace.trace(nn.Sequential(Halve()), (1, 1, 5, 5)).layers[0]
    assert odd.check == "mismatch" and odd.expected_shapes == ((1, 1, 2, 2),)
    assert odd.output_shapes == ((1, 1, 3, 3),) and odd.note == "the output differs from the formulas"


def test_where_pytorch_raises_the_failing_layer_shows_the_rules_refusal():
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(_net(), (1, 3, 4, 4))
    failed = info.value.trace.layers[1]
    assert failed.failed and failed.formula == "Blur(3) needs at least 3×3 pixels, got 2×2"
    text = info.value.trace.to_table(explain=True, lang="zh")
    assert "Blur(3) needs at least 3×3 pixels, got 2×2" in text


def test_the_solver_replays_a_user_layer_and_agrees_with_real_passes():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), Blur(3, 2), nn.Flatten(), nn.Linear(4 * 7 * 7, 2))
    solution = shapetrace.solve(model, (1, 3, 18, 18), 1, 24)
    assert solution.method == "analytic"
    ours = [(r.first, r.last, r.output_shapes) for r in solution.valid]
    assert ours == [entry for entry in _exhaustive(model, (1, 3, 18, 18), 1, 24) if entry[2] is not None]
    assert [(r.first, r.last) for r in solution.valid] == [(17, 18)]
    assert [(r.first, r.last, r.layer, str(r.reason)) for r in solution.ranges][1] == (
        3,
        4,
        "1",
        "Blur(3) needs at least 3×3 pixels, got 1×1",
    )


def test_the_diagram_and_the_table_label_the_layer_with_its_settings():
    trace = shapetrace.trace(_net(), (1, 3, 32, 32))
    box = next(box for box in build_diagram(trace).boxes if box.label == "Blur")
    assert box.details[0] == "k=3 s=2" and box.name == "1"
    assert "k=3 s=2" in trace.to_svg() and "Blur" in trace.to_svg()
    row = next(line for line in str(trace).splitlines() if line.startswith("1 "))
    assert row.split()[1:3] == ["Blur", "k=3"]


def test_explain_shows_the_rules_derivation_in_both_languages(capsys):
    for lang in ("en", "zh"):
        code = main(["examples/blur_pool.py:BlurNet", "--input", "1,3,32,32", "--explain", "--lang", lang])
        out = capsys.readouterr().out
        assert code == 0 and "h' = ⌊(32 + 2·1 − 3)/2⌋ + 1 = 16; w' = ⌊(32 + 2·1 − 3)/2⌋ + 1 = 16" in out
        row = next(line for line in out.splitlines() if line.strip().startswith("features.5"))
        assert "channels=32 k=3 s=2 p=1" in row and "18,432" in row


def test_registering_twice_is_an_error_naming_the_class():
    with pytest.raises(ValueError, match=r"a rule for tests\.test_custom_rules\.Blur is already registered"):
        shapetrace.register_rule(Blur, shape=blur_shape)
    with pytest.raises(ValueError, match="already registered"):
        shapetrace.shape_rule(Halve)(lambda call: call.inputs[0])

    class Twice(nn.Module):
        def forward(self, x):
            return x

    shapetrace.register_rule(Twice, shape=lambda call: call.inputs[0])
    key = shapetrace.register_rule(Twice, shape=lambda call: (1,), replace=True)
    assert shapetrace.trace(nn.Sequential(Twice()), (2, 3)).layers[0].check == "mismatch"

    class Twice(nn.Module):  # noqa: F811  the same class defined anew (a notebook cell run again)
        def forward(self, x):
            return x

    assert shapetrace.register_rule(Twice, shape=lambda call: call.inputs[0]) == key
    assert shapetrace.trace(nn.Sequential(Twice()), (2, 3)).layers[0].check == "ok"


def test_a_rule_that_raises_leaves_the_layer_unchecked_with_the_reason():
    class Fragile(nn.Module):
        def forward(self, x):
            return x * 2

    shapetrace.register_rule(Fragile, shape=lambda call: 1 // 0, macs=lambda call: call.nothing)
    model = nn.Sequential(nn.Conv2d(1, 1, 1), Fragile())
    layer = shapetrace.trace(model, (1, 1, 4, 4)).layers[1]
    assert layer.check == "unchecked" and layer.macs == 0
    assert layer.note.startswith("not checked: the tests.test_custom_rules.test_a_rule_that_raises_")
    assert layer.note.endswith(
        ".<locals>.Fragile rule failed (ZeroDivisionError: integer division or modulo by zero)"
    )
    solution = shapetrace.solve(model, (1, 1, 4, 4), 1, 6)  # no replay: real passes, no traceback
    assert solution.method == "exhaustive" and solution.working == ((1, 6),)


def test_a_rule_that_returns_no_shapes_or_names_a_missing_value_is_unchecked():
    class Odd(nn.Module):
        def forward(self, x):
            return x

    class Wordy(nn.Module):
        def forward(self, x):
            return x

    shapetrace.register_rule(Odd, shape=lambda call: "a shape")
    shapetrace.register_rule(Wordy, shape=lambda call: call.inputs[0], explain="n = {n}")
    odd, wordy = shapetrace.trace(nn.Sequential(Odd(), Wordy()), (2, 3)).layers
    assert (
        odd.check == "unchecked"
        and odd.note == "not checked: the Odd rule returned 'a shape', not output shapes"
    )
    assert wordy.check == "unchecked" and "names {n}, which neither the layer's attributes" in wordy.note


def test_a_subclass_of_a_torch_layer_keeps_its_rule_unless_it_registers_its_own():
    class Plain(nn.Conv2d):
        pass

    class Own(nn.Conv2d):
        pass

    shapetrace.register_rule(Own, shape=lambda call: Derivation(((1, 2, 3, 3),), "my own: 3×3"))
    plain, own = shapetrace.trace(nn.Sequential(Plain(1, 2, 3), Own(2, 2, 1)), (1, 1, 5, 5)).layers
    assert plain.base_type == "Conv2d" and plain.formula.startswith("h' = w' = ⌊(5 + 2·0")
    assert own.base_type.endswith("<locals>.Own") and own.formula == "my own: 3×3" and own.check == "ok"


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ((42,), "needs a subclass of torch.nn.Module, got 42"),
        ((nn.Conv2d,), "torch.nn.modules.conv.Conv2d is one of torch's own layers"),
        ((nn.Module,), "torch.nn.modules.module.Module is one of torch's own layers"),
        ((Blur,), "needs shape= or macs="),
    ],
)
def test_bad_registrations_say_what_is_wrong(arguments, words):
    keywords = {} if arguments[0] is Blur else {"shape": lambda call: call.inputs[0]}
    with pytest.raises(shapetrace.UsageError, match=words.replace("(", r"\(").replace(".", r"\.")):
        shapetrace.register_rule(*arguments, **keywords, replace=True)


@pytest.mark.parametrize("explain", ["h = {0}", "h = {}", "h = {h", 3])
def test_an_explain_text_needs_named_fields(explain):
    class Explained(nn.Module):
        pass

    with pytest.raises(shapetrace.UsageError, match="must be a format string with named fields"):
        shapetrace.register_rule(Explained, shape=lambda call: call.inputs[0], explain=explain)


def test_a_users_refusal_is_a_value_error_with_its_text():
    refusal = Refusal("too small")
    assert isinstance(refusal, ValueError) and str(refusal) == "too small"
    assert render(refusal.message, "zh") == "too small"


def test_a_window_layer_of_the_users_has_a_closed_form_that_pytorch_confirms():
    """field="window" carries the closed forms through BlurPool (examples/blur_pool.py): the last one's
    size is a form of H that equals PyTorch's output at every size it runs on."""
    import torch

    from examples.blur_pool import BlurNet

    model = BlurNet()
    trace = shapetrace.trace(model, (1, 3, 32, 32))
    last = next(layer for layer in trace.layers if layer.name == "features.5")
    assert last.size_form is not None and None not in last.size_form
    for size in range(3, 70):
        traced = model.features(torch.zeros(1, 3, size, size)).shape[-1]
        assert last.size_form[0].at(size) == traced, size
