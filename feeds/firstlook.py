"""The issue files found and looked at by a child forked as ``feeds build`` starts.

Before a build can learn whether anything changed it lists the issues folder and
looks at (stats) every file in it: some 20 ms at 5,000 issues, on the one core the
build runs on, while a second core idles as the command line's modules load. So the
entry point (:mod:`feeds.__main__`) forks a child that does that work meanwhile,
with this module's imports only (no store, no parser), and the build takes its
answer (:func:`taken`) where it would look itself.

It is an optimisation only. The build takes the answer only if it is for the very
folder the build reads, in the same process, and recent (:data:`MAX_AGE`): a file
changed after the child looked at it is found by the next build, as one changed
after the build looked at it would be. It never waits for the child: should the answer
not be there (a busy machine keeps the child waiting), the build looks itself, a part
at a time, and takes the answer should it come first (:func:`feeds.sources.survey`).
Whatever the child does not answer (it failed, was killed, answered something
malformed) the build finds itself, as it does without the child (``FIRST_LOOK = False``,
or another command, or the library's :func:`feeds.api.build`). Kept free of imports
beyond the standard library's smallest.
"""

from __future__ import annotations

import os
import struct
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from feeds.child import Child

FIRST_LOOK = True  # False: the build lists and looks at the files itself (the reference)
MAX_AGE = 1.0  # seconds from the fork within which the build takes the child's answer
# A folder whose own size (its entries' blocks: some 36 KB for 1,000 issues on ext4, 4 KB
# for 100) is less is looked at by the build itself: with a few hundred files the child
# costs more than it saves (its fork, and a core it shares with the build's start)
FROM_BYTES = 32 << 10
GRACE = 0.002  # seconds the build waits for the child's answer before it looks itself too

# An issue file's size, ctime, inode and mtime as :meth:`feeds.store.Store.sources`
# holds them, in this order: the mtime and the content digest after it are what the
# inputs digest takes of an unchanged file (see feeds.sources.Survey), one slice of the row.
SEEN = struct.Struct("<QqQq")

_HEAD = struct.Struct("<4sQQQQQ")  # mark; sizes of the folder, names, misnamed; counts
_MARK = b"FL01"
_NONE = b"\0" * SEEN.size  # a file the child could not look at, or whose numbers do not fit

_begun: list[tuple[Child, str, float]] = []  # the child, the folder it looks in, when begun


def find_issue_names(paths: Sequence[Path | str], misnamed: list[str] | None = None
                     ) -> list[str]:
    """:func:`feeds.sources.find_issue_files` as strings (each as ``str(Path(name))`` would
    give it): a build looks at thousands, and a Path costs more than the look. Files named
    like an issue but not ``*.md`` (see :func:`issue_name_for`) go into ``misnamed``. (A
    path may be given as the string a Path gives: a folder, as :func:`os.path.isdir` says.)"""
    found: list[str] = []
    odd: list[str] = []
    for path in paths:
        if not (os.path.isdir(path) if isinstance(path, str) else path.is_dir()):
            found.append(str(path))
            continue
        top = str(path)
        folders = [top]
        start = len(found)
        while folders:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith((".", "_")):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    elif name.endswith(".md") and name.lower() != "readme.md" \
                            and not _is_folder(entry):
                        found.append(entry.path)
                    elif misnamed is not None and not name.endswith(".md") \
                            and issue_name_for(name):
                        odd.append(entry.path)
        if top == ".":  # scandir names them ./x.md, a Path x.md
            found[start:] = [p[2:] for p in found[start:]]
            odd = [p[2:] if p.startswith("./") else p for p in odd]
    if misnamed is not None:
        misnamed.extend(sorted(set(odd)))
    return sorted(set(found))


_ISSUE_SUFFIXES = (".md.txt", ".markdown", ".md")


def issue_name_for(name: str) -> str:
    """The name a file named ``name`` would have as an issue, if it looks like one that
    is not ``*.md`` (``x.MD``, ``x.markdown``, ``x.md `` with a trailing space,
    ``x.md.txt``: an editor's slip, and the issue would silently not be published);
    else ''."""
    stripped = name.rstrip()
    lower = stripped.lower()
    for suffix in _ISSUE_SUFFIXES:
        if lower.endswith(suffix):
            stem = stripped[:-len(suffix)]
            return f"{stem}.md" if stem and stem.lower() != "readme" else ""
    return ""


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """Whether the entry is a folder or a link to one (not followed); one that
    cannot be looked at is not."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _issues_folder(args: Sequence[str]) -> str | None:
    """The issues folder a ``feeds build`` command line names (None: not such a command,
    or one this module does not read with certainty)."""
    if not args or args[0] != "build":
        return None
    folder = "issues"
    rest = iter(args[1:])
    for arg in rest:
        if arg in ("--help", "--version") or arg == "--":
            return None
        if arg == "--issues":
            value = next(rest, None)
            if value is None:
                return None
            folder = value
        elif arg.startswith("--issues="):
            folder = arg[len("--issues="):]
    return folder or None


def begin(args: Sequence[str]) -> None:
    """For a ``feeds build`` command line (``args``: without the program's name), fork
    the child that finds and looks at the issue files, if there is a second core and
    no thread runs (see :class:`feeds.ahead.Ahead`)."""
    folder = _issues_folder(args) if FIRST_LOOK and not _begun else None
    if folder is None:
        return
    try:
        if len(os.sched_getaffinity(0)) < 2 or not os.path.isdir(folder) \
                or os.stat(folder).st_size < FROM_BYTES:
            return
    except (AttributeError, OSError, ValueError):
        return
    import threading

    if threading.active_count() > 1:
        return
    from feeds.child import Child

    child = Child.fork(lambda: _looked(folder), brief=True)
    if child is not None:
        _begun.append((child, folder, time.monotonic()))


def as_path(folder: str) -> str:
    """``str(Path(folder))`` on POSIX, without pathlib (a child that imports nothing)."""
    root = "//" if folder.startswith("//") and not folder.startswith("///") \
        else "/" if folder.startswith("/") else ""
    return root + "/".join(p for p in folder.split("/") if p and p != ".") or "."


def _looked(folder: str) -> bytes:
    """In the child: the issue files under ``folder``, the misnamed ones, and each file's
    numbers as :data:`SEEN` packs them, in one message (see :func:`_read`)."""
    top = as_path(folder)
    misnamed: list[str] = []
    names = find_issue_names([top], misnamed)
    packs: list[bytes] = []
    add = packs.append
    stat = os.stat
    pack = SEEN.pack
    missing: list[int] = []
    for at, name in enumerate(names):
        try:
            st = stat(name)
            add(pack(st.st_size, st.st_ctime_ns, st.st_ino, st.st_mtime_ns))
        except (OSError, struct.error):  # looked at again by the build, as it looks
            add(_NONE)
            missing.append(at)
    text = [top, "\0".join(names), "\0".join(misnamed)]
    parts = [s.encode("utf-8", "surrogatepass") for s in text]
    return b"".join([_HEAD.pack(_MARK, *map(len, parts), len(names), len(missing)), *parts,
                     struct.pack(f"<{len(missing)}Q", *missing), *packs])


def _read(answer: bytes) -> tuple[str, list[str], list[str], list[bytes | None]] | None:
    """The folder, names, misnamed names and packs (None: look again) of an answer of
    :func:`_looked`; None if it is not one."""
    if len(answer) < _HEAD.size:
        return None
    mark, top_size, names_size, odd_size, count, missing = _HEAD.unpack_from(answer)
    at = _HEAD.size
    ends = (at + top_size, at + top_size + names_size, at + top_size + names_size + odd_size)
    packs_at = ends[2] + 8 * missing
    if mark != _MARK or len(answer) != packs_at + SEEN.size * count:
        return None
    top, names, odd = (answer[start:end].decode("utf-8", "surrogatepass")
                       for start, end in zip((at, *ends[:2]), ends, strict=True))
    listed = names.split("\0") if count else []
    if len(listed) != count:
        return None
    size = SEEN.size
    packs: list[bytes | None] = [answer[i:i + size]
                                 for i in range(packs_at, len(answer), size)]
    for i in struct.unpack_from(f"<{missing}Q", answer, ends[2]):
        if i >= count:
            return None
        packs[i] = None
    return top, listed, odd.split("\0") if odd else [], packs


def pending() -> bool:
    """Whether a child was begun, its answer not yet taken."""
    return bool(_begun)


def answered(wait: float = 0.0) -> bool:
    """Whether the child has begun its answer (waiting up to ``wait`` seconds for it)."""
    if not _begun:
        return False
    import select

    try:
        return bool(select.select([_begun[0][0].read], [], [], wait)[0])
    except (OSError, ValueError):
        return True  # (its answer, or its failure, said by taken)


def taken(folder: Path) -> tuple[list[str], list[str], list[bytes | None]] | None:
    """What the child found in ``folder`` (see :func:`feeds.sources.survey`), waited for:
    the issue files, the misnamed ones and each file's numbers packed (None for a file
    to look at again); None if no child looked there, recently, or it failed."""
    if not _begun:
        return None
    child, _, begun = _begun.pop()
    try:
        answer = child.answer()
    finally:
        child.close()
    found = _read(answer) if answer is not None else None
    if found is None or found[0] != str(folder) or time.monotonic() - begun > MAX_AGE:
        return None
    return found[1], found[2], found[3]


def end(wait: bool = True) -> None:
    """Stop the child, should no build have taken its answer (``wait``: for it to end,
    else it is reaped when it has: see :meth:`feeds.child.Child.stop`)."""
    while _begun:
        child = _begun.pop()[0]
        if wait:
            child.close()
        else:
            child.stop()
    if "feeds.child" in sys.modules:
        from feeds.child import reap_stopped

        reap_stopped()
