"""The solver: the sizes a model runs on, from the formulas, equal to exhaustive forward passes."""

from __future__ import annotations

import json
import os
import time

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

import shapetrace
from shapetrace import formulas, zoo
from shapetrace import solver as solver_package
from shapetrace.cli import main
from shapetrace.introspect import meta_copy as _meta_shadow
from shapetrace.messages import msg
from shapetrace.recorder import record
from shapetrace.render.solution import render_solution, solution_to_dict
from shapetrace.solver import _Passes, _runs, solve
from shapetrace.solver.replay import Outcome
from tests.test_docs import _validator

TRUTH = {  # the issue's ground truth for the zoo in eval mode over 1..256
    "lenet": [(28, 31)],
    "alexnet": [(193, 224)],
    "vgg11": [(224, 255)],
    "nin": [(67, 256)],
    "googlenet": [(1, 256)],
    "resnet18": [(1, 256)],
}


CHAINS = {"lenet", "alexnet", "vgg11", "nin"}  # one path of layers: solved by the closed forms


@pytest.mark.parametrize("name", list(TRUTH))
def test_zoo_sizes_are_the_issues(name):
    solution = solve(zoo.build(name, "meta"), zoo.ZOO[name].default_input, 1, 256)
    assert [(r.first, r.last) for r in solution.valid] == TRUTH[name]
    assert all(r.output_shapes == ((1, 10),) for r in solution.valid)
    assert solution.method == ("closed form" if name in CHAINS else "analytic") and solution.passes <= 20


@pytest.mark.parametrize("name", ["lenet", "alexnet", "vgg11"])
def test_the_flatten_forms_range_is_the_solvers(name):
    """The trace's closed forms name the same square sizes as the solver, at any input: one that works
    and one that does not."""
    ranges = solve(zoo.build(name, "meta"), zoo.ZOO[name].default_input, 1, 4096).working
    for size in (ranges[0][0], 2 * ranges[0][1] + 7):
        try:
            traced = shapetrace.trace(zoo.build(name, "meta"), (1, 1, size, size), suggest_sizes=False)
        except shapetrace.ShapeError as error:
            traced = error.trace
        assert traced.flatten_form is not None and traced.flatten_form.square == ranges


@pytest.mark.parametrize(("name", "hi"), [("lenet", 300), ("alexnet", 300), ("vgg11", 300), ("nin", 300)])
def test_the_closed_forms_give_the_replays_ranges_reasons_and_all(name, hi, monkeypatch):
    """Every range, failures included (layer and reason), as replaying every size gives them."""
    model, template = zoo.build(name, "meta"), zoo.ZOO[name].default_input
    closed = solve(model, template, 1, hi)
    monkeypatch.setattr(solver_package, "closed_ranges", lambda *_: None)
    replayed = solve(model, template, 1, hi)
    assert (closed.method, replayed.method) == ("closed form", "analytic")

    def described(solution):
        return [(r.first, r.last, r.output_shapes, r.layer, r.reason) for r in solution.ranges]

    assert described(closed) == described(replayed)


def _exhaustive(model: nn.Module, template: tuple[int, ...], lo: int, hi: int, dims: str = "square"):
    passes = _Passes(_meta_shadow(model), template, dims, __import__("torch").float32, "meta")
    return [(r.first, r.last, r.output_shapes) for r in _runs(range(lo, hi + 1), passes)]


_THOROUGH_ONLY = pytest.mark.skipif(
    os.environ.get("HYPOTHESIS_PROFILE") != "thorough",
    reason="checked against every size in the thorough profile (HYPOTHESIS_PROFILE=thorough); "
    "test_zoo_sizes_are_the_issues covers these models in every run",
)


@pytest.mark.parametrize(
    ("name", "hi"),
    [
        ("lenet", 256),
        pytest.param("alexnet", 256, marks=_THOROUGH_ONLY),
        pytest.param("nin", 128, marks=_THOROUGH_ONLY),
        pytest.param("resnet18", 20, marks=_THOROUGH_ONLY),
    ],
)
def test_the_answer_equals_exhaustive_passes(name, hi):
    model, template = zoo.build(name, "meta"), zoo.ZOO[name].default_input
    solution = solve(model, template, 1, hi)
    ours = [(r.first, r.last, r.output_shapes) for r in solution.ranges if r.ok]
    truth = [entry for entry in _exhaustive(model, template, 1, hi) if entry[2] is not None]
    assert ours == truth and solution.method == ("closed form" if name in CHAINS else "analytic")


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


def test_failures_of_different_kinds_at_one_layer_are_separate_ranges():
    """A crop then a conv: at 2 the conv gets an empty map, at 3-4 a map smaller than its kernel. Both
    fail at '1', for different reasons: two ranges, not one."""
    model = nn.Sequential(nn.ZeroPad2d(-1), nn.Conv2d(1, 1, 3))
    solution = solve(model, (1, 1, 8, 8), 1, 8)
    failing = [(r.first, r.last, r.layer, r.reason.code) for r in solution.ranges if not r.ok]
    assert failing == [
        (1, 1, "0", "refuse.pad_negative"),
        (2, 2, "1", "formula.size_min"),
        (3, 4, "1", "formula.span"),
    ]
    for size in range(1, 9):  # PyTorch agrees on which sizes fail
        try:
            model(torch.zeros(1, 1, size, size))
            works = True
        except RuntimeError:
            works = False
        assert works == any(r.first <= size <= r.last for r in solution.valid), size


def test_runs_merge_failures_only_at_the_same_layer_for_the_same_reason():
    outcomes = {
        1: Outcome(None, "a", msg("formula.size_min", size=0)),
        2: Outcome(None, "a", msg("formula.size_min", size=0)),
        3: Outcome(None, "a", msg("formula.kernel_larger", size=3, kernel=5)),
        4: Outcome(None, "b", msg("formula.kernel_larger", size=4, kernel=5)),
        5: Outcome(((1, 2),)),
        6: Outcome(((1, 2),)),
    }
    ranges = _runs(range(1, 7), outcomes.__getitem__)
    assert [(r.first, r.last, r.layer) for r in ranges] == [
        (1, 2, "a"),
        (3, 3, "a"),
        (4, 4, "b"),
        (5, 6, None),
    ]


class _SlowItem(nn.Module):
    """Calls .item() (so it cannot run on the meta device), then takes `seconds` a pass; runs on 12×12
    inputs only, none of the solver's first candidates at 16×16, so there is no trace to replay."""

    def __init__(self, seconds: float = 0.1) -> None:
        super().__init__()
        self.seconds = seconds
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 10 * 10, 3)

    def forward(self, x):
        scale = x.abs().amax().item()
        time.sleep(self.seconds)
        return self.fc(torch.flatten(self.conv(x) * (1.0 + 0.0 * scale), 1))


def _pass_seconds(model: nn.Module, shape: tuple[int, ...]) -> float:
    """The longest of one recorded forward pass on the CPU and one on the meta device, as the solver
    runs them, each after a warm-up (PyTorch's first .item() on meta takes seconds, once a process)."""
    longest = 0.0
    for runner, device in ((model, "cpu"), (_meta_shadow(model), "meta")):
        inputs = (torch.zeros(shape, device=device),)
        for _ in range(2):
            started = time.perf_counter()
            record(runner, inputs, {}, device=torch.device(device), functional=True)
        longest = max(longest, time.perf_counter() - started)
    return longest


def test_a_budget_stops_the_search_and_every_rendering_says_how_far_it_got(monkeypatch):
    monkeypatch.setattr(solver_package, "_fitting_size", lambda *_: None)  # no size that fits to trace
    model = _SlowItem()
    one_pass = _pass_seconds(model, (1, 1, 256, 256))
    budget = max(1.0, round(8 * one_pass, 1))  # more on a loaded machine, where a pass is slower
    started = time.perf_counter()
    solution = solve(model, (1, 1, 16, 16), 1, 256, budget=budget)
    elapsed = time.perf_counter() - started
    print(f"budget {budget} s, one pass {one_pass:.3f} s, elapsed {elapsed:.3f} s, to {solution.checked_to}")
    # no timed assertion: stopping short of 256 sizes of 0.1 s each is the budget's doing
    assert not solution.complete and solution.lo <= solution.checked_to < 256
    assert solution.method == "exhaustive" and solution.budget == budget
    # the ranges cover exactly the sizes checked, and say what PyTorch says for each of them
    assert solution.ranges[0].first == 1 and solution.ranges[-1].last == solution.checked_to
    model.seconds = 0.0
    truth = _runs(
        range(1, solution.checked_to + 1), _Passes(model, (1, 1, 16, 16), "square", torch.float32, "cpu")
    )
    assert [(r.first, r.last, r.output_shapes) for r in solution.ranges] == [
        (r.first, r.last, r.output_shapes) for r in truth
    ]
    text, checked = render_solution(solution), solution.checked_to
    assert (
        f"Stopped after {budget} s, the time budget: sizes 1..{checked} checked, {checked + 1}..256 not."
        in text
    )
    assert f"已用完时间预算 {budget} 秒, 搜索提前停止: 已检查尺寸 1..{checked}" in render_solution(
        solution, "zh"
    )
    document = solution_to_dict(solution)
    assert (document["complete"], document["checked_to"], document["budget"]) == (False, checked, budget)
    _validator("shapetrace-solve-1.schema.json").validate(document)


def test_without_a_budget_the_search_is_complete():
    solution = solve(zoo.build("lenet", "meta"), (1, 1, 28, 28), 1, 64)
    assert solution.complete and solution.checked_to == 64 and solution.budget is None
    assert "Stopped" not in render_solution(solution)


_SLOW_PICKY = """
import time
from torch import nn


class Net(nn.Module):
    \"\"\"Takes 0.1 s a pass and reads the input's width, so that the formulas cannot replay it.\"\"\"

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)

    def forward(self, x):
        time.sleep(0.1)
        if x.shape[-1] % 2:
            raise ValueError("even widths only")
        return self.conv(x)
"""


def test_the_command_lines_budget(tmp_path, capsys, monkeypatch):
    (tmp_path / "slow.py").write_text(_SLOW_PICKY)
    monkeypatch.chdir(tmp_path)
    assert main(["slow.py:Net", "--input", "1,1,8,8", "--solve", "1:400", "--budget", "1"]) == 0
    out = capsys.readouterr().out  # 400 passes of 0.1 s stopped short by the budget (no timed assertion)
    assert "Stopped after 1.0 s, the time budget: sizes 1.." in out and "..400 not." in out
    assert "\n2        [1, 2, 2, 2]\n" in out  # the sizes checked are answered: 2 works, 1 and 3 do not
    assert (
        main(["slow.py:Net", "--input", "1,1,8,8", "--solve", "1:400", "--budget", "1", "--format", "json"])
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["complete"] is False and 2 <= document["checked_to"] < 400
    assert main(["slow.py:Net", "--input", "1,1,8,8", "--budget", "0"]) == 2  # the hint's search's too
    assert "--budget must be a positive number of seconds, got 0.0" in capsys.readouterr().err
    assert main(["slow.py:Net", "--input", "1,1,8,8", "--solve", "--budget", "0"]) == 2
    assert "--budget must be a positive number of seconds, got 0.0" in capsys.readouterr().err


class _Counted(nn.Module):
    """LeNet's shape of failure (a Linear sized for one input size), counting its passes per device."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 10 * 10, 3)
        self.calls: dict[str, int] = {}

    def forward(self, x):
        self.calls[x.device.type] = self.calls.get(x.device.type, 0) + 1
        return self.fc(torch.flatten(self.conv(x), 1))


def test_a_model_that_fails_alike_on_meta_is_searched_on_meta(monkeypatch):
    """No candidate size runs, on meta or on the CPU, and both fail alike: the search that follows runs
    on the meta copy (about a millisecond a pass), not the model's weights."""
    monkeypatch.setattr(solver_package, "_fitting_size", lambda *_: None)  # no size that fits to trace
    model = _Counted()
    solution = solve(model, (1, 1, 16, 16), 1, 64)
    assert solution.method == "exhaustive" and [(r.first, r.last) for r in solution.valid] == [(12, 12)]
    assert model.calls == {"cpu": 4}  # the candidate traces only: 16, 64, 1 and 32
    assert solution.passes == 64


def test_the_answer_says_where_its_passes_ran():
    """A model that calls .item() cannot run on meta: its passes run on the CPU, and the answer says
    so in both languages and in JSON; LeNet's run on meta."""
    model = _SlowItem(seconds=0.0)  # works at 12×12 only; the trace at 12 is replayed
    solution = solve(model, (1, 1, 12, 12), 1, 20)
    assert solution.device == "cpu" and [(r.first, r.last) for r in solution.valid] == [(12, 12)]
    assert "CPU passes" in render_solution(solution) and "meta-device" not in render_solution(solution)
    assert "次 CPU 上的前向传播" in render_solution(solution, "zh")
    document = solution_to_dict(solution)
    assert document["device"] == "cpu"
    _validator("shapetrace-solve-1.schema.json").validate(document)
    on_meta = solve(zoo.build("lenet", "meta"), (1, 1, 28, 28), 1, 40)
    assert on_meta.device == "meta" and "meta-device passes" in render_solution(on_meta)
    assert "次 meta 设备前向传播" in render_solution(on_meta, "zh")
