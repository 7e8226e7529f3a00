"""Robustness: random models (chains and branches of random layers) and random command lines.

Whatever the model or the command line: never a traceback; exit 0, 1 or 2 with its meaning; and
after every example no hook or torch function mode remains and the model is as it was."""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import tempfile
from pathlib import Path

import torch
from hypothesis import event, given
from hypothesis import strategies as st
from torch import nn
from torch.overrides import _get_current_function_mode_stack

import shapetrace
from shapetrace.cli import main
from tests.oracles import torch_math_flops

ROOT = Path(__file__).resolve().parents[1]


class Residual(nn.Module):
    """x + body(x): fails where the body changes the shape."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class DoubledConv(nn.Conv2d):
    """A Conv2d subclass that rewrites forward: user code around torch's convolution."""

    def forward(self, x):
        return super().forward(x) * 2


class Concat(nn.Module):
    """torch.cat of two branches along the channels: fails where their sizes differ."""

    def __init__(self, left: nn.Module, right: nn.Module) -> None:
        super().__init__()
        self.left, self.right = left, right

    def forward(self, x):
        return torch.cat((self.left(x), self.right(x)), dim=1)


@st.composite
def layers(draw, channels: int, depth: int = 0) -> tuple[nn.Module, int]:
    """One random layer and the channel count it leaves (a guess: wrong on purpose now and then)."""
    kinds = ["conv", "pool", "avg", "bn", "act", "up", "convT", "pad"] + (["res", "cat"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    wrong = draw(st.integers(0, 9)) == 0  # one layer in ten expects the wrong number of channels
    given_channels = draw(st.integers(1, 6)) if wrong else channels
    kernel, stride = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    if kind == "conv":
        out = draw(st.integers(1, 6))
        padding = draw(st.integers(0, 2))
        layer_type = draw(st.sampled_from([nn.Conv2d, DoubledConv]))
        return layer_type(given_channels, out, kernel, stride, padding, dilation=draw(st.integers(1, 2))), out
    if kind == "convT":
        out = draw(st.integers(1, 6))
        return nn.ConvTranspose2d(given_channels, out, kernel, stride), out
    if kind == "pool":
        return nn.MaxPool2d(
            kernel, stride, draw(st.integers(0, kernel // 2)), ceil_mode=draw(st.booleans())
        ), channels
    if kind == "avg":
        return nn.AvgPool2d(kernel, stride, draw(st.integers(0, kernel // 2))), channels
    if kind == "bn":
        return nn.BatchNorm2d(given_channels), channels
    if kind == "act":
        return draw(
            st.sampled_from([nn.ReLU(), nn.GELU(), nn.Identity(), nn.Dropout(0.5), nn.Sigmoid()])
        ), channels
    if kind == "up":
        return nn.Upsample(scale_factor=2), channels
    if kind == "pad":
        return nn.ZeroPad2d(draw(st.integers(0, 2))), channels
    body, after = draw(chains(channels, depth + 1))
    if kind == "res":
        return Residual(body), after
    other, other_after = draw(chains(channels, depth + 1))
    return Concat(body, other), after + other_after


@st.composite
def chains(draw, channels: int, depth: int = 0) -> tuple[nn.Module, int]:
    modules = []
    for _ in range(draw(st.integers(1, 4 if depth == 0 else 2))):
        module, channels = draw(layers(channels, depth))
        modules.append(module)
    return nn.Sequential(*modules), channels


@st.composite
def models(draw) -> tuple[nn.Module, tuple[int, ...]]:
    channels = draw(st.integers(1, 3))
    body, after = draw(chains(channels))
    shape = (draw(st.integers(1, 2)), channels, draw(st.integers(1, 24)), draw(st.integers(1, 24)))
    if draw(st.booleans()):  # a classifier head, whose in_features is sometimes a guess
        features = draw(st.sampled_from([after, after * 4, draw(st.integers(1, 64))]))
        body = nn.Sequential(
            body, nn.AdaptiveAvgPool2d(draw(st.sampled_from([1, 2]))), nn.Flatten(), nn.Linear(features, 3)
        )
    body.train(draw(st.booleans()))
    return body, shape


def state(model: nn.Module) -> tuple:
    return (
        {key: value.clone() for key, value in model.state_dict().items()},
        [m.training for m in model.modules()],
        sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()),
    )


def same_state(before: tuple, after: tuple) -> bool:
    tensors_before, modes_before, hooks_before = before
    tensors_after, modes_after, hooks_after = after
    return (
        modes_before == modes_after
        and hooks_before == hooks_after == 0
        and tensors_before.keys() == tensors_after.keys()
        and all(torch.equal(tensors_before[key], tensors_after[key]) for key in tensors_before)
    )


@given(models(), st.booleans())
def test_random_models_trace_like_pytorch_or_fail_with_a_diagnosis(case, functional):
    model, shape = case
    inputs = torch.randn(shape)
    reference = state(model)
    rng = torch.get_rng_state()
    try:
        with torch.no_grad():
            expected = model(inputs).shape
    except Exception:
        expected = None
    torch.set_rng_state(rng)
    model.load_state_dict(reference[0])  # the reference pass may update BatchNorm statistics
    before = state(model)
    try:
        result = shapetrace.trace(model, shape, functional=functional)
    except shapetrace.ShapeError as error:
        assert expected is None, f"shapetrace failed where PyTorch ran: {error}"
        assert error.layer and error.hint and error.trace.error.message
    else:
        assert expected is not None, "shapetrace ran where PyTorch failed"
        assert result.output_shapes == (tuple(expected),)
        assert result.checks["mismatch"] == 0, [row.note for row in result.layers if row.check == "mismatch"]
    assert same_state(before, state(model))
    assert _get_current_function_mode_stack() == []
    assert torch.is_grad_enabled()  # the trace's no_grad is undone
    if expected is not None:  # last: the reference pass may update BatchNorm statistics
        assert 2 * result.totals.macs == torch_math_flops(model, inputs, keep_mode=True)


MODELS = [
    "lenet", "LeNet", "nin", "alexnet", "resnet18", "examples/cifar_cnn.py:CifarCNN", "examples/unet.py:UNet",
    "examples/text_lstm.py:TextLSTM", "examples/tiny_transformer.py:TinyTransformer",
    "examples/broken_residual.py:net", "examples/cropping_conv.py:net", "nope",
    "examples/missing.py:Net", "examples/cifar_cnn.py:Missing", "examples/cifar_cnn.py:nn", "README.md:x",
    "torchvision:resnet18", "os.path:join", "shapetrace.nothing:Net",
]  # fmt: skip
INPUTS = [
    "1,1,28,28", "1,3,32,32", "2,1,32,32", "1,1,20,20", "1,1,4,4", "4,32:int64", "1,a", "", "0,1,28,28",
    "-1,2", "1,1,28,28:float16", "1,1,28,28:bogus", "1,3,64,64", "1,3,62,62", "1,1,96,96", "2,16", "1,,2",
    "1.5,2",
]  # fmt: skip
OPTIONS = st.sampled_from(
    [
        [], ["--explain"], ["--strict"], ["--functional"], ["--train"], ["--list"], ["--version"],
        ["--lang", "zh"], ["--lang", "xx"], ["--depth", "1"], ["--depth", "-1"], ["--depth", "x"],
        ["--dtype", "float64"], ["--dtype", "int64"], ["--dtype", "bfloat16"], ["--dtype", "bogus"],
        ["--device", "meta"], ["--device", "cpu"], ["--device", "cuda"], ["--device", "tpu"],
        ["--format", "json"], ["--format", "markdown"], ["--format", "html"], ["--format", "csv"],
        ["--format", "yaml"], ["--kwargs", '{"num_classes": 3}'], ["--kwargs", "{bad"], ["--kwargs", "[1]"],
        ["--kwargs", '{"nonexistent": 1}'], ["--solve"], ["--solve", "1:48"], ["--solve", "9:3"],
        ["--solve", "a:b"], ["--solve-dim", "H"], ["--solve-dim", "Z"], ["--bogus"], ["-o", "OUT.json"],
        ["-o", "OUT.md"], ["-o", "OUT.html"], ["-o", "OUT.txt"], ["-o", "OUT"], ["-o", "DIR/"],
    ]
)  # fmt: skip


SENSIBLE = {  # models and inputs that mostly work, some that fail in the model (exit 1)
    "lenet": ["1,1,28,28", "2,1,32,32", "1,1,4,4", "1,3,28,28"],
    "resnet18": ["1,1,96,96", "1,1,8,8"],
    "examples/cifar_cnn.py:CifarCNN": ["1,3,32,32", "1,3,40,40", "2,3,32,32"],
    "examples/unet.py:UNet": ["1,3,32,32", "1,3,30,30"],
    "examples/text_lstm.py:TextLSTM": ["4,32:int64", "2,8:int64", "2,8"],
    "examples/tiny_transformer.py:TinyTransformer": ["2,16:int64", "2,80:int64"],
    "examples/broken_residual.py:net": ["1,8,16,16"],
    "examples/cropping_conv.py:net": ["1,3,8,8"],
}
GOOD_OPTIONS = st.sampled_from(
    [
        ["--explain"], ["--strict"], ["--functional"], ["--train"], ["--lang", "zh"], ["--depth", "1"],
        ["--format", "json"], ["--format", "markdown"], ["--format", "html"], ["--format", "csv"],
        ["-o", "OUT.json"], ["-o", "OUT.md"], ["--device", "meta"], ["--solve", "1:40"],
        ["--dtype", "float64"],
    ]
)  # fmt: skip


@st.composite
def command_lines(draw) -> list[str]:
    """Mostly sensible command lines (a model, its input, valid options), some chaos."""
    if draw(st.integers(0, 9)) < 7:
        model = draw(st.sampled_from(sorted(SENSIBLE)))
        argv = [model, "--input", draw(st.sampled_from(SENSIBLE[model]))]
        if draw(st.integers(0, 4)) == 0:
            argv.append(draw(st.sampled_from(sorted(SENSIBLE))))  # two models: a comparison
        for option in draw(st.lists(GOOD_OPTIONS, max_size=2)):
            argv += option
        return argv
    argv = draw(st.lists(st.sampled_from(MODELS), min_size=0, max_size=2))
    for _ in range(draw(st.integers(0, 2))):
        argv += ["--input", draw(st.sampled_from(INPUTS))]
    for option in draw(st.lists(OPTIONS, max_size=3)):
        argv += option
    return draw(st.permutations(argv)) if draw(st.integers(0, 4)) == 0 else argv


@given(command_lines())
def test_random_command_lines_exit_0_1_or_2_and_never_a_traceback(argv):
    with tempfile.TemporaryDirectory() as folder:
        argv = [a.replace("OUT", f"{folder}/out").replace("DIR/", f"{folder}/no/such/dir/") for a in argv]
        out, err = io.StringIO(), io.StringIO()
        here = os.getcwd()
        os.chdir(ROOT)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
        except SystemExit as exit:  # argparse's own errors (unknown option, missing value)
            code = exit.code
        finally:
            os.chdir(here)
        written = "".join(p.read_text(errors="replace") for p in Path(folder).glob("out*") if p.is_file())
    out, err = out.getvalue(), err.getvalue()
    command = shlex.join(argv)
    event(f"exit {code}")
    assert code in (0, 1, 2), (command, code, err)
    assert "Traceback" not in out + err, (command, err)
    if code == 2:  # bad usage: one line saying what is wrong (argparse puts its usage line first)
        lines = err.strip().splitlines()
        assert lines[-1].startswith("shapetrace: "), (command, err)
        assert len(lines) == 1 or lines[0].startswith("usage: "), (command, err)
    elif code == 1:  # the forward pass failed, --strict found a mismatch, or --solve found no size
        text = out + err + written
        meaning = ("failed", "mismatch", "No size", "失败", "不符")
        assert any(word in text for word in meaning), (command, out, err)
    else:
        assert out.strip() or written.strip() or "-o" in argv, (command, err)
    assert _get_current_function_mode_stack() == []
    assert torch.is_grad_enabled()


class _Recurrent(nn.Module):
    def __init__(self, layer: nn.RNNBase) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0]


class _SelfAttention(nn.Module):
    def __init__(self, attention: nn.MultiheadAttention, need_weights: bool) -> None:
        super().__init__()
        self.attention, self.need_weights = attention, need_weights

    def forward(self, x):
        return self.attention(x, x, x, need_weights=self.need_weights)[0]


class _Product(nn.Module):
    """x @ W, einsum or F.linear with a bare Parameter: a layer the user wrote."""

    def __init__(self, features: int, out: int, how: str) -> None:
        super().__init__()
        self.weight, self.how = nn.Parameter(torch.randn(features, out)), how

    def forward(self, x):
        if self.how == "matmul":
            return x @ self.weight
        if self.how == "einsum":
            return torch.einsum("btd,de->bte", x, self.weight)
        return torch.nn.functional.linear(x, self.weight.t())


class _HeadsAttention(nn.Module):
    """Heads split by view/transpose, then scaled_dot_product_attention."""

    def __init__(self, heads: int) -> None:
        super().__init__()
        self.heads = heads

    def forward(self, x):
        batch, length, features = x.shape
        q = x.view(batch, length, self.heads, features // self.heads).transpose(1, 2)
        out = torch.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True)
        return out.transpose(1, 2).reshape(batch, length, features)


class _Conv1dOverTime(nn.Module):
    def __init__(self, features: int, out: int, kernel: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(features, out, kernel, padding=kernel // 2)

    def forward(self, x):
        return self.conv(x.transpose(1, 2))[..., : x.shape[1]].transpose(1, 2)


@st.composite
def sequence_layers(draw, features: int) -> tuple[nn.Module, int]:
    """A random layer for (batch, length, features) inputs, and the features it leaves."""
    kind = draw(st.sampled_from(["linear", "rnn", "mha", "product", "sdpa", "encoder", "conv", "norm"]))
    out = draw(st.sampled_from([2, 4, 6, 8]))
    heads = draw(st.sampled_from([h for h in (1, 2, 4) if features % h == 0]))
    if kind == "linear":
        return nn.Linear(features, out, bias=draw(st.booleans())), out
    if kind == "rnn":
        mode = draw(st.sampled_from([nn.RNN, nn.GRU, nn.LSTM]))
        bidirectional = draw(st.booleans())
        layer = mode(features, out, draw(st.integers(1, 2)), batch_first=True, bidirectional=bidirectional)
        return _Recurrent(layer), out * (2 if bidirectional else 1)
    if kind == "mha":
        attention = nn.MultiheadAttention(
            features,
            heads,
            batch_first=True,
            add_bias_kv=draw(st.booleans()),
            add_zero_attn=draw(st.booleans()),
        )
        return _SelfAttention(attention, draw(st.booleans())), features
    if kind == "product":
        return _Product(features, out, draw(st.sampled_from(["matmul", "einsum", "linear"]))), out
    if kind == "sdpa":
        return _HeadsAttention(heads), features
    if kind == "encoder":
        return nn.TransformerEncoderLayer(
            features, heads, 2 * features, dropout=0.0, batch_first=True
        ), features
    if kind == "conv":
        return _Conv1dOverTime(features, out, draw(st.sampled_from([1, 3]))), out
    return draw(st.sampled_from([nn.LayerNorm(features), nn.GELU(), nn.Identity()])), features


@given(st.data())
def test_random_sequence_models_count_the_macs_pytorch_counts(data):
    """Chains of recurrent, attention, matmul/einsum/linear and conv layers: the totals equal
    PyTorch's FLOP counter (on its unfused kernels), with and without --functional."""
    features = first = data.draw(st.sampled_from([4, 8]))
    modules = []
    for _ in range(data.draw(st.integers(1, 4))):
        module, features = data.draw(sequence_layers(features))
        modules.append(module)
    model = nn.Sequential(*modules).eval()
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 6)), first)
    before = state(model)
    result = shapetrace.trace(model, shape, functional=data.draw(st.booleans()))
    assert same_state(before, state(model))
    assert 2 * result.totals.macs == torch_math_flops(model, torch.randn(shape))
    assert result.checks["mismatch"] == 0
