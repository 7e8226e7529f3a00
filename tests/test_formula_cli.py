"""`shapetrace formula`: every kind against the pure formulas and against PyTorch, refusals exactly where
PyTorch raises, both languages, one-line errors with exit 2, --help, no torch and a fast start."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
import warnings
from functools import partial
from pathlib import Path

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

from shapetrace import formulas
from shapetrace.cli import main
from shapetrace.formulas.workings import Layer, window_widths, workings

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `shapetrace ARGV`, in-process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def printed_sizes(out: str) -> tuple[int, ...]:
    """The output sizes the worksheet prints: 'output: 224 × 200 → 54 × 48' -> (54, 48)."""
    line = next(line for line in out.splitlines() if line.startswith(("output:", "输出:")))
    return tuple(int(size) for size in line.split("→")[1].split("×"))


def torch_sizes(layer: nn.Module, sizes: tuple[int, ...]) -> tuple[int, ...] | None:
    """The spatial sizes PyTorch gives an input of `sizes` (one channel), or None where it raises."""
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # padding='same' with an even kernel
            return tuple(layer(torch.zeros(1, 1, *sizes)).shape[2:])
    except (RuntimeError, ValueError):
        return None


def _conv(dims: int, **settings) -> nn.Module:
    return (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1](1, 1, **settings)


def _transpose(dims: int, **settings) -> nn.Module:
    return (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[dims - 1](1, 1, **settings)


def _pool(dims: int, average: bool = False, **settings) -> nn.Module:
    kinds = (
        (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d) if average else (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
    )
    return kinds[dims - 1](**settings)


# (command line, input sizes, the PyTorch layer, the sizes from the pure formulas)
CASES = [
    (
        "conv --h 224 --k 11 --s 4 --p 1",
        (224,),
        _conv(1, kernel_size=11, stride=4, padding=1),
        (formulas.conv_out(224, 11, 4, 1),),
    ),
    (
        "conv --h 224 --w 200 -k 11 -s 4 -p 1",
        (224, 200),
        _conv(2, kernel_size=11, stride=4, padding=1),
        (54, formulas.conv_out(200, 11, 4, 1)),
    ),
    (
        "conv --h 28 --w 30 -k 3,5 -s 1,2 --dilation 2,1",
        (28, 30),
        _conv(2, kernel_size=(3, 5), stride=(1, 2), dilation=(2, 1)),
        (formulas.conv_out(28, 3, 1, 0, 2), formulas.conv_out(30, 5, 2)),
    ),
    (
        "conv --size 8,16,16 --kernel 4 --padding same",
        (8, 16, 16),
        _conv(3, kernel_size=4, padding="same"),
        (8, 16, 16),
    ),
    (
        "conv --size 20 -k 5 -p valid --d 3 --groups 1",
        (20,),
        _conv(1, kernel_size=5, padding="valid", dilation=3),
        (formulas.conv_out(20, 5, 1, 0, 3),),
    ),
    (
        "convtranspose --h 7 --w 9 -k 4 -s 2 -p 1 --op 1",
        (7, 9),
        _transpose(2, kernel_size=4, stride=2, padding=1, output_padding=1),
        (formulas.conv_transpose_out(7, 4, 2, 1, 1), formulas.conv_transpose_out(9, 4, 2, 1, 1)),
    ),
    (
        "convtranspose --size 3,5,6 -k 3 -s 3 --d 2 --op 1",
        (3, 5, 6),
        _transpose(3, kernel_size=3, stride=3, dilation=2, output_padding=1),
        tuple(formulas.conv_transpose_out(n, 3, 3, 0, 1, 2) for n in (3, 5, 6)),
    ),
    ("pool --h 54 -k 3 -s 2", (54,), _pool(1, kernel_size=3, stride=2), (formulas.pool_out(54, 3, 2),)),
    (
        "pool --size 5 -k 2 -s 2 -p 1 --ceil",
        (5,),
        _pool(1, kernel_size=2, stride=2, padding=1, ceil_mode=True),
        (formulas.pool_out(5, 2, 2, 1, 1, True),),
    ),
    (
        "pool --h 13 --w 14 -k 3 --ceil-mode --dilation 2",
        (13, 14),
        _pool(2, kernel_size=3, ceil_mode=True, dilation=2),
        tuple(formulas.pool_out(n, 3, 3, 0, 2, True) for n in (13, 14)),
    ),
    ("avgpool --h 28 --w 28 -k 2 -s 2", (28, 28), _pool(2, True, kernel_size=2, stride=2), (14, 14)),
    (
        "avgpool --size 6,7,9 -k 3 -s 2 -p 1 --ceil",
        (6, 7, 9),
        _pool(3, True, kernel_size=3, stride=2, padding=1, ceil_mode=True),
        tuple(formulas.avg_pool_out(n, 3, 2, 1, True) for n in (6, 7, 9)),
    ),
    ("adaptive --size 224,10 --out 7,3", (224, 10), nn.AdaptiveAvgPool2d((7, 3)), (7, 3)),
    ("adaptive --size 5 --output-size 3", (5,), nn.AdaptiveMaxPool1d(3), (formulas.adaptive_out(5, 3),)),
]


@pytest.mark.parametrize(("command", "sizes", "layer", "expected"), CASES, ids=[case[0] for case in CASES])
def test_every_kind_agrees_with_the_formulas_and_with_pytorch(command, sizes, layer, expected):
    status, out, err = run("formula", *command.split())
    assert (status, err) == (0, "")
    assert printed_sizes(out) == expected == torch_sizes(layer, sizes)
    assert out.count("PyTorch:") >= 2 and "d2l:" in out and "where n: input size" in out


def test_the_issues_example_in_both_notations_and_both_languages():
    status, out, _ = run("formula", "conv", "--h", "224", "--k", "11", "--s", "4", "--p", "1")
    assert status == 0
    assert out.splitlines()[:3] == [
        "PyTorch: h' = ⌊(224 + 2·1 − 1·(11−1) − 1)/4⌋ + 1 = 54",  # the same lines as --explain's
        "d2l:     h' = ⌊(224 − 11 + 2 + 4)/4⌋ = 54",
        "output: 224 → 54",
    ]
    _, chinese, _ = run("calc", "conv", "--h", "224", "--k", "11", "--s", "4", "--p", "1", "--lang", "zh")
    assert chinese.splitlines()[:3] == [
        "PyTorch 写法: h' = ⌊(224 + 2·1 − 1·(11−1) − 1)/4⌋ + 1 = 54",
        "教材写法:     h' = ⌊(224 − 11 + 2 + 4)/4⌋ = 54",
        "输出: 224 → 54",
    ]
    assert "其中 n: 输入尺寸 (h)" in chinese


def test_calc_is_formula_and_neither_is_taken_for_a_model():
    assert run("calc", "pool", "--h", "54", "-k", "3", "-s", "2") == run(
        "formula", "pool", "--h", "54", "-k", "3", "-s", "2"
    )
    status, out, err = run("formula")
    assert status == 2 and out == ""
    assert err.startswith("shapetrace: error: ") and "KIND" in err and "model" not in err.lower()


REFUSALS = [
    (
        "conv --h 8 --w 8 -k 3 -p -1,2",
        lambda: _conv(2, kernel_size=3, padding=(-1, 2))(torch.zeros(1, 1, 8, 8)),
        "h: negative padding is not supported, got -1",
    ),
    (
        "conv --h 5 --k 7",
        lambda: _conv(1, kernel_size=7)(torch.zeros(1, 1, 5)),
        "h: the padded input (5 + 2*0 = 5) is smaller than the kernel's span",
    ),
    (
        "conv --h 28 --w 4 -k 5",
        lambda: _conv(2, kernel_size=5)(torch.zeros(1, 1, 28, 4)),
        "w: the padded input",
    ),
    (
        "pool --h 5 -k 3 -p 2",
        lambda: _pool(1, kernel_size=3, padding=2)(torch.zeros(1, 1, 5)),
        "at most half of the kernel size",
    ),
    (
        "conv --h 28 -k 3 -s 2 -p same",
        lambda: _conv(1, kernel_size=3, stride=2, padding="same"),
        "padding='same' is not supported for strided",
    ),
    (
        "convtranspose --h 5 -k 3 --op 1",
        lambda: _transpose(1, kernel_size=3, output_padding=1)(torch.zeros(1, 1, 5)),
        "must be smaller than either stride",
    ),
    (
        "avgpool --size 2,8,8 -k 3",
        lambda: _pool(3, True, kernel_size=3)(torch.zeros(1, 1, 2, 8, 8)),
        "d: the input (2) is smaller than the kernel (3)",
    ),
    ("pool --h 2 -k 3", lambda: _pool(1, kernel_size=3)(torch.zeros(1, 1, 2)), "does not fit"),
    (
        "pool --h 8 -k 2 -s 0",
        lambda: _pool(1, kernel_size=2, stride=0)(torch.zeros(1, 1, 8)),
        "stride must be at least 1",
    ),
]


@pytest.mark.parametrize(("command", "pytorch", "words"), REFUSALS, ids=[case[0] for case in REFUSALS])
def test_refusals_where_pytorch_raises_in_one_line_with_exit_2(command, pytorch, words):
    with pytest.raises((RuntimeError, ValueError)):
        pytorch()
    status, out, err = run("formula", *command.split())
    assert (status, out) == (2, "")
    assert err.startswith("shapetrace: error: ") and words in err and err.count("\n") == 1
    status, _, chinese = run("formula", *command.split(), "--lang", "zh")
    assert status == 2 and chinese.startswith("shapetrace: 错误: ") and chinese.count("\n") == 1
    assert re.search(r"[\u4e00-\u9fff]", chinese.removeprefix("shapetrace: 错误: "))


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("conv --k 3", "give the input size"),
        ("conv --h 5 --size 5 --k 3", "not both"),
        ("conv --size 1,2,3,4 --k 3", "one to three sizes"),
        ("conv --h 5", "formula conv needs --kernel"),
        ("adaptive --h 5", "formula adaptive needs --output-size"),
        ("conv --h 5 --k 3 --op 1", "--output-padding does not apply to formula conv"),
        ("avgpool --h 5 --k 3 --d 2", "--dilation does not apply to formula avgpool"),
        ("adaptive --h 5 --out 2 --k 3", "--kernel does not apply to formula adaptive"),
        ("conv --h 5 --k 3 --ceil", "--ceil-mode does not apply to formula conv"),
        ("pool --h 5 --k 3 -p same", "--padding same applies to conv only"),
        ("conv --h 5 --k three", "--kernel 'three': expected whole numbers"),
        (
            "conv --h 5 --w 6 --k 3,3,3",
            "--kernel '3,3,3': give one value, or one for each of the 2 input sizes",
        ),
        ("conv --h 5,6 --k 3", "--h '5,6'"),
        ("conv --h 5 --k 3 --groups 0", "--groups '0': expected a whole number of at least 1"),
        ("deconv --h 5 --k 3", "invalid choice: 'deconv'"),
    ],
)
def test_bad_usage_is_one_line_with_exit_2(command, words):
    status, out, err = run("formula", *command.split())
    assert (status, out) == (2, "")
    assert err.startswith("shapetrace: error: ") and words in err and err.count("\n") == 1


def test_help_lists_the_options_in_both_languages():
    status, out, _ = run("formula", "--help")
    assert status == 0
    for flag in (
        "--h N",
        "--size SIZES",
        "-k, --k, --kernel K",
        "--padding P",
        "--ceil-mode",
        "--output-size O",
    ):
        assert flag in out
    assert "shapetrace formula conv --h 224 --k 11 --s 4 --p 1" in out
    _, chinese, _ = run("formula", "--help", "--lang", "zh")
    assert chinese.startswith("用法: shapetrace formula") and "选项:" in chinese and "向上取整" in chinese
    _, main_help, _ = run("--help")
    assert "shapetrace formula conv --h 224 --k 11 --s 4 --p 1" in main_help


def test_notes_and_the_legend_follow_the_settings():
    _, out, _ = run("formula", "conv", "--size", "28,28", "-k", "5", "-p", "same", "--groups", "2")
    assert "PyTorch: h' = w' = 28 (padding='same' pads d·(k−1) = 4: 2 before, 2 after)" in out
    assert "d2l:     h' = w' = 28 − 5 + 4 + 1 = 28" in out
    assert "groups=2 splits the channels into groups; it does not change the sizes" in out
    _, out, _ = run("formula", "pool", "--h", "5", "-k", "2", "-s", "2", "-p", "1", "--ceil")
    assert "but the last window would start at (4−1)·2 ≥ 5 + 1: 3" in out and "it has no ceil_mode" in out
    _, out, _ = run("formula", "convtranspose", "--h", "7", "-k", "4", "-s", "2", "-p", "1", "--d", "2")
    assert "d2l:     h' = (7−1)·2 + 7 − 2 + 0 = 17" in out and "d2l's k: the dilated span d·(k−1) + 1" in out
    _, out, _ = run("formula", "adaptive", "--size", "224,10", "--out", "7,3")
    assert "window i covers ⌊i·224/7⌋ to ⌈(i+1)·224/7⌉, 32 wide" in out
    assert "a pool with k = s = 224/7 = 32" in out and "10 is not a multiple of 3" in out


def test_the_python_api_names_the_dimension_it_refuses():
    sheet = workings(Layer("pool", kernel=(3,), stride=(2,)), (54, 54), ("h", "w"))
    assert sheet.outputs == (26, 26) and len(sheet.rows) == 2  # h' = w' = ...: one line each notation
    with pytest.raises(ValueError, match="^w: the padded input"):
        workings(Layer("conv", kernel=(3,)), (9, 2))
    with pytest.raises(ValueError, match="padding='same' is a convolution's"):
        workings(Layer("pool", kernel=(3,), padding="same"), (9,))
    with pytest.raises(ValueError, match="kind must be one of conv, convtranspose, pool, avgpool, adaptive"):
        workings(Layer("deconv"), (9,))


def test_window_widths_of_adaptive_pools():
    for size in range(1, 40):
        for output in range(1, 45):
            widths = {-(-(i + 1) * size // output) - i * size // output for i in range(output)}
            assert window_widths(size, output) == (min(widths), max(widths)), (size, output)


def _pytorch_layer(kind: str, dims: int, k: int, s: int, p, d: int, op: int, ceil: bool):
    """The PyTorch layer's constructor, settings bound, and the flags beyond -k -s -p that say the same."""
    if kind == "conv":
        return partial(_conv, dims, kernel_size=k, stride=s, padding=p, dilation=d), ["--d", str(d)]
    if kind == "convtranspose":
        build = partial(_transpose, dims, kernel_size=k, stride=s, padding=p, dilation=d, output_padding=op)
        return build, ["--d", str(d), "--op", str(op)]
    settings = {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil}
    flags = ["--ceil"] if ceil else []
    if kind == "pool":
        settings["dilation"] = d
        flags += ["--d", str(d)]
    return partial(_pool, dims, kind == "avgpool", **settings), flags


@given(
    st.sampled_from(["conv", "convtranspose", "pool", "avgpool"]),
    st.lists(st.integers(1, 12), min_size=1, max_size=3),
    st.integers(0, 6),
    st.integers(1, 3),
    st.integers(0, 3) | st.sampled_from(["same", "valid"]),
    st.integers(1, 3),
    st.integers(0, 2),
    st.booleans(),
)
def test_the_command_refuses_exactly_where_pytorch_raises(kind, sizes, k, s, p, d, op, ceil):
    assume(kind == "conv" or isinstance(p, int))
    if kind == "convtranspose":  # an output of size 0: PyTorch's 2-d and 3-d CPU paths return an empty
        # tensor, its 1-d path and shapetrace refuse
        assume(len(sizes) == 1 or all((n - 1) * s - 2 * p + d * (k - 1) + op + 1 != 0 for n in sizes))
    build, flags = _pytorch_layer(kind, len(sizes), k, s, p, d, op, ceil)
    argv = [
        "formula",
        kind,
        "--size",
        ",".join(map(str, sizes)),
        "-k",
        str(k),
        "-s",
        str(s),
        "-p",
        str(p),
        *flags,
    ]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a kernel of size 0: "Initializing zero-element tensors"
            layer = build()
    except (RuntimeError, ValueError):  # the constructor refused
        expected = None
    else:
        expected = torch_sizes(layer, tuple(sizes))
    status, out, err = run(*argv)
    if expected is None:
        assert status == 2 and err.startswith("shapetrace: error: ") and err.count("\n") == 1, (argv, out)
    else:
        assert (status, err) == (0, "") and printed_sizes(out) == expected, argv


def test_the_command_imports_no_torch():
    """From `from shapetrace.cli import main` to the printed worksheet in a fresh interpreter, torch is
    never imported (its time is benchmarks/bench_formula.py's claim, not a test's)."""
    probe = (
        "import sys, io, contextlib; from shapetrace.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    code = main(['formula', 'conv', '--h', '224', '--k', '11', '--s', '4', '--p', '1'])\n"
        "assert code == 0 and '= 54' in out.getvalue()\n"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]
