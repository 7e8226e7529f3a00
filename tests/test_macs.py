"""MACs and parameter counts against PyTorch's own FLOP counter and parameter tensors (hypothesis)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import shapetrace
from shapetrace import formulas
from tests.models import Call
from tests.oracles import torch_math_flops


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


def _torch_result(function, *args):
    """(output shape, FLOPs PyTorch counts), or None where PyTorch refuses the call."""
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            output = function(*args)
    except RuntimeError:
        return None
    return tuple(output.shape), counter.get_total_flops()


shapes_1_to_4d = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


@given(shapes_1_to_4d, shapes_1_to_4d, st.booleans())
def test_matmul_shape_and_macs_against_torch(a, b, fit):
    if fit and len(b) > 1:
        b = (*b[:-2], a[-1], b[-1])  # mostly calls that work, some that do not
    elif fit:
        b = (a[-1],)
    result = _torch_result(torch.matmul, torch.randn(a), torch.randn(b))
    if result is None:
        with pytest.raises(ValueError):
            formulas.matmul_shape(a, b)
        return
    assert formulas.matmul_shape(a, b) == result[0]
    # FlopCounterMode does not count aten.dot and aten.mv: count vectors as 1-row / 1-column matrices
    as_matrices = _torch_result(
        torch.matmul, torch.randn(a if len(a) > 1 else (1, *a)), torch.randn(b if len(b) > 1 else (*b, 1))
    )
    assert 2 * formulas.matmul_macs(a, b) == as_matrices[1]


@st.composite
def einsum_calls(draw):
    """An einsum equation and operand shapes: 1-3 operands, ellipses, broadcasting, implicit output."""
    letters = "abcdA"
    size_of = {letter: draw(st.integers(1, 4)) for letter in letters}
    terms, shapes = [], []
    extra = draw(st.lists(st.integers(1, 3), max_size=2))  # the ellipsis dims, shared or broadcast
    for _ in range(draw(st.integers(1, 3))):
        term = draw(st.lists(st.sampled_from(letters), max_size=3))
        shape = [size_of[letter] if draw(st.integers(0, 5)) else 1 for letter in term]
        if draw(st.integers(0, 3)) == 0:
            position = draw(st.integers(0, len(term)))
            own = extra[draw(st.integers(0, len(extra))) :] if draw(st.booleans()) else extra
            term = [*term[:position], "...", *term[position:]]
            shape = [*shape[:position], *own, *shape[position:]]
        terms.append("".join(term))
        shapes.append(tuple(shape))
    equation = ",".join(terms)
    if draw(st.booleans()):
        used = sorted({letter for term in terms for letter in term if letter.isalpha()})
        output = draw(st.lists(st.sampled_from(used), unique=True)) if used else []
        if any("..." in term for term in terms) and draw(st.booleans()):
            output.insert(draw(st.integers(0, len(output))), "...")
        equation += "->" + "".join(output)
    return equation, shapes


@given(einsum_calls())
def test_einsum_shape_and_macs_against_torch(call):
    equation, shapes = call
    result = _torch_result(torch.einsum, equation, *[torch.randn(shape) for shape in shapes])
    if result is None:
        with pytest.raises(ValueError):
            formulas.einsum_shape(equation, shapes)
        return
    assert formulas.einsum_shape(equation, shapes) == result[0]
    sizes = {}
    for term, shape in zip(equation.split("->")[0].split(","), shapes, strict=True):
        before, _, after = term.partition("...")
        labelled = [*zip(before, shape, strict=False), *zip(after[::-1], shape[::-1], strict=False)]
        labelled += [
            (f".{i}", size) for i, size in enumerate(shape[len(before) : len(shape) - len(after)][::-1])
        ]
        for label, size in labelled:
            sizes.setdefault(label, set()).add(size)
    # PyTorch's handling of a summed label that one operand broadcasts from size 1 depends on the
    # operand's position; the MACs are compared where no label is broadcast
    if all(len(seen) == 1 for seen in sizes.values()):
        traced = shapetrace.trace(Call(lambda *operands: torch.einsum(equation, *operands)), shapes)
        assert 2 * traced.totals.macs == result[1]  # in opt_einsum's order where it is installed
        if len(shapes) < 3 or not torch.backends.opt_einsum.is_available():
            assert 2 * formulas.einsum_macs(equation, shapes) == result[1]


@given(
    st.sampled_from(["RNN", "GRU", "LSTM"]),
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 3),
    st.booleans(),
    st.integers(0, 3),
    st.booleans(),
    st.sampled_from([None, 1, 3]),
    st.integers(1, 4),
)
def test_recurrent_macs_equal_half_of_torch_flops(
    mode, input_size, hidden, layers, bidirectional, proj, batch_first, batch, length
):
    proj = proj if mode == "LSTM" and proj < hidden else 0
    kwargs = {"proj_size": proj} if mode == "LSTM" else {}
    module = getattr(nn, mode)(
        input_size, hidden, layers, bidirectional=bidirectional, batch_first=batch_first, **kwargs
    )
    shape = (length, input_size) if batch is None else (batch, length, input_size)
    if batch is not None and not batch_first:
        shape = (length, batch, input_size)
    result = shapetrace.trace(module, shape)  # the root itself: counted in the totals
    assert 2 * result.totals.macs == torch_math_flops(module, torch.randn(shape)) > 0
    steps = length * (batch or 1)
    assert result.totals.macs == formulas.recurrent_macs(
        mode, steps, input_size, hidden, layers, bidirectional, proj
    )


@pytest.mark.parametrize("cell", [nn.RNNCell(3, 5), nn.GRUCell(3, 5), nn.LSTMCell(3, 5)])
@pytest.mark.parametrize("shape", [(4, 3), (3,)])
def test_recurrent_cell_macs_equal_half_of_torch_flops(cell, shape):
    result = shapetrace.trace(nn.Sequential(cell), shape)
    assert 2 * result.layers[0].macs == 2 * result.totals.macs == torch_math_flops(cell, torch.randn(shape))


@given(
    st.integers(1, 3),
    st.integers(1, 3).map(lambda d: 2 * d),
    st.sampled_from([None, 3]),
    st.sampled_from([None, 5]),
    st.booleans(),
    st.integers(1, 4),
    st.integers(1, 4),
    st.sampled_from([None, 2]),
    st.booleans(),
)
def test_multihead_attention_macs_equal_half_of_torch_flops(
    heads, head_dim, kdim, vdim, batch_first, target, source, batch, need_weights
):
    embed = heads * head_dim
    module = nn.MultiheadAttention(embed, heads, kdim=kdim, vdim=vdim, batch_first=batch_first)

    def sized(length: int, features: int) -> tuple[int, ...]:
        if batch is None:
            return (length, features)
        return (batch, length, features) if batch_first else (length, batch, features)

    query, key, value = sized(target, embed), sized(source, kdim or embed), sized(source, vdim or embed)
    tensors = [torch.randn(shape) for shape in (query, key, value)]
    model = _Attend(module, need_weights)
    result = shapetrace.trace(model, [query, key, value])
    expected = torch_math_flops(model, *tensors)
    assert 2 * result.totals.macs == expected
    assert result.totals.macs == formulas.multihead_attention_macs(
        batch or 1, target, source, embed, kdim, vdim
    )


class _Attend(nn.Module):
    def __init__(self, attention: nn.MultiheadAttention, need_weights: bool) -> None:
        super().__init__()
        self.attention = attention
        self.need_weights = need_weights

    def forward(self, query, key, value):
        return self.attention(query, key, value, need_weights=self.need_weights)[0]


class _Functions(nn.Module):
    """Matrix products written as torch functions in a forward, with weights as bare Parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(6, 8))
        self.kernel = nn.Parameter(torch.randn(4, 2, 3, 3))
        self.bias = nn.Parameter(torch.randn(6))

    def forward(self, x, images):
        a = torch.nn.functional.linear(x, self.weight, self.bias)  # (2, 5, 6)
        b = a @ a.transpose(1, 2)  # bmm via matmul: (2, 5, 5)
        c = torch.einsum("bij,bjk->bik", b, a)  # (2, 5, 6)
        d = torch.bmm(c, c.transpose(1, 2))  # (2, 5, 5)
        e = torch.addmm(self.bias, x[0], self.weight.t())  # (5, 6)
        q = a.view(2, 5, 2, 3).transpose(1, 2)  # (2, 2, 5, 3): two heads
        f = torch.nn.functional.scaled_dot_product_attention(q, q, q)
        g = torch.nn.functional.conv2d(images, self.kernel, padding=1)
        return d.sum() + e.sum() + f.sum() + g.sum() + torch.mm(x[0], x[0].t()).sum()


def test_function_macs_equal_half_of_torch_flops():
    model = _Functions()
    x, images = torch.randn(2, 5, 8), torch.randn(1, 2, 7, 7)
    result = shapetrace.trace(model, input_data=(x, images), functional=True)
    macs = {layer.type: layer.macs for layer in result.layers if layer.macs}
    assert macs == {
        "function:linear": 2 * 5 * 6 * 8,
        "function:matmul": 2 * 5 * 5 * 6,
        "function:einsum": 2 * 5 * 6 * 5,
        "function:bmm": 2 * 5 * 5 * 6,
        "function:addmm": 5 * 6 * 8,
        "function:scaled_dot_product_attention": 2 * 2 * 5 * 5 * (3 + 3),
        "function:conv2d": 4 * 7 * 7 * 2 * 9,
        "function:mm": 5 * 5 * 8,
    }
    assert 2 * result.totals.macs == torch_math_flops(model, x, images)
    plain = shapetrace.trace(model, input_data=(x, images))  # rows hidden, costs the same
    assert plain.totals == result.totals and not plain.layers


class _UserLeaf(nn.Module):
    """A user-written layer with no submodules: its matmuls are its MACs."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 4))

    def forward(self, x):
        return torch.relu(x @ self.weight)


def test_a_user_written_leaf_counts_the_products_in_its_forward():
    model = nn.Sequential(_UserLeaf(), nn.Linear(4, 2))
    result = shapetrace.trace(model, (3, 8))
    assert [layer.name for layer in result.layers] == ["0", "1"]
    assert result.layers[0].macs == 3 * 8 * 4
    assert 2 * result.totals.macs == torch_math_flops(model, torch.randn(3, 8))
    functional = shapetrace.trace(model, (3, 8), functional=True)
    assert [layer.name for layer in functional.layers] == ["0", "0.matmul", "0.relu", "1"]


def test_transformer_macs_equal_half_of_torch_flops():
    layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
    decoder = nn.TransformerDecoderLayer(16, 2, dim_feedforward=24)
    encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    for model, shapes in ((encoder, [(3, 7, 16)]), (decoder, [(5, 3, 16), (7, 3, 16)])):
        model.eval()
        result = shapetrace.trace(model, shapes)
        assert 2 * result.totals.macs == torch_math_flops(model, *[torch.randn(s) for s in shapes])


@given(
    st.sampled_from([(), (2,), (2, 3)]),
    st.integers(1, 3),
    st.sampled_from([1, 2, 4]),
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 4),
    st.integers(1, 4),
)
def test_attention_macs_and_shape_with_grouped_query_heads(
    batch, groups, kv_heads, length, source, dim, vdim
):
    """scaled_dot_product_attention, plain (groups = 1) and grouped-query (enable_gqa=True)."""
    query = (*batch, kv_heads * groups, length, dim)
    key, value = (*batch, kv_heads, source, dim), (*batch, kv_heads, source, vdim)
    gqa = groups > 1
    model = Call(lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=gqa))
    result = shapetrace.trace(model, [query, key, value], functional=True)
    row = result.layers[-1]
    assert row.check == "ok"
    assert (
        2 * row.macs
        == 2 * result.totals.macs
        == torch_math_flops(model, *map(torch.randn, (query, key, value)))
    )
    assert row.macs == formulas.attention_macs(query, key, value, gqa)


class _SubclassedAttention(nn.MultiheadAttention):
    """A torch layer whose forward is rewritten: user code, costed by the calls inside it."""

    def forward(self, x):
        return super().forward(x, x, x)[0]


class _StateFirstGRU(nn.GRU):
    def forward(self, state, x):
        return super().forward(x, state)[0]


class _MixingLinear(nn.Linear):
    def __init__(self) -> None:
        super().__init__(4, 6)
        self.mix = nn.Parameter(torch.randn(6, 6))

    def forward(self, x):
        return super().forward(x) @ self.mix


class _Composite(nn.Module):
    """torch functions that multiply inside: tensordot, multi_dot, inner, and a functional MHA."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = (nn.Parameter(torch.randn(shape)) for shape in ((8, 5), (5, 7), (7, 3)))
        self.attention = nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True)

    def forward(self, x):  # x: (4, 2, 8)
        y = torch.tensordot(x, self.a, dims=1)  # (4, 2, 5)
        z = torch.linalg.multi_dot([x[0], self.a, self.b, self.c])  # (2, 3)
        w = torch.inner(x, x[0, 0])  # (4, 2)
        m = self.attention
        attended, _ = torch.nn.functional.multi_head_attention_forward(
            x, x, x, 8, 2, m.in_proj_weight, m.in_proj_bias, m.bias_k, m.bias_v, True, 0.0,
            m.out_proj.weight, m.out_proj.bias, training=False, need_weights=False,
        )  # fmt: skip
        return y.sum() + z.sum() + w.sum() + attended.sum() + m(x, x, x)[0].sum()


@pytest.mark.parametrize(
    ("model", "shapes"),
    [
        (_SubclassedAttention(8, 2), [(5, 2, 8)]),
        (_StateFirstGRU(4, 6), [(1, 3, 6), (5, 3, 4)]),
        (nn.Sequential(_MixingLinear()), [(3, 4)]),
        (_Composite(), [(4, 2, 8)]),
    ],
    ids=["subclass-attention", "gru-state-first", "linear-subclass-matmul", "composite-functions"],
)
def test_subclasses_and_composite_functions_count_like_torch(model, shapes):
    model.eval()
    result = shapetrace.trace(model, shapes)
    assert 2 * result.totals.macs == torch_math_flops(model, *map(torch.randn, shapes)) > 0


@pytest.mark.parametrize(("a", "b"), [((2, 3), (2, 3)), ((3,), (4, 3)), ((), (2, 3)), ((2, 4, 3), (5, 3))])
def test_inner_checks_and_counts(a, b):
    result = shapetrace.trace(Call(torch.inner), [a, b], functional=True)
    row = result.layers[-1]
    assert row.check == "ok"
    assert row.output_shapes == (tuple(torch.inner(torch.randn(a), torch.randn(b)).shape),)
    assert row.macs == (formulas.numel(row.output_shapes[0]) * a[-1] if a and b else 0)


@given(st.lists(st.integers(1, 6), min_size=3, max_size=6), st.booleans(), st.booleans())
def test_matrix_chain_macs_equal_half_of_torch_flops(sizes, vector_first, vector_last):
    shapes = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    if vector_first:
        shapes[0] = (shapes[0][1],)
    if vector_last and len(shapes) > 2:
        shapes[-1] = (shapes[-1][0],)
    assume(len(shapes) >= 2)
    tensors = [torch.randn(shape) for shape in shapes]
    result = _torch_result(torch.linalg.multi_dot, tensors)
    assert 2 * formulas.matrix_chain_macs(shapes) == result[1]


def test_einsum_of_three_operands_follows_the_order_pytorch_takes():
    """Left to right without opt_einsum (10,000 MACs here), its cheaper order with it (540)."""
    model = Call(lambda *operands: torch.einsum("ij,jk,kl->il", *operands))
    shapes = [(40, 3), (3, 50), (50, 2)]
    macs = shapetrace.trace(model, shapes).totals.macs
    assert 2 * macs == torch_math_flops(model, *map(torch.randn, shapes))
    assert macs == (540 if torch.backends.opt_einsum.is_available() else 10_000)


class _ProjectedLSTM(nn.LSTM):
    """A recurrent subclass with work of its own around the layer's."""

    def __init__(self) -> None:
        super().__init__(4, 6, batch_first=True)
        self.out = nn.Parameter(torch.randn(3, 6))

    def forward(self, x):
        return torch.nn.functional.linear(super().forward(x)[0], self.out)


def test_a_recurrent_subclass_counts_its_layer_and_its_own_calls():
    model = _ProjectedLSTM()
    result = shapetrace.trace(model, (2, 5, 4))
    assert 2 * result.totals.macs == torch_math_flops(model, torch.randn(2, 5, 4))
    assert result.totals.macs == formulas.recurrent_macs("LSTM", 10, 4, 6) + 2 * 5 * 6 * 3


def test_out_arguments_are_not_operands():
    a, b, c = torch.randn(3, 4), torch.randn(4, 5), torch.randn(5, 2)
    model = Call(lambda a, b, c: torch.linalg.multi_dot([a, b, c], out=torch.empty(3, 2)))
    assert 2 * shapetrace.trace(model, input_data=(a, b, c)).totals.macs == torch_math_flops(model, a, b, c)
