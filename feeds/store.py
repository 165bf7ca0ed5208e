"""The build's state: one SQLite database (``.feeds/state.sqlite``), outside ``output/``.

It holds what makes a rebuild cheap and safe: the issue files as last seen
(size, times, content digest), parse results as JSON, a small table of issue
summaries (numbers, dates, section names and slugs) for the cross-file checks
and the feed plan, the serialised entries of each feed format, and, for each
output folder, the manifest of the files the tool published (with their
digests) and the record of the last build.

SQLite, because a build's whole change is one transaction (a killed build
leaves the old state or the new one), a rebuild reads only the rows it needs,
and nothing in it can run code when read (plain columns and JSON, no pickle).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from feeds.firstlook import SEEN

DATABASE = "state.sqlite"
SET_ASIDE = "state.sqlite.broken"
APPLICATION_ID = 0x66656564  # "feed": marks the file as this tool's
SCHEMA_VERSION = 15
SQLITE_NEEDED = (3, 37, 0)  # STRICT tables
Row = tuple[Any, ...]  # a row as sqlite3 gives it
BUSY_SECONDS = 10.0
_BATCH = 500
VACUUM_MIN_BYTES = 64 << 20  # free pages worth giving back to the file system
MAX_RECORD_BYTES = 16 << 20  # a build record unpacked (both: 1.3 MB at N = 5,000)
VACUUM_BUSY_MS = 1000  # how long a compaction waits for another program's lock
_NOOP = "noop\0"  # the name in ``meta`` of an output folder's no-op record
_UNTIL = "until\0"  # the name in ``meta`` of when a build's warnings stop being true
_SETTLED = "settled\0"  # the name in ``meta`` of a ledger's archive settle marks
_FEED_KEYS = "feedkeys\0"  # the name in ``meta`` of an output folder's feed keys
# A serialised entry is one row of ``fragments``: its key, then the CRC-32 and the bytes of
# each format, by its place in the build's formats (a key is made of those formats, in
# order): a column each, up to this many formats (feeds.formats.FORMATS).
FRAGMENT_SLOTS = 3
_SLOTS = range(FRAGMENT_SLOTS)
MANIFEST_MEANWHILE = True  # False: Store.manifest_meanwhile reads on this thread (the reference)
FLUSH_BYTES = 32 << 20  # bytes a build stores between two flushes of the file to the disk

# What every catalog row holds: a CHECK of the table (with its STRICT types).
_CATALOG_ROW = (
    "typeof(file) = 'text' AND file GLOB '*.md' AND typeof(path) = 'text' AND path GLOB '*.md' "
    "AND typeof(name) = 'text' "
    "AND typeof(year) = 'integer' AND year BETWEEN 1900 AND 2999 "
    "AND typeof(number) = 'integer' AND number BETWEEN 1 AND 9999 "
    "AND typeof(stamp) = 'real' AND stamp BETWEEN -62135683200.0 AND 253402387200.0 "
    "AND typeof(date) = 'text' AND date GLOB "
    "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*' "
    "AND typeof(date_source) = 'text' AND typeof(key) = 'text' AND typeof(newest) = 'real' "
    "AND typeof(sections) = 'text' AND typeof(diagnostics) IN ('text', 'null') "
    "AND typeof(heading_line) = 'integer'")
# What Store.catalog_files asks of each row it keeps, since a row damaged on the disk was
# never checked: the values the code compares or converts with no check of its own (a
# TypeError there would be an internal error, exit 70). The rest is read under a check
# (see feeds.loader._summary), and each column asked costs: this, 3 ms of CPU more than
# no check at N = 5,000; all of _CATALOG_ROW, 7 ms.
_CATALOG_READ = (
    "typeof(year) = 'integer' AND year BETWEEN 1900 AND 2999 AND typeof(number) = 'integer' "
    "AND number BETWEEN 1 AND 9999 AND typeof(stamp) = 'real' AND typeof(path) = 'text' "
    "AND substr(path, -3) = '.md' AND date GLOB '[0-9][0-9][0-9][0-9]-*'")

# STRICT tables: a value of another type is refused (SQLITE_CONSTRAINT), as is NULL where
# the code needs a value and a value of a shape it relies on that is not (CHECK).
_SCHEMA = f"""
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE sources (path TEXT PRIMARY KEY, seen BLOB NOT NULL) STRICT;
CREATE TABLE catalog (file TEXT PRIMARY KEY, path TEXT NOT NULL, name TEXT NOT NULL,
    year INTEGER NOT NULL, number INTEGER NOT NULL, stamp REAL NOT NULL, date TEXT NOT NULL,
    date_source TEXT NOT NULL, key TEXT NOT NULL, newest REAL NOT NULL, sections TEXT NOT NULL,
    diagnostics TEXT, heading_line INTEGER NOT NULL, CHECK ({_CATALOG_ROW})) STRICT;
CREATE INDEX catalog_by_number ON catalog (year, number);
CREATE INDEX catalog_by_newest ON catalog (newest);
CREATE INDEX catalog_by_order ON catalog (stamp, year, number, path);
CREATE INDEX catalog_noted ON catalog (file) WHERE diagnostics IS NOT NULL OR date_source = 'mtime';
CREATE TABLE catalog_sections (file TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,
    slug TEXT, line INTEGER NOT NULL, count INTEGER NOT NULL CHECK (count BETWEEN 0 AND 9999),
    newest REAL NOT NULL, PRIMARY KEY (file, position)) STRICT;
CREATE INDEX catalog_sections_by_slug ON catalog_sections (slug, name);
CREATE INDEX catalog_sections_by_newest ON catalog_sections (slug, newest);
CREATE INDEX catalog_sections_counts ON catalog_sections (slug, count);
CREATE TABLE parsed (key TEXT PRIMARY KEY, result BLOB NOT NULL, crc INTEGER NOT NULL
    CHECK (crc BETWEEN 0 AND 4294967295)) STRICT;
CREATE TABLE issues (key TEXT PRIMARY KEY, year INTEGER, number INTEGER, date TEXT,
    summary BLOB NOT NULL) STRICT;
CREATE INDEX issues_by_number ON issues (year, number);
CREATE TABLE entries (issue TEXT NOT NULL, context TEXT NOT NULL, entries TEXT NOT NULL,
    PRIMARY KEY (issue, context)) STRICT;
CREATE TABLE slugs (name TEXT PRIMARY KEY, slug TEXT NOT NULL) STRICT;
CREATE TABLE fragments (key TEXT PRIMARY KEY, crc0 INTEGER, crc1 INTEGER, crc2 INTEGER,
    data0 BLOB, data1 BLOB, data2 BLOB, CHECK ((crc0 IS NULL) = (data0 IS NULL)
    AND (crc1 IS NULL) = (data1 IS NULL) AND (crc2 IS NULL) = (data2 IS NULL)
    AND coalesce(crc0, 0) BETWEEN 0 AND 4294967295 AND coalesce(crc1, 0) BETWEEN 0 AND 4294967295
    AND coalesce(crc2, 0) BETWEEN 0 AND 4294967295)) STRICT;
CREATE TABLE digests (ledger TEXT NOT NULL, id TEXT NOT NULL, revision TEXT NOT NULL
    CHECK (length(revision) = 64 AND revision NOT GLOB '*[^0-9a-f]*'), updated TEXT NOT NULL
    CHECK (updated GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'),
    PRIMARY KEY (ledger, id)) STRICT;
CREATE TABLE revisions (ledger TEXT NOT NULL, year INTEGER NOT NULL, number INTEGER NOT NULL,
    records TEXT NOT NULL, PRIMARY KEY (ledger, year, number)) STRICT;
CREATE TABLE corrected (ledger TEXT NOT NULL, id TEXT NOT NULL, year INTEGER NOT NULL,
    number INTEGER NOT NULL, position INTEGER NOT NULL, slug TEXT NOT NULL,
    updated REAL NOT NULL, PRIMARY KEY (ledger, id)) STRICT;
CREATE INDEX corrected_by_updated ON corrected (ledger, updated);
CREATE INDEX corrected_by_issue ON corrected (ledger, year, number);
CREATE TABLE archive_pages (ledger TEXT NOT NULL, key TEXT NOT NULL, path TEXT NOT NULL,
    PRIMARY KEY (ledger, key)) STRICT;
CREATE TABLE ledgers (ledger TEXT PRIMARY KEY) STRICT;
CREATE TABLE edits (ledger TEXT NOT NULL, file TEXT NOT NULL, PRIMARY KEY (ledger, file)) STRICT;
CREATE TABLE published (output TEXT NOT NULL, path TEXT NOT NULL, digest TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL, sk INTEGER,
    PRIMARY KEY (output, path)) STRICT;
CREATE TABLE builds (output TEXT PRIMARY KEY, inputs TEXT NOT NULL, feeds INTEGER,
    files BLOB NOT NULL, warnings BLOB NOT NULL) STRICT;
CREATE TABLE page_keys (output TEXT NOT NULL, path TEXT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (output, path)) STRICT;
CREATE TABLE page_issues (issue TEXT PRIMARY KEY, url TEXT NOT NULL, articles INTEGER NOT NULL,
    slugs TEXT NOT NULL) STRICT;
CREATE TABLE page_parts (output TEXT NOT NULL, page TEXT NOT NULL, name TEXT NOT NULL,
    key TEXT NOT NULL, part TEXT NOT NULL, "check" TEXT NOT NULL,
    PRIMARY KEY (output, page, name)) STRICT;
CREATE TABLE archive_marks (id INTEGER PRIMARY KEY CHECK (id = 1), context TEXT NOT NULL,
    newest REAL, marks TEXT NOT NULL, low REAL) STRICT;
CREATE TABLE page_marks (output TEXT PRIMARY KEY, context TEXT NOT NULL, count INTEGER NOT NULL,
    newest REAL, low REAL) STRICT;
"""

# Every change to the catalog lowers archive_marks.low (and page_marks.low) to the date
# (stamp) of the issue added or removed (any other change: to the lowest value): the
# marks hold only while every change is newer than everything they cover (see
# Store.archive_marks, Store.page_marks).
_TRIGGERS = tuple(
    f"CREATE TRIGGER {table}_{name} AFTER {event} ON catalog BEGIN "
    f"UPDATE {table} SET low = min(coalesce(low, 1e308), {value}); END"
    for table in ("archive_marks", "page_marks")
    for name, event, value in (("added", "INSERT", "coalesce(NEW.stamp, -1e308)"),
                               ("dropped", "DELETE", "coalesce(OLD.stamp, -1e308)"),
                               ("changed", "UPDATE", "-1e308"))) + tuple(
    # A build never updates a row of the catalog in place (it drops it and puts it anew):
    # one that is (edited by hand) is taken as damaged, and the whole catalog is made again
    # from the issue files (see Store.catalog_files): a changed name or slug is of the
    # right type and shape, and nothing else would tell it from the truth.
    f"CREATE TRIGGER {table}_edited AFTER UPDATE ON {table} BEGIN "
    "DELETE FROM meta WHERE name = 'catalog'; END" for table in ("catalog", "catalog_sections"))

# Each section slug once (NULL too, if a section has none), from the index by slug: one
# search per slug (a recursive query), not a scan of every issue's sections.
_EACH_SLUG = (
    "WITH RECURSIVE found(slug) AS (SELECT min(slug) FROM catalog_sections UNION ALL "
    "SELECT (SELECT min(slug) FROM catalog_sections WHERE slug > found.slug) FROM found "
    "WHERE found.slug IS NOT NULL) SELECT slug FROM found WHERE slug IS NOT NULL "
    "UNION ALL SELECT NULL WHERE EXISTS (SELECT 1 FROM catalog_sections WHERE slug IS NULL)")
# The slugs that more than one section name has: the first and last name of each
# slug, two searches in the index by slug and name.
_SHARED_SLUGS = (
    f"SELECT slug FROM ({_EACH_SLUG}) AS found WHERE (SELECT min(name) FROM catalog_sections s "
    "WHERE s.slug IS found.slug) < (SELECT max(name) FROM catalog_sections s "
    "WHERE s.slug IS found.slug)")

# Errors that say the database cannot be used now, not that it is damaged.
_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_READONLY", "SQLITE_CANTOPEN",
                "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_PERM", "SQLITE_NOMEM", "SQLITE_PROTOCOL",
                "SQLITE_AUTH")


class ForeignDatabase(sqlite3.DatabaseError):
    """A SQLite file that is not this tool's state."""


class OtherSchema(sqlite3.DatabaseError):
    """The state of another version of this tool: set aside under a name of its own
    (a cold build starts anew, and the corrections it recorded are not carried over)."""

    def __init__(self, version: int) -> None:
        super().__init__(f"schema {version}; this version's is {SCHEMA_VERSION}")
        self.version = version

    @property
    def aside(self) -> str:
        """The name it is set aside as."""
        return f"{DATABASE}.schema-{self.version}"


class DamagedRow(sqlite3.DatabaseError):
    """A row of the state that cannot be read and cannot be done without: the
    database is set aside like a damaged file."""


def loads(data: str | bytes) -> Any:
    """JSON read back from the state. Raises ValueError for any that cannot be read,
    nesting too deep for the parser (a planted row: RecursionError) included."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def is_full(exc: sqlite3.Error, folder: Path) -> bool:
    """Whether the error means the disk of the database in ``folder`` is full: SQLITE_FULL,
    or an I/O error while that file system has no free block left."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    if name == "SQLITE_FULL":
        return True
    if not name.startswith("SQLITE_IOERR"):
        return False
    try:
        return os.statvfs(folder).f_bavail == 0
    except OSError:
        return False


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether the error means a damaged or foreign file (set it aside), rather than
    one that cannot be used at the moment (locked, read-only, disk full)."""
    return not str(getattr(exc, "sqlite_errorname", "") or "").startswith(_UNAVAILABLE)


_INT64 = 1 << 63


def _time(ns: int) -> int:
    """A file time as SQLite can hold it (a signed 64-bit integer: the years 1677 to
    2262). A time outside is held as the nearest one, which no file's stat then
    matches: such a file is simply read again."""
    return max(-_INT64, min(ns, _INT64 - 1))


def _ino(ino: int) -> int:
    """An inode number (up to 2**64 - 1) as a signed 64-bit integer; :func:`_inode`
    gives it back."""
    return ino - (_INT64 << 1) if ino >= _INT64 else ino


def _inode(stored: int) -> int:
    """:func:`_ino` undone; a value that is no whole number (a damaged row) is given
    back as it is, to match no file's inode."""
    return stored + (_INT64 << 1) if type(stored) is int and stored < 0 else stored


class SourceRow(NamedTuple):
    """An issue file as the last build saw it (a tuple: one per issue, made quickly)."""

    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    digest: str
    racy: bool


SEEN_BYTES = SEEN.size + 64  # and the SHA-256 digest in hex; a racy row has one byte more


def seen_blob(row: SourceRow) -> bytes:
    """The stored form of ``row``: :data:`SEEN` (times out of range held as the nearest,
    which no file's stat then matches: see feeds.sources.packs), its digest, and a
    byte more if it was racy (so that no stat matches it either)."""
    return (SEEN.pack(row.size, _time(row.ctime_ns), row.ino, _time(row.mtime_ns))
            + row.digest.encode() + (b"r" if row.racy else b""))


def row_of(blob: bytes) -> SourceRow | None:
    """The :class:`SourceRow` that :func:`seen_blob` stored (None: not one)."""
    if len(blob) not in (SEEN_BYTES, SEEN_BYTES + 1):
        return None
    size, ctime, ino, mtime = SEEN.unpack_from(blob)
    return SourceRow(size, mtime, ctime, ino, blob[SEEN.size:SEEN_BYTES].decode("ascii",
                     "replace"), len(blob) > SEEN_BYTES)


class PublishedRow(NamedTuple):
    """A published file: its digest, and its size, mtime, inode and ctime when last
    seen (a tuple: a build reads one per published file, thousands). The ctime is
    set by the kernel on every change: a file altered in place, its size and mtime
    put back, is still read again."""

    digest: str
    size: int
    mtime_ns: int
    ino: int
    ctime_ns: int


SMALL_MANIFEST = 2000  # rows read all at once (fewer than a look-ahead child is made for)
_STAT_KEY_BITS = (1 << 62) - 1
# The count and sum of the stat keys, summed in two halves: no overflow below 2**32 rows.
_BUILT_SUMS = "count(sk), coalesce(sum(sk >> 31), 0), coalesce(sum(sk & 2147483647), 0)"


def stat_key(path: str, size: int, mtime_ns: int, ino: int, ctime_ns: int) -> int:
    """A 62-bit number for a published file's path, size, mtime, inode and ctime: the
    manifest keeps one per file the last build produced, and a build compares their sum
    with that of the files as they are (:func:`files_key`) instead of reading every row.
    Python's hash of a tuple of integers (not salted per process, unlike that of text);
    a sum that differs only makes the build look at each file."""
    return hash((zlib.crc32(path.encode("utf-8", "surrogatepass")), size, mtime_ns, ino,
                 ctime_ns)) & _STAT_KEY_BITS


def _key(count: int, total: int) -> str:
    return f"{count}:{total}"


def files_key(files: Iterable[tuple[str, int, int, int, int]]) -> str:
    """The key of published files (each its path, size, mtime, inode and ctime): their
    count and the sum of their :func:`stat_key`, so that the state store can sum its rows
    without reading them (:meth:`Store.built_key`). The no-op check compares the key of
    the files now with that of the rows the last build left."""
    count = total = 0
    for file in files:
        count += 1
        total += stat_key(*file)
    return _key(count, total)


def _published_row(row: Row) -> PublishedRow:
    """A row of ``path, digest, size, mtime_ns, ino, ctime_ns`` as a PublishedRow."""
    return PublishedRow(row[1], row[2], row[3], _inode(row[4]), row[5])


class Manifest(Mapping[str, PublishedRow]):
    """The manifest of one output folder as a build reads it: every path, and the key of
    the rows the last build produced (:meth:`Store.built_key`), at once; a row only when
    it is asked for (a build after one new issue keeps thousands of files and looks at a
    few dozen rows). ``unbuilt`` holds the paths of the rows of files the last build did
    not produce (stale, superseded): no stat key, not in ``key``. Read in the thread
    that holds the store's connection; :meth:`load` fetches many rows at once."""

    def __init__(self, store: Store, output: str, paths: dict[str, None],
                 unbuilt: frozenset[str], count: int, total: int) -> None:
        self.store = store
        self.output = output
        self.paths = paths
        self.unbuilt = unbuilt
        self.count = count  # the rows with a stat key, and their sum
        self.total = total
        self.key = _key(count, total)
        self._rows: dict[str, PublishedRow] = {}
        self._keys: dict[str, int | None] = {}  # each read row's stat key as stored

    def __getitem__(self, path: str) -> PublishedRow:
        row = self._rows.get(path)
        if row is None:
            if path not in self.paths:
                raise KeyError(path)
            self.load([path])
            row = self._rows[path]
        return row

    def __contains__(self, path: object) -> bool:
        return path in self.paths

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def load(self, paths: Collection[str]) -> None:
        """Fetch the rows of those of ``paths`` that are in the manifest, not yet read
        (every row at once, in a small manifest: a build looks at each of its files)."""
        wanted = [p for p in paths if p in self.paths and p not in self._rows]
        if wanted:
            if len(self.paths) <= SMALL_MANIFEST:
                wanted = [p for p in self.paths if p not in self._rows]
            for path, (row, key) in self.store._rows(self.output, wanted).items():
                self._rows[path] = row
                self._keys[path] = key
            for path in wanted:  # a row that cannot be read as one is no row
                if path not in self._rows:
                    del self.paths[path]


class NewManifest(Mapping[str, PublishedRow]):
    """The manifest after a publish: ``base`` (the one before) with the rows in
    ``changed`` put in and those in ``dropped`` taken out; ``aside`` names the rows of
    files not produced by that publish (stale, superseded), kept as they were."""

    def __init__(self, base: Mapping[str, PublishedRow], changed: dict[str, PublishedRow],
                 dropped: set[str], aside: set[str]) -> None:
        self.base = base
        self.changed = changed
        self.dropped = dropped
        self.aside = aside

    def __getitem__(self, path: str) -> PublishedRow:
        row = self.changed.get(path)
        if row is not None:
            return row
        if path in self.dropped:
            raise KeyError(path)
        return self.base[path]

    def __contains__(self, path: object) -> bool:
        return path in self.changed or (path in self.base and path not in self.dropped)

    def __iter__(self) -> Iterator[str]:
        yield from (p for p in self.base if p not in self.dropped)
        yield from (p for p in self.changed if p not in self.base)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def built_key(self) -> str | None:
        """:meth:`Store.built_key` once the rows are saved, from the stat keys of the rows
        before (``base``'s sum, and the rows that leave it); None when ``base`` is not a
        :class:`Manifest` or a row that leaves was not read before it was saved."""
        base = self.base
        if not isinstance(base, Manifest):
            return None
        count, total = base.count, base.total
        known = base._keys
        if not all(p in known for p in self.dropped) or \
                not all(p in known for p in self.changed if p in base):
            return None
        for path in self.dropped:
            key = known[path]
            if key is not None:
                count, total = count - 1, total - key
        for path, row in self.changed.items():
            old = known[path] if path in base else None
            if old is not None:
                if path not in self.aside and base[path] == row:
                    continue
                count, total = count - 1, total - old
            if path not in self.aside:
                count, total = count + 1, total + stat_key(path, *row[1:])
        return _key(count, total)


def _manifest_sums(db: sqlite3.Connection, output: str
                   ) -> tuple[str | None, int, int, int, str | None]:
    """What :meth:`Store.manifest` reads of ``output``'s rows, on connection ``db``."""
    (paths,) = db.execute("SELECT group_concat(path, char(0)) FROM published "
                          "WHERE output = ?", (output,)).fetchone()
    count, high, low, unbuilt = db.execute(
        f"SELECT {_BUILT_SUMS}, group_concat(iif(sk IS NULL, path, NULL), char(0)) "
        "FROM published WHERE output = ?", (output,)).fetchone()
    return paths, count, high, low, unbuilt


def entries_text(entries: Sequence[Sequence[str]]) -> str:
    """An issue's entry rows as :meth:`Store.add_entries` stores them."""
    return json.dumps(entries, ensure_ascii=False)


_FLUSHING: set[threading.Thread] = set()


def _flush(path: Path) -> None:
    """Write what the kernel holds of the file at ``path`` to the disk (nothing to do,
    if it cannot: the commit's own sync does it)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return
    try:
        getattr(os, "fdatasync", os.fsync)(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _flushed() -> None:
    """Wait for every flush under way: no thread of this process runs when it forks."""
    for thread in list(_FLUSHING):
        thread.join()
        _FLUSHING.discard(thread)


os.register_at_fork(before=_flushed)


class Store:
    """The state database; every change a build makes is one transaction."""

    def __init__(self, db: sqlite3.Connection, path: Path | None, new: bool = False) -> None:
        self.db = db
        self.path = path
        self.new = new  # made by this build: in rollback-journal mode until its commit
        self.unflushed = 0  # bytes stored since the last flush began
        self.flushing: threading.Thread | None = None
        self.begun_with = -1  # the connection's total_changes when the transaction began

    @classmethod
    def open(cls, folder: Path) -> Store:
        """The database in ``folder``, created if missing. Raises sqlite3.Error
        (ForeignDatabase for a SQLite file of another program, OtherSchema for the
        state of another version of this one)."""
        path = folder / DATABASE
        db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            app = db.execute("PRAGMA application_id").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables and app != APPLICATION_ID:
                raise ForeignDatabase(f"a SQLite database of another program "
                                      f"(application_id {app:#x})")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if tables and version != SCHEMA_VERSION:
                raise OtherSchema(version)
            if tables and not _schema_holds(db):
                raise DamagedRow("its tables are not as this version makes them "
                                 "(a schema edited by hand)")
            if not tables:  # pages that hold a serialised entry whole: fewer overflow pages
                db.execute("PRAGMA page_size = 16384")
            if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
                raise sqlite3.OperationalError("cannot use WAL mode")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA cache_size=-16384")  # 16 MB
            # Freed pages are not zeroed (Debian's SQLite does that by default): dropping
            # the fragments of a whole configuration wrote them all, and the commit again.
            db.execute("PRAGMA secure_delete=FAST")
            if not tables:
                _create(db)
            new = _empty(db) and _rollback_journal(db)
        except BaseException:
            db.close()
            raise
        return cls(db, path, new)

    @classmethod
    def memory(cls) -> Store:
        """A store that lives for this build only (when the real one cannot be used)."""
        db = sqlite3.connect(":memory:", isolation_level=None)
        _create(db)
        return cls(db, None)

    @staticmethod
    def set_aside(folder: Path, name: str = SET_ASIDE) -> None:
        """Move a damaged database (or ``name``: another version's) out of the way
        (raises OSError if it cannot be)."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            src = folder / (DATABASE + suffix)
            if src.exists():
                os.replace(src, folder / (name + suffix))

    def close(self) -> None:
        self._flushed()
        self.db.close()

    def _stored(self, size: int) -> None:
        """``size`` bytes more stored by this build: once they are :data:`FLUSH_BYTES`,
        the file they go to (the database itself in rollback-journal mode, else its
        log) is flushed to the disk by a thread while the build goes on. SQLite writes
        a transaction's pages out as its cache fills, and the commit waits for the
        disk to take them all: 200 MB after a cold build at N = 1,000, 0.15-0.2 s at its
        end, else. Flushing early changes nothing of what the commit guarantees."""
        if self.path is None:
            return
        self.unflushed += size
        if self.unflushed < FLUSH_BYTES or (self.flushing is not None
                                            and self.flushing.is_alive()):
            return
        self.unflushed = 0
        self._flushed()  # the last one, done
        target = self.path if self.new else self.path.with_name(f"{self.path.name}-wal")
        self.flushing = threading.Thread(target=_flush, args=(target,), daemon=True,
                                         name="feeds-store-flush")
        _FLUSHING.add(self.flushing)
        self.flushing.start()

    def _flushed(self) -> None:
        if self.flushing is not None:
            self.flushing.join()
            _FLUSHING.discard(self.flushing)
            self.flushing = None

    # -- the transaction

    def begin(self) -> None:
        """Start the build's one transaction; it takes the write lock now, so a
        database locked by another program is found before any work."""
        self.db.execute("BEGIN IMMEDIATE")
        self.begun_with = self.db.total_changes  # see manifest_meanwhile

    def check_code(self, parse_code: str, fragment_code: str) -> None:
        """Cached results made by other code are dropped."""
        self._check_code("parse_code", parse_code, ("parsed", "issues"))
        self._check_code("fragment_code", fragment_code, ("fragments", "entries", "archive_pages"))

    def commit(self) -> None:
        self._flushed()
        self.db.execute("COMMIT")
        if self.new:  # from now on in WAL mode (Store.open checked that it can be;
            self.new = False  # if it cannot be now, the next open says so)
            with contextlib.suppress(sqlite3.OperationalError):
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")

    def give_back_space(self) -> str | None:
        """After the build's commit: rewrite the database (VACUUM) if over half of it
        is free pages, at least :data:`VACUUM_MIN_BYTES` (a rebuild in a new
        configuration, or the first build after it, drops most serialised entries).
        Returns why it could not be, if it could not: then the file is as it was
        (SQLite's own guarantee, even for a killed build)."""
        if self.path is None:
            return None
        try:
            pages = self.db.execute("PRAGMA page_count").fetchone()[0]
            free = self.db.execute("PRAGMA freelist_count").fetchone()[0]
            size = self.db.execute("PRAGMA page_size").fetchone()[0]
            if free * 2 <= pages or free * size < VACUUM_MIN_BYTES:
                return None
            self.db.execute(f"PRAGMA busy_timeout = {VACUUM_BUSY_MS}")
            try:
                self._vacuum()
            finally:
                self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
        except sqlite3.Error as exc:
            return str(exc)
        return None

    def _vacuum(self) -> None:
        self.db.execute("VACUUM")
        # the new file went through the log: empty it rather than keep its size on disk
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def _check_code(self, name: str, value: str, tables: Sequence[str]) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        if row is None or row[0] != value:
            for table in tables:
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    # -- issue files

    def sources(self) -> dict[str, bytes]:
        """Each issue file's row as the last build saw it (see :func:`seen_blob`), as
        bytes: a build compares thousands, and a tuple for each costs more than the
        comparison. A row that is not a blob is simply not known."""
        return dict(self.db.execute("SELECT path, seen FROM sources WHERE typeof(seen) = 'blob'"))

    def save_sources(self, changed: Mapping[str, SourceRow], gone: Iterable[str]) -> None:
        """Write the rows of the files that changed, drop those of the files that went."""
        self.db.executemany("DELETE FROM sources WHERE path = ?", ((p,) for p in gone))
        self.db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?)",
                            ((path, seen_blob(r)) for path, r in changed.items()))

    # -- the catalog: a summary of every issue file, dates filled in, in columns

    _SUMMARY = ("path, name, year, number, date, date_source, key, sections, diagnostics, "
                "heading_line")

    def catalog_files(self, context: str) -> set[str]:
        """The files the catalog holds, made in the same ``context`` (code, options,
        folder); it is emptied if that changed (or was dropped: the catalog was edited;
        or a trigger is not as made, and is made again).
        A row whose values the code relies on are not what the table's CHECK allows
        (damaged on the disk, where no constraint is checked) is dropped: its file is
        read again."""
        row = self.db.execute("SELECT value FROM meta WHERE name = 'catalog'").fetchone()
        holding = self._triggers_hold()
        if row is None or row[0] != context or not holding:
            if not holding:
                for (name,) in self.db.execute("SELECT name FROM sqlite_master "
                                               "WHERE type = 'trigger'").fetchall():
                    self.db.execute(f'DROP TRIGGER "{name}"')
                for trigger in _TRIGGERS:
                    self.db.execute(trigger)
            self.db.execute("DELETE FROM catalog")
            self.db.execute("DELETE FROM catalog_sections")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('catalog', ?)", (context,))
            return set()
        held = {f for (f,) in self.db.execute(f"SELECT file FROM catalog WHERE {_CATALOG_READ}")}
        if len(held) != self.catalog_size():  # rows damaged on the disk: read their files again
            self.db.execute("DELETE FROM catalog_sections WHERE file IN (SELECT file FROM "
                            f"catalog WHERE NOT ({_CATALOG_READ}))")
            self.db.execute(f"DELETE FROM catalog WHERE NOT ({_CATALOG_READ})")
        return held

    def catalog_row(self, file: str) -> Row | None:
        row: Row | None = self.db.execute(f"SELECT {self._SUMMARY} FROM catalog WHERE file = ?",
                                          (file,)).fetchone()
        return row

    def put_catalog(self, file: str, row: Sequence[object], newest: float, stamp: float,
                    sections: Sequence[Sequence[object]], new: bool = False) -> None:
        """One issue file's summary: ``row`` as :meth:`catalog_row` gives it. A row as
        stored already (a file read again, unchanged) is left alone: the archive marks
        hold (see :meth:`archive_marks`). ``new``: the catalog holds no row of the file
        (an empty catalog: nothing to compare or drop)."""
        path, name, year, number, date, date_source, key, sections_json, diagnostics, line = row
        values = (file, path, name, year, number, stamp, date, date_source, key, newest,
                  sections_json, diagnostics, line)
        if not new:
            if self.db.execute("SELECT * FROM catalog WHERE file = ?",
                               (file,)).fetchone() == values:
                return
            self.drop_catalog([file])
        self.db.execute("INSERT INTO catalog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        values)
        self.db.executemany("INSERT INTO catalog_sections VALUES (?, ?, ?, ?, ?, ?, ?)",
                            ((file, at, *section, newest) for at, section in enumerate(sections)))

    def drop_catalog(self, files: Iterable[str]) -> None:
        rows = [(f,) for f in files]
        self.db.executemany("DELETE FROM catalog WHERE file = ?", rows)
        self.db.executemany("DELETE FROM catalog_sections WHERE file = ?", rows)

    def number_clashes(self) -> list[tuple[int, int, list[str]]]:
        """Each year and number that more than one issue has, with their paths in order."""
        clashes = self.db.execute("SELECT year, number FROM catalog GROUP BY year, number "
                                  "HAVING count(*) > 1 ORDER BY year, number").fetchall()
        return [(year, number, [p for (p,) in self.db.execute(
            "SELECT path FROM catalog WHERE year = ? AND number = ? ORDER BY path",
            (year, number))]) for year, number in clashes]

    def has_section(self, name: str, slug: str) -> bool:
        """Whether some issue has a section of this name and slug (by the slug's index)."""
        return self.db.execute("SELECT 1 FROM catalog_sections WHERE slug = ? AND name = ? "
                               "LIMIT 1", (slug, name)).fetchone() is not None

    def slug_clashes(self) -> list[tuple[str, int, str, str]]:
        """Every section (path, line, name, slug) whose slug another name also has,
        in order of path and place, with the first of each slug."""
        return self.db.execute(
            "SELECT c.path, s.line, s.name, s.slug FROM catalog_sections s "
            f"JOIN catalog c ON c.file = s.file WHERE s.slug IN ({_SHARED_SLUGS}) "
            "ORDER BY c.path, s.position").fetchall()

    def catalog_notes(self) -> Iterator[tuple[str, str, str | None]]:
        """Path, date source and warnings of each issue that has any, by file."""
        return self.db.execute("SELECT path, date_source, diagnostics FROM catalog "
                               "WHERE diagnostics IS NOT NULL OR date_source = 'mtime' "
                               "ORDER BY file")

    def dates_and_numbers(self) -> list[tuple[str, int, int, str, str, int]]:
        """Path, year, number, date, date source and heading line of every issue."""
        return self.db.execute("SELECT path, year, number, date, date_source, heading_line "
                               "FROM catalog").fetchall()

    def dated_rows(self) -> list[tuple[str, int, int, str, str, int, float]]:
        """:meth:`dates_and_numbers` and the date as a POSIX time (see
        :class:`feeds.sanity.DatedRow`), in the order of the catalog's rows."""
        return self.db.execute("SELECT path, year, number, date, date_source, heading_line, "
                               "stamp FROM catalog ORDER BY rowid").fetchall()

    def numbers_of(self, paths: Collection[str]) -> dict[str, tuple[int, int]]:
        """The year and number of each of ``paths`` that the catalog holds: a rebuild
        after a new issue needs those of a few, not :meth:`dates_and_numbers`."""
        if len(paths) > _BATCH:
            return {p: (y, n) for p, y, n in self.db.execute(
                "SELECT path, year, number FROM catalog") if p in paths}
        wanted = list(paths)
        return {p: (y, n) for p, y, n in self.db.execute(
            f"SELECT path, year, number FROM catalog WHERE path IN ({','.join('?' * len(wanted))})",
            wanted)} if wanted else {}

    def catalog_size(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM catalog").fetchone()[0])

    def by_newest(self, slug: str | None) -> Iterator[Row]:
        """Summaries (of issues with a section ``slug``), newest last article first,
        read from an index as far as the caller goes."""
        if slug is None:
            return self.db.execute(f"SELECT {self._SUMMARY} FROM catalog ORDER BY newest DESC")
        columns = ", ".join(f"c.{c}" for c in self._SUMMARY.split(", "))
        rows = self.db.execute(
            f"SELECT s.file, {columns} FROM catalog_sections s JOIN catalog c "
            "ON c.file = s.file WHERE s.slug = ? ORDER BY s.newest DESC", (slug,))
        return _first_of_each(rows)

    def section_slugs(self) -> list[str]:
        """Every slug of a section with articles, in order: one index search per slug
        (a recursive query), not a scan of every issue's sections."""
        return [s for (s,) in self.db.execute(
            "WITH RECURSIVE found(slug) AS (SELECT min(slug) FROM catalog_sections "
            "WHERE count > 0 UNION ALL SELECT (SELECT min(slug) FROM catalog_sections "
            "WHERE slug > found.slug AND count > 0) FROM found WHERE found.slug IS NOT NULL) "
            "SELECT slug FROM found WHERE slug IS NOT NULL")]

    def since(self, stamp: float) -> Iterator[Row]:
        """Summaries of the issues dated at or after ``stamp`` (a POSIX time), oldest first."""
        return self.db.execute(f"SELECT {self._SUMMARY} FROM catalog WHERE stamp >= ? "
                               "ORDER BY stamp, year, number, path", (stamp,))

    def in_order(self) -> Iterator[Row]:
        return self.db.execute(f"SELECT {self._SUMMARY} FROM catalog "
                               "ORDER BY stamp, year, number, path")

    def latest(self) -> Row | None:
        row: Row | None = self.db.execute(
            f"SELECT {self._SUMMARY} FROM catalog "
            "ORDER BY stamp DESC, year DESC, number DESC, path DESC LIMIT 1").fetchone()
        return row

    # -- parse results and summaries

    def summary(self, key: str) -> bytes | None:
        """The summary of a parse result (its date as the text gives it)."""
        row = self.db.execute("SELECT summary FROM issues WHERE key = ?", (key,)).fetchone()
        return row[0] if row and isinstance(row[0], bytes) else None

    def parsed(self, key: str) -> bytes | None:
        """A parse result's JSON, None if there is none; raises :class:`DamagedRow` if
        it is not what was stored."""
        row = self.db.execute("SELECT result, crc FROM parsed WHERE key = ?",
                              (key,)).fetchone()
        if row is None:
            return None
        return _checked(row[0], row[1], f"the parse result {key}")

    def add_parsed(self, key: str, result: bytes, summary: bytes, year: int, number: int,
                   date: str | None) -> None:
        self.db.execute("INSERT OR REPLACE INTO parsed VALUES (?, ?, ?)",
                        (key, result, zlib.crc32(result)))
        self._stored(len(result))
        self.db.execute("INSERT OR REPLACE INTO issues VALUES (?, ?, ?, ?, ?)",
                        (key, year, number, date, summary))

    def forget_parsed(self) -> None:
        """Drop the results no issue file of the catalog has any more, once they are many."""
        count = self.db.execute("SELECT count(*) FROM issues").fetchone()[0]
        used = self.db.execute("SELECT count(*) FROM catalog").fetchone()[0]
        if count <= used + max(16, used // 8):
            return
        for table in ("issues", "parsed"):
            self.db.execute(f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM catalog)")
        self.db.execute("DELETE FROM entries WHERE issue NOT IN (SELECT key FROM catalog)")

    # -- section slugs (pypinyin is slow to load: a slug once made is kept)

    def slugs(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT name, slug FROM slugs"))

    def add_slugs(self, slugs: Mapping[str, str]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO slugs VALUES (?, ?)", slugs.items())

    # -- what the feed plan needs of an issue's entries: key, date, section name

    def entries(self, issue: str, context: str) -> list[list[Any]] | None:
        row = self.db.execute("SELECT entries FROM entries WHERE issue = ? AND context = ?",
                              (issue, context)).fetchone()
        if row is None:
            return None
        try:
            data = loads(row[0])
        except ValueError:
            return None
        return data if isinstance(data, list) else None

    def add_entries(self, issue: str, context: str,
                    entries: Sequence[Sequence[str]] | str) -> None:
        """The issue's entry rows, or their :func:`entries_text` (made by a worker)."""
        text = entries if isinstance(entries, str) else entries_text(entries)
        self.db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                        (issue, context, text))

    def lacking_entries(self, context: str) -> list[Row]:
        """The summary rows (see :meth:`by_newest`) of the catalog's issues that have no
        entries stored under ``context`` and their date (``context``, NUL, the date),
        oldest first: those a build in a new context makes on all cores before its plan."""
        columns = ", ".join(f"c.{c}" for c in self._SUMMARY.split(", "))
        return self.db.execute(
            f"SELECT {columns} FROM catalog c WHERE NOT EXISTS (SELECT 1 FROM entries e "
            "WHERE e.issue = c.key AND e.context = ? || char(0) || c.date) "
            "ORDER BY c.stamp, c.year, c.number, c.path", (context,)).fetchall()

    def drop_other_contexts(self, context: str) -> None:
        """Drop every serialised entry and the entries stored under any context but
        ``context`` (followed by NUL and a date): for a build that makes most issues'
        entries anew, before it stores them (the pages freed are then used again, and
        emptying a whole table costs little; see :meth:`_keep_only_fragments`)."""
        self.db.execute("DELETE FROM fragments")
        self.db.execute("DELETE FROM entries WHERE NOT (context >= ? AND context < ?)",
                        (f"{context}\0", f"{context}\1"))

    def holds_entries(self, ledger: str) -> bool:
        """Whether any entry is stored (serialised, or as rows) or any record of what
        the output folder of ``ledger`` published (its articles' and digest entries')."""
        row = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM fragments) OR EXISTS (SELECT 1 FROM entries) "
            "OR EXISTS (SELECT 1 FROM revisions WHERE ledger = ?) "
            "OR EXISTS (SELECT 1 FROM digests WHERE ledger = ?)", (ledger, ledger)).fetchone()
        return bool(row[0])

    def prepared_for(self) -> str | None:
        """The settings (see :meth:`save_prepared_for`) of the last build that left
        entries stored for every issue."""
        row = self.db.execute("SELECT value FROM meta WHERE name = 'prepared'").fetchone()
        return row[0] if row is not None and isinstance(row[0], str) else None

    def save_prepared_for(self, settings: str | None) -> None:
        if settings is None:
            self.db.execute("DELETE FROM meta WHERE name = 'prepared'")
        else:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('prepared', ?)", (settings,))

    def forget_entries_of(self, issues: Iterable[tuple[int, int]],
                          keep: Iterable[tuple[str, str]]) -> None:
        """Drop the stored entries of the issues (year, number) but those in ``keep``
        (issue key, context): their ``updated`` was dated by records since replaced."""
        kept = set(keep)
        for year, number in issues:
            rows = self.db.execute(
                "SELECT e.issue, e.context FROM entries e JOIN issues i ON i.key = e.issue "
                "WHERE i.year = ? AND i.number = ?", (year, number)).fetchall()
            self.db.executemany("DELETE FROM entries WHERE issue = ? AND context = ?",
                                [tuple(r) for r in rows if tuple(r) not in kept])

    # -- serialised entries

    def fragment_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have their serialised entries stored."""
        found: set[str] = set()
        keys = list(keys)
        for at in range(0, len(keys), _BATCH):
            batch = keys[at:at + _BATCH]
            found.update(k for (k,) in self.db.execute(
                f"SELECT key FROM fragments WHERE key IN ({','.join('?' * len(batch))})",
                batch))
        return found

    def add_fragments(self, fragments: Iterable[tuple[str, tuple[bytes, ...]]],
                      formats: Sequence[str]) -> None:
        """Each key's bytes in each of ``formats`` (the names of the build's formats, in
        the order of its fragments: see :func:`feeds.formats.enabled`), one row per key
        (:data:`FRAGMENT_SLOTS`): a cold build stores 20,000 rows at N = 1,000, not 60,000,
        a third less of the main process's time here."""
        width = len(formats)
        if width > FRAGMENT_SLOTS:
            raise ValueError(f"{width} formats; the store holds {FRAGMENT_SLOTS}")
        pad = (None,) * (FRAGMENT_SLOTS - width)
        crc32 = zlib.crc32
        size = 0

        def row(key: str, made: Sequence[bytes]) -> Row:
            nonlocal size
            if len(made) != width:
                raise ValueError(f"{len(made)} fragments for {width} formats")
            size += sum(map(len, made))
            return (key, *map(crc32, made), *pad, *made, *pad)

        self.db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (row(k, made) for k, made in fragments))
        self._stored(size)

    def add_placed(self, keys: Sequence[str], sizes: Sequence[int], crcs: Sequence[int],
                   data: bytes, formats: Sequence[str]) -> None:
        """:meth:`add_fragments` of the keys' fragments laid one after another in ``data``,
        each of the given size and CRC-32 (made where they were written: see
        :class:`feeds.spool.Placing`): the same rows, without copying each fragment."""
        width = len(formats)
        if width > FRAGMENT_SLOTS:
            raise ValueError(f"{width} formats; the store holds {FRAGMENT_SLOTS}")
        if not len(sizes) == len(crcs) == width * len(keys) or sum(sizes) != len(data):
            raise ValueError(f"{len(sizes)} sizes and {len(crcs)} CRCs of {len(data)} bytes "
                             f"for {len(keys)} keys of {width} formats")
        pad = (None,) * (FRAGMENT_SLOTS - width)
        view = memoryview(data)

        def rows() -> Iterator[Row]:
            at = 0
            for index, key in enumerate(keys):
                first = index * width
                parts = []
                for size in sizes[first:first + width]:
                    parts.append(view[at:at + size])
                    at += size
                yield (key, *crcs[first:first + width], *pad, *parts, *pad)

        self.db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?, ?, ?, ?, ?, ?)",
                            rows())
        self._stored(len(data))

    def fragments(self, keys: Sequence[str], name: str, slot: int,
                  at_hand: Mapping[str, Sequence[bytes]] | None = None) -> Iterator[bytes]:
        """The bytes of each key in format ``name`` (at ``slot`` of the build's formats,
        and of ``at_hand``'s tuples), in order, a batch at a time: from ``at_hand`` when
        there, else stored (raises :class:`DamagedRow` for bytes not as stored)."""
        at_hand = at_hand or {}
        column = _SLOTS[slot]  # an index error, never text in the query
        for at in range(0, len(keys), _BATCH):
            batch = keys[at:at + _BATCH]
            wanted = list(dict.fromkeys(k for k in batch if k not in at_hand))
            found = {k: _checked(data, crc, f"the {name} entry {k}")
                     for k, data, crc in self.db.execute(
                         f"SELECT key, data{column}, crc{column} FROM fragments WHERE key IN "
                         f"({','.join('?' * len(wanted))})", wanted)} if wanted else {}
            for key in batch:
                yield found[key] if key in found else at_hand[key][slot]

    def fragment_rows(self, keys: Iterable[str], formats: Sequence[str]
                      ) -> dict[str, tuple[bytes, ...]]:
        """The bytes of each of ``keys`` that is stored in each of ``formats`` (the names
        of the build's formats, as :meth:`add_fragments` has them), one row read once
        for them all: :meth:`fragments` for every format at once. Raises
        :class:`DamagedRow` as it does, naming the first format whose bytes are not as
        stored."""
        width = len(formats)
        if width > FRAGMENT_SLOTS:
            raise ValueError(f"{width} formats; the store holds {FRAGMENT_SLOTS}")
        columns = ", ".join([*(f"data{s}" for s in range(width)),
                             *(f"crc{s}" for s in range(width))])
        crc32 = zlib.crc32
        found: dict[str, tuple[bytes, ...]] = {}
        keys = list(dict.fromkeys(keys))
        for at in range(0, len(keys), _BATCH):
            batch = keys[at:at + _BATCH]
            for key, *row in self.db.execute(
                    f"SELECT key, {columns} FROM fragments WHERE key IN "
                    f"({','.join('?' * len(batch))})", batch):
                made = tuple(row[:width])
                try:
                    good = tuple(map(crc32, made)) == tuple(row[width:])
                except TypeError:  # text or NULL where bytes were stored
                    good = False
                if not good:
                    for slot, name in enumerate(formats):
                        _checked(made[slot], row[width + slot], f"the {name} entry {key}")
                found[key] = made
        return found

    # -- what was published, by ledger (see feeds.writer.OutputDir.ledger): builds into
    #    one output folder never date another's entries
    # -- the digest entries as last published: see feeds.builder.revised

    def digests(self, ledger: str) -> dict[str, tuple[str, str]]:
        return {i: (r, u) for i, r, u in self.db.execute(
            "SELECT id, revision, updated FROM digests WHERE ledger = ? ORDER BY id", (ledger,))}

    def digest(self, ledger: str, ident: str) -> tuple[Any, Any] | None:
        """The revision and ``updated`` of one row of :meth:`digests`, if there is one."""
        row = self.db.execute("SELECT revision, updated FROM digests WHERE ledger = ? AND id = ?",
                              (ledger, ident)).fetchone()
        return None if row is None else (row[0], row[1])

    def digest_under(self, ledger: str, head: str) -> bool:
        """Whether a row of :meth:`digests` has an id starting ``head/`` (a range of the
        primary key: '0' follows '/')."""
        return self.db.execute("SELECT 1 FROM digests WHERE ledger = ? AND id >= ? AND id < ? "
                               "LIMIT 1", (ledger, head + "/", head + "0")).fetchone() is not None

    def digest_rows(self, ledger: str) -> sqlite3.Cursor:
        """The rows of :meth:`digests` (id, revision, updated), read as they are taken."""
        return self.db.execute("SELECT id, revision, updated FROM digests WHERE ledger = ? "
                               "ORDER BY id", (ledger,))

    def digests_after(self, ledger: str, day: float) -> list[Row]:
        """The rows of :meth:`digests` (id, revision, updated) whose ``updated`` SQLite
        reads as a Julian day after ``day``, or cannot read, by id."""
        return self.db.execute(
            "SELECT id, revision, updated FROM digests WHERE ledger = ? AND "
            "coalesce(julianday(updated) > ?, 1) ORDER BY id", (ledger, day)).fetchall()

    def digests_until(self, ledger: str, day: float) -> sqlite3.Cursor:
        """The rows of :meth:`digests` (id, revision, updated, and the Julian day SQLite
        reads in ``updated``) that SQLite cannot read, then those it reads as ``day`` or
        before, latest first; read as they are taken."""
        return self.db.execute(
            "SELECT id, revision, updated, day FROM (SELECT id, revision, updated, "
            "julianday(updated) AS day FROM digests WHERE ledger = ?) "
            "WHERE coalesce(day <= ?, 1) ORDER BY day IS NOT NULL, day DESC", (ledger, day))

    def save_digests(self, ledger: str, rows: Mapping[str, tuple[str, str]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?)",
                            ((ledger, i, r, u) for i, (r, u) in rows.items()))

    # -- the article entries as last published: see feeds.builder.dated

    def revisions(self, ledger: str, issues: Iterable[tuple[int, int]]
                  ) -> dict[tuple[int, int], dict[str, tuple[str, float]]]:
        """The records of the articles of each issue (year, number): id → revision and
        updated (a POSIX time); an issue whose row cannot be read has none."""
        found: dict[tuple[int, int], dict[str, tuple[str, float]]] = {}
        for year, number in issues:
            row = self.db.execute("SELECT records FROM revisions WHERE ledger = ? AND year = ? "
                                  "AND number = ?", (ledger, year, number)).fetchone()
            found[year, number] = _records(row[0]) if row else {}
        return found

    def save_revisions(self, ledger: str,
                       records: Mapping[tuple[int, int], Sequence[tuple[str, str, float]]],
                       corrected: Iterable[tuple[str, int, int, int, str, float]]) -> None:
        """Replace the records of the issues (year, number → each article's id, revision
        and updated), and their corrected articles: id, year, number, place in the
        issue, section slug and updated (times as POSIX times)."""
        self.db.executemany("INSERT OR REPLACE INTO revisions VALUES (?, ?, ?, ?)", (
            (ledger, year, number, json.dumps(rows, ensure_ascii=False))
            for (year, number), rows in records.items()))
        self.db.executemany("DELETE FROM corrected WHERE ledger = ? AND year = ? AND number = ?",
                            ((ledger, year, number) for year, number in records))
        self.db.executemany("INSERT OR REPLACE INTO corrected VALUES (?, ?, ?, ?, ?, ?, ?)",
                            ((ledger, *row) for row in corrected))

    def corrected(self, ledger: str, slug: str | None, since: float) -> list[Row]:
        """Each article (of section ``slug``) corrected after ``since`` (a POSIX time):
        its issue's summary row (see :meth:`by_newest`) and its place, newest first."""
        columns = ", ".join(f"c.{c}" for c in self._SUMMARY.split(", "))
        where = "" if slug is None else " AND k.slug = ?"
        return self.db.execute(
            f"SELECT {columns}, k.position FROM corrected k JOIN catalog c "
            f"ON c.year = k.year AND c.number = k.number WHERE k.ledger = ? "
            f"AND k.updated > ?{where} ORDER BY k.updated DESC, k.year, k.number, k.position",
            (ledger, since) if slug is None else (ledger, since, slug)).fetchall()

    def newest_dates(self, ledger: str, until: float) -> tuple[float | None, float | None]:
        """The newest entry's ``published`` of any issue in the catalog, and the latest
        ``updated`` of an article ``ledger`` published corrected, neither after ``until``
        (POSIX times)."""
        found = [self.db.execute(query, args).fetchone() for query, args in (
            ("SELECT max(newest) FROM catalog WHERE newest <= ?", (until,)),
            ("SELECT max(updated) FROM corrected WHERE ledger = ? AND updated <= ?",
             (ledger, until)))]
        published, updated = (row[0] if row and isinstance(row[0], (int, float)) else None
                              for row in found)
        return published, updated

    # -- issue files edited since a ledger's last build, found by another ledger's build
    #    (which keeps the files' rows up to date for all): see feeds.builder.dated

    def unseen_edits(self, ledger: str) -> set[str]:
        """The files (as :meth:`sources` names them) edited since ``ledger``'s last build
        that another ledger's build found first."""
        return {f for (f,) in self.db.execute("SELECT file FROM edits WHERE ledger = ?",
                                              (ledger,))}

    def note_edits(self, ledger: str, files: Iterable[str]) -> None:
        """``ledger`` has seen every edit; ``files``, edited now, are unseen by every
        other ledger that has built."""
        self.db.execute("INSERT OR IGNORE INTO ledgers VALUES (?)", (ledger,))
        self.db.execute("DELETE FROM edits WHERE ledger = ?", (ledger,))
        self.db.executemany("INSERT OR IGNORE INTO edits SELECT ledger, ? FROM ledgers "
                            "WHERE ledger != ?", ((f, ledger) for f in files))

    def by_number(self, year: int, number: int) -> Row | None:
        """The summary row of the issue with that year and number."""
        row: Row | None = self.db.execute(
            f"SELECT {self._SUMMARY} FROM catalog WHERE year = ? AND number = ? "
            "ORDER BY path LIMIT 1", (year, number)).fetchone()
        return row

    # -- archive pages published: their key (see feeds.render.page_key) and path

    def archive_pages(self, ledger: str) -> dict[str, str]:
        """The records of the archive pages published, in the order of their keys."""
        return dict(self.db.execute(
            "SELECT key, path FROM archive_pages WHERE ledger = ? AND typeof(key) = 'text' "
            "AND typeof(path) = 'text' ORDER BY key", (ledger,)))

    def settle_marks(self, ledger: str) -> tuple[str, str, dict[str, tuple[int, str, str]]] | None:
        """What :meth:`save_settle_marks` kept (None: nothing, or not as it writes it)."""
        row = self.db.execute("SELECT value FROM meta WHERE name = ?",
                              (_SETTLED + ledger,)).fetchone()
        try:
            context, records, feeds = loads(row[0])
            marks = {str(path): (int(pages), str(digest), str(last))
                     for path, (pages, digest, last) in feeds.items()}
            return str(context), str(records), marks
        except (TypeError, ValueError, AttributeError):
            return None

    def save_settle_marks(self, ledger: str, context: str, records: str,
                          marks: Mapping[str, tuple[int, str, str]]) -> None:
        """The marks of a build that settled the archive pages of ``ledger`` (see
        :func:`feeds.render.settle_marked`), for its ``context`` and its records'
        digest; none when there are none."""
        if not marks:
            self.db.execute("DELETE FROM meta WHERE name = ?", (_SETTLED + ledger,))
            return
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_SETTLED + ledger, json.dumps(
            [context, records, {path: list(mark) for path, mark in marks.items()}])))

    def save_archive_pages(self, ledger: str, pages: Mapping[str, str],
                           last: Mapping[str, str]) -> None:
        """Keep exactly ``pages`` (this build's), given ``last`` (what
        :meth:`archive_pages` gave): only the rows that differ are written."""
        self.db.executemany("DELETE FROM archive_pages WHERE ledger = ? AND key = ?",
                            ((ledger, k) for k, p in last.items() if pages.get(k) != p))
        self.db.executemany("INSERT OR REPLACE INTO archive_pages VALUES (?, ?, ?)",
                            ((ledger, k, p) for k, p in pages.items() if last.get(k) != p))

    # -- where the next build's archive planning resumes: see feeds.builder.ArchiveMarks

    def archive_marks(self, context: str) -> tuple[str, float | None] | None:
        """The marks (JSON) the last build saved in the same ``context`` (code and
        configuration) and the newest entry's time (a POSIX time) of the catalog then,
        if every issue added to or removed from the catalog since is newer than that
        by more than a second; else None."""
        row = self.db.execute("SELECT context, newest, marks, low FROM archive_marks "
                              "WHERE id = 1").fetchone()
        if row is None or row[0] != context or not isinstance(row[2], str):
            return None
        newest, low = row[1], row[3]
        if newest is not None and not isinstance(newest, float):
            return None
        if newest is not None and low is not None and not low > newest + 1:
            return None
        if not self._triggers_hold():
            return None
        return row[2], newest

    def _triggers_hold(self) -> bool:
        """Whether every change to the catalog is recorded (else no mark can be trusted)."""
        return sorted(sql for (sql,) in self.db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger'")) == sorted(_TRIGGERS)

    def feeds_before(self, newest: float) -> set[str]:
        """The feeds with an entry at or before ``newest`` (a POSIX time): ``""`` for
        every article and each section's slug; what marks made then must each hold."""
        found = {str(slug) for (slug,) in self.db.execute(
            f"SELECT slug FROM ({_EACH_SLUG}) AS found WHERE (SELECT min(newest) FROM "
            "catalog_sections s WHERE s.slug IS found.slug) <= ?", (newest,))}
        if found:
            found.add("")
        return found

    def save_archive_marks(self, context: str, marks: str) -> None:
        """This build's marks, made from the catalog as it is now."""
        newest = self.db.execute("SELECT max(newest) FROM catalog").fetchone()[0]
        self.db.execute("INSERT OR REPLACE INTO archive_marks VALUES (1, ?, ?, ?, NULL)",
                        (context, newest, marks))

    def forget_fragments_except(self, keys: set[str]) -> None:
        """Drop entries no feed carries any more, once they are many."""
        count = self.db.execute("SELECT count(*) FROM fragments").fetchone()[0]
        if count <= len(keys) + max(64, len(keys) // 8):
            return
        if count > 2 * len(keys):
            self._keep_only_fragments(keys)
            return
        stale = [k for (k,) in self.db.execute("SELECT key FROM fragments")
                 if k not in keys]
        for at in range(0, len(stale), _BATCH):
            batch = stale[at:at + _BATCH]
            self.db.execute(f"DELETE FROM fragments WHERE key IN ({','.join('?' * len(batch))})",
                            batch)

    def _keep_only_fragments(self, keys: set[str]) -> None:
        """Drop every fragment but those of ``keys``, when they are the fewer: they are
        set aside, the table emptied whole (SQLite frees its pages without visiting
        each row), and they are put back: at N = 1,000, the commit after it takes a
        quarter of the time it takes after deleting most rows by key."""
        self.db.execute("CREATE TEMP TABLE kept_fragments AS SELECT * FROM fragments WHERE 0")
        try:
            wanted = list(keys)
            for at in range(0, len(wanted), _BATCH):
                batch = wanted[at:at + _BATCH]
                self.db.execute("INSERT INTO kept_fragments SELECT * FROM fragments WHERE key IN "
                                f"({','.join('?' * len(batch))})", batch)
            self.db.execute("DELETE FROM fragments")
            self.db.execute("INSERT INTO fragments SELECT * FROM kept_fragments")
        finally:
            self.db.execute("DROP TABLE temp.kept_fragments")

    # -- the web edition: each page's key, and what its plan needs of each issue
    #    (see feeds.webedition)

    def page_keys(self, output: str) -> dict[str, str]:
        """The key of each page the last build into ``output`` made or kept."""
        return dict(self.db.execute("SELECT path, key FROM page_keys WHERE output = ?",
                                    (output,)))

    def save_page_keys(self, output: str, changed: Mapping[str, str],
                       gone: Iterable[str]) -> None:
        """Write the keys that changed, drop those of the pages that went."""
        self.db.executemany("DELETE FROM page_keys WHERE output = ? AND path = ?",
                            ((output, p) for p in gone))
        self.db.executemany("INSERT OR REPLACE INTO page_keys VALUES (?, ?, ?)",
                            ((output, p, k) for p, k in changed.items()))

    def page_marks(self, output: str, context: str) -> int:
        """How many of the oldest issues of the catalog (in its order) are the ones the
        last build into ``output`` made its issue pages from in the same ``context`` (see
        :func:`feeds.webedition.web_edition`): all it had, if every issue added to or
        removed from the catalog since is newer than the newest of them; else 0."""
        row = self.db.execute("SELECT context, count, newest, low FROM page_marks "
                              "WHERE output = ?", (output,)).fetchone()
        if row is None or row[0] != context or type(row[1]) is not int or row[1] < 0:
            return 0
        count, newest, low = row[1:]
        if count and not isinstance(newest, float):
            return 0
        if low is not None and count and not (isinstance(low, float) and low > newest):
            return 0
        if count and self.db.execute("SELECT count(*) FROM catalog WHERE stamp <= ?",
                                     (newest,)).fetchone()[0] != count:
            return 0  # not what the build that saved them made
        return count if self._triggers_hold() else 0

    def save_page_marks(self, output: str, context: str) -> None:
        """The marks of a build that made (or kept) the page of every issue of the
        catalog as it is now, in ``context``."""
        count, newest = self.db.execute("SELECT count(*), max(stamp) FROM catalog").fetchone()
        self.db.execute("INSERT OR REPLACE INTO page_marks VALUES (?, ?, ?, ?, NULL)",
                        (output, context, count, newest))

    def page_parts(self, output: str, page: str) -> dict[str, Row]:
        """The parts of a page the last build into ``output`` rendered from parts
        (``archive.html``'s years), by name: each one's key, text and check."""
        return {name: row for name, *row in self.db.execute(
            'SELECT name, key, part, "check" FROM page_parts WHERE output = ? AND page = ?',
            (output, page))}

    def save_page_parts(self, output: str, page: str,
                        parts: Mapping[str, tuple[str, str, str] | None]) -> None:
        """The parts of ``page`` as this build made it: write those made now (a row),
        keep those reused (None), drop the rest."""
        gone = [(output, page, name) for (name,) in self.db.execute(
            "SELECT name FROM page_parts WHERE output = ? AND page = ?", (output, page))
            if name not in parts]
        self.db.executemany("DELETE FROM page_parts WHERE output = ? AND page = ? AND name = ?",
                            gone)
        self.db.executemany("INSERT OR REPLACE INTO page_parts VALUES (?, ?, ?, ?, ?, ?)",
                            ((output, page, name, *row) for name, row in parts.items()
                             if row is not None))

    def page_issues(self) -> list[Row]:
        """Every issue of the catalog, oldest first (as :meth:`in_order`), as the web
        edition plans its pages without parsing them: the summary columns, then what
        :meth:`add_page_issues` keeps of it (front matter URL, article count, slugs of
        its sections with articles), NULL when not known."""
        columns = ", ".join(f"c.{c}" for c in self._SUMMARY.split(", "))
        return self.db.execute(
            f"SELECT {columns}, p.url, p.articles, p.slugs FROM catalog c "
            "LEFT JOIN page_issues p ON p.issue = c.key "
            "ORDER BY c.stamp, c.year, c.number, c.path").fetchall()

    def page_issues_between(self, start: int, stop: int) -> list[Row]:
        """:meth:`page_issues` from the ``start``-th oldest issue to before the ``stop``-th;
        the newer ones counted from the newest (SQLite skips the rows before an offset
        one by one: thousands for the newest issues), in the same order (ties by rowid)."""
        columns = ", ".join(f"c.{c}" for c in self._SUMMARY.split(", "))
        query = (f"SELECT {columns}, p.url, p.articles, p.slugs FROM catalog c "
                 "LEFT JOIN page_issues p ON p.issue = c.key ORDER BY ")
        size = self.catalog_size() if start else 0
        if start > size - stop >= 0:
            rows = self.db.execute(
                f"{query}c.stamp DESC, c.year DESC, c.number DESC, c.path DESC, c.rowid DESC "
                "LIMIT ? OFFSET ?", (max(stop - start, 0), size - stop)).fetchall()
            rows.reverse()
            return rows
        return self.db.execute(f"{query}c.stamp, c.year, c.number, c.path, c.rowid "
                               "LIMIT ? OFFSET ?", (max(stop - start, 0), start)).fetchall()

    def issue_pages(self) -> list[tuple[str, str, int]] | None:
        """Every issue's page path, the first ten characters of its date and its year,
        oldest first, the path and date made in SQL; None unless every year and number
        is an integer and every date text (what the catalog holds), which makes them
        the very strings Python makes of them (see :func:`feeds.webedition.web_edition`)."""
        if self.db.execute("SELECT 1 FROM catalog WHERE typeof(year) != 'integer' OR "
                           "typeof(number) != 'integer' OR typeof(date) != 'text' "
                           "LIMIT 1").fetchone() is not None:
            return None
        return self.db.execute(
            "SELECT 'issues/' || year || '-' || number || '.html', substr(date, 1, 10), year "
            "FROM catalog ORDER BY stamp, year, number, path").fetchall()

    def page_keys_of(self, output: str, paths: Iterable[str]) -> tuple[dict[str, str], int]:
        """The keys of ``paths`` among the pages of :meth:`page_keys`, and how many pages
        that has in all."""
        wanted = list(paths)
        found = dict(self.db.execute(
            f"SELECT path, key FROM page_keys WHERE output = ? AND path IN "
            f"({','.join('?' * len(wanted))})", (output, *wanted))) if wanted else {}
        count = self.db.execute("SELECT count(*) FROM page_keys WHERE output = ?",
                                (output,)).fetchone()[0]
        return found, count

    def section_counts(self) -> dict[str, int]:
        """How many articles each section slug has, in all issues (from the index
        catalog_sections_counts alone: a tenth of the time at 5,000 issues)."""
        return dict(self.db.execute("SELECT slug, sum(count) FROM catalog_sections "
                                    "GROUP BY slug"))

    def add_page_issues(self, rows: Mapping[str, tuple[str, int, str]]) -> None:
        """Remember what the web edition's plan needs of each issue, by its parse key (a
        function of it: URL, article count, slugs one a line); drop the rows no issue of
        the catalog has, once they are many."""
        self.db.executemany("INSERT OR REPLACE INTO page_issues VALUES (?, ?, ?, ?)",
                            ((k, *row) for k, row in rows.items()))
        if not rows:
            return
        count = self.db.execute("SELECT count(*) FROM page_issues").fetchone()[0]
        used = self.db.execute("SELECT count(*) FROM catalog").fetchone()[0]
        if count > used + max(16, used // 8):
            self.db.execute("DELETE FROM page_issues WHERE issue NOT IN (SELECT key FROM catalog)")

    # -- what was published where, and the last build

    def published(self, output: str) -> dict[str, PublishedRow]:
        """The manifest of ``output``, by path, every row read (see :meth:`manifest`)."""
        return {row[0]: _published_row(row) for row in self.db.execute(
            "SELECT path, digest, size, mtime_ns, ino, ctime_ns FROM published "
            "WHERE output = ?", (output,))}

    def published_stats(self, output: str) -> dict[str, tuple[int, int, int, int]]:
        """Each published file's size, mtime, inode and ctime when last seen: what a
        no-op build compares with the files, without making a row object per file."""
        return {path: (size, mtime_ns, _inode(ino), ctime_ns)
                for path, size, mtime_ns, ino, ctime_ns in self.db.execute(
                    "SELECT path, size, mtime_ns, ino, ctime_ns FROM published "
                    "WHERE output = ?", (output,))}

    def save_published(self, output: str, rows: Mapping[str, PublishedRow],
                       aside: Collection[str] = ()) -> None:
        """The whole manifest of ``output``; ``aside`` names the rows of files the build
        did not produce (stale, superseded): they have no stat key (see :func:`stat_key`)."""
        self.db.execute("DELETE FROM published WHERE output = ?", (output,))
        self._put_published(output, rows.items(), aside)

    def _put_published(self, output: str, rows: Iterable[tuple[str, PublishedRow]],
                       aside: Collection[str]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
            (output, path, r.digest, r.size, _time(r.mtime_ns), _ino(r.ino), _time(r.ctime_ns),
             None if path in aside else stat_key(path, *r[1:]))
            for path, r in rows))

    def update_published(self, output: str, rows: Mapping[str, PublishedRow],
                         before: Mapping[str, PublishedRow]) -> None:
        """:meth:`save_published`, writing only the rows that differ from ``before`` (the
        manifest as read at the start of the build): a page per issue keeps thousands of
        rows as they are. ``rows`` made by :meth:`feeds.writer.OutputDir.publish` from a
        :class:`Manifest` say what changed themselves: the kept rows are not looked at."""
        if isinstance(rows, NewManifest) and rows.base is before:
            self.db.executemany("DELETE FROM published WHERE output = ? AND path = ?",
                                ((output, p) for p in rows.dropped))
            unbuilt = before.unbuilt if isinstance(before, Manifest) else frozenset()
            self._put_published(output, ((p, r) for p, r in rows.changed.items()
                                         if p in rows.aside or p in unbuilt
                                         or before.get(p) != r), rows.aside)
            return
        self.db.executemany("DELETE FROM published WHERE output = ? AND path = ?",
                            ((output, p) for p in before if p not in rows))
        aside = rows.aside if isinstance(rows, NewManifest) else ()
        self._put_published(output, ((p, r) for p, r in rows.items() if before.get(p) != r
                                     or p in aside), aside)

    def manifest(self, output: str) -> Manifest:
        """The manifest of ``output`` as a build reads it: see :class:`Manifest`. Its
        paths come as one text from the index (no path holds a NUL: see
        :func:`feeds.writer._safe_relpath`), the rest in one pass over the rows."""
        return self._manifest_of(output, _manifest_sums(self.db, output))

    def manifest_meanwhile(self, output: str) -> Callable[[], Manifest]:
        """:meth:`manifest`, read by a thread on a connection of its own while this one
        goes on (a build imports what it needs meanwhile): its two queries are one step
        of SQLite each, which lets other threads run. The function given back waits for
        it. That connection sees what was committed: only while this build's
        transaction has changed nothing (and, holding the build's lock, no other
        writer can), else here, as it is should the thread fail (a damaged file says
        so here, as always). A fork waits for the thread, as for a flush."""
        if not MANIFEST_MEANWHILE or self.path is None or self.new \
                or self.db.total_changes != self.begun_with:
            return partial(self.manifest, output)
        path = self.path
        read: list[tuple[str | None, int, int, int, str | None]] = []

        def work() -> None:
            with contextlib.suppress(sqlite3.Error):
                db = sqlite3.connect(path, timeout=0.1, isolation_level=None)  # busy: here
                try:
                    db.execute("PRAGMA query_only = 1")
                    read.append(_manifest_sums(db, output))
                finally:
                    db.close()

        thread = threading.Thread(target=work, name="manifest", daemon=True)
        _FLUSHING.add(thread)
        thread.start()

        def taken() -> Manifest:
            thread.join()
            _FLUSHING.discard(thread)
            return self._manifest_of(output, read[0]) if read else self.manifest(output)

        return taken

    def _manifest_of(self, output: str, sums: tuple[str | None, int, int, int, str | None]
                     ) -> Manifest:
        paths, count, high, low, unbuilt = sums
        return Manifest(self, output, dict.fromkeys(paths.split("\0")) if paths else {},
                        frozenset(unbuilt.split("\0")) if unbuilt else frozenset(),
                        count, (high << 31) + low)

    def built_key(self, output: str, saved: Mapping[str, PublishedRow] | None = None) -> str:
        """:func:`files_key` of the rows of ``output`` that its last build produced, summed
        by SQLite (no row is read); or, when ``saved`` is the :class:`NewManifest` just
        saved over this output's :class:`Manifest`, from that manifest's sum."""
        if isinstance(saved, NewManifest) and isinstance(saved.base, Manifest) \
                and saved.base.output == output and saved.base.store is self:
            key = saved.built_key()
            if key is not None:
                return key
        count, high, low = self.db.execute(f"SELECT {_BUILT_SUMS} FROM published "
                                           "WHERE output = ?", (output,)).fetchone()
        return _key(count, (high << 31) + low)

    def _rows(self, output: str, paths: Collection[str]
              ) -> dict[str, tuple[PublishedRow, int | None]]:
        """The rows of ``paths`` with their stat keys (all of ``output``'s when they are
        many)."""
        query = "SELECT path, digest, size, mtime_ns, ino, ctime_ns, sk FROM published " \
            "WHERE output = ?"
        if len(paths) > _BATCH:
            return {r[0]: (_published_row(r), r[6]) for r in self.db.execute(query, (output,))}
        names = list(paths)
        found: dict[str, tuple[PublishedRow, int | None]] = {}
        for at in range(0, len(names), _BATCH):
            chunk = names[at:at + _BATCH]
            found.update((r[0], (_published_row(r), r[6])) for r in self.db.execute(
                f"{query} AND path IN ({','.join('?' * len(chunk))})", (output, *chunk)))
        return found

    def last_build(self, output: str) -> tuple[str, int, list[str], list[list[Any]]] | None:
        """The inputs digest, feed count, produced files and warnings of the last build."""
        row = self.db.execute("SELECT inputs, feeds, files, warnings FROM builds "
                              "WHERE output = ?", (output,)).fetchone()
        if row is None:
            return None
        try:
            files, warnings, feeds = _unpacked(row[2]), _unpacked(row[3]), int(row[1])
        except (TypeError, ValueError, zlib.error):
            return None
        if not (isinstance(files, list) and isinstance(warnings, list)):
            return None
        return row[0], feeds, files, warnings

    def last_inputs(self, output: str) -> str | None:
        """The inputs digest of the last build into ``output`` (see :meth:`last_build`),
        without reading the rest of its record."""
        row = self.db.execute("SELECT inputs FROM builds WHERE output = ?",
                              (output,)).fetchone()
        return row[0] if row is not None and isinstance(row[0], str) else None

    def save_build(self, output: str, inputs: str, feeds: int, files: Sequence[str],
                   warnings: Sequence[Sequence[object]]) -> None:
        """The record of a build into ``output``; its file list and warnings (thousands
        of each: 1.3 MB of JSON at N = 5,000) compressed, as every build rewrites them."""
        self.save_packed_build(output, inputs, feeds, packed_build(files, warnings))

    def save_packed_build(self, output: str, inputs: str, feeds: int,
                          packed: tuple[bytes, bytes]) -> None:
        """:meth:`save_build`, its file list and warnings packed already (by
        :func:`packed_build`: in another thread, say, while this one waits on the disk)."""
        self.db.execute("INSERT OR REPLACE INTO builds VALUES (?, ?, ?, ?, ?)",
                        (output, inputs, feeds, *packed))


    def noop_record(self, output: str) -> tuple[str, str, str, list[str]] | None:
        """What lets the next build into ``output`` find that nothing changed without
        reading the issue files' rows or the manifest (see :meth:`save_noop_record`);
        None if there is none or it cannot be read."""
        row = self.db.execute("SELECT value FROM meta WHERE name = ?",
                              (_NOOP + output,)).fetchone()
        try:
            key, inputs, files, stale = loads(row[0])
        except (TypeError, ValueError):
            return None
        if not (isinstance(stale, list) and all(isinstance(p, str) for p in stale)
                and all(isinstance(v, str) for v in (key, inputs, files))):
            return None
        return key, inputs, files, stale

    def save_noop_record(self, output: str, record: tuple[str, str, str, list[str]] | None
                         ) -> None:
        """Keep (or drop, for None) the record of the build into ``output``: the issue
        files' :func:`feeds.sources.stat_key`, the inputs digest it stands for, the
        digest of the published files' sizes, mtimes and inodes, and the stale files."""
        if record is None:
            self.db.execute("DELETE FROM meta WHERE name = ?", (_NOOP + output,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            (_NOOP + output, json.dumps(list(record), ensure_ascii=False)))


    def feed_keys(self, output: str) -> dict[str, str]:
        """The key of each subscription feed the last build into ``output`` published
        (see :func:`feeds.render.feed_key`); none if they cannot be read."""
        row = self.db.execute("SELECT value FROM meta WHERE name = ?",
                              (_FEED_KEYS + output,)).fetchone()
        try:
            keys = loads(row[0])
        except (TypeError, ValueError):
            return {}
        if not isinstance(keys, dict) or not all(isinstance(k, str) for k in keys.values()):
            return {}
        return keys

    def save_feed_keys(self, output: str, keys: Mapping[str, str]) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        (_FEED_KEYS + output, json.dumps(keys, ensure_ascii=False)))

    def replay_until(self, output: str) -> float | None:
        """The time (POSIX) from which the last build's warnings into ``output`` would
        differ with nothing changed (see :func:`feeds.sanity.warnings_change_at`);
        a record that cannot be read says: now."""
        row = self.db.execute("SELECT value FROM meta WHERE name = ?",
                              (_UNTIL + output,)).fetchone()
        if row is None:
            return None
        try:
            return float(row[0])
        except (TypeError, ValueError):
            return float("-inf")

    def save_replay_until(self, output: str, until: float | None) -> None:
        if until is None:
            self.db.execute("DELETE FROM meta WHERE name = ?", (_UNTIL + output,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            (_UNTIL + output, repr(until)))


_STATEMENTS = frozenset(s.strip() for s in _SCHEMA.split(";") if s.strip())


def _schema_holds(db: sqlite3.Connection) -> bool:
    """Whether the tables and indexes are exactly those :func:`_create` makes: the
    constraints the reads rely on are there (one small read). The triggers are checked
    where they are relied on (see :meth:`Store.catalog_files`)."""
    return {sql for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE type IN "
                                         "('table', 'index') AND sql IS NOT NULL")} == _STATEMENTS


def _create(db: sqlite3.Connection) -> None:
    """An empty state: every table of this schema, nothing in them."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for (kind, name) in db.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index') "
                "AND name NOT LIKE 'sqlite_%'").fetchall():
            if kind == "table":
                db.execute(f'DROP TABLE IF EXISTS "{name}"')
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        for trigger in _TRIGGERS:
            db.execute(trigger)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # a full disk has rolled it back already
            db.execute("ROLLBACK")
        raise


def packed_build(files: Sequence[str], warnings: Sequence[Sequence[object]]
                 ) -> tuple[bytes, bytes]:
    """A build's file list and warnings as :meth:`Store.save_build` stores them (needs
    no connection: any thread may pack them)."""
    return _packed(list(files)), _packed([list(w) for w in warnings])


def _packed(value: object) -> bytes:
    """JSON, compressed (quickly: a build writes it whole every time)."""
    return zlib.compress(json.dumps(value, ensure_ascii=False).encode("utf-8"), 1)


READ_ONCE_BYTES = 16 << 20  # bytes of stored entries kept by ReadOnce for their other formats


class ReadOnce:
    """The stored serialised entries a build's feeds carry, each row read once for
    every format (:meth:`Store.fragment_rows`): a feed is written in each format in
    turn, and most of a section feed's entries are the combined feed's too. What one
    format asked for is kept for the others, up to ``budget`` bytes (the first kept
    let go first: read again should it be asked again)."""

    def __init__(self, store: Store, formats: Sequence[str],
                 budget: int = READ_ONCE_BYTES) -> None:
        self.store = store
        self.formats = list(formats)
        self.budget = budget
        self.kept: dict[str, tuple[bytes, ...]] = {}
        self.held = 0

    def fragments(self, keys: Sequence[str], slot: int,
                  at_hand: Mapping[str, Sequence[bytes]] | None = None) -> Iterator[bytes]:
        """As :meth:`Store.fragments`: the bytes of each key at ``slot``, in order, a
        batch at a time, from ``at_hand`` when there."""
        at_hand = at_hand or {}
        kept = self.kept
        for at in range(0, len(keys), _BATCH):
            batch = keys[at:at + _BATCH]
            wanted = [k for k in dict.fromkeys(batch) if k not in at_hand and k not in kept]
            found = self.store.fragment_rows(wanted, self.formats) if wanted else {}
            parts = [at_hand[k][slot] if k in at_hand else
                     found[k][slot] if k in found else kept[k][slot] for k in batch]
            self._keep(found)
            yield from parts

    def _keep(self, found: Mapping[str, tuple[bytes, ...]]) -> None:
        kept = self.kept
        for key, made in found.items():
            kept[key] = made
            self.held += sum(map(len, made))
        while self.held > self.budget and kept:
            self.held -= sum(map(len, kept.pop(next(iter(kept)))))


def _checked(data: object, crc: object, what: str) -> bytes:
    """``data`` if it is the bytes that were stored with their CRC-32 ``crc``; else the
    database is damaged (raises :class:`DamagedRow`: it is set aside, the build starts
    anew). A truncated or altered row must not be published (or fail as text, exit 70);
    CRC-32, as the fastest check here: 10 MB of entries, what a build after one new
    issue at N = 5,000 reads, in 14 ms under load (BLAKE2b: 53 ms, SHA-256: 32 ms)."""
    if not isinstance(data, bytes) or zlib.crc32(data) != crc:
        raise DamagedRow(f"{what} is damaged (not the bytes stored)")
    return data


def _unpacked(data: str | bytes) -> Any:
    """What :func:`_packed` packed; JSON text as older builds stored it is read too.
    Raises TypeError, ValueError or zlib.error if it cannot be read, or would unpack
    to over :data:`MAX_RECORD_BYTES` (a planted record must not ask for gigabytes)."""
    if isinstance(data, bytes):
        unpack = zlib.decompressobj()
        text = unpack.decompress(data, MAX_RECORD_BYTES)
        if unpack.unconsumed_tail or not unpack.eof:
            raise ValueError("a record over the size limit, or cut short")
        data = text
    return loads(data)


def _records(text: str) -> dict[str, tuple[str, float]]:
    """An issue's article records from their JSON; none if it cannot be read."""
    try:
        rows = loads(text)
        return {i: (r, float(u)) for i, r, u in rows if isinstance(r, str)
                and isinstance(u, int | float) and not isinstance(u, bool)}
    except (TypeError, ValueError):
        return {}


def _empty(db: sqlite3.Connection) -> bool:
    """Whether no build has saved anything yet (a new store, or one whose first build
    was killed and rolled back)."""
    row: Row = db.execute("SELECT NOT EXISTS (SELECT 1 FROM sources) "
                          "AND NOT EXISTS (SELECT 1 FROM published)").fetchone()
    return bool(row[0] == 1)


def _rollback_journal(db: sqlite3.Connection) -> bool:
    """Put an empty store in rollback-journal mode for its first build, if it can be.

    That build writes every row anew; a rollback journal holds only the pages that
    existed before (next to none), so the pages are written once, not to the WAL and
    again into the database at the checkpoint: a cold build with every entry writes
    over 100 MB here. :meth:`Store.commit` goes back to WAL mode; a first build killed
    before it leaves a hot journal, which SQLite plays back on the next open (the
    empty store again). With another connection open, the store stays in WAL mode."""
    try:
        if db.execute("PRAGMA journal_mode=DELETE").fetchone()[0].lower() != "delete":
            return False
    except sqlite3.OperationalError:
        return False
    db.execute("PRAGMA synchronous=FULL")  # as safe against power loss as WAL with NORMAL
    return True


def _first_of_each(rows: Iterable[Row]) -> Iterator[Row]:
    """Each row but its first field, once per first field (an issue may have two
    sections of one slug)."""
    seen: set[str] = set()
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            yield row[1:]


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[sqlite3.Connection | None]:
    """The state database in ``folder`` opened read only, for a command that only looks
    (None when there is none or it is not this tool's); reading it may raise
    :class:`sqlite3.Error`."""
    path = folder / DATABASE
    if not path.is_file():
        yield None
        return
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS)
    try:
        yield db if db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID \
            else None
    finally:
        db.close()


def published_paths(folder: Path, output: str) -> list[str]:
    """The files that the last build into the output folder ``output`` (its
    :attr:`~feeds.writer.OutputDir.key`) published, by the manifest in the database in
    ``folder``, read only and sorted; empty when there is none or it cannot be read."""
    try:
        with _read_only(folder) as db:
            if db is None:
                return []
            return sorted(str(p) for (p,) in db.execute(
                "SELECT path FROM published WHERE output = ?", (output,)))
    except sqlite3.Error:
        return []


def built_paths(folder: Path, output: str) -> set[str] | None:
    """The files the last build into ``output`` made or kept (:meth:`Store.save_build`'s
    list; a file of the manifest not in it is one the build no longer produces), read
    only; None when there is no such record or it cannot be read."""
    try:
        with _read_only(folder) as db:
            if db is None:
                return None
            row = db.execute("SELECT files FROM builds WHERE output = ?", (output,)).fetchone()
        files = _unpacked(row[0]) if row is not None else None
    except (sqlite3.Error, TypeError, ValueError, zlib.error):
        return None
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else None
