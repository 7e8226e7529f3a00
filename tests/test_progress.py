"""Progress bars: drawn on stderr by tqdm only when stderr is a terminal and --quiet is not given; every
search keeps to --budget, the sizes-that-work hint's too."""

from __future__ import annotations

import io
import sys
import textwrap

import pytest

from shapetrace.cli import main, progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _terminal(monkeypatch: pytest.MonkeyPatch) -> _Terminal:
    """stderr as a terminal, and bars that show at once (the 2 s delay would only slow the test); set in
    the test itself, after pytest's capture has taken stderr."""
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    return stream


def test_a_terminal_gets_a_bar_for_the_solver_and_for_several_models(capsys, monkeypatch):
    terminal = _terminal(monkeypatch)
    assert main(["lenet", "--solve", "20:40", "--format", "json"]) == 0
    assert "lenet: sizes 20..40" in terminal.getvalue() and "size" in terminal.getvalue()
    assert main(["lenet", "alexnet", "--format", "json"]) == 0
    assert "/2 [" in terminal.getvalue()  # tqdm's n/total [elapsed...]


def test_quiet_or_a_pipe_gets_no_bar(capsys, monkeypatch):
    terminal = _terminal(monkeypatch)
    assert main(["lenet", "--solve", "20:40", "--quiet", "--format", "json"]) == 0
    assert main(["lenet", "alexnet", "-q", "--format", "json"]) == 0
    assert terminal.getvalue() == ""
    assert progress.wanted(False) and not progress.wanted(True)


def test_no_terminal_no_bar(capsys):
    assert not progress.wanted(False)  # capsys's stderr is no terminal
    assert main(["lenet", "--solve", "20:40", "--format", "json"]) == 0
    assert capsys.readouterr().err == ""


def test_the_hint_search_keeps_to_the_budget(tmp_path, capsys, monkeypatch):
    """A failure the closed forms cannot answer (a window too small, behind a residual add) is answered
    by a search, which stops at --budget and says so."""
    (tmp_path / "window.py").write_text(
        textwrap.dedent(
            """
            import time
            from torch import nn
            from torch.nn import functional as F

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.a, self.b, self.big = nn.Conv2d(1, 4, 3), nn.Conv2d(4, 4, 3), nn.Conv2d(4, 4, 30)

                def forward(self, x):
                    time.sleep(0.01)  # every pass takes a while: the budget runs out
                    y = self.a(x)
                    return self.big(y + self.b(F.pad(y, (1, 1, 1, 1))))
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    assert main(["window.py:Net", "--input", "1,1,16,16", "--budget", "0.2"]) == 1
    out = capsys.readouterr().out
    assert "the search stopped after 0.2 s" in out


def test_the_sizes_that_work_do_not_grow_with_the_input(monkeypatch):
    """VGG-11 at 32768x32768 on meta: the hint comes from the closed forms alone (no search), and PyTorch
    agrees at its edges; where the forms cannot say, the search looks at 1..1024 at most, whatever
    the input."""
    import torch

    from shapetrace import solver, zoo
    from shapetrace.errors import ShapeError
    from shapetrace.pipeline import trace

    def no_search(*args, **kwargs):
        raise AssertionError("searched")

    model = zoo.build("vgg11", "meta")
    monkeypatch.setattr(solver, "solve", no_search)
    with pytest.raises(ShapeError) as failed:
        trace(model, (1, 1, 32768, 32768), device="meta")
    assert failed.value.trace.error.working_sizes.spans == ((224, 255),)
    for size, works in ((223, False), (224, True), (255, True), (256, False)):
        try:
            model(torch.empty(1, 1, size, size, device="meta"))
            ran = True
        except RuntimeError:
            ran = False
        assert ran == works, size

    asked = []
    monkeypatch.setattr(solver, "_closed_hint", lambda *_: None)
    monkeypatch.setattr(solver, "solve", lambda model, shape, lo, hi, **kw: asked.append(hi) or no_search())
    with pytest.raises(ShapeError):
        trace(model, (1, 1, 32768, 32768), device="meta")
    assert asked == [solver.HINT_SIZES]
