"""The README's examples are real: every `$ shapetrace ...` block is re-run and compared."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from shapetrace.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```console\n\$ (shapetrace[^\n]*)\n(.*?)```", README, flags=re.S)


def test_the_readme_has_examples_and_the_quickstart():
    assert len(BLOCKS) >= 8
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = re.findall(r"```sh\n(.*?)```", quickstart, flags=re.S)[0].strip().splitlines()
    assert commands == [
        "pip install . && shapetrace alexnet --input 1,1,224,224",
        "pip install -e '.[test]' && python -m pytest",
    ]
    assert "pip install -e '.[test]' && python -m pytest" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize(("command", "expected"), BLOCKS, ids=[command for command, _ in BLOCKS])
def test_readme_example_output_is_current(command, expected, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    main(shlex.split(command)[1:])
    captured = capsys.readouterr()
    assert (captured.out + captured.err).rstrip() == expected.rstrip()
