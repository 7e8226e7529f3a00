"""Every shape rule against real forward passes: each module below must check 'ok'."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

import shapetrace
from shapetrace import rules


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
