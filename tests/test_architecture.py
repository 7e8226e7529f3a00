"""Import boundaries: the calculator and the renderers never import torch; data flows one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "shapetrace"

# module -> the shapetrace modules and third-party packages it may import
ALLOWED = {
    "formulas": (set(), set()),
    "records": ({"render"}, set()),  # Trace.to_json() etc. (CONTRACT.md) delegate to the renderers lazily
    "errors": ({"records"}, set()),
    "render": ({"records", "render"}, {"tabulate"}),
    "specs": ({"formulas", "_torch", "records", "functional"}, {"torch", "opt_einsum"}),  # only if installed
    "restore": ({"_torch"}, {"torch"}),
    "tracer": (
        {
            "specs",
            "_torch",
            "errors",
            "records",
            "restore",
            "crosscheck",
            "diagnose",
            "functional",
            "dataflow",
            "receptive",
            "solver",
        },
        {"torch"},
    ),
    "functional": (set(), {"torch"}),
    "dataflow": ({"_torch"}, {"torch"}),
    "receptive": ({"records", "formulas", "rules"}, set()),
    "replay": ({"records", "rules", "crosscheck"}, set()),
    "solver": ({"_torch", "errors", "records", "replay", "tracer", "dataflow", "restore"}, {"torch"}),
    "rules": ({"formulas", "records"}, set()),
    "crosscheck": ({"rules", "records"}, set()),
    "diagnose": ({"records"}, set()),
}


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(shapetrace submodules, third-party top-level packages) imported by a file."""
    ours, theirs = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "shapetrace" and len(parts) > 1:
                ours.add(parts[1])
            elif parts[0] != "shapetrace" and parts[0] not in sys.stdlib_module_names:
                theirs.add(parts[0])
    return ours, theirs


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_import_boundaries(module):
    paths = (
        sorted((PACKAGE / module).glob("*.py")) if (PACKAGE / module).is_dir() else [PACKAGE / f"{module}.py"]
    )
    allowed_ours, allowed_theirs = ALLOWED[module]
    for path in paths:
        ours, theirs = _imports(path)
        ours.discard(module)
        assert ours <= allowed_ours | {module}, (path.name, ours - allowed_ours)
        assert theirs <= allowed_theirs, (path.name, theirs - allowed_theirs)


@pytest.mark.parametrize(
    "statement",
    [
        "import shapetrace.formulas",
        "import shapetrace.rules, shapetrace.crosscheck",
        "import shapetrace",
        "import shapetrace.records, shapetrace.render.table, shapetrace.render.data",
        "import shapetrace.cli; shapetrace.cli.build_parser()",
    ],
)
def test_torch_free_imports(statement):
    probe = f"import sys; {statement}; sys.exit(1 if 'torch' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{statement} imported torch: {result.stderr}"


def test_the_package_loads_trace_lazily():
    import shapetrace

    assert callable(shapetrace.trace)
    assert shapetrace.ShapeError.__name__ == "ShapeError"
    with pytest.raises(AttributeError):
        shapetrace.does_not_exist  # noqa: B018


def test_mac_rules_refuse_a_second_registration():
    from torch import nn

    from shapetrace import specs

    with pytest.raises(ValueError, match="already registered"):
        specs.mac_rule(nn.Conv2d)(lambda attrs, inputs, outputs: 0)
