"""The documentation is real: every `$ shapetrace ...` example in README.md and docs/*.md is re-run and
compared, every heading is a heading, every fence is closed, every relative link resolves, the README
stays small, and real JSON output matches the JSON Schemas in docs/."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import unicodedata
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from shapetrace.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
README_LIMIT = 20_000
QUICKSTART = [
    "pip install torch --index-url https://download.pytorch.org/whl/cpu",
    "pip install . && shapetrace alexnet --input 1,1,224,224",
    "pip install -e '.[test,onnx]' && python -m pytest -n 2",
]
TEST_COMMAND = "pip install -e '.[test,onnx]' && python -m pytest -n 2"


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _examples() -> list[tuple[str, str, str]]:
    examples = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for command, expected in re.findall(r"```console\n\$ (shapetrace[^\n]*)\n(.*?)```", text, flags=re.S):
            examples.append((_name(page), command, expected))
    return examples


EXAMPLES = _examples()


def _tokens(page: Path) -> list:
    return MarkdownIt("commonmark").parse(page.read_text(encoding="utf-8"))


# --- the examples ---------------------------------------------------------------------------------


def test_the_pages_exist_and_have_examples():
    assert DOCS.is_dir()
    assert len(EXAMPLES) >= 20
    assert sum(1 for page, _, _ in EXAMPLES if page == "README.md") >= 2


def test_the_readme_has_the_quickstart_and_ci_runs_its_test_command():
    text = README.read_text(encoding="utf-8")
    quickstart = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)```", quickstart, flags=re.S)[0].strip().splitlines()
    assert commands == QUICKSTART
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_console_block_is_a_shapetrace_example(page):
    """A console block that does not start with `$ shapetrace` would never be re-run."""
    for token in _tokens(page):
        if token.type == "fence" and token.info.strip() == "console":
            assert token.content.startswith("$ shapetrace "), f"{_name(page)}:{token.map[0] + 1}"


@pytest.mark.parametrize(
    ("page", "command", "expected"),
    EXAMPLES,
    ids=[f"{page}: {command}" for page, command, _ in EXAMPLES],
)
def test_example_output_is_current(page, command, expected, capsys, monkeypatch, tmp_path):
    if "--onnx" in command and importlib.util.find_spec("onnx") is None:
        pytest.skip("the onnx extra is absent: pip install -e '.[test,onnx]'")
    monkeypatch.chdir(tmp_path if "--onnx" in command else ROOT)  # the .onnx file lands in tmp_path
    main(shlex.split(command)[1:])
    captured = capsys.readouterr()
    assert (captured.out + captured.err).rstrip() == expected.rstrip()


# --- the Markdown itself --------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _intended_structure(text: str) -> tuple[list[int], list[tuple[int, str]]]:
    """Fence openings and `#` lines as a reader sees them: any line starting with ``` or ~~~ opens or
    closes a fence (so a closing fence with a stray info string, ```SOLVE, still counts as a close)."""
    fences, headings = [], []
    marker = None
    for number, line in enumerate(text.splitlines()):
        match = _FENCE.match(line)
        if marker is None and match:
            marker = match.group(1)
            fences.append(number)
        elif (
            marker is not None
            and match
            and match.group(1)[0] == marker[0]
            and len(match.group(1)) >= len(marker)
        ):
            marker = None
        elif marker is None and line.startswith("#"):
            headings.append((number, line.lstrip("#").strip()))
    return fences, headings


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_heading_is_a_heading_and_every_fence_is_closed(page):
    text = page.read_text(encoding="utf-8")
    lines = text.splitlines()
    tokens = _tokens(page)
    fences, headings = _intended_structure(text)

    parsed_fences = [token for token in tokens if token.type == "fence"]
    assert [token.map[0] for token in parsed_fences] == fences, "a fence opens or closes where it should not"
    for token in parsed_fences:
        closing = lines[token.map[1] - 1].strip() if token.map[1] - 1 > token.map[0] else ""
        assert closing and set(closing) == {token.markup[0]} and len(closing) >= len(token.markup), (
            f"{_name(page)}:{token.map[0] + 1}: the fence is not closed"
        )

    parsed_headings = [
        (token.map[0], tokens[position + 1].content)
        for position, token in enumerate(tokens)
        if token.type == "heading_open"
    ]
    assert parsed_headings == headings


def _links(page: Path) -> list[str]:
    found = []
    for token in _tokens(page):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(child.attrGet("href"))
            elif child.type == "image":
                found.append(child.attrGet("src"))
    return found


@pytest.mark.parametrize("page", PAGES[1:], ids=_name)
def test_every_docs_page_has_a_title_a_summary_and_a_way_back(page):
    tokens = _tokens(page)
    assert tokens[0].type == "heading_open" and tokens[0].tag == "h1"
    assert tokens[3].type == "paragraph_open", "a one-line summary follows the title"
    assert "../README.md" in _links(page)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading).strip().lower()
    kept = "".join(
        character for character in text if character in " -_" or unicodedata.category(character)[0] in "LN"
    )
    return kept.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    tokens = _tokens(page)
    return {
        _slug(tokens[position + 1].content)
        for position, token in enumerate(tokens)
        if token.type == "heading_open"
    }


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_points_at_a_file_that_exists(page):
    for link in _links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", link):  # https:, mailto:
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{_name(page)}: {link} points at nothing"
        if anchor and target.suffix == ".md":
            assert anchor in _anchors(target), f"{_name(page)}: {link}: no such heading"


def test_the_readme_is_a_front_door():
    size = len(README.read_bytes())
    assert size < README_LIMIT, f"README.md is {size:,} bytes"
    linked = {
        (ROOT / link.partition("#")[0]).resolve() for link in _links(README) if link.startswith("docs/")
    }
    assert set(DOCS.glob("*.md")) <= linked, "every docs page is in the README's table of contents"


# --- the JSON documents ---------------------------------------------------------------------------


def _validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one of docs/'s schemas, which may refer to the others by file name."""
    from referencing import Registry, Resource

    schemas = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in DOCS.glob("*.schema.json")}
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return jsonschema.Draft202012Validator(schemas[name], registry=registry)


def _json_of(argv: list[str], capsys, monkeypatch) -> tuple[int, object]:
    monkeypatch.chdir(ROOT)
    status = main(argv)
    return status, json.loads(capsys.readouterr().out)


# name: (arguments, exit status, whether the output compares several models)
TRACES = {
    "alexnet": (["alexnet"], 0, False),
    "googlenet functional": (["googlenet", "--functional"], 0, False),
    "alexnet at 227": (["alexnet", "--input", "1,1,227,227"], 1, False),
    "gpt functional": (
        ["examples/tiny_gpt.py:TinyGPT", "--input", "2,12", "--dtype", "int64", "--functional"],
        0,
        False,
    ),
    "lstm without token ids": (["examples/text_lstm.py:TextLSTM", "--input", "4,32"], 1, False),
    "typo": (["examples/typo.py:Classifier", "--input", "1,3,32,32"], 1, False),
    "vgg11 on meta": (["vgg11", "--device", "meta", "--input", "1,1,8192,8192"], 1, False),
    "lenet alexnet": (["lenet", "alexnet"], 0, True),
}


@pytest.mark.parametrize(("argv", "status", "compares"), TRACES.values(), ids=list(TRACES))
def test_trace_json_matches_the_schema(argv, status, compares, capsys, monkeypatch):
    code, document = _json_of([*argv, "--format", "json"], capsys, monkeypatch)
    assert code == status
    schema = "shapetrace-compare-1.schema.json" if compares else "shapetrace-1.schema.json"
    _validator(schema).validate(document)
    documents = document["models"] if compares else [document]
    assert all(("error" in item) == (status == 1) for item in documents)


@pytest.mark.parametrize(
    ("argv", "status"),
    [(["lenet", "--solve"], 0), (["lenet", "--solve", "1:8"], 1)],
    ids=["lenet", "lenet where no size works"],
)
def test_solve_json_matches_the_schema(argv, status, capsys, monkeypatch):
    code, document = _json_of([*argv, "--format", "json"], capsys, monkeypatch)
    assert code == status
    _validator("shapetrace-solve-1.schema.json").validate(document)


def test_the_schemas_are_not_vacuous(capsys, monkeypatch):
    trace = _validator("shapetrace-1.schema.json")
    _, document = _json_of(["lenet", "--format", "json"], capsys, monkeypatch)
    assert trace.is_valid(document)
    assert not trace.is_valid([document])
    compare = _validator("shapetrace-compare-1.schema.json")
    assert not compare.is_valid(
        {"schema": "shapetrace/compare/1", "models": [document], "stages": [], "changes": []}
    )
    assert not trace.is_valid({**document, "extra": 1})
    assert not trace.is_valid({key: value for key, value in document.items() if key != "layers"})
    layer = document["layers"][1]
    for broken in (
        {**layer, "check": "fine"},
        {**layer, "output_shapes": [[1, "6"]]},
        {**layer, "macs": None},
    ):
        assert not trace.is_valid({**document, "layers": [broken]})
    assert not trace.is_valid({**document, "error": {"layer": "net.0"}})
    solve = _validator("shapetrace-solve-1.schema.json")
    assert not solve.is_valid(document)
