"""The handout: the seed note's parts for any model (lineage, definition, every shape with its
derivation in both notations, where parameters and work concentrate, receptive fields, diagrams,
totals), the comparison, the d2l lines, the quiz and its key; and no English left in the Chinese."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from torch import nn

import shapetrace
from shapetrace import zoo
from shapetrace.cli import main
from shapetrace.render import markup
from shapetrace.render.handout import handout_view


@pytest.fixture(scope="module")
def traces():
    return {
        name: shapetrace.trace(zoo.build(name), entry.default_input, model_name=name)
        for name, entry in zoo.ZOO.items()
    }


def _text(page: str) -> str:
    """The words a reader sees: tags, styles and the code of the definition left out."""
    page = re.sub(r"<style>.*?</style>|<pre[^>]*>.*?</pre>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_handout_has_the_seed_notes_parts_in_order(traces):
    page = traces["alexnet"].to_html()
    titles = re.findall(r"<h2>(.*?)</h2>", page)
    assert titles == [
        "Where it comes from", "1. The definition", "2. Shapes, layer by layer",
        "Where the parameters and the work are", "Receptive field, layer by layer", "3. The architecture",
        "Totals",
    ]  # fmt: skip
    assert "larger and deeper" in page and "data augmentation" in page  # the lineage, as the seed tells it
    assert "(14): Linear(in_features=6400, out_features=4096, bias=True)" in page  # print(model)
    # every derivation in both notations: PyTorch's, and the textbook's in brackets
    assert "h&#39; = w&#39; = ⌊(224 + 2·1 − 1·(11−1) − 1)/4⌋ + 1 = 54" in page
    assert "[d2l: h&#39; = w&#39; = ⌊(224 − 11 + 2 + 4)/4⌋ = 54]" in page
    assert "net.14 (Linear) holds 56.1% of all parameters." in page  # 26,218,496 of 46,764,746
    assert '<figure class="diagram"><svg' in page


def test_the_shares_are_the_traces_own_numbers(traces):
    trace = traces["vgg11"]
    view = handout_view(trace)
    top = view["concentration"]["params"][0]
    layer = next(layer for layer in trace.layers if layer.name == top["name"])
    assert (
        top["value"] == f"{layer.params:,}"
        and top["share"] == f"{100 * layer.params / trace.totals.params:.1f}%"
    )
    assert [row["name"] for row in view["rows"]] == [layer.name for layer in trace.layers]


def test_folded_models_get_a_figure_per_kind_of_block(traces):
    page = traces["resnet18"].to_html()
    assert page.count('<figure class="block">') == 2  # a plain residual block, and one with the 1x1 conv
    assert "Inside 1.0 (Residual)" in page and "Inside 2.0 (Residual)" in page
    googlenet = traces["googlenet"].to_html()
    assert googlenet.count('<figure class="block">') == 1 and "Inside 2.0 (Inception)" in googlenet


def test_a_long_definition_is_folded(traces):
    page = traces["googlenet"].to_html()
    assert "more lines (the whole definition: print(model))" in page


def test_markdown_with_a_file_writes_its_diagrams_beside_it(tmp_path, capsys):
    target = tmp_path / "resnet.md"
    assert main(["resnet18", "-o", str(target)]) == 0
    text = target.read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["resnet.svg", "resnet.L6.svg", "resnet.L23.svg"]
    assert all((tmp_path / link).read_text().startswith("<svg") for link in links)
    assert main(["lenet", "--format", "markdown"]) == 0  # to standard output: the SVG inline
    assert "\n<svg" in capsys.readouterr().out


def test_the_comparison_numbers_are_the_traces(traces, capsys):
    lenet, alexnet = traces["lenet"], traces["alexnet"]
    assert main(["lenet", "alexnet", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [model["totals"]["params"] for model in document["models"]] == [
        lenet.totals.params,
        alexnet.totals.params,
    ]
    changes = document["changes"][0]["items"]
    assert "convolutional layers: 2 → 5" in changes and "activations: Sigmoid → ReLU" in changes
    assert f"parameters: {lenet.totals.params:,} → {alexnet.totals.params:,} (× 757.9)" in changes
    flatten = next(row for row in document["stages"] if row[0] and row[0]["kind"] == "reshape")
    assert [cell["output"] for cell in flatten] == ["[1, 400]", "[1, 6400]"]
    page = markup.comparison_html([lenet, alexnet], "zh", explain=True)
    assert "卷积层: 2 → 5" in page and page.count("<svg") == 2  # the two diagrams side by side


def test_the_comparison_is_in_every_format(tmp_path, capsys):
    for extension in ("txt", "md", "html", "csv", "svg", "json"):
        assert main(["lenet", "alexnet", "-o", str(tmp_path / f"cmp.{extension}")]) == 0
    assert "Stage by stage" in (tmp_path / "cmp.txt").read_text()
    assert (tmp_path / "cmp.svg").read_text().count("<svg") == 3  # one outer, one per model
    assert (tmp_path / "cmp.csv").read_text().startswith("stage,lenet stage,lenet output,alexnet stage")
    assert (tmp_path / "cmp.lenet.svg").exists() and "(cmp.alexnet.svg)" in (tmp_path / "cmp.md").read_text()


def test_the_d2l_lines_are_the_seeds(capsys):
    assert main(["lenet", "--style", "d2l"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Conv2d output shape:\t torch.Size([1, 6, 28, 28])"
    assert lines[-1] == "Linear output shape:\t torch.Size([1, 10])" and len(lines) == 12
    assert main(["nin", "--style", "d2l", "--explain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Sequential output shape:\t torch.Size([1, 96, 54, 54])"  # the seed's NiN lines
    assert (
        lines[1]
        == "MaxPool2d output shape:\t torch.Size([1, 96, 26, 26])  # h' = w' = ⌊(54 − 3 + 0 + 2)/2⌋ = 26"
    )


@pytest.mark.parametrize("extension", ["md", "html"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_quiz_hides_what_its_key_shows(tmp_path, traces, extension, lang):
    worksheet = tmp_path / f"quiz.{extension}"
    assert main(["alexnet", "--quiz", "params", "-o", str(worksheet), "--lang", lang]) == 0
    key = (tmp_path / f"quiz.key.{extension}").read_text()
    sheet = worksheet.read_text()
    trace = traces["alexnet"]
    for layer in trace.layers:
        shape = str(list(layer.output_shapes[0]))
        assert shape in key and shape not in sheet
        if layer.params:
            assert f"{layer.params:,}" in key and f"{layer.params:,}" not in sheet
    assert "⌊(224 + 2·1 − 1·(11−1) − 1)/4⌋ + 1 = 54" in key


_ALLOWED = re.compile(
    r"^(?:[A-Z][A-Za-z0-9]*(?:[A-Z][a-z0-9]+)*\d?[dD]?|"  # layer types: Conv2d, MaxPool2d, ReLU, Inception
    r"MACs?|FLOPs?|PyTorch|shapetrace|torch|d2l|print|model|padding|same|valid|src|tgt|"
    r"relu|sigmoid|concat|attn|bias|zero|in_features|in_channels|output_size|add|"
    r"KiB|MiB|GiB|MMAC|GMAC|kMAC|MFLOP|GFLOP|kFLOP|MAC|FLOP|x|cpu|meta|float32|"
    r"lenet|alexnet|vgg11|nin|googlenet|resnet18|LeNet|AlexNet|GoogLeNet|ResNet|VGG|NiN|Inception)$"
)


def _english_sentences(text: str) -> list[str]:
    """Runs of three or more English words that are not names of models, layers or units."""
    found = []
    for run in re.findall(r"[A-Za-z][A-Za-z_']*(?:[ ,]+[A-Za-z][A-Za-z_']*){2,}", text):
        words = re.findall(r"[A-Za-z][A-Za-z_']*", run)
        if sum(not _ALLOWED.match(word) for word in words) >= 2:
            found.append(run)
    return found


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_the_chinese_handout_has_no_english_sentence(traces, name):
    page = _text(traces[name].to_html(lang="zh"))
    assert _english_sentences(page) == []
    assert "来龙去脉" in page and "逐层形状推导" in page


def test_the_chinese_comparison_quiz_and_failure_have_no_english_sentence(traces, tmp_path):
    pages = [markup.comparison_html([traces["lenet"], traces["alexnet"]], "zh", explain=True)]
    assert main(["alexnet", "--input", "1,1,227,227", "--lang", "zh", "-o", str(tmp_path / "f.html")]) == 1
    pages.append((tmp_path / "f.html").read_text())
    assert main(["alexnet", "--quiz", "-o", str(tmp_path / "q.html"), "--lang", "zh"]) == 0
    pages += [(tmp_path / "q.html").read_text(), (tmp_path / "q.key.html").read_text()]
    torch_words = "mat1 and mat2 shapes cannot be multiplied"  # PyTorch's own message, quoted as it is
    for page in pages:
        assert _english_sentences(_text(page).replace(torch_words, "")) == []


def test_the_english_sentence_finder_finds_sentences():
    assert _english_sentences("输入 [1, 1, 28, 28] the output differs from the formulas") != []
    assert _english_sentences("net.0 Conv2d k=5 p=2 + ReLU 最大池化 MaxPool2d") == []


def test_jupyter_shows_the_handout_as_a_fragment(traces):
    fragment = traces["lenet"]._repr_html_()
    assert (
        fragment.startswith('<div class="shapetrace">')
        and "<html" not in fragment
        and "<body" not in fragment
    )
    assert "<svg" in fragment and "net.0" in fragment
    rules = re.findall(r"([^{}]+)\{", fragment.split("<style>")[1].split("</style>")[0])
    assert all(rule.strip().startswith(".shapetrace") for rule in rules)  # its styles stay inside it


def test_a_user_model_gets_a_handout_without_a_lineage():
    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return self.conv(x).relu()

    page = shapetrace.trace(Tiny(), (1, 3, 8, 8)).to_html()
    assert "Where it comes from" not in page and "<h1>Tiny</h1>" in page


def test_the_templates_ship_with_the_package():
    folder = Path(markup.__file__).parent / "templates"
    assert {path.name for path in folder.iterdir()} >= {"handout.html.j2", "handout.md.j2", "handout.css"}
