"""`shapetrace.summary()`, torchinfo's signature: totals and shapes against PyTorch's own (deduplicated
parameters(), forward hooks, FlopCounterMode); where torchinfo 1.8.0 (the peer oracle) differs, that
shapetrace is the one equal to PyTorch; what the column and row options print; the HTML for Jupyter."""

from __future__ import annotations

import html.parser
import os
from pathlib import Path

import pytest
import torch
import torchinfo
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import shapetrace
from shapetrace import UsageError, summary, zoo
from shapetrace.cli import main
from tests import summary_models as fixtures
from tests.oracles import torch_math_flops

RECORDED = Path(__file__).parent / "recorded"
PAGE = Path(__file__).parent.parent / "docs" / "from-torchinfo.md"


def golden(request, name: str, text: str) -> str:
    path = RECORDED / name
    if request.config.getoption("--regenerate-golden"):
        path.write_text(text)
    return path.read_text()


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _call(inputs):
    """(args, kwargs) for a real forward pass from torchinfo-style inputs."""
    if "input_size" in inputs:
        return (torch.randn(inputs["input_size"]),), {}
    data = inputs["input_data"]
    if isinstance(data, dict):
        return (), data
    return ((data,) if isinstance(data, torch.Tensor) else tuple(data)), {}


def pytorch_truth(model: nn.Module, inputs: dict) -> dict:
    """PyTorch's own numbers: parameters() (each tensor once), MACs from FlopCounterMode on the reference
    kernels, every module call's output shapes from real forward hooks, and the byte sizes."""
    args, kwargs = _call(inputs)
    names = {id(module): name for name, module in model.named_modules()}
    calls: dict[str, list] = {}
    leaf_param_bytes = []

    def hook(module, _inputs, output):
        shapes = tuple(tuple(tensor.shape) for tensor in _tensors(output))
        calls.setdefault(names[id(module)], []).append(shapes)
        if not list(module.children()) and any(True for _ in module.parameters()):
            leaf_param_bytes.append(sum(t.nelement() * t.element_size() for t in _tensors(output)))

    handles = [module.register_forward_hook(hook) for name, module in model.named_modules() if name]
    try:
        with torch.no_grad():
            model(*args, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    parameters = list(model.parameters())
    return {
        "params": sum(p.numel() for p in parameters),
        "param_bytes": sum(p.numel() * p.element_size() for p in parameters),
        "macs": torch_math_flops(model, *args, keep_mode=True, **kwargs) // 2,
        "calls": calls,
        "input_bytes": sum(t.nelement() * t.element_size() for t in _tensors((args, kwargs))),
        "pass_bytes": 2 * sum(leaf_param_bytes),
    }


def _rows_by_name(result) -> dict[str, list]:
    calls: dict[str, list] = {}
    for row in result.summary_list[1:]:
        calls.setdefault(row.var_name, []).append(row.output_size)
    return calls


# (id, model factory, torchinfo-style inputs, what torchinfo 1.8.0 gets wrong)
CASES = [
    ("nested", fixtures.Nested, {"input_size": (2, 3, 8, 8)}, {"macs"}),  # BatchNorm counted as MACs
    ("lstm-embedding", fixtures.Tagger, {"input_data": torch.randint(0, 50, (2, 7))}, {"macs"}),
    ("pruned-conv", fixtures.pruned_conv, {"input_size": (1, 3, 8, 8)}, {"params", "macs"}),
    ("tied-weights", fixtures.Tied, {"input_data": torch.randint(0, 100, (2, 5))}, {"params", "macs"}),
    ("transposed-conv", fixtures.transposed, {"input_size": (1, 8, 5, 5)}, {"macs"}),
    ("bare-parameter-mm", fixtures.BareMatmul, {"input_size": (4, 16)}, {"macs"}),
    (
        "dict-inputs",
        fixtures.TwoInputs,
        {"input_data": {"image": torch.randn(2, 6), "meta": torch.randn(2, 3)}},
        {"macs"},  # torchinfo adds the bias as MACs; FlopCounterMode does not
    ),
    (
        "packed-lstm",
        fixtures.PackedLSTM,
        {"input_data": [torch.randn(4, 10, 16), torch.tensor([10, 7, 5, 2])]},
        {"macs"},
    ),
    ("linear-on-a-sequence", fixtures.sequence_linear, {"input_size": (2, 16, 64)}, {"macs"}),
]


@pytest.mark.parametrize(("case", "factory", "inputs", "torchinfo_wrong"), CASES, ids=[c[0] for c in CASES])
def test_totals_and_shapes_equal_pytorch_where_torchinfo_differs(case, factory, inputs, torchinfo_wrong):
    torch.manual_seed(0)
    model = factory()
    truth = pytorch_truth(model, inputs)
    ours = summary(model, verbose=0, **inputs)
    theirs = torchinfo.summary(model, verbose=0, **inputs)
    assert ours.total_params == truth["params"]
    assert ours.trainable_params == truth["params"]
    assert ours.total_mult_adds == truth["macs"] > 0
    assert ours.total_param_bytes == truth["param_bytes"]
    assert ours.total_input == truth["input_bytes"]
    assert _rows_by_name(ours) == truth["calls"]
    assert (theirs.total_params != truth["params"]) == ("params" in torchinfo_wrong)
    assert (theirs.total_mult_adds != truth["macs"]) == ("macs" in torchinfo_wrong)
    # the page's row of this case says what the run gives
    row = _page_rows()[case]
    assert row[0] == f"{truth['params']:,} / {truth['macs']:,}"
    assert row[1] == f"{ours.total_params:,} / {ours.total_mult_adds:,}"
    assert row[2].replace("**", "") == f"{theirs.total_params:,} / {theirs.total_mult_adds:,}"


def _page_rows() -> dict[str, list[str]]:
    """docs/from-torchinfo.md's table of differences: case -> [PyTorch, shapetrace, torchinfo] cells."""
    rows = {}
    for line in PAGE.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1:4]
    return rows


def test_the_page_lists_every_case():
    assert sorted(_page_rows()) == sorted(case[0] for case in CASES)


def test_the_pages_python_example_prints_what_the_page_shows_and_pytorchs_counts(capsys):
    text = PAGE.read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    shown = text.split("```text\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(code, scope)
    assert capsys.readouterr().out == shown
    model = scope["TiedLM"]()
    truth = pytorch_truth(model, {"input_data": torch.zeros(2, 5, dtype=torch.long)})
    assert f"Total params: {truth['params']:,}\n" in shown
    assert f"({truth['macs']:,} MACs)" in shown


def test_memory_totals_have_torchinfos_meaning_in_mb_of_ten_to_the_sixth():
    model = fixtures.Nested()
    inputs = {"input_size": (2, 3, 8, 8)}
    truth = pytorch_truth(model, inputs)
    ours = summary(model, verbose=0, **inputs)
    theirs = torchinfo.summary(model, verbose=0, **inputs)
    assert ours.total_output_bytes == truth["pass_bytes"] == theirs.total_output_bytes
    assert ours.total_param_bytes == theirs.total_param_bytes  # no tied weights here
    text = str(ours)
    total = truth["input_bytes"] + truth["pass_bytes"] + truth["param_bytes"]
    assert f"Forward/backward pass size (MB): {truth['pass_bytes'] / 1e6:.2f}" in text
    assert f"Estimated Total Size (MB): {total / 1e6:.2f}" in text
    assert "MB = 10^6 bytes" in text


def test_batch_dim_inserts_a_batch_of_one_as_torchinfo_does():
    model = fixtures.Nested()
    ours = summary(model, input_size=(3, 8, 8), batch_dim=0, verbose=0)
    theirs = torchinfo.summary(model, input_size=(3, 8, 8), batch_dim=0, verbose=0)
    assert ours.summary_list[0].input_size == ((1, 3, 8, 8),)
    assert list(ours.summary_list[0].input_size[0]) == theirs.summary_list[0].input_size
    assert ours.summary_list[0].output_size == (tuple(model(torch.randn(1, 3, 8, 8)).shape),)
    with pytest.raises(UsageError, match="batch_dim=7 is outside"):
        summary(model, input_size=(3, 8, 8), batch_dim=7, verbose=0)


def test_forward_kwargs_pass_through_beside_input_size_and_input_data():
    model = fixtures.Repeats()
    by_size = summary(model, input_size=(2, 10), repeat=3, verbose=0)
    by_data = summary(model, input_data=[torch.randn(2, 10)], repeat=2, verbose=0)
    assert by_size.summary_list[0].output_size == (tuple(model(torch.randn(2, 10), repeat=3).shape),)
    assert by_data.summary_list[0].output_size == ((2, 20),)
    assert torchinfo.summary(model, input_size=(2, 10), repeat=3, verbose=0).summary_list[0].output_size == [
        2,
        30,
    ]


def test_mode_switches_for_the_pass_and_leaves_the_model_as_it_was():
    model = fixtures.ModeShaped().train()
    assert summary(model, input_size=(2, 10), mode="eval", verbose=0).summary_list[0].output_size == ((2, 1),)
    assert model.training
    model.eval()
    assert summary(model, input_size=(2, 10), mode="train", verbose=0).summary_list[0].output_size == (
        (2, 10),
    )
    assert not model.training
    assert summary(model, input_size=(2, 10), verbose=0).summary_list[0].output_size == ((2, 1),)  # "same"
    with pytest.raises(UsageError, match="mode takes"):
        summary(model, input_size=(2, 10), mode="training", verbose=0)


def test_dtypes_take_tensor_types():
    model = fixtures.Tied()
    ours = summary(model, input_size=(2, 5), dtypes=[torch.LongTensor], verbose=0)
    truth = pytorch_truth(model, {"input_data": torch.zeros(2, 5, dtype=torch.long)})
    assert ours.total_mult_adds == truth["macs"] and _rows_by_name(ours) == truth["calls"]
    assert ours.total_input == 2 * 5 * 8  # int64 indices


def test_no_input_gives_a_parameters_only_summary():
    model = fixtures.Nested()
    ours = summary(model, verbose=0)
    assert (
        ours.total_params
        == sum(p.numel() for p in model.parameters())
        == torchinfo.summary(model, verbose=0).total_params
    )
    assert ours.total_mult_adds == ours.total_input == ours.total_output_bytes == 0
    assert len(ours.summary_list) == len(list(model.named_modules()))
    assert all(row.output_size is None and row.macs is None for row in ours.summary_list)
    text = str(ours)
    assert "Param #" in text and "Output Shape" not in text and "Total mult-adds: --" in text


def test_verbose_prints_and_two_adds_a_row_per_parameter_tensor(capsys):
    model = fixtures.Nested()
    quiet = summary(model, input_size=(1, 3, 8, 8), verbose=0)
    assert capsys.readouterr().out == ""
    loud = summary(model, input_size=(1, 3, 8, 8), verbose=1)
    assert capsys.readouterr().out == str(loud) == str(quiet)
    detailed = summary(model, input_size=(1, 3, 8, 8), verbose=2)
    out = capsys.readouterr().out
    assert out == str(detailed) and len(out.splitlines()) > len(str(quiet).splitlines())
    conv = model.features[0][0]
    assert f"weight {list(conv.weight.shape)}" in out and f"{conv.weight.numel():,}" in out


def test_depth_folds_rows_but_not_totals():
    model = fixtures.Nested()
    deep = summary(model, input_size=(1, 3, 8, 8), verbose=0)
    shallow = summary(model, input_size=(1, 3, 8, 8), depth=1, verbose=0)
    assert ": 2-" in str(deep) and ": 2-" not in str(shallow)
    assert shallow.total_params == deep.total_params and shallow.summary_list == deep.summary_list
    features = [line for line in str(shallow).splitlines() if "Sequential: 1-1" in line]
    conv_bn = sum(p.numel() for p in model.features.parameters())
    assert features and f"{conv_bn:,}" in features[0]  # a folded container stands for its children


def test_columns_and_row_settings_print_as_documented(request):
    model = zoo.build("lenet")
    columns = ["input_size", "output_size", "num_params", "params_percent", "kernel_size", "groups"]
    columns += ["mult_adds", "trainable"]
    text = str(
        summary(
            model,
            (1, 1, 28, 28),
            col_names=columns,
            row_settings=["depth", "var_names"],
            col_width=12,
            verbose=0,
        )
    )
    assert text == golden(request, "summary-lenet-columns.txt", text)
    ascii_text = str(
        summary(
            model,
            (1, 1, 28, 28),
            col_names=["output_size", "check", "receptive_field", "formula"],
            row_settings=["ascii_only"],
            col_width=8,
            verbose=0,
        )
    )
    assert ascii_text == golden(request, "summary-lenet-ascii.txt", ascii_text)
    assert ascii_text.isascii() and "Layer (type)" in ascii_text and "floor((28 + 2*2" in ascii_text


def test_hide_recursive_layers_drops_the_repeated_calls():
    model = fixtures.Recurrent()
    shown = str(summary(model, input_size=(1, 8), verbose=0))
    hidden = str(
        summary(model, input_size=(1, 8), row_settings=["depth", "hide_recursive_layers"], verbose=0)
    )
    assert shown.count("(recursive)") == 2 and shown.count("Linear: 1-") == 3
    assert "(recursive)" not in hidden and hidden.count("Linear: 1-") == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"col_names": ["outputs"]}, "unknown column 'outputs'"),
        ({"row_settings": ["tree"]}, "unknown row setting 'tree'"),
        ({"verbose": 3}, "verbose takes 0, 1 or 2"),
        ({"depth": -1}, "depth must be"),
        ({"batch_dim": "0"}, "batch_dim takes a whole number"),
        ({"col_width": "wide"}, "col_width must be"),
        ({"col_names": 3}, "unknown column 3"),
    ],
)
def test_bad_arguments_are_one_usage_error(arguments, message):
    with pytest.raises(UsageError, match=message):
        summary(fixtures.Nested(), input_size=(3, 8, 8), **arguments)


class _Cells(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.rows[-1].append("")

    def handle_data(self, data):
        if self.rows and self.rows[-1] and self.tags and self.tags[-1] in ("td", "th"):
            self.rows[-1][-1] += data


def test_repr_html_is_the_table_with_the_diagram():
    model = fixtures.Nested()
    result = summary(model, input_size=(1, 3, 8, 8), col_names=["output_size", "num_params"], verbose=0)
    parser = _Cells()
    parser.feed(result._repr_html_())
    header, *rows = parser.rows
    assert [cell.strip() for cell in header] == ["Layer (type:depth-idx)", "Output Shape", "Param #"]
    assert len(rows) == len(result.summary_list)
    out_shape = list(model(torch.randn(1, 3, 8, 8)).shape)
    assert rows[0][1].strip() == str(out_shape)
    assert "svg" in parser.tags  # the diagram, inline
    parser = _Cells()
    parser.feed(shapetrace.trace(model, (1, 3, 8, 8))._repr_html_())  # Trace has one too
    assert "svg" in parser.tags and parser.rows


def test_cli_columns_and_ascii(capsys):
    assert main(["lenet", "--columns", "output_size,num_params,mult_adds", "--ascii"]) == 0
    out = capsys.readouterr().out
    assert out.isascii() and "Mult-Adds" in out and "+ Sequential: 1-1" in out
    truth = sum(p.numel() for p in zoo.build("lenet").parameters())
    assert f"Total params: {truth:,}" in out
    assert main(["lenet", "--columns", "outputs"]) == 2
    assert "--columns: unknown column 'outputs'" in capsys.readouterr().err
    assert main(["lenet", "--ascii", "--format", "json"]) == 2


SCRIPT = """
from torchinfo import summary

summary(Nested(), input_size=(2, 3, 8, 8))
summary(Tagger(), input_data=torch.randint(0, 50, (2, 7)))
summary(Tied(), input_size=(2, 5), dtypes=[torch.long], col_names=("input_size", "output_size", "num_params"))
stats = summary(
    Nested(), (3, 8, 8), batch_dim=0, depth=1, verbose=0, device="cpu", mode="eval", cache_forward_pass=True
)
print("TOTAL", stats.total_params, stats.total_mult_adds)
"""


def test_a_torchinfo_script_runs_unchanged_with_the_import_switched(capsys):
    scope = {"torch": torch, **{name: getattr(fixtures, name) for name in ("Nested", "Tagger", "Tied")}}
    exec(SCRIPT.replace("from torchinfo import", "from shapetrace import"), dict(scope))
    out = capsys.readouterr().out
    tied = sum(p.numel() for p in fixtures.Tied().parameters())
    assert out.count("Total params:") == 3 and f"Total params: {tied:,}\n" in out
    nested = fixtures.Nested()
    truth = pytorch_truth(nested, {"input_size": (1, 3, 8, 8)})
    assert f"TOTAL {truth['params']} {truth['macs']}" in out


def test_torchinfos_enums_name_the_same_columns_and_row_settings():
    from torchinfo import ColumnSettings, RowSettings

    model = fixtures.Nested()
    columns = [ColumnSettings.INPUT_SIZE, ColumnSettings.MULT_ADDS]
    by_enum = summary(model, (1, 3, 8, 8), col_names=columns, row_settings=[RowSettings.VAR_NAMES], verbose=0)
    by_name = summary(
        model, (1, 3, 8, 8), col_names=["input_size", "mult_adds"], row_settings=["var_names"], verbose=0
    )
    assert str(by_enum) == str(by_name)
    assert "Mult-Adds" in str(by_name) and "Sequential (features)" in str(by_name)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_batch_dim_inserts_where_unsqueeze_does(shape, data):
    """torchinfo's batch_dim is unsqueeze's dim: the same place for every dim, negative ones too."""
    from shapetrace.inputs import arguments

    batch_dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    (tensor,), _ = arguments(tuple(shape), None, None, torch.device("meta"), batch_dim=batch_dim)
    assert tensor.shape == torch.empty(shape).unsqueeze(batch_dim).shape


def test_the_traces_notes_are_under_the_totals():
    """A TorchScript child takes no hooks: the summary says how it was counted, as the table does."""
    model = nn.Sequential(torch.jit.script(nn.Linear(4, 4)), nn.ReLU())
    result = summary(model, input_size=(2, 4), verbose=0)
    assert result.total_params == sum(p.numel() for p in model.parameters())
    truth = torch_math_flops(model, torch.randn(2, 4), keep_mode=True) // 2
    assert result.total_mult_adds == truth == 2 * 4 * 4
    assert "TorchScript" in str(result) and "TorchScript" in result._repr_html_()


@pytest.mark.skipif(
    os.environ.get("HYPOTHESIS_PROFILE") != "thorough", reason="torch.compile's import: seconds"
)
def test_a_compiled_model_is_summarised_through_its_module_and_says_so():
    inner = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
    result = summary(torch.compile(inner), input_size=(2, 4), verbose=0)
    assert result.total_params == sum(p.numel() for p in inner.parameters())
    assert result.summary_list[1].num_params == result.summary_list[1].own_params == 20
    assert "wrapped by torch.compile" in str(result) and "wrapped by torch.compile" in result._repr_html_()
