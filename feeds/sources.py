"""Where the issue files are, and a fingerprint of everything a build reads.

Kept free of heavy imports: a no-op cron run only needs this module to learn
that nothing changed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from feeds.limits import MAX_FILE_BYTES


def find_issue_files(paths: Sequence[Path]) -> list[Path]:
    """Markdown files under ``paths`` (files given directly are kept), sorted, no hidden ones."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for file in path.rglob("*.md"):
                rel = file.relative_to(path)
                if file.is_file() and not any(p.startswith((".", "_")) for p in rel.parts) \
                        and file.name.lower() != "readme.md":
                    found.add(file)
        else:
            found.add(path)
    return sorted(found, key=str)


def display_path(path: Path, cwd: str | None = None) -> str:
    """The path as a user would type it: relative to the current folder when inside it."""
    here = (cwd or os.getcwd()).rstrip(os.sep) + os.sep
    full = os.path.abspath(path)
    return full[len(here):] if full.startswith(here) else str(path)


def read_issue_file(file: Path) -> bytes:
    """The file's bytes, read no further than one byte past the size limit: the
    parser refuses a larger file without it ever being in memory whole."""
    with file.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def read_files(files: Sequence[Path]) -> dict[Path, bytes | None]:
    """Each file's bytes (None if it cannot be read), read once for the whole build."""
    contents: dict[Path, bytes | None] = {}
    for file in files:
        try:
            contents[file] = read_issue_file(file)
        except OSError:
            contents[file] = None
    return contents


def fingerprint(contents: Mapping[Path, bytes | None], *settings: str) -> str:
    """A digest of the settings and of each file's name, bytes and modification time.

    The modification time is in because an undated issue takes its date from it.
    """
    digest = hashlib.sha256()
    for setting in settings:
        digest.update(setting.encode("utf-8", "surrogatepass") + b"\0")
    for file, data in contents.items():
        try:
            mtime = file.stat().st_mtime_ns
        except OSError:
            mtime = -1
        data = data or b""
        digest.update(f"{file}\0{mtime}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def code_stamp() -> str:
    """Names, sizes and mtimes of this package's modules and templates: a new version
    rebuilds everything."""
    package = Path(__file__).resolve().parent
    parts = []
    for module in sorted([*package.glob("*.py"), *package.glob("templates/*")]):
        stat = module.stat()
        parts.append(f"{module.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return ";".join(parts)
