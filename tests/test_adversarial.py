"""Adversarial use of the command line and the API: hostile files and arguments, signals, broken pipes,
a full disk, output written by native code, unicode and huge inputs. For each, the exit status and the
one-line message shapetrace promises, no traceback, no file lost, nothing run that should not be."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import shapetrace
from shapetrace.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_error(code: int, err: str) -> None:
    assert (
        code == 2
        and err.startswith("shapetrace: error: ")
        and err.count("\n") == 1
        and "Traceback" not in err
    )


def _python(*args: str, **keywords) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, *args], env=environment, **keywords)


def _write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


_NOISY = """
import os
from torch import nn

class Noisy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        os.write(1, b"native noise\\n")  # as C extensions write, below Python's sys.stdout
        print("python noise")
        return self.fc(x)
"""


@pytest.fixture(scope="module")
def background(tmp_path_factory) -> dict[str, tuple[subprocess.Popen, Path]]:
    """The cases that need a process of their own, started together at the module's first use so that
    they run while the others do."""
    folder = tmp_path_factory.mktemp("adversarial")
    noisy = _write(folder, "noisy.py", _NOISY)
    target = folder / "keep.json"
    target.write_text("the old content\n")
    full_disk = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))  # ulimit -f: the disk is full at 2 kB
        from shapetrace.cli import main
        sys.exit(main(["alexnet", "--format", "json", "-o", {str(target)!r}]))
    """)
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    return {
        "noisy": (
            _python("-m", "shapetrace", f"{noisy}:Noisy", "--input", "2,3", "--format", "json", **pipes),
            noisy,
        ),
        "full disk": (_python("-c", full_disk, **pipes), target),
    }


@pytest.fixture(scope="module", autouse=True)
def _start_early(background):
    """Start the background processes before the module's first test."""
    yield


# --- numbers from NumPy ------------------------------------------------------------------------------


def test_numpy_integers_in_a_layers_settings_are_plain_numbers():
    model = nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=np.int64(3)), nn.Flatten(), nn.Linear(np.int64(8 * 6 * 6), 4)
    )
    twin = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3), nn.Flatten(), nn.Linear(8 * 6 * 6, 4))
    traced, truth = shapetrace.trace(model, (2, 3, 8, 8)), shapetrace.trace(twin, (2, 3, 8, 8))
    assert traced.totals == truth.totals and traced.ok
    assert traced.layers[0].attribute("kernel_size") == (3, 3) and traced.layers[0].receptive_field.size == (
        3,
        3,
    )
    assert json.loads(traced.to_json())["layers"][2]["attributes"]["in_features"] == 288


# --- output that is not JSON, pipes that close, signals ----------------------------------------------


def test_a_setting_that_is_not_a_finite_number_still_gives_json(capsys, tmp_path):
    source = _write(
        tmp_path, "nan.py", "from torch import nn\nNet = lambda: nn.Sequential(nn.LeakyReLU(float('nan')))\n"
    )
    code, out, _ = run(capsys, f"{source}:Net", "--input", "2,3", "--format", "json")
    document = json.loads(out, parse_constant=lambda constant: pytest.fail(f"not JSON: {constant}"))
    assert code == 0 and document["layers"][0]["attributes"]["negative_slope"] == "nan"


def test_native_writes_to_standard_output_do_not_corrupt_the_json(background):
    process, _ = background["noisy"]
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0 and json.loads(out)["totals"]["params"] == 8
    assert "native noise" in err and "python noise" in err


def test_a_reader_that_stops_early_is_no_error():
    process = _python(
        "-m", "shapetrace", "vgg11", "--depth", "1", stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    first = process.stdout.read(20)
    process.stdout.close()  # as `shapetrace vgg11 | head -c 20` does
    _, err = process.communicate(timeout=120)
    assert first.startswith(b"shapetrace: vgg11") and b"Traceback" not in err and err == b""
    assert process.returncode == 0


def test_two_interrupts_in_a_row_end_with_one_line(tmp_path):
    model = textwrap.dedent("""
        import sys, time
        from torch import nn
        class Slow(nn.Module):
            def forward(self, x):
                print("started", file=sys.stderr, flush=True)
                time.sleep(60)
                return x
    """)
    source = tmp_path / "slow.py"
    source.write_text(model)
    process = _python(
        "-m", "shapetrace", f"{source}:Slow", "--input", "1,2", stderr=subprocess.PIPE, text=True
    )
    assert process.stderr.readline().strip() == "started"
    process.send_signal(signal.SIGINT)
    time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    err = process.stderr.read()
    assert process.wait(timeout=60) == 130
    assert err == "shapetrace: interrupted\n"


# --- files --------------------------------------------------------------------------------------------


def test_a_write_that_fails_half_way_leaves_the_old_file(background):
    process, target = background["full disk"]
    _, err = process.communicate(timeout=120)
    _one_line_error(process.returncode, err)
    assert "cannot write" in err and target.read_text() == "the old content\n"
    assert sorted(path.name for path in target.parent.iterdir()) == ["keep.json", "noisy.py"]  # no temporary


def test_a_new_file_gets_the_usual_permissions(tmp_path, capsys):
    target = tmp_path / "lenet.json"
    assert main(["lenet", "-o", str(target)]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_users_file_named_like_a_dependency_does_not_replace_it(tmp_path, capsys, monkeypatch):
    _write(
        tmp_path,
        "tabulate.py",
        """
        import tabulate  # the real package, which shapetrace needs too
        from torch import nn

        def tabulate(*args, **kwargs):
            raise AssertionError("the user's tabulate was called")

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(x)
        """,
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "tabulate:Net", "--input", "1,4")
    assert code == 0 and "fc" in out and "Traceback" not in err
    import tabulate

    assert Path(tabulate.__file__).parent != tmp_path


def test_a_file_whose_constructor_needs_real_tensors_is_loaded_once_to_solve(tmp_path, capsys):
    log = tmp_path / "loads.txt"
    source = _write(
        tmp_path,
        "once.py",
        f"""
        import torch
        from torch import nn
        open({str(log)!r}, "a").write("loaded\\n")

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = float(torch.ones(1).sum().item())  # .item() needs real data: not on meta
                self.conv = nn.Conv2d(1, 2, 3)

            def forward(self, x):
                return self.conv(x)
        """,
    )
    code, out, _ = run(capsys, f"{source}:Net", "--input", "1,1,8,8", "--solve", "1:12")
    assert code == 0 and "Works for 3-12" in out
    assert log.read_text() == "loaded\n"


# --- what a MODEL may call ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kwargs"),
    [
        ("os:system", {"command": "touch {marker}"}),
        ("subprocess:call", {"args": ["touch", "{marker}"]}),
        ("shutil:rmtree", {"path": "{folder}"}),
        ("pathlib:Path", {}),
    ],
    ids=["os.system", "subprocess.call", "shutil.rmtree", "a class that is not a module"],
)
def test_only_models_and_their_factories_are_called(spec, kwargs, tmp_path, capsys):
    marker, folder = tmp_path / "ran", tmp_path / "kept"
    folder.mkdir()
    text = json.dumps(kwargs).replace("{marker}", str(marker)).replace("{folder}", str(folder))
    code, out, err = run(capsys, spec, "--input", "1,3", "--kwargs", text)
    _one_line_error(code, err)
    assert not marker.exists() and folder.is_dir() and out == ""


def test_a_factory_the_module_defines_is_called(tmp_path, capsys, monkeypatch):
    _write(
        tmp_path,
        "zoo_of_mine.py",
        "from torch import nn\ndef make(width=3):\n    return nn.Linear(width, 2)\n",
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "zoo_of_mine:make", "--input", "1,5", "--kwargs", '{"width": 5}')
    assert code == 0 and "12" in out  # 5·2 + 2 parameters


def test_help_says_what_is_called(capsys):
    main(["--help"])
    assert "nothing else is called" in capsys.readouterr().out


# --- CSV, unicode, huge inputs ------------------------------------------------------------------------


def test_csv_cells_never_run_as_spreadsheet_formulas(tmp_path, capsys):
    source = _write(
        tmp_path,
        "hostile.py",
        """
        from torch import nn

        def Net():
            model = nn.Sequential()
            model.add_module("=HYPERLINK(\\"http://x\\")", nn.ReLU())
            model.add_module("@SUM(1)", nn.ReLU())
            return model
        """,
    )
    code, out, _ = run(capsys, f"{source}:Net", "--input", "1,3", "--format", "csv")
    cells = [line.split(",")[1] for line in out.splitlines()[1:]]
    assert code == 0 and all(cell.lstrip('"').startswith("'") for cell in cells), cells


def test_unicode_names_go_through_every_format(tmp_path, capsys):
    source = _write(
        tmp_path,
        "模型.py",
        """
        from torch import nn

        class 网络(nn.Module):
            def __init__(self):
                super().__init__()
                self.层 = nn.Linear(4, 2)

            def forward(self, x):
                return self.层(x)
        """,
    )
    for extension in ("txt", "json", "csv", "md", "html", "svg"):
        assert main([f"{source}:网络", "--input", "1,4", "-o", str(tmp_path / f"out.{extension}")]) == 0
        assert "层" in (tmp_path / f"out.{extension}").read_text(encoding="utf-8")


def test_an_input_too_large_for_memory_is_bad_usage(capsys):
    code, _, err = run(capsys, "lenet", "--device", "cpu", "--input", "100000000,1,28,28")
    _one_line_error(code, err)
    assert "cannot create an input" in err


def test_kwargs_nested_too_deeply_are_bad_usage(capsys):
    code, _, err = run(capsys, "examples/cifar_cnn.py:CifarCNN", "--kwargs", "[" * 50_000 + "]" * 50_000)
    _one_line_error(code, err)


# --- the Python API's arguments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keywords", "words"),
    [
        ({"input_size": (1, 4), "device": "lol"}, "'lol' is not a device"),
        ({"input_size": {0: 1}}, "input_size must be a shape"),
        ({"input_size": 7}, "input_size must be a shape"),
        ({"input_size": (1, 4), "input_data": torch.zeros(1, 4)}, "not both"),
        ({"input_size": [(1, 4)], "dtypes": ["float32"]}, "dtypes takes torch dtypes"),
        ({"input_size": [(1, 4), (1, 4)], "dtypes": [torch.float32]}, "dtypes has 1 entries for 2 input(s)"),
    ],
    ids=["device", "dict", "int", "both", "string dtype", "dtype count"],
)
def test_bad_api_arguments_name_the_argument(keywords, words):
    with pytest.raises(shapetrace.UsageError) as info:
        shapetrace.trace(nn.Sequential(nn.Linear(4, 2)), **keywords)
    assert words in str(info.value) and "\n" not in str(info.value)


class _IdsAndFeatures(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 3)

    def forward(self, ids, features):
        return self.embed(ids) + features


def test_tensor_types_are_accepted_as_dtypes_as_torchinfo_takes_them():
    traced = shapetrace.trace(
        _IdsAndFeatures(), [(2, 5), (2, 5, 3)], dtypes=[torch.LongTensor, torch.FloatTensor]
    )
    assert [tensor.dtype for tensor in traced.inputs.tensors()] == ["int64", "float32"]
    assert traced.output_shapes == ((2, 5, 3),)
