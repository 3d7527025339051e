"""Names as people write them and as OCR reads them: full-width or half-width, spaces
anywhere, and the middle dot of transliterated names (阿依古丽·买买提) in any of its forms."""

from __future__ import annotations

import re
import unicodedata

# Every character used for the 间隔号 of a name, in any input method or OCR output.
_DOTS = "·•‧∙⋅・･.．。-‐‑–—"
_DOT_RE = re.compile(f"[{re.escape(_DOTS)}]")


def normalise(name: str) -> str:
    """NFKC (full-width letters to ASCII), no spaces, one middle dot, upper case."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.sub(r"\s+", "", name)
    name = _DOT_RE.sub("·", name)
    return name.strip("·").upper()


def same(a: str, b: str) -> bool:
    return bool(normalise(a)) and normalise(a) == normalise(b)


def appears_in(name: str, text: str) -> bool:
    """The name within text read from a document. OCR often drops or misreads a middle dot,
    so the dot is optional here."""
    wanted = normalise(name).replace("·", "")
    return bool(wanted) and wanted in normalise(text).replace("·", "")
