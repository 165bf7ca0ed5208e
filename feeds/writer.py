"""Publish files into ``output/``: atomically, only when changed, never outside it.

Each file is written to a temporary file (named ``.feeds-tmp-*``) in its own
folder; once every file of the build is ready they are renamed over the old
ones, so a web server or sync job reading ``output/`` sees the old file or the
new one, never half of one. A file whose bytes are unchanged is not touched
(its mtime stays). The state store keeps the manifest of the files the tool
published: it never overwrites a file it did not write (its own feeds and
pages, recognised by their bytes or their generator mark, are adopted) and
never deletes one. ``output/`` holds nothing else of the tool's.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import operator
import os
import stat
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from filelock import FileLock, Timeout

from feeds.child import Child
from feeds.signals import at_stop
from feeds.spool import Spooled
from feeds.store import (
    Manifest,
    NewManifest,
    PublishedRow,
    built_paths,
    files_key,
    published_paths,
)

LOCK = "build.lock"
TMP_PREFIX = ".feeds-tmp-"
# The marks of the web edition's files; the feeds' come from the format registry.
PAGE_MARKS = {".xml": b"<!-- generator: feeds -->",  # sitemap.xml
               ".html": b'<meta name="generator" content="feeds">',
               ".opml": b"<!-- generator: feeds -->",
               ".css": b"/* generator: feeds */"}


@functools.cache
def marks() -> dict[str, tuple[bytes, ...]]:
    """What the tool writes near the start of each kind of file it publishes, by
    suffix: each feed format's ``mark`` from the registry, and :data:`PAGE_MARKS`.
    Read only when a file must be adopted: a no-op build imports no format."""
    from feeds.formats import FORMATS

    found: dict[str, tuple[bytes, ...]] = {}
    for suffix, mark in [*((PurePosixPath(f.file_name).suffix, f.mark) for f in FORMATS),
                         *PAGE_MARKS.items()]:
        if mark not in found.get(suffix, ()):
            found[suffix] = (*found.get(suffix, ()), mark)
    return found
WRITE_THREADS = 8
# Each staged file waits for its fsync (a few ms on a loaded disk): from two files on they
# are staged on threads, so that the journal commits their fsyncs together.
WRITE_THREADS_FROM = 2
# The files a publish stages on threads are all written first, then each fsync'd before
# any is renamed: the journal's first commit takes most of them at once, rather than a
# commit for every few files written and fsync'd in turn. False: each file fsync'd as
# it is written (the reference)
SYNC_AFTER_ALL = True
# A publish that stages this many files or more in one folder on threads makes them in
# STAGE_FOLDERS folders of its own inside it (temporary, named as temporary files are),
# and renames them out: creating a file holds its folder, a create on this machine's
# ext4 costs 0.1-0.5 ms of kernel time, and so the creates in one folder go one at a
# time however many threads make them; in two folders, on both cores (a cold build of
# 1,000 issues, its ~1,000 pages in issues/: 8 % less wall time). 0: every temporary
# file beside its target (the reference)
STAGE_FOLDERS = 2
STAGE_FROM = 64
FORK_FROM = 2  # Forkable files staged in forked children (with a second core) from this many
_LEGACY = ".feeds"  # where older versions kept their state, inside output/


class WriteError(Exception):
    """A file could not be written; the message names the path and the reason."""


class StateFolderError(WriteError):
    """The state folder given cannot be one (a file, a device, a folder nothing can be
    made in): a usage error, said at once rather than after waiting for a lock."""


class LockError(Exception):
    """Another build holds the lock on ``output/`` for longer than we may wait."""


_StagedApart = tuple[str, "PublishedRow | None", "tuple[str, str, Path, str, int] | None"]


@dataclass(frozen=True)
class Publication:
    """What one publish did."""

    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    stale: tuple[str, ...]
    rows: Mapping[str, PublishedRow]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _safe_relpath(rel: str) -> PurePosixPath:
    parts = rel.split("/")
    if not rel or rel.startswith((".", "/")) or any(p in ("", ".", "..") for p in parts) \
            or "\\" in rel or "\0" in rel:
        raise WriteError(f"refusing to write {rel!r}: not a plain path inside the output folder")
    return PurePosixPath(rel)


def os_reason(exc: OSError) -> str:
    """Why a write failed, as the messages say it."""
    return "no space left on device" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)


def _error(path: Path, exc: OSError) -> WriteError:
    return WriteError(f"{path}: cannot write: {os_reason(exc)}")


Chunks = bytes | Sequence[bytes]


class Keep:
    """A file the build leaves as the last build published it, without making its
    bytes: the caller has checked with :meth:`OutputDir.intact` that it is still so."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()


class Ready:
    """A file's bytes, made already (held in memory or in a spool file) and given by
    ``read`` when the file is written. Unlike a function that makes its bytes while
    they are written (and may read the state store, whose connection is the publishing
    thread's), it is written by the writer's threads, as bytes held whole are."""

    __slots__ = ("read",)

    def __init__(self, read: Callable[[], Iterator[bytes]]) -> None:
        self.read = read

    def __call__(self) -> Iterator[bytes]:
        return self.read()


class Forkable(Ready):
    """A file's bytes made while written from what this process holds (in memory or in
    files it has open), never from the state store: besides any thread, a forked child
    process may make and write it, so that the large feeds of a build are written on
    every core at once (see :meth:`OutputDir.publish`)."""

    __slots__ = ()


# A file's bytes: whole, as chunks to write one after another, or made while written.
Made = Chunks | Callable[[], Iterable[bytes]]
Content = Made | Keep  # or left as it is


def _any_thread(data: Content) -> bool:
    """Whether ``data`` may be made on any thread (else it reads the store: in this one)."""
    return not callable(data) or isinstance(data, (Ready, Spooled))


def _chunks(data: Chunks) -> Sequence[bytes]:
    return (data,) if isinstance(data, bytes) else data


def same_content(path: Path, data: Chunks) -> bool | None:
    """Whether ``path`` holds exactly ``data``; None if there is no such file."""
    chunks = _chunks(data)
    try:
        with path.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size != sum(len(c) for c in chunks):
                return False
            old = memoryview(handle.read())
    except FileNotFoundError:
        return None
    at = 0
    for chunk in chunks:
        if old[at:at + len(chunk)] != chunk:
            return False
        at += len(chunk)
    return True


_IOV_MAX = 1024
_BATCH_BYTES = 1 << 20  # of a file made while written, held before they are written


def _write_all(fd: int, chunks: Sequence[bytes]) -> None:
    """Write the chunks a thousand per system call, without copying them first."""
    for at in range(0, len(chunks), _IOV_MAX):
        batch = [memoryview(c) for c in chunks[at:at + _IOV_MAX]]
        first = 0
        while first < len(batch):
            done = os.writev(fd, batch[first:])
            while first < len(batch) and done >= len(batch[first]):
                done -= len(batch[first])
                first += 1
            if done:
                batch[first] = batch[first][done:]


def _mark() -> str:
    """The random part of every temporary name the tool gives: 12 hex digits."""
    return os.urandom(6).hex()


def _is_mark(text: str) -> bool:
    """Whether ``text`` is one :func:`_mark` gives."""
    return len(text) == 12 and all(c in "0123456789abcdef" for c in text)


def _tmp_name(path: Path) -> str:
    return str(path.parent / f"{TMP_PREFIX}{path.name}.{_mark()}")


def _pending(*tmps: str) -> None:
    with _PENDING_LOCK:
        if _PENDING is None:
            raise OSError(errno.ECANCELED, "the build is stopping")
        _PENDING.update(tmps)  # before they exist: a signal from here on finds them


def _stage(path: Path, data: Made, mode: int,
           known: tuple[str, int] | None = None, tmp: str | None = None, sync: bool = True,
           place: Callable[[], str | None] | None = None) -> tuple[str, str, int]:
    """Write ``data`` to a new temporary file beside ``path``: its name, digest and size.
    ``known`` is the digest and size of ``data`` (bytes or chunks) when the caller has
    them already: they are not computed again. ``tmp``: the temporary file's name,
    made and noted as pending by the caller (a forked child's parent). Without
    ``sync`` it is not fsync'd here: the caller does that (:func:`_sync_staged`)
    before renaming it. ``place``: the staging folder to make it in (made on first
    need: see :class:`_Staging`), None for beside ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if tmp is None:
        folder = place() if place is not None else None
        tmp = os.path.join(folder, f"{path.name}.{_mark()}") if folder \
            else _tmp_name(path)
        _pending(tmp)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            digest = hashlib.sha256()
            size = 0
            if isinstance(data, Spooled):  # copied by the kernel, its digest known
                data.write_to(fd)
                known = data.digest, data.size
            elif callable(data):
                batch: list[bytes] = []
                held = 0
                for chunk in data():
                    batch.append(chunk)
                    held += len(chunk)
                    if len(batch) == _IOV_MAX or held >= _BATCH_BYTES:
                        _write_all(fd, batch)
                        size += held
                        batch, held = [], 0
                    digest.update(chunk)
                size += held
                _write_all(fd, batch)
            else:
                chunks = _chunks(data)
                _write_all(fd, chunks)
                if known is None:
                    for chunk in chunks:
                        digest.update(chunk)
                        size += len(chunk)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
    except BaseException:
        _discard(tmp)
        raise
    if known is not None and (not callable(data) or isinstance(data, Spooled)):
        return tmp, known[0], known[1]
    return tmp, digest.hexdigest(), size


def _sync_staged(entry: tuple[str, str, Path, str, int]) -> None:
    """fsync a file staged without it (raises WriteError, naming the file it stands for)."""
    _, tmp, target, _, _ = entry
    try:
        fd = os.open(tmp, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _error(target, exc) from None


_PENDING: set[str] | None = set()  # temporary files made and not yet renamed or removed
_PENDING_LOCK = threading.Lock()


def _discard(tmp: str) -> None:
    """Remove a temporary file (if it is still there) and forget it."""
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    _settled(tmp)


def _settled(tmp: str) -> None:
    with _PENDING_LOCK:
        if _PENDING is not None:
            _PENDING.discard(tmp)


def _remove_pending() -> None:
    """When a signal stops the run: remove every temporary file not yet renamed, then
    the staging folders (:func:`_staging_folders`), and let no thread make another
    (writer threads do not unwind with the main thread)."""
    global _PENDING
    with _PENDING_LOCK:
        pending, _PENDING = _PENDING or set(), None
    folders = [tmp for tmp in pending if _is_real_folder(tmp)]
    for tmp in pending.difference(folders):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    for folder in folders:
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _is_real_folder(path: str) -> bool:
    """Whether ``path`` is a folder, not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _staging_folders(parent: Path, count: int) -> list[str]:
    """``count`` new folders in ``parent`` to stage files in (see :data:`STAGE_FOLDERS`),
    noted as pending before they are made; none if one cannot be made: the files are
    then staged beside their targets, where a failure is said of the file."""
    made: list[str] = []
    try:
        parent.mkdir(parents=True, exist_ok=True)
        mark = _mark()
        for k in range(count):
            folder = os.path.join(parent, f"{TMP_PREFIX}{mark}.{k}")
            _pending(folder)
            made.append(folder)
            os.mkdir(folder, 0o700)
    except OSError:
        _remove_staging_folders(made)
        return []
    return made


def _remove_staging_folders(folders: Iterable[str]) -> None:
    """Remove staging folders (empty once their files are renamed or discarded)."""
    for folder in folders:
        with contextlib.suppress(OSError):
            os.rmdir(folder)
        _settled(folder)


def _is_staging_name(name: str) -> bool:
    """Whether ``name`` is one :func:`_staging_folders` gives (``.feeds-tmp-<12 hex>.<n>``):
    a folder named otherwise is not the tool's, though its name starts as theirs do."""
    mark, dot, k = name.removeprefix(TMP_PREFIX).partition(".")
    return (name.startswith(TMP_PREFIX) and bool(dot) and _is_mark(mark) and k.isascii()
            and k.isdigit())


class _Staging:
    """The staging folders of one folder's files (see :data:`STAGE_FOLDERS`), made when
    the first of them is staged: a publish in which none changes makes none, and so
    leaves the folder untouched, as staging each beside its target does."""

    def __init__(self, parent: Path) -> None:
        self.parent = parent
        self.folders: list[str] | None = None  # None: not made yet
        self.lock = threading.Lock()

    def folder(self, at: int) -> str | None:
        """The folder the ``at``-th file is made in; None: beside its target (the
        folders could not be made)."""
        with self.lock:
            if self.folders is None:
                self.folders = _staging_folders(self.parent, STAGE_FOLDERS)
        return self.folders[at % len(self.folders)] if self.folders else None

    def remove(self) -> None:
        """Remove the folders made (empty once their files are renamed or discarded)."""
        with self.lock:
            _remove_staging_folders(self.folders or ())
            self.folders = []


_OLD_TMP_TAIL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")  # tempfile.mkstemp's
# what the versions that used tempfile.mkstemp wrote: feeds, pages, the OPML and style
_OLD_TMP_TARGETS = (".html", ".xml", ".json", ".css", ".opml")


def _is_tmp_name(name: str) -> bool:
    """Whether ``name`` is one :func:`_tmp_name` gives (``.feeds-tmp-<file>.<12 hex>``),
    or one the versions before it gave (``tempfile.mkstemp``: 8 of ``[a-z0-9_]`` after
    the name of a file they wrote, :data:`_OLD_TMP_TARGETS`): a user's file whose name
    starts as theirs do (``.feeds-tmp-notes.txt``, ``.feeds-tmp-README.markdown``,
    ``.feeds-tmp-backup.20240101``) is not the tool's."""
    target, dot, tail = name.removeprefix(TMP_PREFIX).rpartition(".")
    return name.startswith(TMP_PREFIX) and bool(target and dot) and (_is_mark(tail) or (
        len(tail) == 8 and _OLD_TMP_TAIL.issuperset(tail) and target.endswith(_OLD_TMP_TARGETS)))


def _remove_leftover(path: str) -> None:
    """Remove a temporary file a killed build left, or a staging folder and the files
    in it (no link followed: a link is removed, not what it names; a file or folder not
    named as the tool names them is left as it is)."""
    name = os.path.basename(path)
    if not _is_real_folder(path):
        if _is_tmp_name(name) or _is_staging_name(name):  # (a link with a staging
            # folder's name: the link goes, not what it names)
            with contextlib.suppress(OSError):
                os.unlink(path)
        return
    if not _is_staging_name(name):
        return
    with contextlib.suppress(OSError), os.scandir(path) as entries:
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    with contextlib.suppress(OSError):
        os.rmdir(path)


at_stop(_remove_pending)


def atomic_write(path: Path, data: Made, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    tmp, _, _ = _stage(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise
    _settled(tmp)


def _digest(data: Chunks) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in _chunks(data):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _file_digest(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _carries_mark(path: Path, rel: str) -> bool:
    """Whether the file at one of the tool's own paths carries its generator mark."""
    wanted = marks().get(PurePosixPath(rel).suffix, ())
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return any(mark in head for mark in wanted)


# What a manifest row records of a file's stat (size, mtime, inode, ctime): any write,
# rename over it or touch changes one of them.
_STAT: Callable[[os.stat_result], tuple[int, int, int, int]] = operator.attrgetter(
    "st_size", "st_mtime_ns", "st_ino", "st_ctime_ns")


def _same_stat(row: PublishedRow, st: os.stat_result) -> bool:
    return (row.size, row.mtime_ns, row.ino, row.ctime_ns) == _STAT(st)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_HELD: list[int] = []  # the descriptors of the locks this process holds


def _close_held_locks() -> None:
    """In a forked worker: close its copies of the lock descriptors, so that a
    worker outliving a killed build does not keep the lock held."""
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_held_locks)


@contextlib.contextmanager
def build_lock(state: Path, output: Path, wait: float) -> Iterator[None]:
    """One build at a time per state folder and per output folder: an OS lock on
    ``state/build.lock`` and one on the output folder itself (no file in it);
    the OS drops both if the process dies."""
    deadline = time.monotonic() + wait
    try:
        state.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StateFolderError(f"{state}: cannot be the state folder: it is not a folder; "
                               "give --state (or the config's 'state' key) a folder, which "
                               "is made if missing") from None
    except OSError as exc:
        raise _error(state, exc) from None
    _lock_file_can_be_made(state)
    lock = FileLock(state / LOCK, timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        raise LockError(f"{output}: another build still holds the lock "
                        f"after {wait:g} s ({state / LOCK})") from None
    except OSError as exc:
        raise _error(state / LOCK, exc) from None
    held = lock._context.lock_file_fd  # filelock is pinned: its descriptor, for forks
    if held is not None:
        _HELD.append(held)
    try:
        with _folder_lock(output, wait, deadline):
            yield
    finally:
        if held in _HELD:
            _HELD.remove(held)
        lock.release()


def _lock_file_can_be_made(state: Path) -> None:
    """Make the lock file (as FileLock would) to learn at once whether the folder can
    hold it: FileLock takes a refusal for another process's lock and waits it out."""
    try:
        os.close(os.open(state / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644))
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
            raise _error(state / LOCK, exc) from None
        raise StateFolderError(f"{state}: cannot be the state folder: {LOCK} cannot be made "
                               f"in it ({exc.strerror or exc}); give --state (or the config's "
                               "'state' key) a folder this user can write") from None


@contextlib.contextmanager
def _folder_lock(folder: Path, wait: float, deadline: float) -> Iterator[None]:
    """An OS lock on the folder itself, held until the block ends."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise _error(folder, exc) from None
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockError(f"{folder}: another build still holds the lock "
                                    f"after {wait:g} s (the lock on the folder)") from None
                time.sleep(0.05)
        _HELD.append(fd)
        yield
    finally:
        if fd in _HELD:
            _HELD.remove(fd)
        os.close(fd)


LOOK_AHEAD_FROM = 2000  # published files from which their stats are taken in a child


class _Ahead:
    """The child of :meth:`OutputDir.look_ahead`, the files it looks at and the manifest
    they are compared with."""

    def __init__(self, child: Child, paths: list[str], owned: Mapping[str, PublishedRow]
                 ) -> None:
        self.child = child
        self.paths = paths
        self.owned = owned
        self.answered = False  # its answer was read, and fits
        self.found: set[str] | None = None  # every file it looked at, if all are intact
        self.leftovers: dict[str, list[str]] = {}  # folder → temporary files found in it

    @property
    def ended(self) -> bool:
        return self.child.ended

    def take(self) -> bool:
        """Read the child's answer once it has ended: whether it could be. Then
        :attr:`found` holds the files it looked at if every one is intact, and
        :attr:`leftovers` the temporary files it found in their folders (see
        :meth:`OutputDir.publish`)."""
        answer = self.child.answer()
        if answer is None or answer[:1] not in (b"\0", b"\1"):
            return False
        try:
            leftovers = json.loads(answer[1:])
        except ValueError:
            return False
        if not (isinstance(leftovers, dict) and all(
                isinstance(f, str) and isinstance(n, list)
                and all(isinstance(x, str) for x in n) for f, n in leftovers.items())):
            return False
        self.leftovers = leftovers
        self.found = set(self.paths) if answer[:1] == b"\1" else None
        self.answered = True
        return True

    def close(self, kill: bool) -> int | None:
        return self.child.close(kill)


_PIPE_TOKENS = 1 << 16  # bytes a pipe takes without a reader: the files' numbers (4 each)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class StagedEarly:
    """Files being staged by forked children (see :meth:`OutputDir.stage_early`) until
    :meth:`OutputDir.publish` takes them; stopped untaken (the build failed on the
    way), the children are killed and their temporary files removed."""

    def __init__(self, out: OutputDir, owned: Mapping[str, PublishedRow],
                 files: dict[str, Forkable], targets: Mapping[str, Path],
                 tmps: Mapping[str, str], children: list[Child]) -> None:
        self.out = out
        self.owned = owned
        self.files = files
        self.targets = targets
        self.tmps = tmps
        self.children = children
        self.owner = os.getpid()  # a process forked meanwhile does not own them

    def take(self, wanted: Mapping[str, object]) -> tuple[list[_StagedApart], list[str]]:
        """Wait for the children: what they made of the files of ``wanted`` (each file's
        manifest row if unchanged, else its staged entry), and the files none of them
        said it staged (a child failed: their temporary files removed, to be staged
        again). The temporary files of the others are removed."""
        children, self.children = self.children, []
        said: dict[str, _StagedApart] = {}
        for child in children:
            said.update(self._read(child.answer()))
        done: list[_StagedApart] = []
        again: list[str] = []
        for rel, tmp in self.tmps.items():
            found = said.get(rel)
            if found is None or rel not in wanted:
                _discard(tmp)
                if rel in wanted:
                    again.append(rel)
            else:
                if found[2] is None:  # unchanged: the child removed it
                    _settled(tmp)
                done.append(found)
        self.tmps = {}
        return done, again

    def _read(self, answer: bytes | None) -> dict[str, _StagedApart]:
        """A child's answer (see :meth:`OutputDir.stage_early`); nothing if it failed or
        does not fit."""
        if answer is None:
            return {}
        try:
            found: dict[str, _StagedApart] = {}
            for rel, row, entry in json.loads(answer):
                tmp = self.tmps[rel]
                found[rel] = (rel, PublishedRow(*row) if row is not None else None,
                              (rel, tmp, self.targets[rel], str(entry[0]), int(entry[1]))
                              if entry is not None else None)
            return found
        except (ValueError, TypeError, KeyError, IndexError):
            return {}

    def stop(self) -> None:
        """Kill the children not taken and remove their temporary files."""
        if os.getpid() != self.owner:
            return
        children, self.children = self.children, []
        for child in children:
            child.close(kill=True)
        tmps, self.tmps = self.tmps, {}
        for tmp in tmps.values():
            _discard(tmp)


class OutputDir:
    """The published folder: what is in it, and publishing into it."""

    def __init__(self, root: Path, state: Path | None = None) -> None:
        self.root = root
        self.state = state  # the build state's folder: where the manifest of owned files is
        self.replaced: list[str] = []  # every file :meth:`publish` wrote, in this object's life
        # the files :meth:`intact` found as their rows say, until the next publish: kept,
        # they are not looked at again (one that changes meanwhile keeps its old row,
        # so the next build finds it changed and writes it again)
        self._looked: set[str] = set()
        self._looked_in: Mapping[str, PublishedRow] | None = None  # the manifest they are
        self._ahead: _Ahead | None = None

    def locked(self, wait: float) -> contextlib.AbstractContextManager[None]:
        """Hold the lock on the folder (as a build does): no build changes it meanwhile."""
        return _folder_lock(self.root, wait, time.monotonic() + wait)

    @property
    def key(self) -> str:
        """The folder's name in the state store."""
        return str(self.root.resolve())

    @property
    def ledger(self) -> str:
        """The name in the state store of what was published here (each entry's revision
        and ``updated``, the archive pages), so that builds into another folder never
        date this one's entries: the folder's key, or with a state its path from the
        state's folder, so that a project moved whole keeps it."""
        return self.key if self.state is None else \
            os.path.relpath(self.key, self.state.resolve())

    def owned(self) -> set[str]:
        """The files this tool owns here: those the last build into this folder
        published, by the state's manifest, that are still here as regular files
        (none without a state). What ``feeds publish`` uploads is read through this
        one function."""
        if self.state is None:
            return set()
        return {rel for rel in published_paths(self.state, self.key)
                if not (self.root / rel).is_symlink() and (self.root / rel).is_file()}

    def no_longer_built(self, owned: Iterable[str]) -> set[str]:
        """Which of ``owned`` the last build kept without making them (a feed or page it
        no longer produces; never an archive page); none when that build's record is lost."""
        from feeds.hosting import content_named

        built = built_paths(self.state, self.key) if self.state is not None else None
        if built is None:
            return set()
        return {rel for rel in owned if rel not in built and not content_named(rel)}

    def archive_page(self, rel: str) -> bool:
        """Whether the file at ``rel`` is an archive page the tool wrote, one the state no
        longer lists (kept by a build of an older version, or before the state was lost):
        content-named, in an ``archive/`` folder and carrying the generator mark."""
        from feeds.hosting import content_named

        return (rel.startswith("archive/") or "/archive/" in rel) and content_named(rel) \
            and _carries_mark(self.root / rel, rel)

    def intact(self, files: Sequence[str], owned: Mapping[str, PublishedRow]) -> bool:
        """Whether every file the last build published is still as it left it."""
        root = os.fspath(self.root)
        for rel in files:
            row = owned.get(rel)
            try:
                if row is None or not _same_stat(row, os.lstat(os.path.join(root, rel))):
                    return False
            except OSError:
                return False
        self._saw(files, owned)
        return bool(files)

    def _saw(self, files: Iterable[str], owned: Mapping[str, PublishedRow]) -> None:
        """Remember that ``files`` are as their rows in ``owned`` say."""
        if self._looked_in is not owned:
            self._looked, self._looked_in = set(), owned
        self._looked.update(files)

    def _lstats(self, files: Iterable[str]) -> Generator[tuple[str, os.stat_result | None]]:
        """Each of ``files`` with its lstat (None where there is none), for thousands of
        files at once: one call each, relative to the folder, opened once; nothing at all
        when the folder cannot be opened."""
        try:
            folder = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            return
        lstat = os.lstat
        try:
            for rel in files:
                try:
                    st: os.stat_result | None = lstat(rel, dir_fd=folder)
                except (OSError, ValueError, TypeError):  # TypeError: a damaged record
                    st = None
                yield rel, st
        finally:
            os.close(folder)

    def look_ahead(self, owned: Mapping[str, PublishedRow]) -> None:
        """Begin :meth:`intact_each` for the files of ``owned`` the last build produced, in
        a forked child, while this process goes on with the build: a stat of each of
        thousands of kept pages (10,900 at N = 5,000) costs this process nothing but
        reading the answer. The child sums their :func:`~feeds.store.stat_key` and
        compares the sum with the manifest's (a :class:`~feeds.store.Manifest` has it from
        SQLite, so no row is read): equal, every one is intact; else each is looked at
        when asked. The child also lists their folders for a killed build's temporary
        files (see :meth:`publish`). Only for many files and with a second core."""
        from feeds.parallel import workers

        self.forget_ahead()
        if len(owned) < LOOK_AHEAD_FROM or workers() < 2:
            return
        if isinstance(owned, Manifest):
            unbuilt = owned.unbuilt
            paths = [p for p in owned.paths if p not in unbuilt] if unbuilt else list(owned.paths)
            expected = owned.key
        else:
            paths = list(owned)
            expected = files_key((p, *owned[p][1:]) for p in paths)

        def work() -> bytes:
            """In the child: 1 if every file is intact, then the leftovers as JSON."""
            seen = files_key((rel, *_STAT(st))
                             for rel, st in self._lstats(paths) if st is not None)
            return (b"\1" if seen == expected else b"\0") + json.dumps(
                self._leftovers_in(self._folders_of(paths))).encode()

        child = Child.fork(work)
        if child is not None:
            self._ahead = _Ahead(child, paths, owned)

    def forget_ahead(self) -> None:
        """End the child of :meth:`look_ahead`, if any, without its answer."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.close(kill=True)

    def _answer(self, owned: Mapping[str, PublishedRow]) -> set[str] | None:
        """The files of ``owned`` the child of :meth:`look_ahead` found intact; None if
        there is no such child, it looked at another manifest, failed, or found some
        file changed."""
        ahead = self._ahead
        if ahead is None or ahead.owned is not owned:
            return None
        if not ahead.ended and not ahead.take():
            self._ahead = None
        return ahead.found

    def intact_each(self, files: Iterable[str], owned: Mapping[str, PublishedRow]) -> set[str]:
        """Those of ``files`` that :meth:`intact` finds as the last build left them (as
        the child of :meth:`look_ahead` found them, when there is one)."""
        ahead = self._answer(owned)
        if ahead is None:
            return self._intact_one_by_one(files, owned)
        files = list(files)
        found = set(filter(ahead.__contains__, files))
        self._saw(found, owned)
        unbuilt = owned.unbuilt if isinstance(owned, Manifest) else ()
        if unbuilt:  # rows the child did not look at
            found |= self._intact_one_by_one([r for r in files if r in unbuilt], owned)
        return found

    def _intact_one_by_one(self, files: Iterable[str], owned: Mapping[str, PublishedRow]
                           ) -> set[str]:
        files = [rel for rel in files if rel in owned]
        if isinstance(owned, Manifest):
            owned.load(files)
        found: set[str] = set()
        for rel, st in self._lstats(files):
            if st is not None and _same_stat(owned[rel], st):
                found.add(rel)
        self._saw(found, owned)
        return found

    def left_as(self, files: Sequence[str], stats: Mapping[str, Sequence[int]]) -> bool:
        """:meth:`intact` for a whole build's files at once, against the size, mtime and
        inode and ctime of each (see :meth:`Store.published_stats`)."""
        seen = 0
        with contextlib.closing(self._lstats(files)) as each:
            for rel, st in each:
                if st is None or _STAT(st) != stats.get(rel):
                    return False
                seen += 1
        return seen > 0

    def left_key(self, files: Sequence[str]) -> str | None:
        """:func:`files_key` of the files as they are now (None if one is missing, or
        none is given): equal to the key of the rows a build left them with while every
        one is intact."""
        seen: list[tuple[str, int, int, int, int]] = []
        with contextlib.closing(self._lstats(files)) as each:
            for rel, st in each:
                if st is None:
                    return None
                seen.append((rel, *_STAT(st)))
        return files_key(seen) if seen else None

    def _targets(self, rels: Iterable[str]) -> dict[str, Path]:
        """Each of ``rels`` as a path in the folder; a name that is not a plain path in
        it, or one whose folder is a link that leaves it, is refused."""
        root = self.root.resolve()
        targets: dict[str, Path] = {}
        inside: set[Path] = set()  # folders resolved once each, not once per file in them
        for rel in rels:
            target = self.root / _safe_relpath(rel)
            if target.parent not in inside:
                if not target.parent.resolve().is_relative_to(root):
                    raise WriteError(f"{target}: refusing to write through a link that leaves "
                                     f"{self.root}")
                inside.add(target.parent)
            targets[rel] = target
        return targets

    def stage_early(self, files: Mapping[str, Forkable], owned: Mapping[str, PublishedRow]
                    ) -> StagedEarly | None:
        """Begin staging ``files`` in forked children now, while this process goes on
        with other work (which may fork processes of its own, not threads), to be taken
        by :meth:`publish` (given the same ``owned`` and these files): the large feeds of
        a cold build are written while its web edition is made. None with fewer than
        :data:`FORK_FROM` files or one core (then :meth:`publish` stages them). What the
        children did not stage (one failed) :meth:`publish` stages itself."""
        from feeds.parallel import workers

        count = min(workers(), len(files))
        if len(files) < FORK_FROM or count < 2 or 4 * len(files) > _PIPE_TOKENS:
            return None
        rels = sorted(files)
        targets = self._targets(rels)
        if isinstance(owned, Manifest):  # read here: the store's connection is this thread's
            owned.load(rels)
        olds = {rel: owned.get(rel) for rel in rels}
        tmps = {rel: _tmp_name(targets[rel]) for rel in rels}
        try:
            _pending(*tmps.values())
        except OSError as exc:
            raise _error(self.root, exc) from None
        tokens = -1
        try:  # each child takes the next file's number from the pipe: the large ones
            # (sorted first by no rule) do not all fall to one child
            tokens, write = os.pipe()
            try:
                _write(write, b"".join(n.to_bytes(4, "little") for n in range(len(rels))))
            finally:
                os.close(write)
        except OSError:  # no pipe: publish stages them
            if tokens >= 0:
                os.close(tokens)
            for tmp in tmps.values():
                _settled(tmp)
            return None
        mode = 0o666 & ~_umask()

        def work() -> bytes:
            """In a child: each file it takes staged; what became of each, as JSON."""
            done: list[list[object]] = []
            while len(token := os.read(tokens, 4)) == 4:
                rel = rels[int.from_bytes(token, "little")]
                entry: list[tuple[str, str, Path, str, int]] = []
                data = files[rel]
                row = self._stage_one(rel, targets[rel], data, olds[rel], mode, entry,
                                      tmps[rel])
                done.append([rel, list(row) if row is not None else None,
                             [entry[0][3], entry[0][4]] if entry else None])
            return json.dumps(done).encode()

        try:
            children = [child for _ in range(count) if (child := Child.fork(work)) is not None]
        finally:
            os.close(tokens)
        early = StagedEarly(self, owned, dict(files), targets, tmps, children)
        if not children:
            early.stop()
            return None
        return early

    def publish(self, files: Mapping[str, Content],
                owned: Mapping[str, PublishedRow], early: StagedEarly | None = None,
                order: Sequence[str] | None = None) -> Publication:
        """Write every changed file; report what changed and what is stale.

        ``owned`` is the manifest of the files this tool published before; the
        returned :attr:`Publication.rows` is the new one (a
        :class:`~feeds.store.NewManifest` over ``owned``: a kept file's row is not read).
        ``early``: files of ``files`` that :meth:`stage_early` began staging (for this
        ``owned``), taken from there; ``order``: ``sorted(files)``, if the caller has it.
        """
        mode = 0o666 & ~_umask()
        if order is None:
            order = sorted(files)
        kept = [rel for rel in order if isinstance(files[rel], Keep)]
        # the files to make: a kept one costs only a stat (it is in the manifest, else
        # _kept refuses it)
        targets = self._targets([rel for rel in order if not isinstance(files[rel], Keep)]
                                if len(kept) < len(order) else [])
        # a kept file's folder too, once each: one moved out of output/ and linked to keeps
        # its files' stats, so that they look intact (each folder's first file: the last
        # one put wins)
        first_kept = {rel.rpartition("/")[0]: rel for rel in reversed(kept)}
        kept_folders = set(first_kept)
        for rel in targets:
            first_kept.pop(rel.rpartition("/")[0], None)
        self._targets(first_kept.values())
        ahead = self._ahead if self._ahead is not None and self._ahead.owned is owned \
            and self._ahead.answered else None
        self._remove_leftovers({os.fspath(t.parent) for t in targets.values()}, kept_folders,
                               ahead.leftovers if ahead is not None else {})
        if isinstance(owned, Manifest):  # read here: the store's connection is this thread's
            owned.load(targets)
        unbuilt = owned.unbuilt if isinstance(owned, Manifest) else None
        staged: list[tuple[str, str, Path, str, int]] = []
        rows: dict[str, PublishedRow] = {}  # the targets' rows, then every changed one
        unchanged: tuple[str, ...] = ()

        unsynced: list[tuple[str, str, Path, str, int]] = []  # staged, not yet fsync'd
        staging: list[_Staging] = []  # the staging folders of each large folder
        staged_in: dict[str, Callable[[], str | None]] = {}  # a file → its staging folder

        def stage(rel: str, sync: bool = True) -> None:
            data = files[rel]
            assert not isinstance(data, Keep)
            made_now: list[tuple[str, str, Path, str, int]] = []
            row = self._stage_one(rel, targets[rel], data, owned.get(rel), mode, made_now,
                                  None, sync, staged_in.get(rel))
            staged.extend(made_now)
            if not sync:
                unsynced.extend(made_now)
            if row is not None:
                rows[rel] = row

        try:
            if early is not None and early.owned is not owned:  # staged against another
                early.stop()
                early = None
            begun = {rel: data for rel, data in (early.files if early else {}).items()
                     if files.get(rel) is data}
            made = [rel for rel in targets if _any_thread(files[rel]) and rel not in begun]
            forked = [rel for rel in made if isinstance(files[rel], Forkable)]
            if len(forked) < FORK_FROM:
                forked = []
            elif forked:
                made = [rel for rel in made if not isinstance(files[rel], Forkable)]
            base = os.fspath(self.root)
            looked = self._looked if self._looked_in is owned else set()
            self._looked, self._looked_in = set(), None
            built: dict[str, PublishedRow] = {}  # kept files whose rows had no stat key
            for rel in [rel for rel in kept if rel not in looked] if looked else kept:
                row = self._kept(os.path.join(base, rel), owned.get(rel))
                if unbuilt and rel in unbuilt:
                    built[rel] = row
            if unbuilt and looked:
                built.update((rel, owned[rel]) for rel in kept if rel in looked and rel in unbuilt)
            # files made while written read the store (its connection is this thread's)
            streamed = [rel for rel in targets if not _any_thread(files[rel])]
            # the forked children are made first: no thread of this process runs then
            with self._staged_apart(forked, files, targets, owned, mode) as apart:
                if len(made) < WRITE_THREADS_FROM:
                    for rel in (*made, *streamed):
                        stage(rel)
                else:  # each file's fsync waits for the disk: overlapped, the journal
                    # commits them together; meanwhile this thread writes the streamed ones
                    from concurrent.futures import ThreadPoolExecutor

                    self._choose_staging(made, targets, staging, staged_in)
                    with ThreadPoolExecutor(WRITE_THREADS) as pool:
                        done = pool.map(functools.partial(stage, sync=not SYNC_AFTER_ALL), made)
                        for rel in streamed:
                            stage(rel)
                        for _ in done:
                            pass
                        for _ in pool.map(_sync_staged, unsynced):
                            pass
                taken, again = early.take(begun) if early is not None else ([], [])
                for rel, same_row, entry in (*apart(), *taken):
                    if same_row is not None:
                        rows[rel] = same_row
                    if entry is not None:
                        staged.append(entry)
                for rel in again:  # a child failed: what it did not say is staged here
                    stage(rel)  # (after the others' are taken: should it fail, they are removed)
            same = set(rows)
            unchanged = tuple(sorted((*kept, *same)) if same else kept)
            for at, (rel, tmp, target, digest, size) in enumerate(staged):
                try:
                    os.replace(tmp, target)
                    _settled(tmp)
                    st = target.stat()
                except OSError as exc:
                    staged = staged[at:]  # this one and those not yet renamed
                    raise _error(target, exc) from None
                rows[rel] = PublishedRow(digest, size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
            staged = []
        finally:
            for _, tmp, _, _, _ in staged:
                _discard(tmp)
            for large in staging:
                large.remove()
        folders = sorted({targets[rel].parent for rel in rows if rel not in same})
        if len(folders) < WRITE_THREADS_FROM:
            for folder in folders:
                _fsync_dir(folder)
        else:  # the renames in each folder made durable together, as the files were
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(WRITE_THREADS) as pool:
                for _ in pool.map(_fsync_dir, folders):
                    pass
        changed = tuple(rel for rel in targets if rel not in same)
        self.replaced.extend(changed)
        # (their order is of no matter: what is made of them is sorted or a set)
        gone = (owned.paths if isinstance(owned, Manifest) else owned).keys() - files.keys()
        stale = self.stale(set(), gone)
        aside = {*stale, *self.superseded(files, gone)}  # their rows stay, without a stat key
        newly = [rel for rel in aside if unbuilt is None or rel not in unbuilt]
        dropped = {p for p in gone if p not in aside}
        if isinstance(owned, Manifest):  # (the dropped rows' keys: see NewManifest.built_key)
            owned.load([*newly, *dropped])
        rows.update(built)
        rows.update((rel, owned[rel]) for rel in newly)
        self._remove_legacy_state()
        return Publication(changed, unchanged, stale, NewManifest(owned, rows, dropped, aside))

    @contextlib.contextmanager
    def _staged_apart(self, rels: Sequence[str], files: Mapping[str, Content],
                      targets: Mapping[str, Path], owned: Mapping[str, PublishedRow],
                      mode: int) -> Iterator[Callable[[], list[_StagedApart]]]:
        """Stage ``rels`` (each :class:`Forkable`) in forked children, begun before the
        body runs (which may then start threads) and given back by the function it gets:
        each file's manifest row if unchanged, else its staged entry. Their temporary
        files are named and noted as pending here; should anything fail, every one of
        them is removed once the children are done."""
        if not rels:
            yield list
            return
        from feeds.parallel import parallel_begun

        tmps = {rel: _tmp_name(targets[rel]) for rel in rels}
        olds = {rel: owned.get(rel) for rel in rels}  # here: a Manifest may read the store
        try:
            _pending(*tmps.values())
        except OSError as exc:
            raise _error(self.root, exc) from None

        def one(rel: str) -> _StagedApart:
            entry: list[tuple[str, str, Path, str, int]] = []
            data = files[rel]
            assert isinstance(data, Forkable)
            row = self._stage_one(rel, targets[rel], data, olds[rel], mode, entry, tmps[rel])
            return rel, row, entry[0] if entry else None

        try:
            with parallel_begun(one, rels, FORK_FROM) as results:
                def collect() -> list[_StagedApart]:
                    made = results()
                    for rel, _, entry in made:
                        if entry is None:  # unchanged: the child removed it
                            _settled(tmps[rel])
                    return made

                yield collect
        except BaseException:
            for tmp in tmps.values():
                _discard(tmp)
            raise

    def _stage_one(self, rel: str, target: Path, data: Made, old: PublishedRow | None,
                   mode: int, staged: list[tuple[str, str, Path, str, int]],
                   tmp: str | None = None, sync: bool = True,
                   place: Callable[[], str | None] | None = None) -> PublishedRow | None:
        """Stage one file; return its manifest row instead if it is unchanged. ``tmp``:
        the temporary file's name, noted as pending by the caller; without ``sync``, the
        caller fsyncs it before it is renamed (see :func:`_sync_staged`); ``place``: see
        :func:`_stage`."""
        try:
            st: os.stat_result | None = target.stat()
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise _error(target, exc) from None
        linked = st is not None and target.is_symlink()  # the link is replaced, never kept
        if st is not None and not linked and not target.is_file():
            raise WriteError(f"{target}: cannot write: a folder is in the way")
        same = st is not None and not linked  # a file that may already hold the bytes
        digest = size = None
        if not callable(data):
            digest, size = _digest(data)
            if same and st is not None and old is not None \
                    and (old.digest, old.size) == (digest, size) and _same_stat(old, st):
                return old
            if same and st is not None and same_content(target, data):
                return PublishedRow(digest, size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
            self._check_ours(rel, target, st, old)
        try:
            tmp, digest, size = _stage(target, data, mode,
                                       None if digest is None or size is None else (digest, size),
                                       tmp, sync, place)
        except OSError as exc:
            raise _error(target, exc) from None
        if callable(data) and st is not None:
            if same and ((old is not None and (old.digest, old.size) == (digest, size)
                          and _same_stat(old, st)) or _file_digest(target) == digest):
                _discard(tmp)
                return PublishedRow(digest, size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
            try:
                self._check_ours(rel, target, st, old)
            except WriteError:
                _discard(tmp)
                raise
        staged.append((rel, tmp, target, digest, size))
        return None

    def _kept(self, target: str, old: PublishedRow | None) -> PublishedRow:
        """The manifest row of a file kept as it is; it must not have changed since the
        caller looked (no other build runs: we hold the lock)."""
        try:
            if old is not None and _same_stat(old, os.lstat(target)):
                return old
        except OSError:
            pass
        raise WriteError(f"{target}: changed while the build ran; run the build again")

    def _check_ours(self, rel: str, target: Path, st: os.stat_result | None,
                    old: PublishedRow | None) -> None:
        """Refuse to replace a file the tool did not write: one not in the manifest
        and without the tool's generator mark."""
        if st is not None and old is None and not _carries_mark(target, rel):
            raise WriteError(f"{target}: exists and was not written by feeds; "
                             "move it away or choose another --output folder")

    @staticmethod
    def _choose_staging(made: Sequence[str], targets: Mapping[str, Path],
                        staging: list[_Staging],
                        staged_in: dict[str, Callable[[], str | None]]) -> None:
        """Choose, for the files of each folder that has :data:`STAGE_FROM` of ``made``
        or more, the staging folder each is made in, in turn (each such folder's
        :class:`_Staging` is added to ``staging``; its folders are made on first need)."""
        if not STAGE_FOLDERS:
            return
        by_folder: dict[Path, list[str]] = {}
        for rel in made:
            by_folder.setdefault(targets[rel].parent, []).append(rel)
        for parent, rels in by_folder.items():
            if len(rels) < STAGE_FROM:
                continue
            large = _Staging(parent)
            staging.append(large)
            for at, rel in enumerate(rels):
                staged_in[rel] = functools.partial(large.folder, at)

    def _remove_leftovers(self, folders: set[str], kept: set[str],
                          listed: Mapping[str, Sequence[str]]) -> None:
        """Temporary files of a build that was killed (named by the tool, and no other
        build runs: we hold the lock), in the output folder, ``folders`` and the folders
        ``kept`` (relative to the output folder); ``listed`` holds those a child of
        :meth:`look_ahead` found (no other build runs: none came since)."""
        root = os.fspath(self.root)
        wanted = {root, *folders, *(os.path.join(root, f) for f in kept if f)}
        listed = {**listed, **self._leftovers_in(wanted - listed.keys())}
        with _PENDING_LOCK:  # those being staged by this build (see stage_early)
            ours = {os.path.basename(tmp) for tmp in _PENDING or ()}
        for folder in wanted:
            for name in listed.get(folder, ()):
                if not name.startswith(TMP_PREFIX) or "/" in name or name in ours:
                    continue  # only the tool's own names, in that folder
                _remove_leftover(os.path.join(folder, name))

    def _folders_of(self, files: Iterable[str]) -> list[str]:
        """The output folder and the folders of ``files`` in it."""
        root = os.fspath(self.root)
        return [root, *(os.path.join(root, f) for f in {rel.rpartition("/")[0]
                                                         for rel in files} if f)]

    @staticmethod
    def _leftovers_in(folders: Iterable[str]) -> dict[str, list[str]]:
        """The temporary files of the tool in each of ``folders`` that is one (the
        folders that are not, or cannot be read, are left out)."""
        found: dict[str, list[str]] = {}
        for folder in folders:
            try:
                names = os.listdir(folder)
            except OSError:  # not there, or not a folder
                continue
            if "\0" + TMP_PREFIX not in "\0" + "\0".join(names):
                found[folder] = []  # thousands of kept pages in a folder: one search
            else:
                found[folder] = [n for n in names if n.startswith(TMP_PREFIX)]
        return found

    def _remove_legacy_state(self) -> None:
        """The state that older versions kept in ``output/.feeds/``: never read (its
        pickles could run code), removed so that no sync publishes it."""
        legacy = self.root / _LEGACY
        if legacy.is_symlink() or not legacy.is_dir():
            return
        names = [legacy / n for n in ("build.lock", "manifest.json", "state.json",
                                      "fragments.pickle")]
        names += [*legacy.glob(".cache-*.tmp"), *legacy.glob(".*.tmp")]
        parsed = legacy / "parsed"
        if parsed.is_dir() and not parsed.is_symlink():
            names += [*parsed.glob("*.pickle"), *parsed.glob(".cache-*.tmp")]
        for path in names:
            with contextlib.suppress(OSError):
                path.unlink()
        for folder in (parsed, legacy):
            with contextlib.suppress(OSError):
                folder.rmdir()

    def stale(self, produced: set[str], owned: Iterable[str]) -> tuple[str, ...]:
        """Files this tool published earlier (``owned``: their paths) but no longer
        produces (kept, never deleted), that are still here."""
        root = os.fspath(self.root)
        return tuple(p for p in self.stale_candidates(produced, owned)
                     if os.path.exists(os.path.join(root, p)))

    @staticmethod
    def superseded(produced: Mapping[str, object], owned: Iterable[str]) -> list[str]:
        """Content-named files (old archive pages) published before and no longer
        produced: kept on purpose, so still the tool's own, and ``feeds publish``
        uploads them (their rows stay in the manifest; :meth:`owned` skips one since removed)."""
        from feeds.hosting import content_named

        return [p for p in owned if p not in produced and content_named(p)]

    @staticmethod
    def stale_candidates(produced: set[str], owned: Iterable[str]) -> tuple[str, ...]:
        """:meth:`stale`, whether or not still here.

        A superseded content-named file (an old archive page) is not stale: it is
        kept on purpose, for the caches that hold it under its URL."""
        gone = [p for p in owned if p not in produced]
        if not gone:
            return ()
        from feeds.hosting import content_named

        return tuple(sorted(p for p in gone if not content_named(p)))
