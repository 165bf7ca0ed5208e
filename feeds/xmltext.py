"""Text that is safe to put in an XML 1.0 document."""

from __future__ import annotations

import re

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """Remove control characters, lone surrogates and non-characters that XML forbids."""
    if FORBIDDEN.search(text) is None:
        return text
    return FORBIDDEN.sub("", text)
