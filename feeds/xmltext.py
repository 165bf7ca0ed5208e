"""Text that is safe to put in an XML 1.0 document."""

from __future__ import annotations

_REMOVE = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0),
     *range(0xD800, 0xE000), 0xFFFE, 0xFFFF])


def clean(text: str) -> str:
    """Remove control characters, lone surrogates and non-characters that XML forbids."""
    return text.translate(_REMOVE)
