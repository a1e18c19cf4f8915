"""The printable page as a PDF, printed by Chromium (headless) from the same HTML and its print
stylesheet: one sheet per gate and day, table headers repeated on every sheet.

Chromium is optional: the worker's display installs it on a gate, and the centre's machine may
have it. Without it, or without a Chinese font for a Chinese page (Chromium would print empty
boxes in place of every character), the PDF is refused in one line that says what to install;
the HTML prints from any browser all the same."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from terminal.common.errors import GateError
from terminal.common.printed.words import Language

BROWSERS = ("chromium", "chromium-browser")
PRINT_TIMEOUT_S = 120.0  # a year of a busy gate's checks prints in well under this
PDF_MAGIC = b"%PDF-"


class PdfUnavailable(GateError):
    """No PDF can be made here: what is missing, and what to install."""


class NoBrowser(PdfUnavailable):
    """Chromium is not installed."""


class NoChineseFont(PdfUnavailable):
    """A Chinese page, and no Chinese font to print it with."""


def find_browser() -> Path | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def has_chinese_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (fonts-noto-cjk, for instance). Where
    fontconfig cannot be asked, Chromium is trusted to find one."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return True
    try:
        listed = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return True
    return bool(listed.stdout.strip())


def print_pdf(html: str, language: Language, browser: Path | None = None) -> bytes:
    """The PDF of ``html``; :class:`PdfUnavailable` when it cannot be made here."""
    browser = browser or find_browser()
    if browser is None:
        raise NoBrowser(
            "--format pdf needs Chromium (apt-get install chromium); "
            "the html format prints from any browser"
        )
    if language == "zh" and not has_chinese_font():
        raise NoChineseFont(
            "a Chinese PDF needs a Chinese font (apt-get install fonts-noto-cjk); "
            "or choose --lang en"
        )
    with tempfile.TemporaryDirectory(prefix="gate-record-") as folder:
        page, pdf = Path(folder) / "record.html", Path(folder) / "record.pdf"
        page.write_text(html, encoding="utf-8")
        # Chromium will not start its sandbox as root (a root shell on the gate): the page is
        # our own, every value escaped, without a script
        sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []
        command = [
            str(browser), "--headless", "--disable-gpu", *sandbox,
            f"--user-data-dir={Path(folder) / 'profile'}", "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}", page.as_uri(),
        ]  # fmt: skip
        try:
            subprocess.run(command, capture_output=True, timeout=PRINT_TIMEOUT_S, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise PdfUnavailable(f"Chromium did not print the PDF: {exc}") from None
        made = pdf.read_bytes() if pdf.is_file() else b""
    if not made.startswith(PDF_MAGIC):
        raise PdfUnavailable(f"Chromium ({browser}) did not print the PDF")
    return made
