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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, BinaryIO

from feeds.model import Article, Issue, ParseResult
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


def load_pickle(path: Path, magic: str) -> tuple[Any, ...] | None:
    """The payload saved under ``magic``, or None for anything missing or broken."""
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
    except Exception:  # any broken cache is simply rebuilt
        return None
    if isinstance(data, tuple) and data and data[0] == magic:
        return data[1:]
    return None


@contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A file that replaces ``path`` atomically when done: a reader finds the old
    cache or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cache-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
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


def _from_utf8(cls: type, values: tuple[Any, ...]) -> object:
    return cls(*(v.decode("utf-8", "surrogatepass") if isinstance(v, bytes) else v
                 for v in values))


class _TextAsBytes(pickle.Pickler):
    """Pickles issues and articles with their text as UTF-8 bytes.

    CPython's pickle writes a str through a UTF-8 copy that it then keeps inside
    the str for as long as the str lives: for a large cache of Chinese text,
    a fifth more memory in the build that writes it.
    """

    def reducer_override(self, obj: object) -> Any:
        if isinstance(obj, Article | Issue) and type(obj) in (Article, Issue):
            values = (getattr(obj, f.name) for f in fields(obj))
            return _from_utf8, (type(obj), tuple(
                v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v for v in values))
        return NotImplemented


def _dump(obj: object, handle: BinaryIO) -> None:
    _TextAsBytes(handle, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)


def save_pickle(path: Path, magic: str, *payload: object) -> None:
    """Write ``(magic, *payload)`` atomically, any text in it as UTF-8 bytes."""
    with _replacing(path) as handle:
        _dump((magic, *payload), handle)


def _load_pack(path: Path) -> tuple[dict[str, ParseResult], dict[str, str]]:
    """The results and slugs of a pack: a header, then one pickle per result."""
    try:
        with path.open("rb") as handle:
            header = pickle.load(handle)
            if not (isinstance(header, tuple) and len(header) == 3 and header[0] == _MAGIC
                    and isinstance(header[1], dict) and isinstance(header[2], int)):
                return {}, {}
            results = {}
            for _ in range(header[2]):
                key, result = pickle.load(handle)
                results[key] = result
    except Exception:  # any broken cache is simply rebuilt
        return {}, {}
    return results, header[1]


def _save_pack(path: Path, results: dict[str, ParseResult], slugs: dict[str, str]) -> None:
    """Write atomically, a result at a time: one pickle of them all would hold a
    memo of every object in memory while it is written."""
    with _replacing(path) as handle:
        _dump((_MAGIC, slugs, len(results)), handle)
        for item in results.items():
            _dump(item, handle)


class ParseCache:
    """Parse results on disk: a pack of them all, plus one small file for each
    result added since the pack was written.

    A new issue costs one small file, not a rewrite of every result; the pack is
    rewritten when the loose files (or the results nobody uses) grow past an
    eighth of the whole, so loading stays one large read and a few small ones.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: dict[str, ParseResult] = {}
        self.added: set[str] = set()
        self.packed: dict[str, ParseResult] = {}
        self.slugs: dict[str, str] = {}
        self.packed, self.slugs = _load_pack(folder / "pack.pickle")
        learn_slugs(self.slugs)

    def get(self, key: str) -> ParseResult | None:
        result = self.packed.get(key)
        if result is None:
            loaded = load_pickle(self.folder / f"{key}.pickle", _MAGIC)
            if loaded is not None and len(loaded) == 1:
                result = loaded[0]
        if isinstance(result, ParseResult):
            self.used[key] = result
            return result
        return None

    def add(self, key: str, result: ParseResult) -> None:
        """Remember a fresh result; it is written by :meth:`save`."""
        self.used[key] = result
        self.added.add(key)

    def save(self) -> None:
        """Write what was added, forget what no issue uses any more."""
        loose = {p.stem for p in self.folder.glob("*.pickle") if p.name != "pack.pickle"}
        stale = len(set(self.packed) - set(self.used))
        outside = len((loose & set(self.used)) | self.added)
        if outside + stale > max(16, len(self.used) // 8) or known_slugs() != self.slugs:
            _save_pack(self.folder / "pack.pickle", self.used, known_slugs())
            keep: set[str] = set()
        else:
            for key in self.added - loose:
                save_pickle(self.folder / f"{key}.pickle", _MAGIC, self.used[key])
            keep = set(self.used)
        for key in loose - keep:
            (self.folder / f"{key}.pickle").unlink(missing_ok=True)


_FRAGMENT_CODE = _code_digest(
    "builder", "render", "model", "formats/__init__", "formats/base", "formats/feedgen_common",
    "formats/atom", "formats/rss", "formats/jsonfeed")
_FRAGMENTS_MAGIC = f"feeds-fragments/{_FRAGMENT_CODE}"


def load_fragments(path: Path) -> dict[str, tuple[bytes, ...]]:
    """Serialised entries of the last build (see render.render_feeds)."""
    loaded = load_pickle(path, _FRAGMENTS_MAGIC)
    if loaded is not None and len(loaded) == 1 and isinstance(loaded[0], dict):
        return loaded[0]
    return {}


def save_fragments(path: Path, fragments: dict[str, tuple[bytes, ...]]) -> None:
    save_pickle(path, _FRAGMENTS_MAGIC, fragments)
