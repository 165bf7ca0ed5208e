"""Corrections: each published article's revision, and the archived entries corrected since.

A reader that holds a feed's archive pages (RFC 5005) stops walking at the first
one it has, so a correction reaches it only through the subscription feed. The
state store keeps each article entry's content digest and ``updated`` (see
:func:`feeds.builder.dated`), written only for the issues whose entries a build
made again; :class:`StoredCorrections` finds the few whose ``updated`` moved, by
an index, for the plan to republish (see :func:`feeds.builder.republished`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

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

    def issues(self, since: datetime) -> Iterator[IssueSummary]:
        for ident, (_, updated) in self.digests.items():
            if updated <= since:
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
