"""Publish files into ``output/``: atomically, only when changed, never outside it.

Each file is written to a temporary file in its own folder and renamed over
the old one, so a web server or sync job reading ``output/`` sees the old file
or the new one, never half of one. A file whose bytes are unchanged is not
touched (its mtime stays). The tool keeps a manifest of the files it owns in
``output/.feeds/``: it never overwrites a file it did not write, and never
deletes one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from filelock import FileLock, Timeout

STATE_DIR = ".feeds"
MANIFEST = "manifest.json"
STATE = "state.json"
LOCK = "build.lock"
WRITE_THREADS = 8
WRITE_THREADS_FROM = 64


class WriteError(Exception):
    """A file could not be written; the message names the path and the reason."""


class LockError(Exception):
    """Another build holds the lock on ``output/`` for longer than we may wait."""


@dataclass(frozen=True)
class Publication:
    """What one publish did."""

    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    stale: tuple[str, ...]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _safe_relpath(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if not rel or path.is_absolute() or ".." in path.parts or rel.startswith(STATE_DIR) \
            or any(p in ("", ".") for p in rel.split("/")) or "\\" in rel or "\0" in rel:
        raise WriteError(f"refusing to write {rel!r}: not a plain path inside the output folder")
    return path


def _error(path: Path, exc: OSError) -> WriteError:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on device"
    return WriteError(f"{path}: cannot write: {reason}")


Content = bytes | Sequence[bytes]


def _chunks(data: Content) -> Sequence[bytes]:
    return (data,) if isinstance(data, bytes) else data


def same_content(path: Path, data: Content) -> bool | None:
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


def atomic_write(path: Path, data: Content, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            _write_all(fd, _chunks(data))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class OutputDir:
    """The published folder, with the manifest and lock that guard it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / STATE_DIR

    @contextlib.contextmanager
    def locked(self, wait: float) -> Iterator[None]:
        """Hold the build lock; the OS drops it if the process dies."""
        try:
            self.state.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _error(self.state, exc) from None
        lock = FileLock(self.state / LOCK, timeout=wait)
        try:
            with lock:
                yield
        except Timeout:
            raise LockError(f"{self.root}: another build still holds the lock "
                            f"after {wait:g} s ({self.state / LOCK})") from None

    def owned(self) -> set[str]:
        try:
            data = json.loads((self.state / MANIFEST).read_text(encoding="utf-8"))
            return {p for p in data.get("files", []) if isinstance(p, str)}
        except (OSError, ValueError, AttributeError):
            return set()

    def _save_manifest(self, files: set[str]) -> None:
        data = json.dumps({"files": sorted(files)}, ensure_ascii=False, indent=1) + "\n"
        path = self.state / MANIFEST
        try:
            if path.exists() and path.read_text(encoding="utf-8") == data:
                return
            atomic_write(path, data.encode("utf-8"))
        except OSError as exc:
            raise _error(path, exc) from None

    def publish(self, files: Mapping[str, Content]) -> Publication:
        """Write every changed file; report what changed and what is stale."""
        mode = 0o666 & ~_umask()
        owned = self.owned()
        plan: list[tuple[str, Path, Content]] = []
        unchanged: list[str] = []
        root = self.root.resolve()
        for rel in sorted(files):
            target = self.root / _safe_relpath(rel)
            if not target.parent.resolve().is_relative_to(root):
                raise WriteError(f"{target}: refusing to write through a link that leaves "
                                 f"{self.root}")
            data = files[rel]
            try:
                same = same_content(target, data)
            except IsADirectoryError:
                raise WriteError(f"{target}: cannot write: a folder is in the way") from None
            except OSError as exc:
                raise _error(target, exc) from None
            if same:
                unchanged.append(rel)
                owned.add(rel)
                continue
            if same is not None and rel not in owned:
                raise WriteError(f"{target}: exists and was not written by feeds; "
                                 "move it away or choose another --output folder")
            plan.append((rel, target, data))
        self._remove_leftovers({self.root, *((self.root / rel).parent for rel in files)})
        self._save_manifest(owned | {rel for rel, _, _ in plan})
        def write(item: tuple[str, Path, Content]) -> None:
            try:
                atomic_write(item[1], item[2], mode)
            except OSError as exc:
                raise _error(item[1], exc) from None

        if len(plan) < WRITE_THREADS_FROM:
            for item in plan:
                write(item)
        else:  # each file's fsync waits for the disk: overlapped, the journal commits them together
            with ThreadPoolExecutor(WRITE_THREADS) as pool:
                for _ in pool.map(write, plan):
                    pass
        for folder in sorted({target.parent for _, target, _ in plan}):
            _fsync_dir(folder)
        return Publication(tuple(rel for rel, _, _ in plan), tuple(unchanged),
                           self.stale(set(files)))

    def _remove_leftovers(self, folders: set[Path]) -> None:
        """Temporary files of a build that was killed; we hold the lock, so none is in use."""
        for folder in folders | {self.state}:
            for leftover in folder.glob(".*.tmp") if folder.is_dir() else ():
                with contextlib.suppress(OSError):
                    leftover.unlink()

    # -- the record of the last build, for no-op runs that read nothing else

    def read_state(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.state / STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _stats(self, paths: list[str]) -> dict[str, list[int]]:
        stats = {}
        for rel in paths:
            try:
                st = (self.root / rel).stat()
            except OSError:
                continue
            stats[rel] = [st.st_size, st.st_mtime_ns, st.st_ino]
        return stats

    def intact(self, state: dict[str, Any]) -> bool:
        """Whether every file the last build wrote is still exactly as it left it."""
        files = state.get("files")
        if not isinstance(files, dict) or not files:
            return False
        return self._stats(list(files)) == files

    def write_state(self, inputs: str, paths: list[str], extra: dict[str, Any]) -> None:
        """Remember what this build read and wrote; failure only costs the next run time."""
        data = {"inputs": inputs, "files": self._stats(sorted(paths)), **extra}
        with contextlib.suppress(OSError):
            atomic_write(self.state / STATE, json.dumps(data, ensure_ascii=False).encode())

    def forget_state(self) -> None:
        with contextlib.suppress(OSError):
            (self.state / STATE).unlink()

    def stale(self, produced: set[str]) -> tuple[str, ...]:
        """Files this tool wrote earlier but no longer produces (kept, never deleted).

        A superseded content-named file (an old archive page) is not stale: it is
        kept on purpose, for the caches that hold it under its URL."""
        from feeds.hosting import IMMUTABLE, policy

        return tuple(sorted(p for p in self.owned() - produced if (self.root / p).exists()
                            and policy(p).cache_control != IMMUTABLE))
