"""Pages made by a forked child while this process goes on with other work: the
speed trick, in one place, for a cold build's long pages (see
:func:`feeds.webedition.web_edition`).

The child makes the pages as this process would (its memory is a copy of this
one's: nothing is pickled to it), writes each into an unnamed temporary file made
here, and answers with where each page lies in it and its digest; the writer
copies them from that file as it does any :class:`~feeds.spool.Spooled` page.
Whatever fails in the child (or cannot be made one) leaves the pages to this
process: :func:`begin` gives None, or :meth:`Apart.take` makes them here, the plain
path, as if there had been no child.
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
from collections.abc import Callable, Mapping
from typing import IO, Any

from feeds.child import Child
from feeds.spool import Spool, Spooled

Pages = Mapping[str, bytes | Spooled]


class _Child:
    """A forked child making pages into ``file`` (see :func:`_fork`)."""

    def __init__(self, child: Child, file: IO[bytes]) -> None:
        self.child = child
        self.file = file

    @property
    def pid(self) -> int:
        return self.child.pid

    def pages(self) -> dict[str, bytes | Spooled] | None:
        """Wait for the child: its pages, or None if it failed."""
        answer = self.child.answer()
        if answer is None:
            return None
        try:
            made = json.loads(answer)
            return {str(path): Spooled(self.file, [(int(o), int(s)) for o, s in parts],
                                       str(digest), int(size))
                    for path, digest, size, parts in made}
        except (ValueError, TypeError):
            return None

    def stop(self) -> None:
        self.child.close(kill=True)


def _answer(pages: Pages, spool: Spool) -> bytes:
    """Each page's path, digest, size and parts in the spool file (a page held in memory
    is put there now); raises OSError if one is not in the file."""
    rows: list[tuple[str, str, int, list[Any]]] = []
    for path, page in pages.items():
        if isinstance(page, bytes):
            where = spool.part(page)
            if isinstance(where, bytes):
                raise OSError("no room for the page in the spool file")
            rows.append((path, hashlib.sha256(page).hexdigest(), len(page), [where]))
        else:
            if any(isinstance(part, bytes) for part in page.parts) or page.file is not spool.file:
                raise OSError("a part of the page is not in the spool file")
            rows.append((path, page.digest, page.size, page.parts))
    return json.dumps(rows).encode()


class Apart:
    """Pages a forked child is making (see :func:`begin`). :meth:`take` waits for them;
    dropped untaken (the build failed on the way), the child is killed."""

    def __init__(self, child: _Child) -> None:
        self.child: _Child | None = child
        self.owner = os.getpid()  # a process forked meanwhile does not own the child
        _BEGUN.add(self)

    def pages(self) -> dict[str, bytes | Spooled] | None:
        """Wait for the child: its pages, or None if it failed."""
        child, self.child = self.child, None
        if child is None or os.getpid() != self.owner:
            return None
        try:
            return child.pages()
        except BaseException:
            child.stop()
            raise

    def take(self, here: Callable[[], dict[str, bytes | Spooled]]
             ) -> dict[str, bytes | Spooled]:
        """The child's pages; should it have failed, those ``here`` makes (the plain path)."""
        made = self.pages()
        return made if made is not None else here()

    def stop(self) -> None:
        child, self.child = self.child, None
        if child is not None and os.getpid() == self.owner:
            child.stop()

    def __del__(self) -> None:
        self.stop()


_BEGUN: weakref.WeakSet[Apart] = weakref.WeakSet()


def stop_all() -> None:
    """Kill every child begun and not taken (a build that failed on the way)."""
    for apart in list(_BEGUN):
        apart.stop()


def begin(make: Callable[[Spool], Pages], wanted: bool) -> Apart | None:
    """Begin ``make`` (given the spool to put its pages in) in a forked child when
    ``wanted`` and a second core is there, while this process goes on (it may fork
    workers of its own); None if not (then the caller makes the pages itself). ``make``
    must need nothing that cannot cross a fork: no state store, no thread of this
    process."""
    from feeds.parallel import workers

    child = _fork(make) if wanted and workers() >= 2 else None
    return Apart(child) if child is not None else None


def _fork(make: Callable[[Spool], Pages]) -> _Child | None:
    import tempfile  # here: most builds begin no child

    try:
        file = tempfile.TemporaryFile(prefix="feeds-pages-")  # noqa: SIM115
    except OSError:
        return None

    def work() -> bytes:
        """In the child: the pages into the file, then where they are, as JSON."""
        spool = Spool(budget=0)
        spool.file = file
        return _answer(make(spool), spool)

    child = Child.fork(work)
    if child is None:
        file.close()
        return None
    return _Child(child, file)
