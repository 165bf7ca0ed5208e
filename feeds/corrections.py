"""Corrections: each published article's revision, and the archived entries corrected since.

A reader that holds a feed's archive pages (RFC 5005) stops walking at the first
one it has, so a correction reaches it only through the subscription feed. The
state store keeps each article entry's content digest and ``updated`` (see
:func:`feeds.builder.dated`), written only for the issues whose entries a build
made again; :class:`StoredCorrections` finds the few whose ``updated`` moved, by
an index, for the plan to republish (see :func:`feeds.builder.republished`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from feeds.builder import RevisionRecord, Revisions, digest_id
from feeds.config import Config
from feeds.loader import _summary
from feeds.model import Diagnostic, IssueSummary
from feeds.store import Store

Issue = tuple[int, int]  # year and number

MTIME_SLACK = timedelta(hours=1)
"""How far ahead of the clock an edited issue file's modification time may be: more
than clocks of two machines differ, less than a wrong time zone."""


def parse_records(rows: Mapping[str, tuple[str, float]]) -> Revisions:
    """Records as the store holds them (POSIX times); one that cannot be read is
    simply not known."""
    found: dict[str, tuple[str, datetime]] = {}
    for key, (revision, updated) in rows.items():
        try:
            found[key] = (revision, datetime.fromtimestamp(updated, UTC))
        except (ValueError, OverflowError, OSError):
            continue
    return found


def digest_record(revision: Any, updated: Any) -> tuple[Any, datetime] | None:
    """A stored digest entry's record (see :meth:`feeds.store.Store.digests`) as the
    plan reads it, its ``updated`` parsed; None for one that cannot be read (not text
    as ``datetime.isoformat`` writes it, with its offset): such a row is simply not known."""
    try:
        stamp = datetime.fromisoformat(updated)
    except (TypeError, ValueError):
        return None
    return (revision, stamp) if stamp.tzinfo is not None else None


def digest_records(rows: Mapping[str, tuple[Any, Any]]) -> Revisions:
    """The digest entries as the last build published them (see builder.revised),
    from :meth:`feeds.store.Store.digests`; a row that cannot be read is not known."""
    found: dict[str, tuple[str, datetime]] = {}
    for key, (revision, updated) in rows.items():
        record = digest_record(revision, updated)
        if record is not None:
            found[key] = record
    return found


_JULIAN_EPOCH = 2440587.5  # the Julian day of 1970-01-01T00:00:00Z
# How far from a time SQLite may read a text that Python reads as that time (an offset
# of up to a day it might not apply, say): SQLite only picks the rows Python reads.
_SLACK_DAYS = 2.0


def _julian(stamp: float) -> float:
    return stamp / 86400 + _JULIAN_EPOCH


class StoredDigests(Mapping[str, tuple[str, datetime]]):
    """:func:`digest_records` of the store's digest rows of ``ledger``, each read when
    asked: a build after one new issue looks up the few hundred entries its digest feed
    holds, not the thousands of rows (one per issue ever published). Iterated or
    counted, every row is read (as :func:`digest_records` reads them). It reads the
    store's connection: never in a forked worker (give it :meth:`loaded`). The rows
    must not change while it is used (a build saves them once it has published)."""

    def __init__(self, store: Store, ledger: str) -> None:
        self.store = store
        self.ledger = ledger
        self._all: Revisions | None = None
        self._got: dict[str, tuple[str, datetime] | None] = {}
        self._any: bool | None = None

    def loaded(self) -> Revisions:
        """Every record, read now (once)."""
        if self._all is None:
            self._all = digest_records(self.store.digests(self.ledger))
        return self._all

    def __getitem__(self, ident: str) -> tuple[str, datetime]:
        if self._all is not None:
            return self._all[ident]
        if ident not in self._got:
            row = self.store.digest(self.ledger, ident) if isinstance(ident, str) else None
            self._got[ident] = None if row is None else digest_record(*row)
        found = self._got[ident]
        if found is None:
            raise KeyError(ident)
        return found

    def __contains__(self, ident: object) -> bool:
        try:
            self[ident]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.loaded())

    def __len__(self) -> int:
        return len(self.loaded())

    def any_under(self, head: str) -> bool:
        """Whether a record's id starts ``head/`` (one search, unless all are read)."""
        if self._all is not None:
            return any(ident.startswith(head + "/") for ident in self._all)
        return self.store.digest_under(self.ledger, head)

    def __bool__(self) -> bool:
        """Whether any row can be read: the first that can, found."""
        if self._all is not None:
            return bool(self._all)
        if self._any is None:
            with contextlib.closing(self.store.digest_rows(self.ledger)) as rows:
                self._any = any(digest_record(r, u) is not None for _, r, u in rows)
        return self._any

    def newest_until(self, now: float) -> float | None:
        """The latest ``updated`` of a record (as a POSIX time) that is not after ``now``
        (None: none), reading only the rows SQLite finds about that late."""
        if self._all is not None:
            return max((s for s in (u.timestamp() for _, u in self._all.values()) if s <= now),
                       default=None)
        best: float | None = None
        with contextlib.closing(self.store.digests_until(
                self.ledger, _julian(now) + _SLACK_DAYS)) as rows:
            for _, revision, updated, day in rows:
                if day is not None and best is not None \
                        and day < _julian(best) - 2 * _SLACK_DAYS:
                    break  # every row from here on is earlier still
                record = digest_record(revision, updated)
                if record is not None:
                    stamp = record[1].timestamp()
                    if stamp <= now and (best is None or stamp > best):
                        best = stamp
        return best

    def with_found(self, found: Mapping[str, tuple[str, datetime]]) -> DigestsAndFound:
        """``{**self, **found}``, its rows still read as asked."""
        return DigestsAndFound(self, dict(found))


class DigestsAndFound(Mapping[str, tuple[str, datetime]]):
    """The stored records with some replaced or added (:meth:`StoredDigests.with_found`),
    in the order ``{**stored, **found}`` has them."""

    def __init__(self, stored: StoredDigests, found: dict[str, tuple[str, datetime]]) -> None:
        self.stored = stored
        self.found = found

    def __getitem__(self, ident: str) -> tuple[str, datetime]:
        record = self.found.get(ident)
        return record if record is not None else self.stored[ident]

    def __iter__(self) -> Iterator[str]:
        return iter({**self.stored.loaded(), **self.found})

    def __len__(self) -> int:
        return len({**self.stored.loaded(), **self.found})

    def updated_after(self, since: datetime) -> Iterator[tuple[str, tuple[str, datetime]]]:
        """The items (in the order of :meth:`__iter__`) whose ``updated`` is after
        ``since``, and maybe others: of the stored rows, only those SQLite finds about
        that late are read."""
        stored = self.stored
        if stored._all is not None:
            yield from {**stored._all, **self.found}.items()
            return
        rows = {ident: record for ident, revision, updated in stored.store.digests_after(
                    stored.ledger, _julian(since.timestamp()) - _SLACK_DAYS)
                if (record := digest_record(revision, updated)) is not None}
        # a record found now takes the place of the stored one (in its place), if any
        replaced = {ident for ident in self.found if ident in stored}
        for ident in sorted({*rows, *replaced}):
            yield ident, self.found.get(ident) or rows[ident]
        for ident, record in self.found.items():
            if ident not in replaced:
                yield ident, record


def known(store: Store, ledger: str, issues: Iterable[Issue]) -> dict[Issue, Revisions]:
    """The article records of each issue (year, number) as the last build into the
    output folder of ``ledger`` (see :attr:`feeds.writer.OutputDir.ledger`) left them."""
    return {issue: parse_records(rows)
            for issue, rows in store.revisions(ledger, issues).items()}


def save(store: Store, ledger: str,
         made: Mapping[Issue, tuple[Revisions, Iterable[RevisionRecord]]]) -> list[Issue]:
    """Keep the records of each issue whose entries were made, when they differ from
    those it had: one row per issue, and one per corrected article (updated after
    published), the few the plan looks up. Returns the issues whose records changed."""
    changed: dict[Issue, list[RevisionRecord]] = {}
    for issue, (before, records) in made.items():
        records = list(records)
        if differ(before, records):
            changed[issue] = records
    if changed:
        store.save_revisions(
            ledger, {issue: [(r.id, r.revision, r.updated.timestamp()) for r in records]
             for issue, records in changed.items()},
            [(r.id, r.year, r.number, r.position, r.slug, r.updated.timestamp())
             for records in changed.values() for r in records if r.updated > r.published])
    return list(changed)


def differ(before: Revisions, records: Sequence[RevisionRecord]) -> bool:
    """Whether an issue's records made now are not those it had (see :func:`save`)."""
    return len(records) != len(before) or any(
        before.get(r.id) != (r.revision, r.updated) for r in records)


def floor(store: Store, ledger: str, digests: Revisions, now: float) -> datetime | None:
    """The earliest a change found now is dated (see :func:`feeds.builder.file_changed`):
    a second after the newest ``published`` of any issue and the newest ``updated``
    the output folder of ``ledger`` published, so that a file dated early (copied,
    restored, a clock set back) still gives the newest entry of each feed holding it,
    which its subscription feed then republishes. Dates after ``now`` (the clock: it
    decides, it is never written) do not count: an issue dated ahead, or a correction
    dated so before, would date every later correction in the future. Made from files
    and state."""
    published, corrected = store.newest_dates(ledger, now)
    stamps = [s for s in (published, corrected) if s is not None]
    if isinstance(digests, StoredDigests):
        newest = digests.newest_until(now)
        stamps.extend(() if newest is None else (newest,))
    else:
        stamps.extend(s for s in (u.timestamp() for _, u in digests.values()) if s <= now)
    try:
        return datetime.fromtimestamp(int(max(stamps)) + 1, UTC) if stamps else None
    except (ValueError, OverflowError, OSError):
        return None


def future_edits(store: Store, ledger: str, config: Config, digests: Revisions,
                 edited: Mapping[str, Issue], now: float) -> list[Diagnostic]:
    """An error for each ``edited`` issue file (path → year and number) the output
    folder of ``ledger`` published before whose modification time is more than
    :data:`MTIME_SLACK` after ``now`` (the clock: it decides, it is never written):
    its corrections would be dated then and head the subscription feeds until then."""
    found = []
    for path, (year, number) in sorted(edited.items()):
        try:
            mtime = int(os.stat(path).st_mtime)
        except OSError:
            continue
        if mtime <= now + MTIME_SLACK.total_seconds():
            continue
        try:
            when = f"{datetime.fromtimestamp(mtime, UTC):%Y-%m-%d %H:%M:%S} UTC"
        except (ValueError, OverflowError, OSError):  # past year 9999: ahead all the same
            when = f"{mtime} s after 1970"
        row = store.by_number(year, number)
        if not (known(store, ledger, [(year, number)])[year, number] or (
                row is not None and digest_id(config, _summary(row)) in digests)):
            continue  # nothing of it published: its time dates nothing
        found.append(Diagnostic(
            path, 0, "error",
            f"modified {when}, more than an hour ahead of this "
            "machine's clock: a correction in it would be dated then and head the "
            "subscription feeds until then; nothing was published. Set the file's time "
            f"to now (touch {path}) and build again"))
    return found


def summary(row: tuple[object, ...]) -> IssueSummary:
    """An issue's summary from its catalog row (see :meth:`Store.by_number`)."""
    return _summary(row)


class StoredCorrections:
    """The corrected entries the plan republishes (a :class:`feeds.builder.Corrections`):
    articles from the store's records of ``ledger``, issues from the digest's (``digests``)."""

    def __init__(self, store: Store, ledger: str, config: Config, digests: Revisions) -> None:
        self.store = store
        self.ledger = ledger
        self.config = config
        self.digests = digests

    def articles(self, slug: str | None, since: datetime) -> list[tuple[IssueSummary, int]]:
        return [(_summary(row[:-1]), row[-1])
                for row in self.store.corrected(self.ledger, slug, since.timestamp())]

    def issues(self, since: datetime, held: Collection[str] = ()) -> Iterator[IssueSummary]:
        digests = self.digests
        items = digests.updated_after(since) if isinstance(digests, DigestsAndFound) \
            else digests.items()
        for ident, (_, updated) in items:
            if updated <= since or ident in held:
                continue
            year, _, number = ident.rpartition(":issue-")[2].partition("-")
            if not (year.isdigit() and number.isdigit()):
                continue
            row = self.store.by_number(int(year), int(number))
            if row is None:
                continue
            summary = _summary(row)
            if digest_id(self.config, summary) == ident and summary.date is not None \
                    and updated > summary.date:
                yield summary
