"""The functional view: torch functions called in forwards, as rows, checked, and in diagnoses."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import shapetrace
from shapetrace import zoo
from shapetrace.cli import main
from tests.models import Call


@pytest.mark.parametrize("name", ["googlenet", "resnet18"])
def test_concatenations_and_additions_appear_and_check(name):
    plain = shapetrace.trace(zoo.build(name), (1, 1, 96, 96))
    functional = shapetrace.trace(zoo.build(name), (1, 1, 96, 96), functional=True)
    functions = [layer for layer in functional.layers if layer.is_function]
    kinds = {layer.type for layer in functions}
    assert ("function:cat" in kinds) if name == "googlenet" else ("function:add_" in kinds)
    assert all(layer.is_leaf and layer.check == "ok" for layer in functions)
    assert [layer.check for layer in functional.layers if layer.is_leaf].count("unchecked") == 0
    assert functional.totals == plain.totals  # rows, not costs: params, MACs and activations unchanged
    assert len(functional.layers) > len(plain.layers)


def test_googlenet_concat_row():
    trace = shapetrace.trace(zoo.build("googlenet"), (1, 1, 96, 96), functional=True)
    cat = next(layer for layer in trace.layers if layer.type == "function:cat")
    assert cat.name == "2.0.cat" and cat.depth == 3
    assert cat.input_shapes == ((1, 64, 12, 12), (1, 128, 12, 12), (1, 32, 12, 12), (1, 32, 12, 12))
    assert cat.output_shapes == ((1, 256, 12, 12),)
    assert cat.formula == "dim 1: 64 + 128 + 32 + 32 = 256 → [1, 256, 12, 12]"


def test_functions_inside_leaf_modules_are_not_rows():
    trace = shapetrace.trace(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), (1, 1, 5, 5), functional=True)
    assert [layer.type for layer in trace.layers] == ["Conv2d", "ReLU"]


class Branches(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.cat((self.a(x), self.b(x)), dim=1)


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x) + x


def test_a_concatenation_that_does_not_fit_is_diagnosed():
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(Branches(), (1, 3, 8, 8))
    assert info.value.layer == "cat"
    assert "[1, 4, 8, 8] and [1, 4, 6, 6] differ in dim 2 (8 vs 6)" in info.value.hint
    assert "[1, 4, 8, 8] from a; [1, 4, 6, 6] from b" in info.value.hint


def test_a_residual_addition_that_does_not_fit_is_diagnosed():
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(nn.Sequential(Residual()), (1, 4, 8, 8))
    hint = info.value.hint
    assert info.value.layer == "0.add"
    assert "add in 0 (Residual)" in hint and "dim 2 has sizes 4 vs 8" in hint
    assert "[1, 4, 4, 4] from 0.conv; [1, 4, 8, 8], the input of 0 (Residual)" in hint


def test_cli_functional_rows_in_json(capsys, tmp_path):
    assert main(["googlenet", "--functional", "--format", "json"]) == 0
    rows = [
        layer for layer in json.loads(capsys.readouterr().out)["layers"] if layer["type"] == "function:cat"
    ]
    assert len(rows) == 9 and all(row["is_leaf"] for row in rows)  # the nine Inception blocks


def test_the_model_is_unchanged_and_the_mode_is_gone_after_a_functional_trace():
    from torch.overrides import _get_current_function_mode_stack

    model = Branches()
    before = {key: value.clone() for key, value in model.state_dict().items()}
    with pytest.raises(shapetrace.ShapeError):
        shapetrace.trace(model, (1, 3, 8, 8), functional=True)
    assert _get_current_function_mode_stack() == []
    assert all(torch.equal(model.state_dict()[key], value) for key, value in before.items())


@st.composite
def shape_calls(draw):
    """A tensor-shaping call: view/reshape (with -1), transpose, permute, (un)squeeze, reductions."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    rank = len(shape)
    dim = st.integers(-rank, rank - 1)
    kind = draw(
        st.sampled_from(["view", "reshape", "transpose", "permute", "unsqueeze", "squeeze", "mean", "sum"])
    )
    if kind in ("view", "reshape"):
        sizes = list(draw(st.permutations(shape)))
        if draw(st.booleans()):
            sizes[draw(st.integers(0, rank - 1))] = -1
        if draw(st.integers(0, 4)) == 0:
            sizes.append(draw(st.integers(2, 3)))  # sometimes a size that cannot work
        if draw(st.booleans()):
            return shape, (lambda x, *s: getattr(x, kind)(*s)), tuple(sizes), {}
        return shape, (lambda x, s: getattr(x, kind)(s)), (tuple(sizes),), {}
    if kind == "transpose":
        return shape, torch.transpose, (draw(dim), draw(dim)), {}
    if kind == "permute":
        return shape, (lambda x, *d: x.permute(*d)), tuple(draw(st.permutations(range(rank)))), {}
    if kind == "unsqueeze":
        return shape, torch.unsqueeze, (draw(st.integers(-rank - 1, rank)),), {}
    if kind == "squeeze":
        return shape, torch.squeeze, (draw(dim),) if draw(st.booleans()) else (), {}
    dims = draw(st.one_of(dim, st.lists(dim, min_size=1, max_size=rank, unique=True).map(tuple)))
    return shape, getattr(torch, kind), (dims,), {"keepdim": draw(st.booleans())}


@given(shape_calls())
def test_shape_functions_check_ok_against_torch(call):
    shape, function, arguments, keywords = call
    model = Call(function, *arguments, **keywords)
    try:
        expected = function(torch.randn(shape), *arguments, **keywords).shape
    except (RuntimeError, IndexError):
        with pytest.raises(shapetrace.ShapeError) as info:
            shapetrace.trace(model, shape, functional=True)
        failed = info.value.trace.layers[-1]
        assert failed.formula  # the formulas explain the refusal
        return
    result = shapetrace.trace(model, shape, functional=True)
    row = result.layers[-1]
    assert row.output_shapes == (tuple(expected),)
    assert row.check == "ok", (row.type, row.formula, row.note)


@pytest.mark.parametrize(
    ("function", "shapes"),
    [
        (torch.matmul, [(2, 3, 4), (4, 5)]),
        (torch.bmm, [(2, 3, 4), (2, 4, 5)]),
        (torch.mm, [(3, 4), (4, 5)]),
        (lambda a, b: torch.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)]),
        (torch.nn.functional.linear, [(2, 7, 4), (6, 4)]),
        (torch.nn.functional.scaled_dot_product_attention, [(2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 6)]),
    ],
)
def test_matrix_functions_check_ok_and_refuse_what_torch_refuses(function, shapes):
    result = shapetrace.trace(Call(function), shapes, functional=True)
    assert result.layers[-1].check == "ok"
    wrong = [*shapes[:-1], tuple(size + 1 for size in shapes[-1])]
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(Call(function), wrong, functional=True)
    assert info.value.trace.layers[-1].formula
