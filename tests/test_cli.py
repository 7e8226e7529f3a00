"""The command line: exit codes, one-line errors without tracebacks, formats and files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shapetrace.cli import main, parse_shape

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "cifar_cnn.py")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


BAD_USAGE = [
    pytest.param(["alexnt"], "did you mean 'alexnet'", id="unknown-model-did-you-mean"),
    pytest.param(["resnet"], "did you mean 'resnet18'", id="unknown-model-close"),
    pytest.param(["zzz"], "unknown model 'zzz'", id="unknown-model"),
    pytest.param(["alexnet", "--input", "1,a,224,224"], "'a' is not a whole number", id="malformed"),
    pytest.param(["alexnet", "--input", "1,,224"], "a size is missing", id="empty-part"),
    pytest.param(["alexnet", "--input", ""], "--input is empty", id="empty"),
    pytest.param(["alexnet", "--input", "1,0,224,224"], "at least 1, got 0", id="zero"),
    pytest.param(["alexnet", "--input", "-1,1,224,224"], "at least 1, got -1", id="negative"),
    pytest.param(["alexnet", "--input", "1,1,2.5,2"], "'2.5' is not a whole number", id="float"),
    pytest.param(["alexnet", "--input", "1,16:int65"], "unknown dtype 'int65'", id="bad-input-dtype"),
    pytest.param(["alexnet", "--format", "xml"], "invalid choice: 'xml'", id="unknown-format"),
    pytest.param(["alexnet", "--dtype", "float8"], "invalid choice: 'float8'", id="unknown-dtype"),
    pytest.param(["alexnet", "--device", "tpu"], "invalid choice: 'tpu'", id="unknown-device"),
    pytest.param(["alexnet", "--bogus"], "unrecognized arguments: --bogus", id="unknown-option"),
    pytest.param(["alexnet", "--depth", "0"], "--depth must be at least 1", id="depth-zero"),
    pytest.param(["alexnet", "--depth", "x"], "invalid int value", id="depth-not-int"),
    pytest.param(["alexnet", "-o", "out.xyz"], "cannot tell the format", id="unknown-extension"),
    pytest.param([], "give a MODEL", id="no-model"),
    pytest.param(["alexnet", "--kwargs", "{"], "--kwargs is not valid JSON", id="bad-json"),
    pytest.param(["alexnet", "--kwargs", "[1]"], "must be a JSON object", id="json-not-object"),
    pytest.param(["alexnet", "--kwargs", '{"a": 1}'], "takes no --kwargs", id="zoo-kwargs"),
    pytest.param(["missing.py:Net", "--input", "1,3"], "no such file: missing.py", id="missing-file"),
    pytest.param(["README.md:Net", "--input", "1,3"], "README.md is not a Python file", id="not-python"),
    pytest.param(
        [f"{EXAMPLE}:Nope", "--input", "1,3,32,32"],
        "has no 'Nope'. It defines: CifarCNN (nn.Module class), small_cifar_cnn (function)",
        id="missing-name",
    ),
    pytest.param([f"{EXAMPLE}:CifarCNN"], "has no default input", id="needs-input"),
    pytest.param([f"{EXAMPLE}:nn", "--input", "1,3,32,32"], "not an nn.Module", id="not-a-module"),
    pytest.param(
        [f"{EXAMPLE}:CifarCNN", "--input", "1,3,32,32", "--kwargs", '{"depth": 3}'],
        "CifarCNN(depth=3) raised TypeError",
        id="constructor-raises",
    ),
    pytest.param(
        ["no_such_pkg.models:Net", "--input", "1,3"], "cannot import no_such_pkg.models", id="missing-package"
    ),
    pytest.param(
        ["json:JSONEncoder", "--input", "1,3"], "a class but not an nn.Module subclass", id="class-not-module"
    ),
    pytest.param(["json:dumps", "--input", "1,3"], "not a function a module imports", id="stdlib-function"),
    pytest.param(
        [f"{EXAMPLE}:small_cifar_cnn", "--input", "1,3,32,32", "--kwargs", '{"width": 0}'],
        "small_cifar_cnn(width=0) raised",
        id="factory-raises",
    ),
    pytest.param(
        ["alexnet", "alexnet", "--quiz", "-o", "q.md"], "--quiz takes one model", id="quiz-two-models"
    ),
    pytest.param(["alexnet", "--quiz"], "give -o FILE.md or -o FILE.html", id="quiz-no-file"),
    pytest.param(
        ["alexnet", "--style", "d2l", "--format", "json"], "--style d2l prints one model", id="d2l-json"
    ),
]


@pytest.mark.parametrize(("argv", "message"), BAD_USAGE)
def test_bad_usage_is_one_line_and_exit_2(capsys, monkeypatch, argv, message):
    monkeypatch.chdir(ROOT)  # the cases name files relative to the repository (README.md:Net)
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert err.startswith("shapetrace: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_cuda_without_a_gpu_is_bad_usage(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the GPU path is exercised on the device machine")
    code, _, err = run(capsys, "lenet", "--device", "cuda")
    assert code == 2 and "CUDA is not available" in err


def _write(tmp_path: Path, name: str, source: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


def test_file_errors_name_the_line_and_the_cause(tmp_path, capsys):
    broken = _write(tmp_path, "broken.py", "from torch import nn\nclass Net(nn.Module:\n    pass\n")
    code, _, err = run(capsys, f"{broken}:Net", "--input", "1,3")
    assert code == 2 and "line 2" in err and "syntax error" in err

    raises = _write(tmp_path, "raises.py", "raise RuntimeError('boom at import')\n")
    code, _, err = run(capsys, f"{raises}:Net", "--input", "1,3")
    assert code == 2 and "boom at import" in err

    text = _write(tmp_path, "notes.txt", "hello")
    code, _, err = run(capsys, f"{text}:Net", "--input", "1,3")
    assert code == 2 and "is not a Python file" in err

    ctor = _write(
        tmp_path,
        "ctor.py",
        """
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                raise ValueError("width must be even")
    """,
    )
    code, _, err = run(capsys, f"{ctor}:Net", "--input", "1,3")
    assert code == 2 and "width must be even" in err and "ValueError" in err


def test_main_job_prints_the_seed_shapes(capsys):
    code, out, err = run(capsys, "alexnet", "--input", "1,1,224,224")
    assert code == 0 and err == ""
    for shape in (
        "[1, 96, 54, 54]",
        "[1, 96, 26, 26]",
        "[1, 256, 26, 26]",
        "[1, 256, 12, 12]",
        "[1, 384, 12, 12]",
        "[1, 256, 5, 5]",
        "[1, 6400]",
        "[1, 4096]",
        "[1, 10]",
    ):
        assert shape in out
    assert "46,764,746" in out
    words = " ".join(out.split())
    assert "FLOPs = 2 x MACs" in words and "bias excluded" in words


def test_a_failing_forward_exits_1_with_the_layers_that_ran(capsys):
    code, out, err = run(capsys, "alexnet", "--input", "1,1,227,227")
    assert code == 1
    assert "net.13" in out and "[1, 9216]" in out
    assert "FAILED here" in out
    assert "Forward pass failed in 'net.14' (Linear)" in out
    assert "1x9216 and 6400x4096" in out
    assert "Traceback" not in out + err


def test_a_failing_forward_in_json_has_the_error_and_the_layers(capsys):
    code, out, err = run(capsys, "alexnet", "--input", "1,1,227,227", "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["error"]["layer"] == "net.14"
    assert "9216" in document["error"]["message"]
    assert document["error"]["hint"]
    assert document["layers"][-1]["name"] == "net.14" and document["layers"][-1]["failed"]
    assert "forward pass failed in net.14" in err


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".json", lambda text: json.loads(text)["schema"] == "shapetrace/1"),
        (".csv", lambda text: text.startswith("index,name,type,depth")),
        (".md", lambda text: text.startswith("# lenet") and "| &nbsp;&nbsp;`net.0`" in text),
        (".html", lambda text: text.startswith("<!DOCTYPE html>") and "<table>" in text),
        (".txt", lambda text: text.startswith("shapetrace: lenet")),
    ],
)
def test_output_file_format_follows_the_extension(tmp_path, capsys, suffix, check):
    target = tmp_path / f"lenet{suffix}"
    code, out, _ = run(capsys, "lenet", "-o", str(target))
    assert code == 0 and out == ""
    assert check(target.read_text())


def test_format_overrides_the_extension(tmp_path, capsys):
    target = tmp_path / "lenet.txt"
    assert run(capsys, "lenet", "--format", "json", "-o", str(target))[0] == 0
    assert json.loads(target.read_text())["model"] == "lenet"


def test_unwritable_output_is_bad_usage(tmp_path, capsys):
    code, _, err = run(capsys, "lenet", "-o", str(tmp_path / "missing-dir" / "x.json"))
    assert code == 2 and "cannot write" in err


def test_depth_folds_deeper_layers(capsys):
    code, out, _ = run(capsys, "resnet18", "--depth", "1")
    assert code == 0
    assert "1.0.conv1" not in out and "0.0" not in out
    assert "Sequential" in out and "11,178,378" in out
    _, deep, _ = run(capsys, "resnet18")
    assert "1.0.conv1" in deep


def test_dtype_and_device_options(capsys):
    code, out, _ = run(capsys, "lenet", "--dtype", "bfloat16", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["dtype"] == "bfloat16"
    assert document["totals"]["param_bytes"] == 61_706 * 2
    code, out, _ = run(capsys, "vgg11", "--device", "meta", "--format", "json")
    assert code == 0 and json.loads(out)["device"] == "meta"


def test_file_model_with_kwargs_and_factory(capsys):
    code, out, _ = run(
        capsys,
        f"{EXAMPLE}:CifarCNN",
        "--input",
        "2,3,32,32",
        "--kwargs",
        '{"num_classes": 100}',
        "--format",
        "json",
    )
    document = json.loads(out)
    assert code == 0 and document["output_shapes"] == [[2, 100]]
    code, out, _ = run(capsys, f"{EXAMPLE}:small_cifar_cnn", "--input", "1,3,32,32", "--format", "json")
    assert code == 0 and json.loads(out)["layers"][2]["output_shapes"] == [[1, 16, 32, 32]]


def test_package_module_model(tmp_path, capsys, monkeypatch):
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "nets.py").write_text(
        "from torch import nn\ndef tiny():\n    return nn.Sequential(nn.Linear(3, 2))\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "mypkg.nets:tiny", "--input", "4,3", "--format", "json")
    assert code == 0 and json.loads(out)["output_shapes"] == [[4, 2]]


def test_several_inputs_and_per_input_dtypes(tmp_path, capsys):
    source = _write(
        tmp_path,
        "two.py",
        """
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(50, 8)
                self.fc = nn.Linear(8, 3)
            def forward(self, tokens, weights):
                return self.fc(self.embed(tokens) * weights.unsqueeze(-1))
    """,
    )
    code, out, _ = run(capsys, f"{source}:Net", "--input", "2,7:int64", "--input", "2,7", "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert document["input_shapes"] == [[2, 7], [2, 7]]
    assert document["output_shapes"] == [[2, 7, 3]]


def test_two_models_print_a_comparison(capsys):
    code, out, _ = run(capsys, "lenet", "alexnet", "--input", "1,1,224,224")
    assert code == 1  # LeNet's Linear(400, 120) cannot take a 224x224 image
    assert "lenet" in out and "alexnet" in out and "46,764,746" in out and "failed" in out
    code, out, _ = run(capsys, "googlenet", "resnet18", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["schema"] == "shapetrace/compare/1"
    assert [doc["model"] for doc in document["models"]] == ["googlenet", "resnet18"]


def test_list_shows_every_zoo_model(capsys):
    code, out, _ = run(capsys, "--list")
    assert code == 0
    for name, params in [
        ("lenet", "61,706"),
        ("alexnet", "46,764,746"),
        ("vgg11", "128,806,154"),
        ("nin", "1,992,166"),
        ("googlenet", "5,977,530"),
        ("resnet18", "11,178,378"),
    ]:
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert params in line


def test_parse_shape():
    assert parse_shape("1,1,224,224") == ((1, 1, 224, 224), None)
    assert parse_shape(" 1, 3 ,32,32 ") == ((1, 3, 32, 32), None)
    assert parse_shape("1x3x32x32") == ((1, 3, 32, 32), None)
    assert parse_shape("2,16:int64") == ((2, 16), "int64")


def _python(*code: str, args: list[str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *code, *(args or [])], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_help_does_not_import_torch():
    probe = (
        "import sys; from shapetrace.cli import main; code = main(['--help']); "
        "assert 'torch' not in sys.modules, 'torch imported'; print('exit', code)"
    )
    result = _python("-c", probe)
    assert result.returncode == 0, result.stderr
    assert "exit 0" in result.stdout and "runs its code" in result.stdout


def test_python_dash_m_and_console_script_run_the_main_job():
    result = _python("-m", "shapetrace", args=["lenet", "--format", "json"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["params"] == 61_706
    assert result.stderr == ""  # no warnings, e.g. about NumPy
    bad = _python("-m", "shapetrace", args=["alexnet", "--input", "1,x"])
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1


def test_only_the_command_freezes_the_collector_and_only_after_importing_torch():
    """`shapetrace` (entry_point) owns its process: once torch is imported, the cyclic collector skips
    the objects that exist by then. main() called by a program leaves the program's collector alone,
    and so does the torch-free formula path."""
    probe = (
        "import gc, sys; from shapetrace.cli import {call}; sys.argv = ['shapetrace', *sys.argv[1:]]\n"
        "try:\n    status = {call}(sys.argv[1:]) if '{call}' == 'main' else {call}()\n"
        "except SystemExit as done:\n    status = done.code\n"
        "print('frozen', gc.get_freeze_count(), 'torch', 'torch' in sys.modules, 'status', status)"
    )
    command = _python("-c", probe.format(call="entry_point"), args=["lenet", "-q", "--format", "json"])
    frozen = command.stdout.splitlines()[-1].split()  # after the JSON
    assert command.returncode == 0, command.stderr
    assert frozen[0] == "frozen" and int(frozen[1]) > 10_000, command.stdout  # torch's objects
    program = _python("-c", probe.format(call="main"), args=["lenet", "-q", "--format", "json"])
    assert program.stdout.splitlines()[-1] == "frozen 0 torch True status 0", program.stderr
    formula = ["formula", "conv", "--size", "28", "-k", "5"]
    worksheet = _python("-c", probe.format(call="entry_point"), args=formula)
    assert worksheet.stdout.splitlines()[-1] == "frozen 0 torch False status 0", worksheet.stderr


def test_a_program_that_ran_the_command_calls_main_as_its_own():
    """entry_point() called by a program (which catches its SystemExit) freezes the collector for that
    run only: a later main() leaves the program's collector alone."""
    probe = (
        "import gc, sys; from shapetrace.cli import entry_point, main\n"
        "sys.argv = ['shapetrace', 'lenet', '-q', '--format', 'json']\n"
        "try:\n    entry_point()\nexcept SystemExit as done:\n    assert done.code == 0\n"
        "first = gc.get_freeze_count(); gc.unfreeze()\n"
        "assert main(['lenet', '-q', '--format', 'json']) == 0\n"
        "print('frozen', first > 10_000, gc.get_freeze_count())"
    )
    result = _python("-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "frozen True 0"


def test_code_that_exits_is_reported_not_obeyed(tmp_path, capsys):
    at_import = _write(tmp_path, "exits.py", "import sys\nsys.exit(0)\n")
    code, out, err = run(capsys, f"{at_import}:Net", "--input", "1,3")
    assert code == 2 and "called sys.exit(0)" in err and out == ""

    factory = _write(tmp_path, "factory_exits.py", "import sys\ndef make():\n    sys.exit(5)\n")
    code, _, err = run(capsys, f"{factory}:make", "--input", "1,3")
    assert code == 2 and "make() called sys.exit(5)" in err

    forward = _write(
        tmp_path,
        "forward_exits.py",
        """
        import sys
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 3)
            def forward(self, x):
                sys.exit(0)
    """,
    )
    code, out, _ = run(capsys, f"{forward}:Net", "--input", "1,3")
    assert code == 1 and "sys.exit(0)" in out


def test_what_the_model_prints_never_reaches_stdout(tmp_path, capsys):
    noisy = _write(
        tmp_path,
        "noisy.py",
        """
        from torch import nn
        print("IMPORT NOISE")
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)
            def forward(self, x):
                print("FORWARD NOISE")
                return self.fc(x)
    """,
    )
    code, out, err = run(capsys, f"{noisy}:Net", "--input", "1,3", "--format", "json")
    assert code == 0 and json.loads(out)["output_shapes"] == [[1, 2]]
    assert "IMPORT NOISE" in err and "FORWARD NOISE" in err


def test_an_instance_is_moved_to_the_requested_device(tmp_path, capsys):
    source = _write(tmp_path, "instance.py", "from torch import nn\nnet = nn.Sequential(nn.Linear(3, 2))\n")
    code, out, _ = run(capsys, f"{source}:net", "--input", "2,3", "--device", "meta", "--format", "json")
    assert code == 0 and json.loads(out)["device"] == "meta"


def test_a_syntax_error_in_an_imported_helper_names_the_helper(tmp_path, capsys):
    _write(tmp_path, "helper.py", "def broken(:\n    pass\n")
    model = _write(tmp_path, "uses_helper.py", "import helper\n")
    code, _, err = run(capsys, f"{model}:Net", "--input", "1,3")
    assert code == 2 and "helper.py, line 1" in err


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(
            ["lenet", "--device", "cpu", "--input", "99999999999,1,28,28"], id="too-large-to-allocate"
        ),
        pytest.param(["lenet", "--input", "99999999999999999999999,1"], id="overflow"),
        pytest.param(["lenet", "--device", "meta", "--input", "9999999999,9999999999,99999999"], id="meta"),
    ],
)
def test_inputs_that_cannot_be_built_are_bad_usage(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("shapetrace: error: cannot create an input") and err.count("\n") == 1


def test_version_and_empty_output_name(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("shapetrace ")
    code, _, err = run(capsys, "lenet", "-o", "")
    assert code == 2 and "needs a file name" in err


def test_list_gives_each_model_a_description(capsys):
    from shapetrace import zoo
    from shapetrace.messages import msg, render

    _, out, _ = run(capsys, "--list")
    for entry in zoo.ZOO.values():
        line = next(line for line in out.splitlines() if line.startswith(entry.name))
        assert line.rstrip().endswith(render(msg(f"zoo.{entry.name}")))
    _, out, _ = run(capsys, "--list", "--lang", "zh")
    assert "模型" in out and "五个卷积层" in out


def test_the_installed_console_script_runs():
    script = Path(sys.executable).parent / "shapetrace"
    assert script.exists(), "install the package (pip install -e '.[test,onnx]') to get the console script"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.startswith("shapetrace ")  # the main job: python -m


def test_torchvision_models_without_torchvision_are_bad_usage(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # import torchvision now raises ImportError
    monkeypatch.setitem(sys.modules, "torchvision.models", None)
    assert main(["torchvision:resnet50"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "torchvision is not installed" in error


def test_inputs_that_forward_cannot_take_are_bad_usage(capsys):
    assert main(["lenet", "--input", "1,1,28,28", "--input", "1,1,28,28"]) == 2
    error = capsys.readouterr().err
    assert error == (
        "shapetrace: error: LeNet.forward(x) cannot take 2 input(s) (too many positional arguments); "
        "give one --input per tensor argument, in order\n"
    )


def test_usage_errors_stay_one_line_whatever_the_user_code_says(tmp_path, capsys):
    multi = tmp_path / "multi.py"
    multi.write_text(
        "from torch import nn\n\nclass A(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        raise ValueError('first\\nsecond\\nthird')\n"
    )
    nul = tmp_path / "nul.py"
    nul.write_bytes(b"x = 1\x00\n")
    assert main([f"{multi}:A", "--input", "1"]) == 2
    assert capsys.readouterr().err == "shapetrace: error: A() raised ValueError: first second third\n"
    assert main([f"{nul}:A", "--input", "1"]) == 2
    assert (
        capsys.readouterr().err
        == f"shapetrace: error: {nul}: syntax error: source code string cannot contain null bytes\n"
    )


def test_help_speaks_the_language_asked_for(capsys):
    assert main(["--help", "--lang", "zh"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("用法: shapetrace") and "位置参数" in text and "选项" in text
    assert "显示本帮助并退出" in text
    assert "show this help" not in text and "the model(s) to trace" not in text
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: shapetrace")
