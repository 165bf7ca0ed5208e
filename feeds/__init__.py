"""feeds: publish a Markdown newsletter as Atom, RSS and JSON Feed.

What a Python user may import is listed in ``__all__``; everything else is
internal. Names are imported on first use, so the command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_WHERE = {
    "parse_file": "feeds.api", "load_folder": "feeds.api", "build_site": "feeds.api",
    "Config": "feeds.config", "ConfigError": "feeds.config", "load_config": "feeds.config",
    "Article": "feeds.model", "Section": "feeds.model", "Issue": "feeds.model",
    "Diagnostic": "feeds.model", "ParseResult": "feeds.model", "ParseError": "feeds.model",
    "Loaded": "feeds.loader", "BuildReport": "feeds.site",
    "LockError": "feeds.writer", "WriteError": "feeds.writer",
    "FeedFormat": "feeds.formats", "FORMATS": "feeds.formats",
}

__all__ = [
    "FORMATS", "Article", "BuildReport", "Config", "ConfigError", "Diagnostic", "FeedFormat",
    "Issue", "Loaded", "LockError", "ParseError", "ParseResult", "Section", "WriteError",
    "build_site", "load_config", "load_folder", "parse_file",
]

if TYPE_CHECKING:
    from feeds.api import build_site, load_folder, parse_file
    from feeds.config import Config, ConfigError, load_config
    from feeds.formats import FORMATS, FeedFormat
    from feeds.loader import Loaded
    from feeds.model import Article, Diagnostic, Issue, ParseError, ParseResult, Section
    from feeds.site import BuildReport
    from feeds.writer import LockError, WriteError


def __getattr__(name: str) -> object:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'feeds' has no attribute {name!r}")
