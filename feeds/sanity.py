"""Warnings about dates and numbers that are valid but probably wrong.

An issue dated in another year than its heading, dated in the future, or
numbered out of step with the issue before it parses fine and would be
published, filed under the wrong day or with a gap that readers notice. These
checks look at all issues together; they never stop a build.
"""

from __future__ import annotations

from calendar import isleap
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, Protocol

from feeds.model import Diagnostic


class Dated(Protocol):
    """What the checks read of an issue: an :class:`~feeds.model.Issue` or its summary."""

    @property
    def path(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def date(self) -> datetime | None: ...
    @property
    def date_source(self) -> str: ...
    @property
    def heading_line(self) -> int: ...

FUTURE_SLACK = timedelta(days=1)

_SOURCES = {"front matter": "from its front matter", "file name": "from its file name",
            "git": "from the git commit that added the file",
            "mtime": "from the file's modification time"}


def _fix(issue: Dated, day: str) -> str:
    """How to give the issue its real date; ``day`` is its date as YYYY-MM-DD. It
    names the place the date came from, as it should read: a date in another year
    than the issue's suggests the same day in the issue's year; one in the future
    suggests no day (only the editor knows it), never the date it has now."""
    assert issue.date is not None
    example = "YYYY-MM-DD"
    if issue.date.year != issue.year and (day[-5:] != "02-29" or isleap(issue.year)):
        example = f"{issue.year}-{day[-5:]}"
    return _how(issue.path, issue.number, issue.date_source, day, example)


def _how(path: str, number: int, source: str, day: str, example: str) -> str:
    """:func:`_fix` for the issue at ``path``, its date from ``source``, given the date
    to suggest (``example``)."""
    if source == "front matter":  # it overrides every other source: fix it there
        return f"correct it in its front matter ('date: {example}')"
    name = path.rsplit("/", 1)[-1]  # a file's name, as PurePath(path).name
    if source == "file name" and day in name:
        renamed = name.replace(day, example, 1)
        return (f"correct it in the file name ({renamed} rather than {name}), or set "
                f"'date: {example}' in front matter")
    return (f"give its real date as 'date: {example}' in front matter, or in the file name "
            f"({example}-{number}.md rather than {name})")


def _day(date: datetime) -> str:
    """The date as YYYY-MM-DD, as ``f"{date:%Y-%m-%d}"`` gives it: strftime costs a
    build with thousands of dated warnings more than all the rest of the checks."""
    return date.date().isoformat() if date.year >= 1000 else f"{date:%Y-%m-%d}"


def _dates(issue: Dated, now: datetime) -> list[Diagnostic]:
    date = issue.date
    if date is None:
        return []
    if date.year != issue.year:
        what = f"is in {date.year}, but it is issue {issue.year} No. {issue.number}"
    elif _fixed(date) - now > FUTURE_SLACK:
        what = "is more than a day in the future"
    else:
        return []
    day = _day(date)
    source = _SOURCES.get(issue.date_source, "")
    when = day + (f" ({source})" if source else "")
    return [Diagnostic(issue.path, issue.heading_line or 1, "warning",
                       f"the issue's date {when} {what}; {_fix(issue, day)}")]


# a gap invites renumbering, which gives every article of the issue a new id
_RENUMBERED = (" (renumbering an issue already published gives its articles new ids: "
               "readers get them again as new)")


def numbering(issues: Sequence[Dated]) -> str:
    """``"yearly"`` when the history restarts its numbers each year, else ``"continuous"``.

    Read from the year boundaries: a first issue of a year numbered below the
    last of the year before is a restart.
    """
    return "yearly" if _restarts(sorted((i.year, i.number) for i in issues)) else "continuous"


def _restarts(ordered: Iterable[tuple[int, int]]) -> bool:
    """Whether (year, number) pairs, in that order, restart their numbers at more year
    boundaries than they run on across: a first issue of a year numbered below the
    last of the year before is a restart."""
    restarts = continues = 0
    for (year_before, number_before), (year, number) in pairwise(ordered):
        if year != year_before:
            if number <= number_before:
                restarts += 1
            else:
                continues += 1
    return restarts > continues


def next_number(issues: Sequence[Dated], year: int) -> int:
    """The number the next issue, in ``year``, should carry."""
    if not issues:
        return 1
    latest = max(issues, key=lambda i: (i.year, i.number))
    if numbering(issues) == "yearly" and year != latest.year:
        return 1
    return latest.number + 1


def _numbers(issues: Sequence[Dated]) -> list[Diagnostic]:
    return _number_gaps([(i.path, i.year, i.number, i.heading_line) for i in issues], 3)


def _number_gaps(issues: Sequence[tuple[Any, ...]], line_at: int) -> list[Diagnostic]:
    """The numbering warnings of issues given as tuples: path, year and number first,
    the heading line at ``line_at`` (a build checks thousands: no object for each)."""
    by_year = sorted(issues, key=itemgetter(1, 2))
    yearly = _restarts(map(itemgetter(1, 2), by_year))
    ordered = by_year if yearly else sorted(issues, key=itemgetter(2, 1))
    out: list[Diagnostic] = []
    for prev, issue in pairwise(ordered):
        path, year, number = issue[:3]
        restart = yearly and year != prev[1]
        expected = 1 if restart else prev[2] + 1
        if number == expected or (year, number) == (prev[1], prev[2]):
            continue  # the same year and number twice is the loader's error already
        line = issue[line_at] or 1
        before = f"{prev[1]} No. {prev[2]} ({prev[0]})"
        if number < expected:
            what = f"repeats the number of {before}"
        elif number == expected + 1:
            what = f"follows {before}; No. {expected} is missing"
        else:
            what = f"follows {before}; No. {expected}-{number - 1} are missing"
        if year != prev[1]:
            what += " (the numbering " + ("restarts each year)" if yearly
                                          else "runs on across years)")
        out.append(Diagnostic(path, line, "warning", f"issue {year} No. {number} {what}; "
                              f"check the number in its heading{_RENUMBERED}"))
    return out


def warnings_change_at(issues: Sequence[Dated], now: datetime) -> datetime | None:
    """When the warnings of these issues would next differ with nothing else changed:
    the first moment an issue dated ahead is no longer more than a day in the future
    (None: never). A build that replays its last warnings must not do so from then on."""
    return min((_fixed(issue.date) - FUTURE_SLACK for issue in issues if issue.date is not None
                and issue.date.year == issue.year and _fixed(issue.date) - now > FUTURE_SLACK),
               default=None)


def _fixed(date: datetime) -> datetime:
    """The date at its own UTC offset, so that a day before or after it is 86,400 s:
    two datetimes of one zone subtract as wall clocks, an hour off on a day the clocks
    change, and the catalog's rows (ISO text, a fixed offset) count exactly."""
    return date.replace(tzinfo=timezone(date.utcoffset() or timedelta(0)))


def sanity_warnings(issues: Sequence[Dated], now: datetime) -> list[Diagnostic]:
    """Every date and numbering warning for these issues, ``now`` being the time of the check."""
    out = [d for issue in issues for d in _dates(issue, now)]
    out.extend(_numbers(issues))
    return sorted(out, key=_place)


class DatedRow(NamedTuple):
    """An issue as the catalog in the store holds it: its date as ISO text
    (``date.isoformat()``) and as a POSIX time (``date.timestamp()``)."""

    path: str
    year: int
    number: int
    date: str
    date_source: str
    heading_line: int
    stamp: float


class _Row(NamedTuple):
    """A row with its date parsed: what :func:`_dates` reads of an issue."""

    path: str
    year: int
    number: int
    date: datetime
    date_source: str
    heading_line: int


def row_warnings(rows: Sequence[tuple[Any, ...]], now: datetime
                 ) -> tuple[list[Diagnostic], float | None]:
    """:func:`sanity_warnings` and :func:`warnings_change_at` for the catalog's rows (as
    :class:`DatedRow` has them), the change as a POSIX time.

    A build checks thousands: a row whose POSIX time is more than a second short of
    a day ahead and whose date is in its heading's year cannot warn, and its date is
    not parsed; nor is that of a row more than a second past a day ahead, in its
    heading's year (from 1000 on: its text starts with the day), which warns that it
    is in the future; the others are checked as :func:`sanity_warnings` checks them."""
    low = now.timestamp() + FUTURE_SLACK.total_seconds() - 1
    high = low + 2
    parse = datetime.fromisoformat
    out: list[Diagnostic] = []
    ahead: list[tuple[float, str]] = []  # the dates more than a day ahead
    for path, year, number, text, source, line, stamp in rows:
        if int(text[:4]) == year:
            if stamp < low:
                continue  # neither ahead nor in another year
            if stamp > high and year >= 1000:
                day = text[:10]
                how = _SOURCES.get(source, "")
                when = f"{day} ({how})" if how else day
                out.append(Diagnostic(
                    path, line or 1, "warning", f"the issue's date {when} is more than a day "
                    f"in the future; {_how(path, number, source, day, 'YYYY-MM-DD')}"))
                ahead.append((stamp, text))
                continue
        date = parse(text)
        found = _dates(_Row(path, year, number, date, source, line), now)
        if found:
            out += found
            if date.year == year:  # not in another year: more than a day ahead
                ahead.append((stamp, text))
    out.extend(_number_gaps(rows, 5))
    out.sort(key=_place)
    if not ahead:
        return out, None
    first = min(ahead)[0]  # (the least stamp) the dates it may be, compared exactly
    return out, (min(parse(text) for stamp, text in ahead if stamp <= first + 1) - FUTURE_SLACK
                 ).timestamp()


_place = attrgetter("path", "line")  # a warning's place: its path, its line
