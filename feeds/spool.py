"""Pages made long before they are written, kept in a temporary file rather than in
memory, so that a cold build of a long history does not hold every page at once."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO

SPOOL_IN_MEMORY = 4 << 20  # bytes of pages held in memory before the spool file is used


class Spooled:
    """A page's bytes in a spool file, with their digest: copied into the file being
    published by the kernel, from any of the writer's threads, never read into memory."""

    __slots__ = ("digest", "file", "parts", "size")

    def __init__(self, file: IO[bytes] | None, parts: list[tuple[int, int] | bytes],
                 digest: str, size: int) -> None:
        self.file = file  # held open: it has no name
        self.parts = parts  # offset and size of each part in the file, or the part itself
        self.digest = digest  # sha256, hex
        self.size = size

    def __call__(self) -> Iterator[bytes]:
        for part in self.parts:
            if isinstance(part, bytes):
                yield part
            else:
                assert self.file is not None
                yield os.pread(self.file.fileno(), part[1], part[0])

    def write_to(self, fd: int) -> None:
        """Write the bytes to ``fd`` (at its current position)."""
        for part in self.parts:
            if isinstance(part, bytes):
                _write(fd, part)
                continue
            assert self.file is not None
            offset, size = part
            while size:
                try:
                    done = os.copy_file_range(self.file.fileno(), fd, size, offset)
                except OSError as exc:
                    if exc.errno not in _NO_COPY:
                        raise
                    done = 0
                if not done:  # not on these file systems: through memory
                    _write(fd, os.pread(self.file.fileno(), size, offset))
                    break
                offset, size = offset + done, size - done


_NO_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Spool:
    """Holds made pages: in memory up to a budget, then in an unnamed temporary file."""

    def __init__(self, budget: int | None = None) -> None:
        self.budget = SPOOL_IN_MEMORY if budget is None else budget
        self.held = 0
        self.file: IO[bytes] | None = None
        self.end = 0

    def keep(self, data: bytes) -> bytes | Spooled:
        """The page as the writer takes it: the bytes themselves, or a :class:`Spooled`."""
        if self.held + len(data) <= self.budget:
            self.held += len(data)
            return data
        part = self.part(data)
        return Spooled(self.file, [part], hashlib.sha256(data).hexdigest(), len(data))

    def page(self) -> SpooledPage:
        """A page made a part at a time (see :class:`SpooledPage`)."""
        return SpooledPage(self)

    def part(self, data: bytes) -> tuple[int, int] | bytes:
        """Where ``data`` went in the spool file (or ``data``: no room for it there)."""
        try:
            if self.file is None:
                self.file = tempfile.TemporaryFile(prefix="feeds-pages-")  # noqa: SIM115
            self.file.seek(self.end)
            self.file.write(data)
            self.file.flush()
        except OSError:
            return data
        offset, self.end = self.end, self.end + len(data)
        return offset, len(data)


class SpooledPage:
    """A page given to the spool in parts as it is made (parts of several pages may
    interleave in the spool file); a small page stays in memory."""

    PART = 1 << 18

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.pending: list[bytes] = []
        self.size = 0
        self.parts: list[tuple[int, int] | bytes] = []
        self.digest = hashlib.sha256()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.digest.update(data)
        self.total += len(data)
        self.pending.append(data)
        self.size += len(data)
        if self.size >= self.PART:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.parts.append(self.spool.part(b"".join(self.pending)))
        self.pending, self.size = [], 0

    def done(self) -> bytes | Spooled:
        """The page as the writer takes it."""
        if not self.parts:
            data = b"".join(self.pending)
            self.pending, self.size = [], 0
            return data
        self._flush()
        return Spooled(self.spool.file, self.parts, self.digest.hexdigest(), self.total)
