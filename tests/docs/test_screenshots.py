"""The docs show the screenshots the headless browser test takes: each one is committed in
``docs/img/``, is a real PNG of a page, and is shown by ``docs/apps/llm.md``; no image in
``docs/img/`` is left that no page shows. The browser test
(``tests/llm/telemetry/dashboard/test_dashboard_browser.py``) makes them; see
docs/development.md."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from tests.llm.telemetry.dashboard.test_dashboard_browser import DOCS_IMAGES, SCREENSHOTS

DOCS = DOCS_IMAGES.parent
PAGE = DOCS / "apps" / "llm.md"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path.name} has no PNG header chunk"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _shown(page: Path) -> set[str]:
    """The images a Markdown page shows from docs/img/."""
    return set(re.findall(r"!\[[^\]]*\]\(\.\./img/([^)\s]+)\)", page.read_text()))


@pytest.mark.parametrize("name", SCREENSHOTS)
def test_each_screenshot_is_committed_and_shown_in_the_docs(name: str) -> None:
    image = DOCS_IMAGES / name
    assert image.exists(), (
        f"docs/img/{name} is missing: run NETRUN_UPDATE_SCREENSHOTS=1 pytest "
        "tests/llm/telemetry/dashboard/test_dashboard_browser.py and commit docs/img/"
    )
    width, height = _png_size(image)
    assert width >= 1000  # a page at the browser test's window width, not a thumbnail
    assert height >= 400
    assert name in _shown(PAGE), f"docs/apps/llm.md does not show {name}"


def test_no_image_in_docs_img_is_left_unshown() -> None:
    shown = set().union(*(_shown(page) for page in DOCS.rglob("*.md")))
    images = {path.name for path in DOCS_IMAGES.glob("*.png")}
    assert images - shown == set()


def test_the_check_reads_a_png_header_and_the_pages_image_links(tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"GIF89a" + bytes(30))
    with pytest.raises(AssertionError, match="not a PNG"):
        _png_size(fake)
    page = tmp_path / "page.md"
    page.write_text("![a](../img/a.png) and ![b](other/b.png) and [c](../img/c.png)\n")
    assert _shown(page) == {"a.png"}
