"""Pages and serialised entries made long before they are written, kept in a temporary
file rather than in memory, so that a cold build of a long history does not hold every
page or entry at once."""

from __future__ import annotations

import errno
import hashlib
import os
import struct
from array import array
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import accumulate
from typing import IO, Any, NamedTuple, overload

SPOOL_IN_MEMORY = 4 << 20  # bytes of pages held in memory before the spool file is used
_IOV_MAX = 1024  # buffers one pwritev takes


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
                import tempfile  # here: a build that spools nothing (a no-op) never needs it

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



class Fragments(Mapping[str, Sequence[bytes]]):
    """Serialised entries by key (a tuple of fragments each, one per format), kept
    until the feeds are written: in memory up to a budget, the rest in an unnamed
    temporary file, each fragment read back with one ``pread``: much cheaper than
    querying the store for it. A key that could not be written there is not kept
    (the store has it too)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.held: dict[str, tuple[bytes, ...]] = {}
        self.at: dict[str, int] = {}  # key -> index of its first fragment in the arrays
        self.offsets = array("q")  # where each fragment in the file starts
        self.sizes = array("q")
        self.width = 0  # fragments per key: the build's formats
        self.file: IO[bytes] | None = None
        self.end = 0
        self.placing: Placing | None = None  # shared with forked workers, once they are

    def keep(self, made: Mapping[str, tuple[bytes, ...]]) -> None:
        spill: list[tuple[str, tuple[bytes, ...]]] = []
        for key, parts in made.items():
            size = sum(len(part) for part in parts)
            if self.used + size <= self.budget:
                self.used += size
                self.held[key] = parts
            elif parts and len(parts) == (self.width or len(parts)):
                self.width = len(parts)
                spill.append((key, parts))
        if spill:
            self._spill(spill)

    def _spill(self, items: list[tuple[str, tuple[bytes, ...]]]) -> None:
        parts = [part for _, made in items for part in made]
        size = sum(len(part) for part in parts)
        try:
            fd = self._open()
            offset = self.end if self.placing is None else self.placing.reserve(size)
            _write_at(fd, parts, size, offset)
        except OSError:
            return  # not kept: read from the store
        self.end = max(self.end, offset + size)
        for key, made in items:
            self.at[key] = len(self.offsets)
            for part in made:
                self.offsets.append(offset)
                self.sizes.append(len(part))
                offset += len(part)

    def _open(self) -> int:
        if self.file is None:
            import tempfile  # here: a build that spools nothing (a no-op) never needs it

            self.file = tempfile.TemporaryFile(prefix="feeds-entries-")  # noqa: SIM115
        return self.file.fileno()

    def shared(self) -> Placing | None:
        """A :class:`Placing` into this file, for workers forked after it is made (None if
        no file can be made); from then on this process takes its room through it too."""
        if self.placing is None:
            try:
                fd = self._open()
            except OSError:
                return None
            self.placing = Placing(fd, self.end)
        return self.placing

    def placed(self, placed: Placed) -> bytes:
        """The bytes a worker wrote to this file, read back (raises OSError)."""
        size = placed.size()
        data = os.pread(self._open(), size, placed.offset)
        if len(data) != size:
            raise OSError(errno.EIO, f"{len(data)} bytes of entries where {size} were written")
        return data

    def adopt(self, placed: Placed, data: bytes) -> None:
        """Keep the entries a worker wrote to this file (see :meth:`Placing.place`),
        ``data`` their bytes as read back: held in memory within the budget, as
        :meth:`keep` holds them."""
        sizes = array("q", placed.sizes)
        width = len(sizes) // len(placed.keys) if placed.keys else 0
        if not width or width * len(placed.keys) != len(sizes) or width != (self.width or width):
            return
        self.width = width
        at = 0  # in data; in the file, placed.offset + at
        index = 0
        view = memoryview(data)
        while index < len(placed.keys) and self.used < self.budget:
            made = sizes[index * width:(index + 1) * width]
            size = sum(made)
            key = placed.keys[index]
            if self.used + size <= self.budget:
                self.used += size
                self.held[key] = tuple(bytes(view[at + sum(made[:n]):at + sum(made[:n + 1])])
                                       for n in range(width))
            else:
                self._adopt_at(key, placed.offset + at, made)
            at += size
            index += 1
        if index < len(placed.keys):  # the budget is spent: the rest is read from the file
            rest = sizes[index * width:]
            starts = array("q", accumulate(rest[:-1], initial=placed.offset + at))
            first = len(self.offsets)
            self.at.update(zip(placed.keys[index:], range(first, first + len(starts), width),
                               strict=True))
            self.offsets.extend(starts)
            self.sizes.extend(rest)
            at += sum(rest)
        self.end = max(self.end, placed.offset + at)

    def _adopt_at(self, key: str, offset: int, sizes: Sequence[int]) -> None:
        self.at[key] = len(self.offsets)
        for size in sizes:
            self.offsets.append(offset)
            self.sizes.append(size)
            offset += size

    def __getitem__(self, key: str) -> Sequence[bytes]:
        held = self.held.get(key)
        if held is not None:
            return held
        return _Spilled(self, self.at[key])

    def __contains__(self, key: object) -> bool:
        return key in self.held or key in self.at

    def among(self, keys: AbstractSet[str]) -> set[str]:
        """Those of ``keys`` at hand: two set operations, not a lookup each (a cold
        build asks of 117,000 keys at N = 1,000)."""
        return (self.held.keys() & keys) | (self.at.keys() & keys)

    def __iter__(self) -> Iterator[str]:
        yield from self.held
        yield from self.at

    def __len__(self) -> int:
        return len(self.held) + len(self.at)

    def each(self, keys: Sequence[str], slot: int) -> Iterator[bytes] | None:
        """Fragment ``slot`` of each key, in order; None unless every key is kept."""
        held, at = self.held, self.at
        if not all(key in held or key in at for key in keys):
            return None
        return self._each(keys, slot)

    def _each(self, keys: Sequence[str], slot: int) -> Iterator[bytes]:
        held, at, offsets, sizes = self.held, self.at, self.offsets, self.sizes
        fd = self.file.fileno() if self.file is not None else -1
        pread = os.pread
        for key in keys:
            parts = held.get(key)
            if parts is not None:
                yield parts[slot]
            else:
                first = at[key] + slot
                yield pread(fd, sizes[first], offsets[first])

    def read(self, at: int) -> bytes:
        """The fragment at index ``at`` of the arrays, from the file."""
        assert self.file is not None
        return os.pread(self.file.fileno(), self.sizes[at], self.offsets[at])

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class _Spilled(Sequence[bytes]):
    """One key's fragments in a :class:`Fragments` file, each read when asked for."""

    __slots__ = ("first", "kept")

    def __init__(self, kept: Fragments, first: int) -> None:
        self.kept = kept
        self.first = first

    @overload
    def __getitem__(self, slot: int) -> bytes: ...
    @overload
    def __getitem__(self, slot: slice) -> Sequence[bytes]: ...

    def __getitem__(self, slot: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(slot, slice):
            return [self[i] for i in range(self.kept.width)[slot]]
        if not -self.kept.width <= slot < self.kept.width:
            raise IndexError(slot)
        return self.kept.read(self.first + slot % self.kept.width)

    def __len__(self) -> int:
        return self.kept.width


def _write_at(fd: int, parts: list[bytes], size: int, offset: int) -> None:
    """Write ``parts`` one after another at ``offset`` of ``fd`` (raises OSError)."""
    done = os.pwritev(fd, parts, offset) if len(parts) <= _IOV_MAX else 0
    if done < size:  # written in part (or too many parts for one call): the rest
        view, at = memoryview(b"".join(parts))[done:], offset + done
        while view:
            done = os.pwrite(fd, view, at)
            view, at = view[done:], at + done


class Placed(NamedTuple):
    """Entries a worker wrote to a :class:`Fragments` file: where they begin, their keys,
    and the size and CRC-32 of each fragment, key by key (``array("q")`` bytes)."""

    offset: int
    keys: tuple[str, ...]
    sizes: bytes
    crcs: bytes

    def size(self) -> int:
        return sum(array("q", self.sizes))


class Placing:
    """Room in a :class:`Fragments` file for forked workers to write serialised entries
    to themselves, each write in room of its own taken under a lock they share: the
    bytes need not be pickled and sent back through a pipe, and the process that keeps
    them reads them back with one ``pread`` (from the page cache) to store them."""

    def __init__(self, fd: int, end: int) -> None:
        import mmap
        from multiprocessing import get_context

        self.fd = fd
        self.lock: Any = get_context("fork").Lock()
        self.end = mmap.mmap(-1, 8)  # where the next room begins: memory shared with the
        struct.pack_into("q", self.end, 0, end)  # workers forked after, no file anywhere

    def reserve(self, size: int) -> int:
        """Room for ``size`` bytes: its offset."""
        with self.lock:
            offset: int = struct.unpack_from("q", self.end)[0]
            struct.pack_into("q", self.end, 0, offset + size)
        return offset

    def place(self, made: Mapping[str, Sequence[bytes]]) -> Placed | None:
        """Write each key's fragments to the file (in a worker): where they went, or
        None if they could not be written (or are not the same number for each key),
        for the caller to send the bytes themselves."""
        import zlib

        widths = {len(parts) for parts in made.values()}
        if len(widths) != 1 or not min(widths):
            return None
        parts = [part for made_of in made.values() for part in made_of]
        size = sum(map(len, parts))
        try:
            offset = self.reserve(size)
            _write_at(self.fd, parts, size, offset)
        except OSError:
            return None
        return Placed(offset, tuple(made), array("q", map(len, parts)).tobytes(),
                      array("q", map(zlib.crc32, parts)).tobytes())
