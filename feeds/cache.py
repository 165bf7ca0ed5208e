"""A cache of parsed issues keyed by file content, so unchanged files are not parsed again.

The cache can only make things faster: a missing, truncated or foreign cache
file is ignored and rebuilt, never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from feeds.model import ParseResult
from feeds.parser import PARSER_VERSION, ParseOptions

_MAGIC = f"feeds-parse-cache/{PARSER_VERSION}"


def cache_key(data: bytes, name: str, options: ParseOptions) -> str:
    """What a parse result depends on: the bytes, the shown path and the options."""
    digest = hashlib.sha256()
    for part in (_MAGIC, name, options.timezone, repr(sorted(options.section_slugs.items()))):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(data)
    return digest.hexdigest()


class ParseCache:
    """Parse results on disk, in one file; loaded once, saved once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, ParseResult] = {}
        self.used: set[str] = set()
        self.dirty = False
        try:
            with path.open("rb") as handle:
                magic, entries = pickle.load(handle)
            if magic == _MAGIC and isinstance(entries, dict):
                self.entries = entries
        except Exception:  # any broken cache is simply rebuilt
            self.entries = {}

    def get(self, key: str) -> ParseResult | None:
        result = self.entries.get(key)
        if isinstance(result, ParseResult):
            self.used.add(key)
            return result
        return None

    def put(self, key: str, result: ParseResult) -> None:
        self.entries[key] = result
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        """Write the used entries back atomically, if anything changed."""
        if not self.dirty and set(self.entries) == self.used:
            return
        keep = {k: v for k, v in self.entries.items() if k in self.used}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cache-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((_MAGIC, keep), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
