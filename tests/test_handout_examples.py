"""examples/handouts/ is what examples/handouts/regenerate.py makes today: a change to the output
that was not followed by `python examples/handouts/regenerate.py` fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

HANDOUTS = Path(__file__).resolve().parents[1] / "examples" / "handouts"


def _regenerate():
    spec = importlib.util.spec_from_file_location("regenerate_handouts", HANDOUTS / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_handouts_are_fresh(tmp_path):
    _regenerate().generate(tmp_path)
    made = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.iterdir()}
    kept = {
        path.name: path.read_text(encoding="utf-8") for path in HANDOUTS.iterdir() if path.suffix != ".py"
    }
    assert sorted(made) == sorted(kept), "files added or missing: run python examples/handouts/regenerate.py"
    stale = [name for name in made if made[name] != kept[name]]
    assert stale == [], f"stale: {stale[:5]}; run python examples/handouts/regenerate.py"


def test_the_set_is_the_one_the_issue_asks_for():
    names = {path.name for path in HANDOUTS.iterdir()}
    models = ("lenet", "alexnet", "vgg11", "nin", "googlenet", "resnet18")
    for model in models:
        assert {
            f"{model}.svg",
            f"{model}.en.md",
            f"{model}.en.html",
            f"{model}.zh.md",
            f"{model}.zh.html",
        } <= names
    assert {
        "lenet-alexnet.en.html",
        "lenet-alexnet.zh.md",
        "alexnet-quiz.en.md",
        "alexnet-quiz.en.key.md",
    } <= names
