"""Stable, URL-safe ASCII slugs for section names (pinyin for Chinese)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_known: dict[str, str] = {}


def slugify(name: str) -> str:
    """``分布式系统`` -> ``fen-bu-shi-xi-tong``; never empty, never holds ``/`` or ``..``."""
    slug = _known.get(name)
    if slug is None:
        slug = _known[name] = _pinyin_slug(name)
    return slug


def _pinyin_slug(name: str) -> str:
    from pypinyin import Style, lazy_pinyin  # imported only when a new name turns up

    words = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    ascii_text = unicodedata.normalize("NFKD", " ".join(words))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().lower()
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")[:80].strip("-")
    if not slug:
        slug = "section-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return slug


def known_slugs() -> dict[str, str]:
    """Every slug worked out so far, to keep between runs (pypinyin is slow to load)."""
    return dict(_known)


def learn_slugs(slugs: dict[str, str]) -> None:
    """Take slugs worked out by an earlier run; they are a pure function of the name."""
    _known.update({k: v for k, v in slugs.items() if isinstance(k, str) and isinstance(v, str)})
