"""Text every writer can hold: XML 1.0 (DOCX, XLSX) refuses most control characters, and
lxml and the XLSX readers refuse them; HTML calls them parse errors. Data text may carry them (a
vertical tab pasted from Word, a NUL from a damaged export), so every writer passes text
through :func:`printable`: the same characters in every file (DOCX, HTML, XLSX).
"""

from __future__ import annotations

import re

#: Not allowed in XML 1.0 (tab, line feed and carriage return are), and the lone surrogates
#: and non-characters that no UTF-8 file can hold.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
#: A vertical tab is Word's manual line break and a form feed a page break: read as a space.
_BREAKS = str.maketrans({"\x0b": " ", "\x0c": " "})
#: What stands for a character no document can hold: visible, so that damage is not hidden.
REPLACEMENT = "\ufffd"


def printable(text: str) -> str:
    """``text`` with every character XML cannot hold replaced (U+FFFD; a vertical tab or form
    feed by a space); unchanged, and fast, when there is none."""
    if not _NOT_XML.search(text):
        return text
    return _NOT_XML.sub(REPLACEMENT, text.translate(_BREAKS))
