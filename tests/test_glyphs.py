"""Every symbol agentnb and the course draw is in DejaVu Sans, the font Debian's Chromium falls back to.

Emoji such as 🔧 or 📋 show as empty boxes where no emoji font is installed (Debian's
Chromium, many classroom machines). DejaVu Sans is the fallback there, and its symbols
(✓ ✗ ⚙ ☰ ▶ ○ ■ ...) exist in the system fonts of every other platform. The font file is
the one matplotlib ships (the course installs matplotlib), so the check needs no system font.
"""

from __future__ import annotations

import unicodedata
from importlib.util import find_spec
from pathlib import Path

import nbformat

from tests.conftest import require
from tests.nbtools import ROOT, notebook_paths


def sources() -> dict[str, str]:
    """What agentnb draws from (its code) and what the course shows (its cells and READMEs)."""
    found = {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in (ROOT / "agentnb").rglob("*.py")
    }
    for path in notebook_paths():
        cells = nbformat.read(path, as_version=4).cells
        found[str(path.relative_to(ROOT))] = "\n".join(cell.source for cell in cells)
    for path in [*(ROOT / "lessons").glob("*.md"), *(ROOT / "notebooks").glob("*.md")]:
        found[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return found


def dejavu_sans() -> set[int]:
    require(
        find_spec("matplotlib") is not None and find_spec("fontTools") is not None, "matplotlib's DejaVu Sans"
    )
    import matplotlib
    from fontTools.ttLib import TTFont

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return set(TTFont(font).getBestCmap())


def test_every_symbol_is_in_dejavu_sans() -> None:
    covered = dejavu_sans()
    missing = {
        f"{char} U+{ord(char):04X} {unicodedata.name(char, '?')}: {name}"
        for name, text in sources().items()
        for char in set(text)
        if ord(char) > 0x7F and ord(char) not in covered and unicodedata.category(char) != "Cf"
    }
    assert not missing, "symbols that Debian's Chromium draws as empty boxes:\n" + "\n".join(sorted(missing))


def test_the_check_knows_an_emoji_from_a_symbol() -> None:
    covered = dejavu_sans()
    assert ord("✓") in covered and ord("⚙") in covered and ord("☰") in covered
    assert ord("🔧") not in covered and ord("📋") not in covered
