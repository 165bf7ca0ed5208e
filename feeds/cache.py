"""Caches in ``output/.feeds/``: parsed issues keyed by file content, and serialised
feed entries keyed by what they hold, so unchanged work is not done again.

A cache can only make things faster: a missing, truncated or foreign cache
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
from feeds.slugs import known_slugs, learn_slugs


def _code_digest(*modules: str) -> str:
    """Cached results depend on this code too: any change to it empties the cache."""
    digest = hashlib.sha256()
    for name in modules:
        digest.update((Path(__file__).parent / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


_MAGIC = (f"feeds-parse-cache/{PARSER_VERSION}/"
          f"{_code_digest('parser', 'model', 'numerals', 'slugs', 'urls', 'xmltext')}")


def load_pickle(path: Path, magic: str) -> tuple | None:
    """The payload saved under ``magic``, or None for anything missing or broken."""
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
    except Exception:  # any broken cache is simply rebuilt
        return None
    if isinstance(data, tuple) and data and data[0] == magic:
        return data[1:]
    return None


def save_pickle(path: Path, magic: str, *payload: object) -> None:
    """Write atomically: a reader finds the old cache or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cache-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((magic, *payload), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cache_key(data: bytes, name: str, options: ParseOptions) -> str:
    """What a parse result depends on: the bytes, the shown path and the options."""
    digest = hashlib.sha256()
    for part in (_MAGIC, name, options.timezone, repr(sorted(options.section_slugs.items()))):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(data)
    return digest.hexdigest()


class ParseCache:
    """Parse results on disk, one small file per issue version, so that a new
    issue adds one file instead of rewriting them all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()
        loaded = load_pickle(folder / "slugs.pickle", _MAGIC)
        self.slugs: dict[str, str] = {}
        if loaded is not None and len(loaded) == 1 and isinstance(loaded[0], dict):
            self.slugs = loaded[0]
            learn_slugs(self.slugs)

    def get(self, key: str) -> ParseResult | None:
        loaded = load_pickle(self.folder / f"{key}.pickle", _MAGIC)
        if loaded is not None and len(loaded) == 1 and isinstance(loaded[0], ParseResult):
            self.used.add(key)
            return loaded[0]
        return None

    def put(self, key: str, result: ParseResult) -> None:
        """Store one result; safe to call from a worker process (the caller marks it used)."""
        save_pickle(self.folder / f"{key}.pickle", _MAGIC, result)
        self.used.add(key)

    def save(self) -> None:
        """Forget the results no issue uses any more; keep the slugs learnt."""
        for file in self.folder.glob("*.pickle"):
            if file.stem not in self.used and file.name != "slugs.pickle":
                file.unlink(missing_ok=True)
        if known_slugs() != self.slugs:
            save_pickle(self.folder / "slugs.pickle", _MAGIC, known_slugs())


_FRAGMENTS_MAGIC = f"feeds-fragments/{_code_digest('builder', 'model')}"


def load_fragments(path: Path) -> dict[str, tuple[bytes, bytes]]:
    """Serialised entries of the last build (see builder.render_feeds)."""
    loaded = load_pickle(path, _FRAGMENTS_MAGIC)
    if loaded is not None and len(loaded) == 1 and isinstance(loaded[0], dict):
        return loaded[0]
    return {}


def save_fragments(path: Path, fragments: dict[str, tuple[bytes, bytes]]) -> None:
    save_pickle(path, _FRAGMENTS_MAGIC, fragments)
