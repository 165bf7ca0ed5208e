"""Where the issue files are, and a fingerprint of everything a build reads.

Kept free of heavy imports: a no-op cron run only needs this module to learn
that nothing changed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import struct
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, cast

from feeds.firstlook import SEEN, issue_name_for
from feeds.firstlook import find_issue_names as find_issue_names  # (re-exported)
from feeds.limits import MAX_FILE_BYTES
from feeds.model import Diagnostic, shown_path, utf8_name
from feeds.store import SEEN_BYTES, SourceRow, row_of

# A file changed this close to when it was looked at may change again within the
# same timestamp tick: its content is read again next time, whatever its times say.
RACY_NS = 2_000_000_000


def find_issue_files(paths: Sequence[Path]) -> list[Path]:
    """Markdown files under ``paths`` (files given directly are kept), sorted, no hidden ones.

    Hidden are files and folders starting with ``.`` or ``_``, and ``README.md``;
    links to folders are not followed. Any other ``*.md`` that is not a folder is
    found, also a dangling link, a named pipe or a device: reading it is then an
    error naming it, rather than its issue silently dropping out of the feeds.
    """
    return [Path(p) for p in find_issue_names(paths)]


def misnamed_warnings(files: Sequence[str], cwd: str | None = None) -> list[Diagnostic]:
    """A warning naming each file that :func:`find_issue_names` found misnamed, with the
    rename that makes it an issue."""
    out = []
    for file in files:
        shown = display_path(file, cwd)
        head, name = os.path.split(shown)
        fixed = issue_name_for(name)
        target = os.path.join(head, fixed)
        also = " (a file of that name exists: is this one a copy?)" \
            if os.path.lexists(os.path.join(os.path.dirname(file), fixed)) else ""
        out.append(Diagnostic(shown, 0, "warning",
                              f"{name!r} is not read as an issue: only names ending in '.md' "
                              f"are; if it is one, rename it to {target!r}{also}"))
    return out


def not_utf8(path: str) -> Diagnostic:
    """The error for an issue file whose name is not UTF-8, with the name it would
    have if its bytes were GB18030 (the usual way such a name comes about)."""
    base = os.path.basename(path)
    if utf8_name(base):
        message = "the name of a folder on its path is not valid UTF-8; rename the folder"
    else:
        advice = "rename it"
        try:
            read = base.encode("utf-8", "surrogateescape").decode("gb18030")
        except (UnicodeError, ValueError):
            read = ""
        if read and read.isprintable():
            advice += f" (as GB18030 its name reads {read})"
        message = f"the file name is not valid UTF-8; {advice}"
    return Diagnostic(shown_path(path), 0, "error", message)


def display_path(path: str | Path, cwd: str | None = None) -> str:
    """The path as a user would type it: relative to the current folder when inside it."""
    here = (cwd or os.getcwd()).rstrip(os.sep) + os.sep
    full = os.path.abspath(path)
    return full[len(here):] if full.startswith(here) else str(path)


def read_issue_file(file: str | Path) -> bytes:
    """The file's bytes, read no further than one byte past the size limit: the
    parser refuses a larger file without it ever being in memory whole.

    Only a regular file is read: a named pipe, a device or a socket raises OSError
    at once instead of blocking the build or feeding it without end."""
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"not a regular file but {_kind(mode)}")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return kind
    return "a special file"


def unreadable(file: str | Path, exc: OSError) -> str:
    """Why an issue file cannot be read, for an error naming it: a link whose target
    is gone says so and names the target."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOENT, errno.ELOOP) and os.path.islink(file):
        try:
            target = os.readlink(file)
        except OSError:
            return reason
        return f"it is a symbolic link to {target!r}, which " + (
            "does not exist" if exc.errno == errno.ENOENT else "is a loop of links")
    return reason


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


def template_stamp(templates: object) -> str:
    """A digest of the user's template folder (``config.templates``), so that editing
    a template rebuilds: every file Jinja can load from it, through symlinked folders
    too (each folder once, so a symlink loop ends)."""
    folder = getattr(templates, "templates", templates)
    if not folder:
        return ""
    digest = hashlib.sha256()
    for path in _template_files(Path(str(folder))):
        try:
            st = path.stat()  # ctime and inode too: an edit that puts size and mtime back
        except OSError:
            continue
        digest.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\0{st.st_ctime_ns}\0"
                      f"{st.st_ino}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _template_files(folder: Path) -> list[Path]:
    """The files under ``folder`` by the paths Jinja loads them by, sorted; symlinked
    folders are entered, each folder (by device and inode) only once."""
    files: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def walk(at: Path) -> None:
        try:
            st = at.stat()
        except OSError:
            return
        if (st.st_dev, st.st_ino) in seen:
            return
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(at), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            path = at / entry.name
            try:
                if entry.is_dir():  # follows a symlink, as Jinja's loader does
                    walk(path)
                elif entry.is_file():
                    files.append(path)
            except OSError:
                continue

    walk(folder)
    return sorted(files)


def code_stamp() -> str:
    """Names, sizes and mtimes of this package's modules and templates: a new version
    rebuilds everything."""
    package = Path(__file__).resolve().parent
    parts = []
    for module in sorted([*package.glob("*.py"), *package.glob("formats/*.py"),
                          *package.glob("templates/*")]):
        stat = module.stat()
        parts.append(f"{module.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}")
    return ";".join(parts)


class SourceFile(NamedTuple):
    """An issue file as this build found it: its times and content digest, or why it
    cannot be read."""

    file: str  # as find_issue_names gives it
    row: SourceRow | None
    changed: bool
    error: str = ""

    @property
    def path(self) -> Path:
        return Path(self.file)


class Looked(list[os.stat_result | OSError]):
    """Each file's stat, or why it failed; with the stats packed once (see :func:`packs`)."""

    packs: list[bytes | None] | None = None


def look(files: Sequence[str]) -> Looked:
    """Each file's stat (through links, as reading it goes), or the error."""
    stats = Looked()
    add = stats.append
    stat = os.stat
    for file in files:
        try:
            add(stat(file))
        except OSError as exc:
            add(exc)
    return stats


class Seen(NamedTuple):
    """A file's numbers as :data:`SEEN` packs them: what a build reads of its stat."""

    st_size: int
    st_ctime_ns: int
    st_ino: int
    st_mtime_ns: int


Stat = Seen | os.stat_result | OSError  # a file's stat, or why it failed


class LookedFirst(Sequence[Stat]):
    """:func:`look` as the child of :mod:`feeds.firstlook` answered it: each file's numbers
    packed (see :func:`packs`); a file it could not look at, or whose numbers do not fit,
    is looked at here, as :func:`look` looks."""

    def __init__(self, files: Sequence[str], found: list[bytes | None]) -> None:
        self.files = files
        self.odd: dict[int, os.stat_result | OSError] = {}
        if None in found:
            for at, packed in enumerate(found):
                if packed is None:
                    self.odd[at] = st = look([files[at]])[0]
                    found[at] = _pack(st)
        self.packs = found

    def __len__(self) -> int:
        return len(self.packs)

    def __getitem__(self, at: int) -> Stat:  # type: ignore[override]
        odd = self.odd.get(at)
        if odd is not None:
            return odd
        packed = self.packs[at]
        assert packed is not None
        return Seen(*SEEN.unpack(packed))


SURVEY_PART = 256  # files the build looks at between two glances at the child's answer


def survey(issues_dir: Path) -> tuple[list[str], list[str], Sequence[Stat]]:
    """The issue files of ``issues_dir`` (:func:`find_issue_names`), those misnamed and
    each file's stat (:func:`look`): as the child of :mod:`feeds.firstlook` found them if
    it answers first, else as found here. Here the files are listed, then looked at a
    part at a time, the child's answer taken should it come meanwhile: the build never
    waits for a child a busy machine keeps waiting, nor it for the build."""
    from feeds import firstlook

    misnamed: list[str] = []
    if not firstlook.pending():
        names = find_issue_names([issues_dir], misnamed)
        return names, misnamed, look(names)
    if firstlook.answered(firstlook.GRACE):
        found = _first_look(issues_dir)
        if found is not None:
            return found
    names = find_issue_names([issues_dir], misnamed)
    stats = Looked()
    for at in range(0, len(names), SURVEY_PART):
        # (past half of the files, looking at the rest costs less than taking the answer)
        if 2 * at < len(names) and firstlook.answered():
            found = _first_look(issues_dir)
            if found is not None:
                return found
        stats.extend(look(names[at:at + SURVEY_PART]))
    firstlook.end(wait=False)  # its answer is of no more use (nor is waiting for it to end)
    return names, misnamed, stats


def _first_look(issues_dir: Path) -> tuple[list[str], list[str], LookedFirst] | None:
    """What the child of :mod:`feeds.firstlook` found (None: nothing of use)."""
    from feeds.firstlook import taken

    found = taken(issues_dir)
    if found is None:
        return None
    names, misnamed, packed = found
    return names, misnamed, LookedFirst(names, packed)


def packs(stats: Sequence[Stat]) -> list[bytes | None]:
    """Each file's size, ctime, inode and mtime packed as the store holds them
    (:data:`feeds.store.SEEN`); None for a file not looked at or with a number that
    does not fit (a time after 2262): such a file matches no stored row."""
    found = getattr(stats, "packs", None)
    if found is not None:
        return cast("list[bytes | None]", found)
    pack = SEEN.pack
    try:
        found = [pack(st.st_size, st.st_ctime_ns, st.st_ino, st.st_mtime_ns)
                 for st in cast("list[os.stat_result]", stats)]
    except (AttributeError, struct.error):  # an OSError, or a number out of range
        found = [_pack(st) for st in stats]
    if isinstance(stats, Looked):
        stats.packs = found
    return found


def _pack(st: Stat) -> bytes | None:
    if isinstance(st, OSError):
        return None
    try:
        return SEEN.pack(st.st_size, st.st_ctime_ns, st.st_ino, st.st_mtime_ns)
    except struct.error:
        return None


def stat_key(files: Sequence[str], stats: Sequence[Stat],
             *settings: str) -> str | None:
    """A digest of the settings and of each file's name, size, times and inode (None if
    one cannot be looked at): while it stays the same, so does :meth:`Survey.inputs`
    over files none of which was racy when it was taken (see :class:`Survey`).

    The numbers go in as 32 bytes a file (a build looks at thousands); numbers that
    do not fit (a time after 2262) as their text, marked as such."""
    digest = hashlib.sha256(f"{len(settings)}\0{len(files)}\0".encode())
    digest.update("\0".join([*settings, *files]).encode("utf-8", "surrogatepass"))
    packed = packs(stats)
    if None not in packed:
        digest.update(b"".join(cast("list[bytes]", packed)))
        return digest.hexdigest()
    if any(isinstance(st, OSError) for st in stats):
        return None
    numbers = [(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
               for st in cast("list[os.stat_result]", stats)]
    digest.update(b"\0text\0" + repr(numbers).encode())
    return digest.hexdigest()


_MTIME = struct.Struct("<q")
_UNREAD = b"\0" * (_MTIME.size + 64)  # what an unreadable file gives the inputs digest


class Survey:
    """The issue files as this build found them, against the rows the last build kept
    (:meth:`feeds.store.Store.sources`). A file whose size, times and inode are its
    row's (and were not racy then) keeps its digest without being read, and without
    an object made for it (a build looks at thousands); the others are read now and
    are :attr:`changed`."""

    def __init__(self, files: Sequence[str], known: Mapping[str, bytes],
                 stats: Sequence[Stat] | None = None) -> None:
        stats = look(files) if stats is None else stats
        self.files = files
        self.known = known
        self.changed: dict[str, SourceFile] = {}
        # each file's mtime and digest as the inputs digest takes them: an unchanged
        # file's are the end of its stored row
        self._parts: list[bytes] = []
        add = self._parts.append
        at = SEEN.size - _MTIME.size
        size = SEEN_BYTES
        now = time.time_ns()
        # (each stat taken only for a file read: a LookedFirst makes one when asked)
        for place, (file, packed) in enumerate(zip(files, packs(stats), strict=True)):
            old = known.get(file)
            if old is not None and packed is not None and len(old) == size \
                    and old.startswith(packed):
                add(old[at:])
                continue
            source = self.changed[file] = _read(file, stats[place], now)
            add(_part(source.row))

    @property
    def settled(self) -> bool:
        """Whether every file was read and none was racy: :func:`stat_key` may stand
        for :meth:`Survey.inputs`."""
        return all(s.row is not None and not s.row.racy for s in self.changed.values())

    def source(self, file: str) -> SourceFile:
        """The file as found: changed, or as its stored row has it."""
        found = self.changed.get(file)
        if found is not None:
            return found
        return SourceFile(file, row_of(self.known[file]), False)

    def rows(self) -> dict[str, SourceRow]:
        """The rows of the files read now, to be stored."""
        return {f: s.row for f, s in self.changed.items() if s.row is not None}

    def gone(self) -> list[str]:
        """The files the last build saw and this one did not find."""
        files = set(self.files)
        return [f for f in self.known if f not in files]

    def edited(self) -> list[str]:
        """The files read now whose content is not what the last build saw (a file
        touched, or racy and read again, is not)."""
        edited = []
        for file, source in self.changed.items():
            old = self.known.get(file)
            if source.row is not None and (old is None or len(old) < SEEN_BYTES or
                                           old[SEEN.size:SEEN_BYTES] != source.row.digest.encode()):
                edited.append(file)
        return edited

    def inputs(self, *settings: str) -> str:
        """A digest of the settings and of each file's name, content and modification
        time (in because an undated issue takes its date from it)."""
        digest = hashlib.sha256()
        for setting in settings:
            digest.update(setting.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(f"{len(self.files)}\0".encode())
        digest.update("\0".join(self.files).encode("utf-8", "surrogatepass"))
        digest.update(b"".join(self._parts))
        return digest.hexdigest()


def _read(file: str, st: Stat, now: int) -> SourceFile:
    """A file whose stats are not its stored row's, read now."""
    try:
        if isinstance(st, OSError):
            raise st
        digest = hashlib.sha256(read_issue_file(file)).hexdigest()
    except OSError as exc:
        return SourceFile(file, None, True, unreadable(file, exc))
    racy = st.st_mtime_ns >= now - RACY_NS
    return SourceFile(file, SourceRow(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino,
                                      digest, racy), True)


def _part(row: SourceRow | None) -> bytes:
    """What a file read now gives the inputs digest: its mtime and content digest, in
    as many bytes as those of an unchanged file (see :class:`Survey`)."""
    if row is None:
        return _UNREAD
    try:
        return _MTIME.pack(row.mtime_ns) + row.digest.encode()
    except struct.error:  # a time after 2262: both in the digest's place
        return b"\xff" * _MTIME.size + hashlib.sha256(
            f"{row.mtime_ns}\0{row.digest}".encode()).hexdigest().encode()

