"""shapetrace.testing: its strategies generate what they say (configurations PyTorch accepts, inputs it
runs on or refuses), check_rule catches a wrong rule with a shrunk example, and the pytest plugin offers
it as the `shape_rules` fixture, loads without torch or hypothesis, and is declared as an entry point."""

from __future__ import annotations

import importlib.metadata
import re
import sys
import warnings
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import shapetrace
from shapetrace.testing import Case, cases, check_rule, conv_cases, pool_cases, strides, tensor_shapes

pytest_plugins = "pytester"
ROOT = Path(__file__).resolve().parents[1]

KINDS = {  # kind -> (its Cases for dims, the class for dims)
    "conv": (conv_cases, lambda dims: getattr(nn, f"Conv{dims}d")),
    "transposed": (
        lambda dims, **kw: conv_cases(dims, transposed=True, **kw),
        lambda d: getattr(nn, f"ConvTranspose{d}d"),
    ),
    "max": (pool_cases, lambda dims: getattr(nn, f"MaxPool{dims}d")),
    "avg": (
        lambda dims, **kw: pool_cases(dims, kind="avg", **kw),
        lambda dims: getattr(nn, f"AvgPool{dims}d"),
    ),
}


def _runs(layer: nn.Module, shape: tuple[int, ...]) -> bool:
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return layer(torch.zeros(shape)).numel() > 0
    except (RuntimeError, IndexError, ValueError):  # what PyTorch raises for shapes it refuses
        return False


@given(
    st.sampled_from(sorted(KINDS)),
    st.sampled_from((1, 2, 3)),
    st.sampled_from(("valid", "invalid")),
    st.data(),
)
def test_the_strategies_generate_what_pytorch_accepts_and_inputs_as_they_say(kind, dims, inputs, data):
    cases_of, layer_type = KINDS[kind]
    case = data.draw(cases_of(dims, inputs=inputs))
    layer = layer_type(dims)(**case.config)  # every configuration constructs
    assert _runs(layer, case.input_shape) == (inputs == "valid"), (case, kind, dims)


class EveryOther(nn.Module):
    """Keeps every `stride`-th row and column; its rule below forgets that a partial step still counts."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return x[..., :: self.stride, :: self.stride]


shapetrace.register_rule(
    EveryOther,
    attributes=("stride",),
    shape=lambda call: (*call.inputs[0][:-2], *(n // call.attributes["stride"] for n in call.inputs[0][-2:])),
)


def test_a_wrong_rule_is_caught_with_a_shrunk_example():
    configs = st.fixed_dictionaries({"stride": strides})
    with pytest.raises(AssertionError) as info:
        check_rule(
            EveryOther, cases(configs, tensor_shapes(2)), settings=settings(max_examples=25, database=None)
        )
    assert str(info.value).splitlines() == [
        "the shape rule of EveryOther disagrees with PyTorch on input [1, 1, 1, 1]",
        "  layer:   EveryOther(stride=2)",
        "  PyTorch: [1, 1, 1, 1]",
        "  rule:    [1, 1, 0, 0]",
    ]


class Refuses(nn.Module):
    def forward(self, x):
        return x


class Promises(nn.Module):
    def forward(self, x):
        return x.view(-1, 7)


class Unruled(nn.Module):
    def forward(self, x):
        return x


def _refuse(call):
    raise shapetrace.Refusal("never")


shapetrace.register_rule(Refuses, shape=_refuse)
shapetrace.register_rule(Promises, shape=lambda call: (call.inputs[0][0], 7))


def test_a_refusal_where_pytorch_runs_and_shapes_where_it_raises_are_caught():
    from shapetrace.testing import assert_rule_matches_torch

    with pytest.raises(AssertionError, match=r"PyTorch: \[2, 3\]\n  rule:    refuses: never"):
        assert_rule_matches_torch(Refuses(), (2, 3))
    with pytest.raises(
        AssertionError, match=r"PyTorch: raises RuntimeError: shape '\[-1, 7\]'.*\n  rule:    \[2, 7\]"
    ):
        assert_rule_matches_torch(Promises(), (2, 3))
    with pytest.raises(AssertionError, match=r"rule:    none: Unruled has no shape rule"):
        assert_rule_matches_torch(Unruled(), (2,))
    assert_rule_matches_torch(nn.Conv2d(1, 1, 3), (1, 1, 2, 2))  # PyTorch raises, the rule refuses: agreed


def test_the_plugin_fixture_checks_rules_in_a_pytest_run(pytester):
    pytester.makepyfile(
        """
        from hypothesis import settings, strategies as st
        from torch import nn

        import shapetrace


        class Shrinks(nn.Module):
            def forward(self, x):
                return x[..., 1:]


        shapetrace.register_rule(Shrinks, shape=lambda call: call.inputs[0])


        def test_conv_rule(shape_rules):
            shape_rules.check(nn.Conv1d, shape_rules.conv_cases(1), settings=settings(max_examples=5))


        def test_a_wrong_rule(shape_rules):
            shape_rules.check(Shrinks, shape_rules.cases(st.just({}), shape_rules.tensor_shapes(1)))
        """
    )
    result = pytester.runpytest_inprocess(*_plugin_arguments())
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*the shape rule of Shrinks disagrees with PyTorch on input [[]1, 1, 1[]]"])


def _plugin_arguments() -> list[str]:
    """Load the plugin by name unless its entry point (an installed shapetrace) already does."""
    names = {entry.value for entry in importlib.metadata.entry_points(group="pytest11")}
    return [] if "shapetrace.testing.plugin" in names else ["-p", "shapetrace.testing.plugin"]


def test_the_plugin_is_declared_as_a_pytest_entry_point():
    text = (ROOT / "pyproject.toml").read_text()
    assert '[project.entry-points.pytest11]\nshapetrace = "shapetrace.testing.plugin"\n' in text
    dependencies = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "torch" in dependencies and "hypothesis" not in dependencies  # hypothesis: the test extra only


def test_a_pytest_run_without_hypothesis_still_works_and_the_fixture_says_what_to_install(pytester):
    pytester.makeconftest(
        """
        import sys

        for name in [name for name in sys.modules if name.split(".")[0] == "hypothesis"]:
            del sys.modules[name]
        for name in [name for name in sys.modules if name.startswith("shapetrace.testing.")]:
            if name != "shapetrace.testing.plugin":
                del sys.modules[name]
        sys.modules["hypothesis"] = None  # as if it were not installed
        """
    )
    pytester.makepyfile(
        """
        def test_plain():
            assert True


        def test_rules(shape_rules):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:hypothesispytest", *_plugin_arguments())
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ImportError: shapetrace.testing needs hypothesis: pip install hypothesis"])
    assert "hypothesis" in sys.modules and sys.modules["hypothesis"] is not None  # the outer run's, restored


def test_the_plugin_loads_neither_torch_nor_hypothesis():
    import subprocess

    probe = (
        "import sys, shapetrace.testing.plugin; "
        "sys.exit(any(name in sys.modules for name in ('torch', 'hypothesis')))"
    )
    assert subprocess.run([sys.executable, "-c", probe], timeout=60).returncode == 0


def test_cases_accept_pairs_and_factories_of_any_config():
    pairs = st.tuples(st.just(3), st.just((2, 5)))  # (config, input shape): the factory gets the config
    check_rule(lambda features: nn.Linear(5, features), pairs, settings=settings(max_examples=2))
    assert Case({"a": 1}, (1,)) == Case({"a": 1}, (1,))


PAGE = ROOT / "docs" / "testing-your-rules.md"


def _fences(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def test_the_pages_rule_is_the_examples_and_its_property_passes_and_fails_as_the_page_shows(pytester):
    """The page's code is examples/blur_pool.py's and its property test's; with the page's bug put in,
    the property fails with the page's lines, so the page cannot go stale silently."""
    layer, rule, test = _fences("python")
    example = (ROOT / "examples" / "blur_pool.py").read_text(encoding="utf-8")
    assert layer in example and rule in example
    (diff,) = _fences("diff")
    (right,), (wrong,) = ([line[1:] for line in diff.splitlines() if line[0] == sign] for sign in "-+")
    assert example.count(right) == 1
    pytester.makepyfile(
        blur_pool=example,
        blur_pool_buggy=example.replace(right, wrong),
        test_blur_pool=test,
        test_buggy=test.replace("from blur_pool import", "from blur_pool_buggy import"),
    )
    result = pytester.runpytest_inprocess(*_plugin_arguments())
    result.assert_outcomes(passed=1, failed=1)
    (shown,) = _fences("text")
    lines = shown.splitlines()
    first = next(index for index, line in enumerate(lines) if line.startswith("E       AssertionError: "))
    for line in lines[first : first + 4]:  # the disagreement: layer, input, both outcomes
        assert line in result.stdout.lines
    case = next(line for line in lines if "case=Case(" in line)  # hypothesis's shrunk case
    assert "{'channels': 1, 'stride': 2}" in case and "(1, 1, 2, 2)" in case
    assert any(
        "{'channels': 1, 'stride': 2}" in line and "(1, 1, 2, 2)" in line for line in result.stdout.lines
    )
