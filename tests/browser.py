"""Headless Chromium as the tests use it: load a page and see what it logged and fetched, print it to a
PDF, take a screenshot, read the words of a PDF and the pixels of a PNG. Nothing here reaches the
network: the browser gets a proxy on a closed loopback port and a resolver that resolves nothing.

    python tests/browser.py screenshots     # the README's pictures, into docs/images/
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next(
    (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None
)
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=2000",
)  # fmt: skip
A4_POINTS = (595.28, 841.89)


def _chromium(page: Path, *arguments: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *arguments, page.resolve().as_uri()]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)


@dataclass(frozen=True)
class Visit:
    console: list[str]  # every console message the page logged
    requests: list[str]  # every URL the page asked for that is not its own file or a data: URL
    dom: str


def visit(page: Path) -> Visit:
    """Load the page (and any frames in it); what it logged, what it fetched, and its DOM."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "net.json"
        result = _chromium(page, "--enable-logging=stderr", "--v=0", f"--log-net-log={log}", "--dump-dom")
        events = json.loads(log.read_text())
    names = {number: name for name, number in events["constants"]["logEventTypes"].items()}
    requests = sorted(
        {
            event["params"]["url"]
            for event in events["events"]
            if names.get(event["type"]) == "URL_REQUEST_START_JOB"
            and "file://" in str(event["params"].get("network_isolation_key", ""))
            and not event["params"]["url"].startswith(("file:", "data:"))
        }
    )
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return Visit(console, requests, result.stdout)


def print_pdf(page: Path, pdf: Path) -> None:
    """Print as Chromium prints, with the page's own @page size, no headers or footers."""
    _chromium(page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    if not pdf.exists():
        raise RuntimeError(f"chromium printed no PDF of {page}")


def screenshot(page: Path, png: Path, width: int = 900, height: int = 1200) -> None:
    _chromium(page, f"--screenshot={png}", f"--window-size={width},{height}")
    if not png.exists():
        raise RuntimeError(f"chromium took no screenshot of {page}")


@dataclass(frozen=True)
class Word:
    page: int
    x_min: float
    x_max: float
    text: str


def pdf_pages(pdf: Path) -> tuple[list[tuple[float, float]], list[Word]]:
    """The size of each page (points) and every word with its horizontal extent (pdftotext -bbox)."""
    result = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, timeout=60)
    sizes, words = [], []
    for block in re.split(r"<page ", result.stdout)[1:]:
        width, height = (
            float(value) for value in re.match(r'width="([\d.]+)" height="([\d.]+)"', block).groups()
        )
        sizes.append((width, height))
        for x_min, x_max, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>', block
        ):
            words.append(Word(len(sizes), float(x_min), float(x_max), text))
    return sizes, words


def png_pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG such as Chromium writes."""
    data = png.read_bytes()
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if depth != 8 or interlace or colour not in (2, 6):
        raise ValueError(f"unexpected PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    channels = 4 if colour == 6 else 3
    chunks, position = [], 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for row in range(height):
        kind, line = (
            raw[row * (stride + 1)],
            bytearray(raw[row * (stride + 1) + 1 : (row + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                nearest = min(
                    (abs(estimate - left), 0, left),
                    (abs(estimate - up), 1, up),
                    (abs(estimate - corner), 2, corner),
                )
                line[i] = (line[i] + nearest[2]) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def ink(png: Path) -> tuple[float, int]:
    """(share of pixels that are not white, number of distinct colours) of a screenshot."""
    width, height, rows = png_pixels(png)
    channels = len(rows[0]) // width
    colours, inked = set(), 0
    for row in rows:
        for x in range(0, len(row), channels):
            pixel = row[x : x + 3]
            colours.add(pixel)
            inked += pixel != b"\xff\xff\xff"
    return inked / (width * height), len(colours)


def make_screenshots(folder: Path = ROOT / "docs" / "images") -> list[Path]:
    """The README's pictures: the first printed page of the AlexNet handout, and the GoogLeNet and
    ResNet-18 diagrams."""
    folder.mkdir(parents=True, exist_ok=True)
    handouts = ROOT / "examples" / "handouts"
    made = []
    with tempfile.TemporaryDirectory() as scratch:
        pdf = Path(scratch) / "alexnet.pdf"
        print_pdf(handouts / "alexnet.en.html", pdf)
        target = folder / "alexnet-printed-page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)],
            check=True,
        )
        made.append(target.with_suffix(".png"))
    for name in ("googlenet", "resnet18"):
        target = folder / f"{name}-diagram.png"
        svg = handouts / f"{name}.svg"
        width = int(re.search(r'width="(\d+)"', svg.read_text()).group(1))
        screenshot(svg, target, width=width, height=900)
        made.append(target)
    return made


if __name__ == "__main__" and sys.argv[1:] == ["screenshots"]:
    for path in make_screenshots():
        print(path.relative_to(ROOT))
