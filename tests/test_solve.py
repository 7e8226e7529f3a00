"""The solver: the sizes a model runs on, from the formulas, equal to exhaustive forward passes."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

from shapetrace import formulas, zoo
from shapetrace.cli import main
from shapetrace.solver import _meta_shadow, _Passes, _runs, solve

TRUTH = {  # the issue's ground truth for the zoo in eval mode over 1..256
    "lenet": [(28, 31)],
    "alexnet": [(193, 224)],
    "vgg11": [(224, 255)],
    "nin": [(67, 256)],
    "googlenet": [(1, 256)],
    "resnet18": [(1, 256)],
}


@pytest.mark.parametrize("name", list(TRUTH))
def test_zoo_sizes_are_the_issues(name):
    solution = solve(zoo.build(name, "meta"), zoo.ZOO[name].default_input, 1, 256)
    assert [(r.first, r.last) for r in solution.valid] == TRUTH[name]
    assert all(r.output_shapes == ((1, 10),) for r in solution.valid)
    assert solution.method == "analytic" and solution.passes <= 20


def _exhaustive(model: nn.Module, template: tuple[int, ...], lo: int, hi: int, dims: str = "square"):
    passes = _Passes(_meta_shadow(model), template, dims, __import__("torch").float32, "meta")
    return [(r.first, r.last, r.output_shapes) for r in _runs(range(lo, hi + 1), passes)]


@pytest.mark.parametrize(("name", "hi"), [("lenet", 256), ("alexnet", 256), ("nin", 128), ("resnet18", 40)])
def test_the_answer_equals_exhaustive_passes(name, hi):
    model, template = zoo.build(name, "meta"), zoo.ZOO[name].default_input
    solution = solve(model, template, 1, hi)
    ours = [(r.first, r.last, r.output_shapes) for r in solution.ranges if r.ok]
    truth = [entry for entry in _exhaustive(model, template, 1, hi) if entry[2] is not None]
    assert ours == truth and solution.method == "analytic"


def test_alexnet_first_layer_formula_and_cli(capsys):
    assert main(["alexnet", "--solve"]) == 0
    out = capsys.readouterr().out
    assert "193-224  [1, 10]" in out and "the smallest is 193" in out
    assert "Output size of net.0 (Conv2d): ⌊(H − 9)/4⌋ + 1" in out
    assert "65-192   fails at net.14 (at 65): Linear expects 6400 input features" in out


def test_cli_json_and_errors(capsys):
    assert main(["lenet", "--solve", "20:40", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    valid = [r for r in document["ranges"] if r["output_shapes"]]
    assert document["schema"] == "shapetrace/solve/1" and [(r["first"], r["last"]) for r in valid] == [
        (28, 31)
    ]
    assert main(["lenet", "--solve", "40:60"]) == 1
    assert "No size in 40..60 works" in capsys.readouterr().out
    assert main(["lenet", "--solve", "9:3"]) == 2
    assert "LO <= HI" in capsys.readouterr().err


def test_one_dimension_only():
    model = nn.Sequential(nn.Conv2d(1, 2, (3, 5)), nn.Flatten(), nn.Linear(2 * 6 * 12, 4))
    solution = solve(model, (1, 1, 8, 16), 1, 30, dims="W")
    assert [(r.first, r.last) for r in solution.valid] == [(16, 16)]
    assert [(r.first, r.last) for r in solve(model, (1, 1, 8, 16), 1, 30, dims="H").valid] == [(8, 8)]


@st.composite
def heads(draw):
    """A random conv/pool chain with a Linear head sized for one random input size."""
    base = draw(st.integers(8, 32))
    size, channels, layers = base, 1, []
    for _ in range(draw(st.integers(1, 4))):
        k, s, p = draw(st.integers(1, 4)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
        pool = draw(st.booleans())
        try:
            new = formulas.pool_out(size, k, s, p) if pool else formulas.conv_out(size, k, s, p)
        except ValueError:
            continue
        layers.append(nn.MaxPool2d(k, s, p) if pool else nn.Conv2d(channels, 2, k, s, p))
        channels = channels if pool else 2
        size = new
    assume(layers)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * size * size, 3)), base


@given(heads())
def test_random_heads_equal_exhaustive_passes(case):
    model, base = case
    solution = solve(model, (1, 1, base, base), 1, 48)
    truth = [entry for entry in _exhaustive(model, (1, 1, base, base), 1, 48) if entry[2] is not None]
    assert [(r.first, r.last, r.output_shapes) for r in solution.valid] == truth
    assert any(r.first <= base <= r.last for r in solution.valid)


def test_the_package_exports_solve():
    import shapetrace

    solution = shapetrace.solve(zoo.build("lenet", "meta"), (1, 1, 28, 28), lo=20, hi=40)
    assert [(r.first, r.last) for r in solution.valid] == [(28, 31)]


class _Picky(nn.Module):
    """Runs only on widths divisible by 8: forward code that reads the shape."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(2, 3)

    def forward(self, x):
        if x.shape[-1] % 8:
            raise ValueError("width must be a multiple of 8")
        return self.head(self.pool(self.conv(x)).flatten(1))


def test_forward_code_that_reads_shapes_is_solved_exhaustively():
    solution = solve(_Picky(), (1, 1, 32, 32), 8, 40)
    assert solution.method == "exhaustive"
    assert [(r.first, r.last) for r in solution.valid] == [(8, 8), (16, 16), (24, 24), (32, 32), (40, 40)]


class _CpuOnly(nn.Module):
    """Makes a CPU tensor in forward: it cannot run on the meta device."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)

    def forward(self, x):
        return self.conv(x) * torch.ones(1, 4, 1, 1)


def test_a_model_that_cannot_run_on_meta_is_solved_on_its_device():
    solution = solve(_CpuOnly(), (1, 1, 8, 8), 1, 6)
    assert [(r.first, r.last) for r in solution.valid][0][0] == 3


def test_lazy_models_and_exits_do_not_break_the_solver(capsys):
    lazy = nn.Sequential(nn.LazyConv2d(2, 3), nn.Flatten(), nn.LazyLinear(2))
    assert solve(lazy, (1, 1, 6, 6), 1, 10).valid  # solved on the model itself

    class Exits(nn.Module):
        def forward(self, x):
            if x.shape[-1] < 4:
                raise SystemExit(3)
            return x

    assert [(r.first, r.last) for r in solve(Exits(), (1, 1, 5, 5), 1, 6).valid] == [(4, 4), (5, 5), (6, 6)]


def test_solve_dim_needs_solve_and_two_spatial_dims(capsys):
    assert main(["lenet", "--solve-dim", "H"]) == 2
    assert "--solve-dim needs --solve" in capsys.readouterr().err


def test_when_no_size_works_the_given_input_is_diagnosed(capsys):
    assert main(["lenet", "--input", "1,3,32,32", "--solve", "1:40"]) == 1
    out = capsys.readouterr().out
    assert (
        "No size in 1..40 works. At the given input: net.0: net.0 (Conv2d) expects 1 channel but receives 3"
        in out
    )
    assert main(["lenet", "--input", "1,3,32,32", "--solve", "1:40", "--format", "json"]) == 1
    assert "expects 1 channel" in json.loads(capsys.readouterr().out)["failure"]


class _ConvByFunction(nn.Conv2d):
    """A Conv2d subclass whose forward calls F.conv2d itself: user code, still replayable."""

    def forward(self, x):
        return torch.nn.functional.conv2d(x, self.weight, self.bias, self.stride, self.padding)


def test_subclasses_that_call_torch_functions_are_solved_by_the_formulas():
    model = nn.Sequential(
        _ConvByFunction(3, 8, 3), nn.ReLU(), _ConvByFunction(8, 8, 3, stride=2), nn.MaxPool2d(2)
    )
    solution = solve(model, (1, 3, 32, 32), 1, 64)
    exhaustive = _runs(range(1, 65), _Passes(model, (1, 3, 32, 32), "square", torch.float32, "cpu"))
    assert solution.method == "analytic"
    valid = [(r.first, r.last, r.output_shapes) for r in exhaustive if r.ok]
    assert [(r.first, r.last, r.output_shapes) for r in solution.valid] == valid
