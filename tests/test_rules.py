"""Every shape rule against real forward passes: each module below must check 'ok'."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from hypothesis import strategies as st
from torch import nn

import shapetrace
from shapetrace import rules
from shapetrace.testing import Case, check_rule, conv_cases, layer_stacks, pool_cases, stack


class Call(nn.Module):
    """Calls `layer` the way `how` says, so forward-time arguments (output_size=...) are exercised."""

    def __init__(self, layer: nn.Module, how: Callable) -> None:
        super().__init__()
        self.layer = layer
        self.how = how

    def forward(self, *inputs):
        return self.how(self.layer, *inputs)


def plain(layer: nn.Module) -> nn.Module:
    return Call(layer, lambda module, *inputs: module(*inputs))


class Unpool(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pool, self.layer = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)

    def forward(self, x):
        y, indices = self.pool(x)
        return self.layer(y, indices, output_size=x.shape)


def _attention(**keywords):
    return lambda module, query, key: module(query, key, key, **keywords)


CASES = [
    (
        "conv3d",
        plain(nn.Conv3d(2, 3, (1, 2, 3), stride=(1, 2, 1), padding=(0, 1, 2))),
        [(1, 2, 5, 6, 7)],
        None,
    ),
    ("conv1d-unbatched", plain(nn.Conv1d(2, 3, 3, dilation=2)), [(2, 11)], None),
    ("conv-transpose1d", plain(nn.ConvTranspose1d(2, 3, 4, stride=3, output_padding=2)), [(1, 2, 5)], None),
    (
        "conv-transpose2d-output-size",
        Call(nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1), lambda m, x: m(x, output_size=[10, 9])),
        [(1, 2, 5, 5)],
        None,
    ),
    ("max-unpool2d-output-size", Unpool(), [(1, 1, 7, 7)], None),
    ("avg-pool3d", plain(nn.AvgPool3d(2, stride=1, padding=1, ceil_mode=True)), [(1, 1, 3, 4, 5)], None),
    ("lp-pool2d", plain(nn.LPPool2d(2, 3, stride=2, ceil_mode=True)), [(1, 2, 8, 9)], None),
    ("adaptive-max1d", plain(nn.AdaptiveMaxPool1d(4)), [(2, 3, 10)], None),
    ("adaptive-avg2d-none", plain(nn.AdaptiveAvgPool2d((None, 3))), [(1, 2, 7, 9)], None),
    ("upsample-scale", plain(nn.Upsample(scale_factor=2.5, mode="nearest")), [(1, 2, 5, 6)], None),
    ("upsample-size", plain(nn.Upsample(size=(7, 9), mode="bilinear")), [(1, 2, 5, 6)], None),
    ("upsampling-bilinear2d", plain(nn.UpsamplingBilinear2d(scale_factor=2)), [(1, 1, 3, 4)], None),
    ("pixel-shuffle", plain(nn.PixelShuffle(2)), [(1, 8, 3, 4)], None),
    ("pixel-unshuffle", plain(nn.PixelUnshuffle(2)), [(1, 2, 6, 4)], None),
    ("zero-pad2d", plain(nn.ZeroPad2d((1, 2, 3, 4))), [(1, 1, 5, 5)], None),
    ("constant-pad-crop", plain(nn.ConstantPad2d((-1, 0, 2, -2), 0.0)), [(1, 1, 5, 5)], None),
    ("reflection-pad1d", plain(nn.ReflectionPad1d(2)), [(1, 3, 5)], None),
    ("replication-pad3d", plain(nn.ReplicationPad3d(1)), [(1, 1, 2, 3, 4)], None),
    ("circular-pad2d", plain(nn.CircularPad2d(1)), [(1, 1, 3, 3)], None),
    ("unfold", plain(nn.Unfold(kernel_size=3, stride=2, padding=1)), [(2, 3, 7, 8)], None),
    ("fold", plain(nn.Fold(output_size=(4, 5), kernel_size=2)), [(1, 12, 12)], None),
    ("embedding", plain(nn.Embedding(10, 4)), [(2, 7)], torch.int64),
    ("embedding-bag-2d", plain(nn.EmbeddingBag(10, 4)), [(3, 5)], torch.int64),
    (
        "lstm-bidirectional-proj",
        plain(nn.LSTM(4, 8, num_layers=2, batch_first=True, bidirectional=True, proj_size=3)),
        [(2, 5, 4)],
        None,
    ),
    ("gru-unbatched", plain(nn.GRU(4, 6)), [(5, 4)], None),
    ("rnn-sequence-first", plain(nn.RNN(3, 5, num_layers=3)), [(7, 2, 3)], None),
    (
        "attention",
        Call(nn.MultiheadAttention(8, 2, batch_first=True), _attention()),
        [(2, 3, 8), (2, 5, 8)],
        None,
    ),
    (
        "attention-no-weights",
        Call(nn.MultiheadAttention(8, 2), _attention(need_weights=False)),
        [(3, 2, 8), (5, 2, 8)],
        None,
    ),
    (
        "attention-per-head-unbatched",
        Call(nn.MultiheadAttention(8, 4), _attention(average_attn_weights=False)),
        [(3, 8), (5, 8)],
        None,
    ),
    ("encoder-layer", plain(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)), [(2, 5, 8)], None),
    (
        "encoder",
        plain(nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False)),
        [(5, 2, 8)],
        None,
    ),
    ("decoder-layer", plain(nn.TransformerDecoderLayer(8, 2, 16)), [(4, 2, 8), (5, 2, 8)], None),
    ("transformer", plain(nn.Transformer(8, 2, 1, 1, 16, batch_first=True)), [(2, 5, 8), (2, 4, 8)], None),
    ("bilinear", plain(nn.Bilinear(3, 4, 5)), [(2, 3), (2, 4)], None),
    ("unflatten", plain(nn.Unflatten(1, (2, -1))), [(3, 12)], None),
    ("flatten-all", plain(nn.Flatten(0, -1)), [(2, 3, 4)], None),
    (
        "norms",
        plain(nn.Sequential(nn.LayerNorm(6), nn.GroupNorm(2, 4), nn.Softmax(-1), nn.Identity())),
        [(2, 4, 6)],
        None,
    ),
]


# Property tests of the window rules through shapetrace.testing, as users test theirs: 1d, 2d and 3d
# configurations PyTorch accepts, inputs it runs on and inputs it refuses.
WINDOWS = {
    "conv": (conv_cases, "Conv{}d"),
    "transposed": (lambda dims: conv_cases(dims, transposed=True), "ConvTranspose{}d"),
    "max-pool": (pool_cases, "MaxPool{}d"),
    "avg-pool": (lambda dims: pool_cases(dims, kind="avg"), "AvgPool{}d"),
}


def _any_dims(kind: str) -> st.SearchStrategy[Case]:
    """Cases of one layer of this kind, of 1, 2 or 3 dims, as stacks of one (`stack` builds them)."""
    cases_of, name = WINDOWS[kind]

    def of(dims: int) -> st.SearchStrategy[Case]:
        return cases_of(dims).map(
            lambda case: Case({"layers": ((name.format(dims), case.config),)}, case.input_shape)
        )

    return st.sampled_from((1, 2, 3)).flatmap(of)


@pytest.mark.thorough
@pytest.mark.parametrize("kind", sorted(WINDOWS))
def test_window_rules_match_pytorch_over_random_configurations(kind):
    check_rule(stack, _any_dims(kind))


@pytest.mark.thorough
def test_random_stacks_match_pytorch_layer_by_layer():
    check_rule(stack, st.sampled_from((1, 2, 3)).flatmap(layer_stacks))


@pytest.mark.parametrize(
    ("model", "inputs", "dtype"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_every_rule_checks_ok_against_pytorch(model, inputs, dtype):
    trace = shapetrace.trace(model.eval(), inputs, dtypes=dtype)
    assert any(layer.check == "ok" for layer in trace.layers), "no layer was checked"
    details = [
        (layer.name, layer.type, layer.check, layer.formula, layer.output_shapes) for layer in trace.layers
    ]
    assert all(layer.check == "ok" for layer in trace.layers if layer.is_leaf), details
    assert trace.checks["mismatch"] == 0, details
    wrapped = [layer for layer in trace.layers if layer.name == "layer"]
    if wrapped and wrapped[0].base_type in rules.RULES:  # the rule of the module under test itself
        assert wrapped[0].check == "ok", details


def test_embedding_bag_with_offsets():
    class Bag(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bag = nn.EmbeddingBag(10, 4)

        def forward(self, tokens, offsets):
            return self.bag(tokens, offsets)

    trace = shapetrace.trace(Bag(), input_data=(torch.tensor([1, 2, 3, 4, 5]), torch.tensor([0, 2])))
    assert trace.layers[0].check == "ok" and trace.output_shapes == ((2, 4),)


def test_the_registry_covers_the_issue_list():
    required = [
        "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
        "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "LPPool1d", "LPPool2d",
        "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
        "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "Linear",
        "Bilinear", "Flatten", "Unflatten", "Upsample", "PixelShuffle", "PixelUnshuffle", "Fold", "Unfold",
        "ZeroPad2d", "ConstantPad1d", "ReflectionPad2d", "ReplicationPad3d", "CircularPad2d", "Embedding",
        "EmbeddingBag", "RNN", "LSTM", "GRU", "MultiheadAttention", "TransformerEncoderLayer",
        "TransformerDecoderLayer", "ReLU", "BatchNorm2d", "LayerNorm", "Dropout", "Identity", "Softmax",
    ]  # fmt: skip
    assert [name for name in required if name not in rules.RULES] == []


def _checks(model: nn.Module, inputs=None, **keywords) -> dict[str, str]:
    trace = shapetrace.trace(model.eval(), inputs, **keywords)
    return {layer.name: layer.check for layer in trace.layers}


def test_user_classes_named_like_torch_layers_are_not_checked_by_torch_rules():
    class Flatten(nn.Module):
        def forward(self, x):
            return x.view(x.size(0), -1)

    class ReLU(nn.Module):
        def forward(self, x):
            return x[:, :1]

    model = nn.Sequential(nn.Conv2d(1, 2, 3), Flatten(), ReLU(), nn.Linear(1, 3))
    assert _checks(model, (1, 1, 5, 5)) == {"0": "ok", "1": "unchecked", "2": "unchecked", "3": "ok"}


def test_parametrized_layers_keep_their_rule_and_a_parametrized_liar_is_caught():
    from torch.nn.utils.parametrizations import weight_norm

    class CroppingConv(nn.Conv2d):
        def forward(self, x):
            return super().forward(x)[..., :-1, :-1]

    honest = nn.Sequential(weight_norm(nn.Conv2d(1, 2, 3, padding=1)), weight_norm(nn.Linear(5, 2)))
    assert _checks(honest, (1, 1, 5, 5))["0"] == "ok" and _checks(honest, (1, 1, 5, 5))["1"] == "ok"
    assert (
        _checks(nn.Sequential(weight_norm(CroppingConv(1, 2, 3, padding=1))), (1, 1, 5, 5))["0"] == "mismatch"
    )


def test_inputs_are_bound_by_name_whatever_the_keyword_order():
    attention = nn.MultiheadAttention(8, 2)
    q, k = torch.randn(3, 2, 8), torch.randn(5, 2, 8)
    for how in (
        lambda m: m(key=k, value=k, query=q),
        lambda m: m(q, k, k, None, False),  # need_weights=False, by position
    ):
        checks = _checks(Call(attention, lambda m, _, how=how: how(m)), input_data=(q,))
        assert checks["layer"] == "ok"
    decoder = nn.TransformerDecoderLayer(8, 2, 16)
    memory, target = torch.randn(5, 2, 8), torch.randn(4, 2, 8)
    checks = _checks(Call(decoder, lambda m, _: m(memory=memory, tgt=target)), input_data=(target,))
    assert checks["layer"] == "ok"


def test_embedding_bag_with_the_last_offset_included():
    bag = nn.EmbeddingBag(10, 4, include_last_offset=True)
    checks = _checks(
        Call(bag, lambda m, tokens, offsets: m(tokens, offsets)),
        None,
        input_data=(torch.tensor([1, 2, 3, 4, 5]), torch.tensor([0, 2, 5])),
    )
    assert checks["layer"] == "ok"


def test_packed_sequences_are_unchecked_not_mismatched():
    from torch.nn.utils.rnn import pack_padded_sequence

    lstm = nn.LSTM(3, 4, batch_first=True)
    model = Call(lstm, lambda m, x: m(pack_padded_sequence(x, [4, 2], batch_first=True)))
    trace = shapetrace.trace(model, (2, 4, 3))
    layer = next(layer for layer in trace.layers if layer.name == "layer")
    assert layer.check == "unchecked" and "PackedSequence" in layer.note and trace.ok


def test_a_transformer_encoder_with_a_padding_mask_traces():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2).eval()
    mask = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
    model = Call(encoder, lambda m, x: m(x, src_key_padding_mask=mask))
    trace = shapetrace.trace(model, (2, 5, 8))
    assert trace.output_shapes == ((2, 5, 8),)
    assert encoder.use_nested_tensor  # restored
    assert next(layer for layer in trace.layers if layer.name == "layer").check == "ok"


def test_edge_refusals_and_acceptances_match_pytorch():
    assert _checks(plain(nn.ConstantPad1d((-2, -3), 0.0)), (1, 1, 5))["layer"] == "ok"  # width 0
    up = nn.ConvTranspose1d(1, 1, 2, stride=2, padding=1)
    assert _checks(Call(up, lambda m, x: m(x, output_size=[1])), (1, 1, 1))["layer"] == "ok"
    with pytest.raises(shapetrace.ShapeError) as info:
        shapetrace.trace(plain(nn.LPPool3d(2, 3, 2, ceil_mode=True)), (1, 1, 2, 4, 4))
    assert "smaller than the kernel" in info.value.trace.layers[-1].formula


def test_ceil_mode_derivation_shows_the_dropped_window():
    trace = shapetrace.trace(plain(nn.MaxPool1d(2, 2, 1, ceil_mode=True)), (1, 1, 5))
    layer = trace.layers[-1]
    assert layer.check == "ok" and layer.output_shapes == ((1, 1, 3),)
    assert (
        layer.formula
        == "l' = ⌈(5 + 2·1 − 1·(2−1) − 1)/2⌉ + 1 = 4, but the last window would start at (4−1)·2 ≥ 5 + 1: 3"
    )


def test_folded_mismatches_still_show_in_the_table():
    class CroppingConv(nn.Conv2d):
        def forward(self, x):
            return super().forward(x)[..., :-1, :-1]

    model = nn.Sequential(nn.Sequential(CroppingConv(1, 2, 3, padding=1)), nn.ReLU())
    text = shapetrace.trace(model, (1, 1, 5, 5)).to_table(depth=1)
    row = next(line for line in text.splitlines() if line.startswith("0 "))
    assert "(MISMATCH inside)" in row


def test_derivations_are_messages_in_both_languages():
    from shapetrace.messages import render

    trace = shapetrace.trace(nn.Sequential(nn.ReLU(), nn.Flatten()), (2, 3, 4))
    relu, flatten = trace.layers[0].derivation, trace.layers[1].derivation  # the Sequential is the root
    assert (render(relu, "en"), render(relu, "zh")) == ("same shape", "形状不变")
    assert render(flatten, "en") == render(flatten, "zh") == "3·4 = 12 → [2, 12]"  # arithmetic reads the same
