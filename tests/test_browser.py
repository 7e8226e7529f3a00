"""The example handouts in a real browser (headless Chromium): they load without a console message or a
network request, print on A4 with nothing cut at the right edge, fit a phone's width, and a screenshot
shows something."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from tests import browser

needs_browser = pytest.mark.skipif(
    browser.CHROMIUM is None or not browser.shutil.which("pdftotext"),
    reason="needs chromium and pdftotext: apt-get install chromium poppler-utils (.ci/run installs them)",
)

HANDOUTS = Path(__file__).resolve().parents[1] / "examples" / "handouts"
PAGES = sorted(HANDOUTS.glob("*.html"))
# the widest page prints in every run; all of them in the thorough profile
PRINTED = ["googlenet.zh.html"]
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"


@needs_browser
def test_the_probe_sees_console_messages_and_requests(tmp_path):
    page = tmp_path / "noisy.html"
    page.write_text('<img src="http://example.com/x.png"><script>console.log("hello")</script>')
    visit = browser.visit(page)
    assert visit.requests == ["http://example.com/x.png"] and len(visit.console) == 1


@needs_browser
def test_every_example_page_loads_without_console_messages_or_network_requests(tmp_path):
    assert len(PAGES) >= 16
    index = tmp_path / "index.html"
    index.write_text("".join(f'<iframe src="{page.as_uri()}"></iframe>' for page in PAGES))
    visit = browser.visit(index)
    assert visit.dom.count("<iframe") == len(PAGES)
    assert visit.console == [] and visit.requests == []


def _right_column(page: Path) -> list[str]:
    """The text of the last cell of every row of the page's tables (what a cut would lose first)."""
    cells = re.findall(r"<td[^>]*>([^<]*)</td></tr>", page.read_text())
    return [html.unescape(cell).strip() for cell in cells if cell.strip()]


def _check_print(page: Path, folder: Path) -> None:
    pdf = folder / f"{page.stem}.pdf"
    browser.print_pdf(page, pdf)
    sizes, words = browser.pdf_pages(pdf)
    assert sizes and all(
        abs(w - browser.A4_POINTS[0]) < 1 and abs(h - browser.A4_POINTS[1]) < 1 for w, h in sizes
    )
    assert max(word.x_max for word in words) <= browser.A4_POINTS[0] - 20  # inside the right margin
    assert min(word.x_min for word in words) >= 20
    printed = " ".join(word.text for word in words)
    missing = [cell for cell in _right_column(page) if cell.split()[0] not in printed]
    assert missing == [], f"{page.name}: {missing[:5]}"


@needs_browser
@pytest.mark.parametrize("name", PRINTED)
def test_printed_on_a4_nothing_is_cut_at_the_right_edge(name, tmp_path):
    _check_print(HANDOUTS / name, tmp_path)


@needs_browser
def test_every_example_prints_on_a4(tmp_path):
    if not THOROUGH:
        pytest.skip("every page is printed in the thorough profile (HYPOTHESIS_PROFILE=thorough)")
    for page in PAGES:
        _check_print(page, tmp_path)


@needs_browser
def test_a_screenshot_shows_the_page(tmp_path):
    png = tmp_path / "googlenet.png"
    browser.screenshot(HANDOUTS / "googlenet.zh.html", png, width=600, height=800)
    share, colours = browser.ink(png)
    assert share > 0.03 and colours > 20


def _png(path: Path, rows: list[bytes], width: int) -> None:
    """A truecolour PNG of these RGB rows, each with filter 0."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\0" + row for row in rows))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_a_blank_picture_is_seen_as_blank(tmp_path):
    white, mark = b"\xff" * 3 * 20, b"\xff" * 30 + b"\x00\x00\x00" + b"\xff" * 27
    _png(tmp_path / "blank.png", [white] * 10, 20)
    _png(tmp_path / "dot.png", [white] * 9 + [mark], 20)
    assert browser.ink(tmp_path / "blank.png") == (0.0, 1)
    assert browser.ink(tmp_path / "dot.png") == (1 / 200, 2)


@needs_browser
@pytest.mark.parametrize("name", ["googlenet.zh.html"])
def test_on_a_phone_the_page_does_not_scroll_sideways(name, tmp_path):
    probe = (
        "<script>addEventListener('load', () => { const e = document.createElement('output'); e.id = 'probe';"
        " e.textContent = document.documentElement.scrollWidth + ' ' + innerWidth; document.body.append(e) })"
        "</script>"
    )
    page = tmp_path / name
    page.write_text((HANDOUTS / name).read_text().replace("</body>", probe + "</body>"))
    dom = browser._chromium(page, "--window-size=390,800", "--dump-dom").stdout
    width, viewport = map(int, re.search(r'<output id="probe">(\d+) (\d+)</output>', dom).groups())
    assert width <= viewport
