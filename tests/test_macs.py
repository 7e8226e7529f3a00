"""MACs and parameter counts against PyTorch's own FLOP counter and parameter tensors (hypothesis)."""

from __future__ import annotations

import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import shapetrace
from shapetrace import formulas


def torch_flops(model: nn.Module, *inputs: torch.Tensor) -> int:
    """FLOPs PyTorch counts for one forward pass (2 per multiply-accumulate; bias not counted)."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(*inputs)
    return counter.get_total_flops()


@st.composite
def conv_configs(draw, transposed: bool = False):
    dims = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 2, 3]))
    in_channels = groups * draw(st.integers(1, 3))
    out_channels = groups * draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(dims))
    sizes = tuple(draw(st.integers(1, 9)) for _ in range(dims))
    batch = draw(st.integers(1, 3))
    bias = draw(st.booleans())
    return dims, in_channels, out_channels, kernel, stride, dilation, padding, groups, sizes, batch, bias


@given(conv_configs())
def test_conv_macs_equal_half_of_torch_flops(config):
    dims, cin, cout, kernel, stride, dilation, padding, groups, sizes, batch, bias = config
    layer_type = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1]
    layer = layer_type(cin, cout, kernel, stride, padding, dilation, groups, bias=bias)
    inputs = torch.randn(batch, cin, *sizes)
    try:
        with torch.no_grad():
            layer(inputs)
    except RuntimeError:
        assume(False)  # kernel larger than the padded input: no output to count
    result = shapetrace.trace(nn.Sequential(layer), tuple(inputs.shape))
    assert result.layers[0].check == "ok"  # the cross-check, over groups, dilations and 1d/2d/3d
    assert 2 * result.totals.macs == torch_flops(layer, inputs)
    assert result.totals.params == formulas.conv_params(cin, cout, kernel, groups, bias)
    assert result.totals.params == sum(p.numel() for p in layer.parameters())


@given(conv_configs(transposed=True))
def test_conv_transpose_macs_equal_half_of_torch_flops(config):
    dims, cin, cout, kernel, stride, dilation, padding, groups, sizes, batch, bias = config
    layer_type = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[dims - 1]
    layer = layer_type(cin, cout, kernel, stride, padding, groups=groups, bias=bias, dilation=dilation)
    inputs = torch.randn(batch, cin, *sizes)
    try:
        with torch.no_grad():
            output = layer(inputs)
    except RuntimeError:
        assume(False)
    # Some CPU paths return an empty output of size 0 where others refuse; shapetrace refuses it.
    assume(output.numel() > 0)
    result = shapetrace.trace(nn.Sequential(layer), tuple(inputs.shape))
    assert result.layers[0].check == "ok"
    assert 2 * result.totals.macs == torch_flops(layer, inputs)


@given(
    st.lists(st.integers(1, 5), min_size=0, max_size=3),
    st.integers(1, 12),
    st.integers(1, 12),
    st.booleans(),
)
def test_linear_macs_on_nd_inputs_equal_half_of_torch_flops(leading, in_features, out_features, bias):
    layer = nn.Linear(in_features, out_features, bias=bias)
    inputs = torch.randn(*leading, in_features)
    result = shapetrace.trace(nn.Sequential(layer), tuple(inputs.shape))
    assert 2 * result.totals.macs == torch_flops(layer, inputs)
    assert result.totals.params == formulas.linear_params(in_features, out_features, bias)


@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 6), st.integers(1, 6))
def test_bilinear_macs(batch, in1, in2, out):
    layer = nn.Bilinear(in1, in2, out)
    model = _TwoInputs(layer)
    result = shapetrace.trace(model, [(batch, in1), (batch, in2)])
    assert result.totals.macs == batch * out * in1 * in2


class _TwoInputs(nn.Module):
    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, a, b):
        return self.layer(a, b)


def test_container_macs_are_the_sum_of_their_calls():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    result = shapetrace.trace(model, (2, 3, 8, 8))
    by_name = {layer.name: layer for layer in result.layers}
    assert by_name["0"].macs == by_name["0.0"].macs == 2 * 4 * 6 * 6 * 27
    assert result.totals.macs == by_name["0"].macs + by_name["2"].macs
    assert 2 * result.totals.macs == torch_flops(model, torch.randn(2, 3, 8, 8))


@given(
    st.sampled_from(["RNN", "GRU", "LSTM"]),
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 3),
    st.booleans(),
    st.booleans(),
    st.integers(0, 3),
)
def test_recurrent_params(mode, input_size, hidden, layers, bias, bidirectional, proj):
    proj = proj if mode == "LSTM" and proj < hidden else 0
    kwargs = {"proj_size": proj} if mode == "LSTM" else {}
    module = getattr(nn, mode)(input_size, hidden, layers, bias=bias, bidirectional=bidirectional, **kwargs)
    expected = sum(p.numel() for p in module.parameters())
    assert formulas.recurrent_params(mode, input_size, hidden, layers, bias, bidirectional, proj) == expected


@given(
    st.integers(1, 4).map(lambda h: h * 2),
    st.sampled_from([None, 3]),
    st.sampled_from([None, 5]),
    st.booleans(),
)
def test_attention_params(embed_dim, kdim, vdim, bias):
    module = nn.MultiheadAttention(embed_dim, 2, bias=bias, kdim=kdim, vdim=vdim)
    assert formulas.attention_params(embed_dim, kdim, vdim, bias) == sum(
        p.numel() for p in module.parameters()
    )


@given(st.integers(1, 50), st.integers(1, 16), st.integers(1, 32), st.booleans())
def test_embedding_and_norm_params(num, dim, features, affine):
    assert formulas.embedding_params(num, dim) == sum(p.numel() for p in nn.Embedding(num, dim).parameters())
    for module in (nn.BatchNorm2d(features, affine=affine), nn.InstanceNorm1d(features, affine=affine)):
        assert formulas.norm_params(features, affine) == sum(p.numel() for p in module.parameters())
