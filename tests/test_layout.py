"""The package's shape: no import cycle, each module importing only what its role allows, the
calculator and the renderers free of torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "shapetrace"
MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
)


def _resolve(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ImportFrom names, relative imports included."""
    if node.level == 0:
        return node.module or ""
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = package[:-1] if path.name != "__init__.py" else package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join((*base, node.module) if node.module else base)


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """(shapetrace modules, third-party top-level packages) a file imports, anywhere in it: at the top,
    inside functions, under TYPE_CHECKING, relative or absolute."""
    ours, theirs = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(path, node)
            names = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module
                for alias in node.names
            ]
        for name in names:
            if name.split(".")[0] == "shapetrace":
                while name not in MODULES:  # shapetrace.messages.msg -> shapetrace.messages
                    name = name.rpartition(".")[0]
                ours.add(name)
            elif name.split(".")[0] not in sys.stdlib_module_names:
                theirs.add(name.split(".")[0])
    return ours, theirs


def _path(module: str) -> Path:
    relative = Path(*module.split(".")[1:])
    package = PACKAGE / relative / "__init__.py"
    return package if package.exists() else (PACKAGE / relative).with_suffix(".py")


GRAPH = {module: imports_of(_path(module))[0] - {module, "shapetrace"} for module in MODULES}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a path that ends where it starts, or None (depth-first search)."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle():
    assert len(GRAPH) > 30 and GRAPH["shapetrace.pipeline"]  # the scan found the package and its imports
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH) or [])


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_relative_imports_are_followed():
    node = ast.parse("from ..records import Shape").body[0]
    assert _resolve(PACKAGE / "rules" / "spatial.py", node) == "shapetrace.records"
    node = ast.parse("from . import dense").body[0]
    assert _resolve(PACKAGE / "rules" / "__init__.py", node) == "shapetrace.rules"


# module (or package) -> the shapetrace modules and third-party packages its files may import
_PURE = {
    "shapetrace.formulas", "shapetrace.messages", "shapetrace.records", "shapetrace.onnx_records",
    "shapetrace.solution", "shapetrace.lazy",
}  # fmt: skip
_PURE |= {"shapetrace.summary_records"}  # summary(): its rows and totals, plain data
ALLOWED: dict[str, tuple[set[str], set[str]]] = {
    "shapetrace.messages": (set(), set()),
    "shapetrace.formulas": ({"shapetrace.messages"}, set()),
    "shapetrace.lazy": (set(), set()),
    "shapetrace.records": (
        {"shapetrace.messages", "shapetrace.formulas", "shapetrace.onnx_records", "shapetrace.lazy"},
        set(),
    ),
    "shapetrace.onnx_records": ({"shapetrace.messages"}, set()),
    "shapetrace.summary_records": ({"shapetrace.records"}, set()),
    "shapetrace.errors": ({"shapetrace.messages", "shapetrace.records"}, set()),
    "shapetrace.solution": ({"shapetrace.messages", "shapetrace.records"}, set()),
    "shapetrace.rules": (_PURE, {"opt_einsum"}),  # opt_einsum only where installed
    "shapetrace.crosscheck": (_PURE | {"shapetrace.rules"}, set()),
    "shapetrace.receptive": (_PURE | {"shapetrace.rules", "shapetrace.views"}, set()),
    "shapetrace.closed_forms": (_PURE | {"shapetrace.rules", "shapetrace.views"}, set()),
    "shapetrace.views": (_PURE, set()),
    "shapetrace.layouts": (_PURE, set()),
    "shapetrace.operands": (_PURE, set()),
    "shapetrace.diagnose": (_PURE | {"shapetrace.layouts", "shapetrace.operands"}, set()),
    "shapetrace.analysis": (
        _PURE
        | {"shapetrace.crosscheck", "shapetrace.receptive", "shapetrace.closed_forms", "shapetrace.layouts"}
        | {"shapetrace.diagnose"},
        set(),
    ),
    "shapetrace.render": (_PURE, {"tabulate", "jinja2", "grandalf", "wcwidth"}),  # wcwidth: tabulate's
    "shapetrace.solver": (
        _PURE
        | {
            "shapetrace.solver.replay",
            "shapetrace.solver.closed",
            "shapetrace.closed_forms",
            "shapetrace.rules",
            "shapetrace._torch",
            "shapetrace.analysis",
            "shapetrace.errors",
            "shapetrace.inputs",
            "shapetrace.introspect",
            "shapetrace.recorder",
            "shapetrace.restore",
            "shapetrace.values",
        },
        {"torch"},
    ),  # fmt: skip
    "shapetrace.recorder": (
        _PURE
        | {
            "shapetrace.freeze",
            "shapetrace.introspect",
            "shapetrace._torch",
            "shapetrace.calls",
            "shapetrace.function_recorder",
            "shapetrace.restore",
            "shapetrace.values",
        },
        {"torch"},
    ),  # fmt: skip
    "shapetrace.function_recorder": (set(), {"torch"}),
    # --device auto: a CPU pass's cost from the module tree and the rules, and the choice it leads to
    "shapetrace.device_choice": (
        _PURE | {"shapetrace.rules", "shapetrace.introspect", "shapetrace._torch"},
        {"torch"},
    ),
    # shapetrace formula: the workings of one size, pure, fast, torch-free
    "shapetrace.cli.formula": (
        {"shapetrace.cli.options", "shapetrace.errors", "shapetrace.formulas", "shapetrace.messages"},
        set(),
    ),
    "shapetrace.custom": (_PURE | {"shapetrace.rules", "shapetrace.errors"}, set()),
    # the ONNX cross-check is pure over records; the export is the one module that imports onnx
    "shapetrace.onnx_check": (_PURE, set()),
    "shapetrace.onnx_export": (
        _PURE
        | {"shapetrace.onnx_check", "shapetrace.inputs", "shapetrace.introspect", "shapetrace._torch"}
        | {"shapetrace.errors"},
        {"torch", "onnx"},
    ),
    "shapetrace.testing": (
        _PURE | {"shapetrace.rules", "shapetrace._torch", "shapetrace.analysis", "shapetrace.recorder"},
        {"hypothesis", "pytest"},
    ),
    # summary(): torchinfo's arguments into a trace, the trace into rows (views), rendered
    "shapetrace.summaries": (
        _PURE
        | {"shapetrace.pipeline", "shapetrace.views", "shapetrace.render", "shapetrace.introspect"}
        | {"shapetrace._torch", "shapetrace.errors"},
        set(),
    ),
}


def _files(module: str) -> list[Path]:
    folder = PACKAGE / Path(*module.split(".")[1:])
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [folder.with_suffix(".py")]


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_import_boundaries(module):
    allowed_ours, allowed_theirs = ALLOWED[module]
    for path in _files(module):
        ours, theirs = imports_of(path)
        inside = {name for name in ours if name == module or name.startswith(module + ".")}
        foreign = {
            name
            for name in ours - inside
            if not any(name == a or name.startswith(a + ".") for a in allowed_ours)
        }
        assert foreign == set(), (path.name, foreign)
        assert theirs <= allowed_theirs, (path.name, theirs - allowed_theirs)


def test_no_module_imports_the_command_line_or_the_public_facade():
    """Data flows one way: nothing below the facade imports it, nothing but __main__ imports the CLI."""
    for module, targets in GRAPH.items():
        if module not in ("shapetrace.__main__", "shapetrace.cli"):
            assert "shapetrace.cli" not in targets, module
        if module not in ("shapetrace.cli", "shapetrace", "shapetrace.summaries"):  # summary(): a facade
            assert "shapetrace.pipeline" not in targets, module


@pytest.mark.parametrize(
    "statement",
    [
        "import shapetrace.formulas",
        "import shapetrace.rules, shapetrace.crosscheck, shapetrace.analysis",
        "import shapetrace",
        "import shapetrace; shapetrace.register_rule, shapetrace.shape_rule, shapetrace.Refusal",
        "import shapetrace.records, shapetrace.render.table, shapetrace.render.data",
        "import shapetrace.cli; shapetrace.cli.build_parser()",
        "from shapetrace.cli import main; main(['formula', 'conv', '--h', '224', '--k', '11'])",
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


def test_modules_stay_small():
    """Modules under ~400 lines (the message catalogs, which are data, up to 450)."""
    sizes = {module: len(_path(module).read_text().splitlines()) for module in MODULES}
    limits = {module: 450 if module.startswith("shapetrace.messages.") else 400 for module in MODULES}
    assert {module: size for module, size in sizes.items() if size > limits[module]} == {}


def test_the_table_command_loads_only_what_it_uses():
    """`shapetrace lenet` prints a table: no handout templates (jinja2), no diagram layout (grandalf),
    no compiler (torch._dynamo, sympy), no operator counter, no wide-character tables (wcwidth) for
    English; a Chinese table then loads wcwidth and is aligned as the recorded one."""
    unwanted = ["jinja2", "grandalf", "torch._dynamo", "sympy", "torch.utils.flop_counter", "wcwidth"]
    golden = Path(__file__).parent / "recorded" / "alexnet-explain-zh.txt"
    probe = (
        "import sys, io, contextlib\n"
        "from shapetrace.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    code = main(['lenet'])\n"
        "assert code == 0 and 'Conv2d' in out.getvalue(), (code, out.getvalue())\n"
        f"print(','.join(name for name in {unwanted!r} if name in sys.modules))\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    main(['alexnet', '--explain', '--lang', 'zh'])\n"
        f"print(out.getvalue() == open({str(golden)!r}, encoding='utf-8').read())\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded, same = result.stdout.splitlines()
    assert loaded == "", f"the table command imported {loaded}"
    assert same == "True", "the Chinese table, wcwidth loaded on demand, differs from the recorded one"
