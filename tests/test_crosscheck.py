"""The cross-check: every traced call against the analytic calculator, and its derivations."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import shapetrace
from shapetrace import rules, zoo
from shapetrace.cli import main


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_zoo_has_no_mismatch_and_no_unchecked_leaf(name):
    trace = shapetrace.trace(zoo.build(name), zoo.ZOO[name].default_input)
    assert trace.checks["mismatch"] == 0 and trace.ok
    unchecked = [layer.name for layer in trace.layers if layer.is_leaf and layer.check != "ok"]
    assert unchecked == []
    for layer in trace.layers:
        if layer.check == "ok":
            assert layer.expected_shapes == layer.output_shapes and layer.formula


def test_alexnet_first_convolution_derivation():
    layer = shapetrace.trace(zoo.build("alexnet"), (1, 1, 224, 224)).layers[1]
    assert layer.formula == "h' = w' = ⌊(224 + 2·1 − 1·(11−1) − 1)/4⌋ + 1 = 54"
    assert layer.textbook == "h' = w' = ⌊(224 − 11 + 2 + 4)/4⌋ = 54"  # d2l: p is the total padding


def test_lenet_textbook_form_is_the_seeds():
    layer = shapetrace.trace(zoo.build("lenet"), (1, 1, 28, 28)).layers[1]
    assert layer.textbook == "h' = w' = 28 − 5 + 4 + 1 = 28"  # the seed writes h'=28-5+1+4


class CroppingConv(nn.Conv2d):
    """A module that lies: a Conv2d whose forward crops one row and column off its output."""

    def forward(self, x):
        return super().forward(x)[..., :-1, :-1]


def test_a_module_that_lies_is_a_mismatch_with_a_note():
    model = nn.Sequential(CroppingConv(3, 4, 3, padding=1), nn.ReLU())
    trace = shapetrace.trace(model, (1, 3, 8, 8))
    conv = trace.layers[0]
    assert conv.check == "mismatch" and conv.base_type == "Conv2d" and conv.custom_forward
    assert conv.expected_shapes == ((1, 4, 8, 8),) and conv.output_shapes == ((1, 4, 7, 7),)
    assert "CroppingConv overrides Conv2d.forward" in conv.note
    assert not trace.ok and trace.checks["mismatch"] == 1
    text = str(trace)
    assert "[1, 4, 7, 7]  MISMATCH, expected [1, 4, 8, 8]" in text
    assert "MISMATCH 0: CroppingConv overrides Conv2d.forward" in text


def test_a_subclass_that_keeps_forward_is_checked_by_its_base_rule():
    class MyConv(nn.Conv2d):
        pass

    layer = shapetrace.trace(nn.Sequential(MyConv(3, 4, 3)), (2, 3, 9, 9)).layers[0]
    assert layer.check == "ok" and layer.base_type == "Conv2d" and not layer.custom_forward


def test_strict_exits_1_on_a_mismatch(tmp_path, capsys):
    source = tmp_path / "liar.py"
    source.write_text(
        "from torch import nn\n"
        "class CroppingConv(nn.Conv2d):\n"
        "    def forward(self, x):\n"
        "        return super().forward(x)[..., :-1, :-1]\n"
        "def net():\n"
        "    return nn.Sequential(CroppingConv(3, 4, 3, padding=1))\n"
    )
    assert main([f"{source}:net", "--input", "1,3,8,8"]) == 0
    assert main([f"{source}:net", "--input", "1,3,8,8", "--strict"]) == 1
    assert "--strict: shapes differ from the formulas at 0" in capsys.readouterr().err
    assert main(["alexnet", "--strict"]) == 0


def test_unbatched_same_padding_and_dilated_convolutions():
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding="same", dilation=2), nn.Conv2d(4, 2, (2, 3), padding="valid")
    )
    trace = shapetrace.trace(model, (3, 5, 9))  # unbatched (C, H, W)
    assert [layer.check for layer in trace.layers] == ["ok", "ok"]
    assert trace.output_shapes == ((2, 4, 7),)
    assert (
        trace.layers[1].formula
        == "h' = ⌊(5 + 2·0 − 1·(2−1) − 1)/1⌋ + 1 = 4; w' = ⌊(9 + 2·0 − 1·(3−1) − 1)/1⌋ + 1 = 7"
    )


def test_a_failing_layer_gets_the_formulas_reason():
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(zoo.build("lenet"), (1, 1, 32, 32))
    linear = info.value.trace.layers[-1]
    assert linear.failed and linear.check == "unchecked"
    assert linear.formula == "Linear expects 400 input features (the last size), got 576"


def test_rule_registry_refuses_a_second_registration():
    with pytest.raises(ValueError, match="already registered"):
        rules.register_rule("Conv2d", shape=lambda call: None)
    assert rules.rule_for("Conv2d").shape is not None and rules.rule_for("Conv2d").macs is not None


# Random stacks of shape-changing layers: test_rules.py checks them, layer by layer, through
# shapetrace.testing.layer_stacks.


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_alexnet_explain_is_golden(request, capsys, lang):
    from tests.test_render import golden

    assert main(["alexnet", "--input", "1,1,224,224", "--explain", "--lang", lang]) == 0
    text = capsys.readouterr().out
    assert text == golden(request, f"alexnet-explain-{lang}.txt", text)
    conv = next(line for line in text.splitlines() if line.lstrip().startswith("net.0 "))
    assert "⌊(224 + 2·1 − 1·(11−1) − 1)/4⌋ + 1 = 54" in conv
    assert ("d2l: " if lang == "en" else "教材写法: ") + "h' = w' = ⌊(224 − 11 + 2 + 4)/4⌋ = 54" in conv


def test_a_mismatch_is_explained_in_chinese_too():
    trace = shapetrace.trace(nn.Sequential(CroppingConv(3, 4, 3, padding=1)), (1, 3, 8, 8))
    text = trace.to_table(lang="zh")
    assert "[1, 4, 7, 7]  不符, 应为 [1, 4, 8, 8]" in text
    assert "不符 0: CroppingConv 重写了 Conv2d.forward" in text
    assert "公式交叉验证: 0 项一致, 1 项不符, 0 项未验证" in text


class _OwnSignatureAttention(nn.MultiheadAttention):
    def forward(self, x):
        return super().forward(x, x, x)[0]


class _StridedByCall(nn.Conv2d):
    """Built with stride 1, but its forward convolves with stride 2: its settings are not its work."""

    def forward(self, x):
        return torch.nn.functional.conv2d(x, self.weight, self.bias, 2)


def test_a_subclass_with_its_own_signature_is_unchecked_not_a_mismatch(capsys):
    result = shapetrace.trace(nn.Sequential(_OwnSignatureAttention(8, 2, batch_first=True)), (2, 5, 8))
    layer = result.layers[0]
    assert layer.check == "unchecked" and "rewrites MultiheadAttention.forward" in layer.note
    assert result.ok


def test_a_layer_that_does_not_do_what_its_settings_say_ends_the_receptive_field():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), _StridedByCall(4, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3))
    result = shapetrace.trace(model, (1, 3, 32, 32))
    fields = [layer.receptive_field for layer in result.layers]
    assert fields[0] is not None and result.layers[1].check == "mismatch"
    assert fields[1:] == [None, None, None]
