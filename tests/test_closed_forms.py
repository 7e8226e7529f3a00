"""Closed forms: a whole chain's size as ⌊(n·H + a)/m⌋, equal to the layer-by-layer formulas at every
size and to PyTorch on random stacks; the smallest input each window needs; the Flatten's range, equal
to the solver's; the solver's shortcut, equal to exhaustive passes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

import shapetrace
from shapetrace import formulas, zoo
from shapetrace.closed_forms import thresholds
from shapetrace.formulas.closed import IDENTITY, SizeForm
from shapetrace.introspect import meta_copy as _meta_shadow
from shapetrace.render.closed import closed_lines, forms_text
from shapetrace.solver import _Passes, _runs, solve

ROOT = Path(__file__).resolve().parents[1]
SIZES = range(1, 401)


def _conv(kernel, stride, padding, dilation):
    return ("conv", kernel, stride, padding, dilation)


def _pool(kernel, stride, padding, dilation):
    return ("pool", kernel, stride, min(padding, kernel // 2), dilation)


def _ceil_pool(kernel, stride, dilation):
    return ("ceil", kernel, min(stride, dilation * (kernel - 1) + 1), 0, dilation)


small = st.integers(1, 5)
steps = st.one_of(
    st.builds(_conv, st.integers(1, 7), small, st.integers(0, 3), st.integers(1, 3)),
    st.builds(_pool, st.integers(1, 5), small, st.integers(0, 2), st.integers(1, 2)),
    st.builds(_ceil_pool, st.integers(1, 5), small, st.integers(1, 2)),
    st.builds(lambda amount: ("pad", amount), st.integers(-2, 4)),
)
transposed = st.builds(
    lambda kernel, stride, padding: ("transposed", kernel, stride, min(padding, kernel - 1)),
    st.integers(1, 5), st.integers(1, 3), st.integers(0, 2),
)  # fmt: skip


def _compose(chain) -> SizeForm | None:
    form: SizeForm | None = IDENTITY
    for step in chain:
        if form is None:
            return None
        kind, *settings_ = step
        if kind in ("conv", "pool"):
            form = form.window(*settings_)
        elif kind == "ceil":
            kernel, stride, _, dilation = settings_
            form = form.ceil_window(kernel, stride, dilation)
        elif kind == "pad":
            form = form.plus(settings_[0])
        else:
            kernel, stride, padding = settings_
            form = form.transposed(kernel, stride, padding, 0, 1)
    return form


def _by_the_formulas(chain, size: int) -> int | None:
    """The size after each step by the per-layer formulas; None where one of them refuses."""
    for step in chain:
        kind, *settings_ = step
        try:
            if kind == "conv":
                size = formulas.conv_out(size, *settings_)
            elif kind in ("pool", "ceil"):
                kernel, stride, padding, dilation = settings_
                size = formulas.pool_out(size, kernel, stride, padding, dilation, ceil_mode=kind == "ceil")
            elif kind == "pad":
                size += settings_[0]
                if size < 1:
                    return None
            else:
                kernel, stride, padding = settings_
                size = formulas.conv_transpose_out(size, kernel, stride, padding)
        except ValueError:
            return None
    return size


@given(st.lists(transposed, max_size=2), st.lists(steps, min_size=1, max_size=6))
def test_a_composed_form_equals_the_layer_by_layer_formulas_at_every_size(upsampling, chain):
    """Floors compose exactly: at every size where each layer's formula gives a size, the form gives
    the same; and the sizes that work are all sizes from some size on (what the bisection needs)."""
    chain = upsampling + chain
    form = _compose(chain)
    assert form is not None  # transposed convolutions come first: every step keeps a form
    working = [size for size in SIZES if _by_the_formulas(chain, size) is not None]
    for size in working:
        assert form.at(size) == _by_the_formulas(chain, size), size
    assert working == list(range(working[0], SIZES.stop)) if working else True


def test_forms_read_as_the_textbook_writes_them():
    alexnet_last = IDENTITY.window(11, 4, 1).window(3, 2).window(5, 1, 2).window(3, 2).window(3, 1, 1)
    assert alexnet_last.window(3, 2).text() == "⌊(H − 33)/32⌋"
    assert IDENTITY.window(3, 1, 1).text() == "H" and IDENTITY.plus(-4).text("W") == "W − 4"
    assert IDENTITY.transposed(4, 2, 1, 0, 1).text() == "2H"
    assert SizeForm(0, 7, 1).text() == "7" and SizeForm(2, 1, 3).text() == "⌊(2H + 1)/3⌋"
    assert forms_text((SizeForm(1, -1, 2), SizeForm(1, -3, 2))) == "⌊(H − 1)/2⌋ × ⌊(W − 3)/2⌋"


def test_solve_gives_exactly_the_sizes_of_one_value():
    form = SizeForm(1, -33, 32)
    assert form.solve(5) == (193, 224) and form.solve(0) == (33, 64)
    assert all(form.at(size) == 5 for size in range(193, 225)) and form.at(192) == 4 == form.at(225) - 2
    assert SizeForm(3, 0, 1).solve(7) is None  # 3H never equals 7
    assert form.first_at_least(1) == 65 and SizeForm(0, 1, 1).first_at_least(2) is None


# --- random stacks of real layers ----------------------------------------------------------------------


@st.composite
def stacks(draw, dims: int):
    """A random chain of conv, max/avg pools (floor or ceil mode) and padding layers."""
    conv, maxpool, avgpool = (
        getattr(nn, f"Conv{dims}d"), getattr(nn, f"MaxPool{dims}d"), getattr(nn, f"AvgPool{dims}d")
    )  # fmt: skip
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "max", "avg", "pad", "relu"]))
        kernel, stride = draw(st.integers(1, 5)), draw(st.integers(1, 4))
        if kind == "conv":
            padding, dilation = draw(st.integers(0, 2)), draw(st.integers(1, 2))
            layers.append(conv(2, 2, kernel, stride=stride, padding=padding, dilation=dilation))
        elif kind == "max":
            ceil = draw(st.booleans())
            layers.append(maxpool(kernel, stride, padding=draw(st.integers(0, kernel // 2)), ceil_mode=ceil))
        elif kind == "avg":
            layers.append(avgpool(kernel, stride, padding=draw(st.integers(0, kernel // 2))))
        elif kind == "pad":
            layers.append((nn.ZeroPad1d if dims == 1 else nn.ZeroPad2d)(draw(st.integers(0, 2))))
        else:
            layers.append(nn.ReLU())
    return nn.Sequential(nn.Conv2d(1, 2, 1) if dims == 2 else nn.Conv1d(1, 2, 1), *layers)


def _output_size(model: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    device = next((parameter.device for parameter in model.parameters()), torch.device("cpu"))
    try:
        with torch.no_grad():
            return tuple(model(torch.zeros(shape, device=device)).shape[2:])
    except RuntimeError:
        return None


@pytest.mark.parametrize("dims", [1, 2])
@given(data=st.data())
def test_composed_forms_equal_pytorch_on_random_stacks(dims, data):
    """Where PyTorch runs the stack, the last layer's form gives its output size; and PyTorch runs it
    exactly at the sizes from the largest of the layers' thresholds on."""
    model = data.draw(stacks(dims))
    shape = lambda size: (1, 1, *(size,) * dims)  # noqa: E731
    traced_at = next((size for size in (64, 40, 96, 128) if _output_size(model, shape(size))), None)
    assume(traced_at is not None)
    traced = shapetrace.trace(model, shape(traced_at))
    last = traced.layers[-1]
    leaves = [layer for layer in traced.layers if layer.is_leaf]
    complete = all(layer.size_form is not None and None not in layer.size_form for layer in leaves)
    own = thresholds(traced)
    smallest = max(max(lowest) for lowest in own.values())
    for size in data.draw(st.lists(st.integers(1, 160), min_size=1, max_size=6)) + [smallest, smallest - 1]:
        real = _output_size(model, shape(size)) if size >= 1 else None
        if complete:  # a ceil-mode pool with padding has no form: the layers after it no threshold
            assert (real is not None) == (size >= smallest), (size, smallest)
        forms = last.size_form
        if real is not None and forms is not None:
            assert tuple(form.at(size) for form in forms if form is not None) == tuple(
                length for length, form in zip(real, forms, strict=True) if form is not None
            )


def test_every_layer_of_alexnet_has_its_form_and_the_flatten_its_range():
    model = zoo.build("alexnet", "meta")
    traced = shapetrace.trace(model, (1, 1, 224, 224))
    by_name = {layer.name: layer for layer in traced.layers}
    assert forms_text(by_name["net.0"].size_form) == "⌊(H − 5)/4⌋"
    assert forms_text(by_name["net.12"].size_form) == "⌊(H − 33)/32⌋"
    assert by_name["net.13"].size_form is None and by_name["net"].size_form is None
    found = traced.flatten_form
    assert (found.layer, found.source, found.linear, found.channels, found.features) == (
        "net.13", "net.12", "net.14", 256, 6400,
    )  # fmt: skip
    assert found.square == ((193, 224),) and found.lowest == (65, 65) and found.jump == (32, 32)
    assert {fit.values for fit in found.fits} == {(1, 25), (5, 5), (25, 1)}
    lines = closed_lines(traced)
    assert "Flatten net.13: 256·⌊(H − 33)/32⌋·⌊(W − 33)/32⌋ features; net.14 needs 6400" in lines[1]
    assert lines[2].startswith("⌊(H − 33)/32⌋ = 5 ⇔ 193 ≤ H ≤ 224")
    assert "jump at net.12" in lines[-1]
    for height, width in ((65, 833), (96, 864), (193, 224), (224, 193)):  # PyTorch agrees on every box
        assert _output_size(model, (1, 1, height, width)) is not None
    for height, width in ((64, 833), (97, 864), (192, 224), (225, 225)):
        with pytest.raises(RuntimeError):
            model(torch.zeros(1, 1, height, width, device="meta"))


def test_a_padding_that_lets_small_inputs_through_is_bounded_by_the_windows():
    """A conv with padding 3 and kernel 3 gives H + 4 ≥ 1 even for H ≤ 0: the range comes from the
    windows, not from the form alone; here the pool after it needs H + 4 ≥ 9."""
    model = nn.Sequential(nn.Conv2d(1, 1, 3, padding=3), nn.MaxPool2d(9, 9), nn.Flatten(), nn.Linear(1, 2))
    traced = shapetrace.trace(model, (1, 1, 5, 5))
    assert traced.flatten_form.square == ((5, 13),) and traced.flatten_form.lowest == (5, 5)
    assert "every window on the way needs H ≥ 5" not in closed_lines(traced)[2]  # 5 is the form's own
    works = [size for size in range(1, 20) if _output_size(model, (1, 1, size, size)) is not None]
    assert works == list(range(5, 14))


def test_an_input_that_no_size_fits_is_said_so_in_both_languages():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Flatten(), nn.Linear(10, 2))  # 3·(H − 2)² = 10: never
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(model, (1, 1, 6, 6), suggest_sizes=False)
    lines = closed_lines(info.value.trace)
    assert lines[-1] == "no input fits: 10 is not a multiple of the 3 channels"
    assert closed_lines(info.value.trace, "zh")[-1] == "没有可行的输入: 10 不是通道数 3 的倍数"


EXAMPLES = max(4, settings.default.max_examples // 5)


@settings(max_examples=EXAMPLES)
@given(stack=stacks(2), features=st.integers(1, 400))
def test_the_solvers_closed_form_equals_exhaustive_passes(stack, features):
    """A random chain, flattened into a Linear: the closed-form solve gives the ranges that a real pass
    at every size gives."""
    probe = nn.Sequential(*stack, nn.Flatten())
    traced_at = next((size for size in (24, 40, 64) if _output_size(stack, (1, 1, size, size))), None)
    assume(traced_at is not None)
    flat = probe(torch.zeros(1, 1, traced_at, traced_at)).shape[-1]
    model = nn.Sequential(*stack, nn.Flatten(), nn.Linear(flat if features % 2 else features, 3))
    solution = solve(model, (1, 1, traced_at, traced_at), 1, 72)
    formless = any(  # a ceil-mode pool that may drop a last window: no closed form past it
        isinstance(layer, nn.MaxPool2d)
        and layer.ceil_mode
        and (layer.padding or layer.stride > layer.kernel_size)
        for layer in stack
    )
    # past a formless pool the forms cannot point at a size that runs: where no candidate size runs
    # either, nothing was traced to replay, and the passes are all there is
    expected = {"analytic", "exhaustive"} if formless else {"closed form"}
    assert solution.method in expected or not solution.valid
    passes = _Passes(_meta_shadow(model), (1, 1, traced_at, traced_at), "square", torch.float32, "meta")
    truth = _runs(range(1, 73), passes)
    assert [(r.first, r.last, r.output_shapes) for r in solution.valid] == [
        (r.first, r.last, r.output_shapes) for r in truth if r.ok
    ]


def test_where_the_forms_stop_the_table_says_why():
    """A transposed convolution after a pool multiplies a floor: 2·⌊H/2⌋ is no form of the kind."""
    unet = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.ConvTranspose2d(4, 4, 2, stride=2)
    )
    traced = shapetrace.trace(unet, (1, 1, 32, 32))
    assert [layer.size_form is not None for layer in traced.layers] == [True, True, False]
    assert closed_lines(traced)[1] == (
        "No closed form from 2 (ConvTranspose2d) on: multiplying a size that was rounded down (k·⌊x/m⌋) "
        "gives no form ⌊(n·H + a)/m⌋"
    )
    document = traced.to_dict()
    assert document["form_stop"] == closed_lines(traced)[1]
    jsonschema.validate(document, json.loads((ROOT / "docs" / "shapetrace-1.schema.json").read_text()))
    assert "form_stop" not in shapetrace.trace(unet[:2], (1, 1, 32, 32)).to_dict()
    ceil = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(3, 2, padding=1, ceil_mode=True))
    assert closed_lines(shapetrace.trace(ceil, (1, 1, 32, 32)), "zh")[1] == (
        "从 1 (MaxPool2d) 起没有闭式: 带填充的 ceil_mode 池化可能丢弃从填充区开始的最后一个窗口"
    )


def test_upsampling_before_any_floor_keeps_a_form_and_its_range():
    """PixelShuffle doubles H − 2 exactly: 1·(2H − 4)·(2W − 4) = 3600 holds at H = W = 32 only."""
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.PixelShuffle(2), nn.Flatten(), nn.Linear(3600, 2))
    traced = shapetrace.trace(model, (1, 1, 32, 32))
    assert forms_text(traced.layers[1].size_form) == "2H − 4"
    assert traced.flatten_form.square == ((32, 32),)
    assert "Flatten 2: 1·(2H − 4)·(2W − 4) features" in closed_lines(traced)[1]
    fits = {fit.spans for fit in traced.flatten_form.fits}
    assert ((3, 3), (902, 902)) in fits and _output_size(model, (1, 1, 3, 902)) == ()
    assert _output_size(model, (1, 1, 31, 31)) is None


def test_the_hint_for_a_huge_input_comes_from_the_forms_not_a_search(monkeypatch):
    """LeNet fed 300×300 fails at its first Linear; the forms say 28–31 fit, two real passes confirm the
    ends, and no size search runs (it would take time growing with the input)."""
    from shapetrace import solver

    def no_search(*_args, **_kwargs):
        raise AssertionError("the hint searched although the closed forms answered")

    monkeypatch.setattr(solver, "solve", no_search)
    model = zoo.build("lenet")
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(model, (1, 1, 300, 300))
    assert info.value.hint.endswith("Inputs 28-31 (H = W) work."), info.value.hint
    for size, runs in ((27, False), (28, True), (31, True), (32, False)):
        try:
            model(torch.zeros(1, 1, size, size))
        except RuntimeError:
            assert not runs, size
        else:
            assert runs, size


@pytest.mark.parametrize("dims", [1, 2])
@given(data=st.data())
def test_forms_hold_on_the_public_random_stacks(dims, data):
    """The stacks shapetrace.testing hands users (transposed convolutions, adaptive pools, BatchNorm
    included): wherever PyTorch runs a stack, every form its trace gives equals the real size."""
    from shapetrace.testing import layer_stacks, stack

    case = data.draw(layer_stacks(dims))
    model = stack(**case.config)
    size_at = lambda size: (*case.input_shape[:2], *(size,) * dims)  # noqa: E731
    assume(_output_size(model, size_at(case.input_shape[2])) is not None)
    traced = shapetrace.trace(model, size_at(case.input_shape[2]))
    leaves = [layer for layer in traced.layers if layer.is_leaf and layer.size_form is not None]
    for size in data.draw(st.lists(st.integers(1, 48), min_size=1, max_size=4)):
        if _output_size(model, size_at(size)) is None:
            continue
        with torch.no_grad():
            value = torch.zeros(size_at(size))
            by_name = {layer.name: layer for layer in traced.layers}
            for name, module in model.named_children():
                value = module(value)
                for axis, form in enumerate(by_name[name].size_form or ()):
                    if form is not None:
                        assert form.at(size) == value.shape[2 + axis], (name, size, str(form))
    assert all(len(layer.size_form) == dims for layer in leaves)
