"""Stable, URL-safe ASCII slugs for section names (pinyin for Chinese)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cache

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@cache
def slugify(name: str) -> str:
    """``分布式系统`` -> ``fen-bu-shi-xi-tong``; never empty, never holds ``/`` or ``..``."""
    from pypinyin import Style, lazy_pinyin

    words = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    ascii_text = unicodedata.normalize("NFKD", " ".join(words))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().lower()
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")[:80].strip("-")
    if not slug:
        slug = "section-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return slug
