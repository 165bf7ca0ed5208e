"""Date and numbering warnings: exact text and line, through the loader and `feeds check`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from compose import DraftArticle, issue_markdown
from hypothesis import given
from hypothesis import strategies as st

from feeds.cli import cli
from feeds.loader import load_issues
from feeds.parser import ParseOptions
from feeds.sanity import (
    DatedRow,
    _day,
    numbering,
    row_warnings,
    sanity_warnings,
    warnings_change_at,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=TZ)
RENUMBERED = (" (renumbering an issue already published gives its articles new ids: "
              "readers get them again as new)")
ARTICLE = DraftArticle("标题", "https://example.com/a", "摘要。")


def _write(folder: Path, name: str, year: int, number: int, front: str = "") -> Path:
    text = issue_markdown("云计算技术动态", year, number, [("分布式系统", [ARTICLE])])
    if front:
        text = f"---\n{front}\n---\n{text}"
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _warnings(folder: Path, now: datetime = NOW) -> list[str]:
    loaded = load_issues([folder], ParseOptions())
    return [str(d) for d in sanity_warnings(loaded.issues, now)]


@pytest.fixture
def issues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "issues").mkdir()
    return Path("issues")


def test_clean_history_has_no_warning(issues: Path) -> None:
    _write(issues, "2024-07-13-28.md", 2024, 28)
    _write(issues, "2024-07-20-29.md", 2024, 29)
    _write(issues, "2025-01-04-1.md", 2025, 1)
    assert _warnings(issues) == []


def test_date_in_another_year_than_the_heading(issues: Path) -> None:
    _write(issues, "2026-11-28-29.md", 2024, 29)
    _write(issues, "x.md", 2024, 30, front="date: 2025-07-27")
    assert _warnings(issues) == [
        "issues/2026-11-28-29.md:1: warning: the issue's date 2026-11-28 (from its file name) is "
        "in 2026, but it is issue 2024 No. 29; correct it in the file name (2024-11-28-29.md "
        "rather than 2026-11-28-29.md), or set 'date: 2024-11-28' in front matter",
        "issues/x.md:4: warning: the issue's date 2025-07-27 (from its front matter) is in 2025, "
        "but it is issue 2024 No. 30; correct it in its front matter ('date: 2024-07-27')",
    ]


def test_date_in_the_future(issues: Path) -> None:
    _write(issues, "a.md", 2026, 1, front="date: 2026-11-30")  # within a day: fine
    _write(issues, "b.md", 2026, 2, front="date: 2026-12-31")
    _write(issues, "2026-12-30-3.md", 2026, 3)  # the suggested name is not this one again
    assert _warnings(issues) == [
        "issues/2026-12-30-3.md:1: warning: the issue's date 2026-12-30 (from its file name) is "
        "more than a day in the future; correct it in the file name (YYYY-MM-DD-3.md rather "
        "than 2026-12-30-3.md), or set 'date: YYYY-MM-DD' in front matter",
        "issues/b.md:4: warning: the issue's date 2026-12-31 (from its front matter) is more "
        "than a day in the future; correct it in its front matter ('date: YYYY-MM-DD')",
    ]
    assert _warnings(issues, NOW + timedelta(days=40)) == []


def test_the_future_warnings_change_when_the_first_of_them_is_within_a_day(issues: Path) -> None:
    _write(issues, "a.md", 2026, 1, front="date: 2026-11-30")  # within a day: no warning
    _write(issues, "b.md", 2026, 2, front="date: 2026-12-31")
    _write(issues, "c.md", 2026, 3, front="date: 2026-12-20")
    _write(issues, "d.md", 2024, 4, front="date: 2026-12-10")  # another year: its warning stays
    issues_ = load_issues([issues], ParseOptions()).issues
    change = warnings_change_at(issues_, NOW)
    assert change == datetime(2026, 12, 19, 0, 0, tzinfo=TZ)
    assert len(sanity_warnings(issues_, change - timedelta(seconds=1))) == 3
    assert len(sanity_warnings(issues_, change)) == 2
    assert warnings_change_at(issues_, NOW + timedelta(days=40)) is None


def test_a_rebuild_with_nothing_changed_does_not_replay_a_future_warning_no_longer_true(
        tmp_path: Path) -> None:
    """A no-op rebuild prints the last build's warnings again, but not after the moment
    one of them stopped being true: it builds again and says what is true now."""
    import time

    from test_build import CONFIG, build, write_project

    ahead = datetime.now(TZ).replace(microsecond=0) + timedelta(days=1, seconds=5)
    text = issue_markdown("云计算技术动态", ahead.year, 1, [("分布式系统", [ARTICLE])])
    root = write_project(tmp_path, {"x.md": f"---\ndate: {ahead:%Y-%m-%d %H:%M:%S}\n---\n{text}"
                                    .encode()}, CONFIG)
    warning = "is more than a day in the future"
    assert warning in build(root)[2]
    code, out, err = build(root)
    assert code == 0 and "(nothing changed)" in out and warning in err
    time.sleep(max(0.0, (ahead - timedelta(days=1)).timestamp() - time.time()) + 0.2)
    code, out, err = build(root)
    assert code == 0 and "(nothing changed)" in out and warning not in err, err
    assert "(nothing changed)" in build(root)[1]


def test_gap_and_repeat_with_yearly_numbering(issues: Path) -> None:
    _write(issues, "2023-12-30-52.md", 2023, 52)
    _write(issues, "2024-01-06-1.md", 2024, 1)
    _write(issues, "2024-01-13-2.md", 2024, 2)
    _write(issues, "2024-01-27-4.md", 2024, 4)
    _write(issues, "2024-02-24-8.md", 2024, 8)
    _write(issues, "2025-01-11-2.md", 2025, 2)
    assert numbering(load_issues([issues], ParseOptions()).issues) == "yearly"
    assert _warnings(issues) == [
        "issues/2024-01-27-4.md:1: warning: issue 2024 No. 4 follows 2024 No. 2 "
        "(issues/2024-01-13-2.md); No. 3 is missing; check the number in its heading" + RENUMBERED,
        "issues/2024-02-24-8.md:1: warning: issue 2024 No. 8 follows 2024 No. 4 "
        "(issues/2024-01-27-4.md); No. 5-7 are missing; check the number in its heading" + RENUMBERED,
        "issues/2025-01-11-2.md:1: warning: issue 2025 No. 2 follows 2024 No. 8 "
        "(issues/2024-02-24-8.md); No. 1 is missing (the numbering restarts each year); "
        "check the number in its heading" + RENUMBERED,
    ]


def test_repeat_and_missing_first_with_continuous_numbering(issues: Path) -> None:
    _write(issues, "2023-12-23-99.md", 2023, 99)
    _write(issues, "2023-12-30-100.md", 2023, 100)
    _write(issues, "2024-01-06-101.md", 2024, 101)
    _write(issues, "2024-01-13-101.md", 2025, 101)
    assert numbering(load_issues([issues], ParseOptions()).issues) == "continuous"
    assert _warnings(issues) == [
        "issues/2024-01-13-101.md:1: warning: the issue's date 2024-01-13 (from its file name) "
        "is in 2024, but it is issue 2025 No. 101; correct it in the file name "
        "(2025-01-13-101.md rather than 2024-01-13-101.md), or set 'date: 2025-01-13' in front "
        "matter",
        "issues/2024-01-13-101.md:1: warning: issue 2025 No. 101 repeats the number of 2024 No. "
        "101 (issues/2024-01-06-101.md) (the numbering runs on across years); check the number "
        "in its heading" + RENUMBERED,
    ]


def test_check_prints_the_warnings(issues: Path) -> None:
    _write(issues, "2024-07-20-29.md", 2024, 29)
    _write(issues, "2024-08-03-31.md", 2024, 31)
    result = CliRunner().invoke(cli, ["check"])
    assert (result.exit_code, result.stdout) == (0, (
        "issues/2024-08-03-31.md:1: warning: issue 2024 No. 31 follows 2024 No. 29 "
        "(issues/2024-07-20-29.md); No. 30 is missing; check the number in its heading" + RENUMBERED + "\n"
        "checked 2 files: 0 errors, 1 warning\n"))


@given(st.datetimes(timezones=st.sampled_from([ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC")])))
def test_a_warnings_day_is_written_as_strftime_writes_it(date: datetime) -> None:
    """The fast way to write a warning's day gives strftime's text for every date,
    years before 1000 (not zero-padded by the C library) too."""
    early = date.replace(year=999, day=min(date.day, 28))
    assert _day(date) == f"{date:%Y-%m-%d}"
    assert _day(early) == f"{early:%Y-%m-%d}"


class _Issue(NamedTuple):
    path: str
    year: int
    number: int
    date: datetime | None
    date_source: str
    heading_line: int


_ZONES = st.sampled_from([ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin"), ZoneInfo("UTC")])


_NEAR = st.sampled_from([timedelta(0), timedelta(days=1), timedelta(days=1, microseconds=1),
                         timedelta(days=1, microseconds=-1), timedelta(days=1, seconds=1),
                         timedelta(days=1, seconds=-1), timedelta(days=400), timedelta(days=-3)])


@given(st.lists(st.tuples(
    st.sampled_from(["issues/a.md", "issues/b.md", "c.md", "issues/x/2024-01-06-1.md"]),
    st.integers(1, 2040), st.integers(1, 6),
    st.one_of(st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=_ZONES),
              _NEAR.map(lambda gap: NOW + gap)),
    st.sampled_from(["file name", "git", "front matter", "mtime", "?"]), st.integers(0, 9)),
    max_size=12), st.sampled_from([NOW, NOW.astimezone(ZoneInfo("UTC"))]))
def test_warnings_from_the_catalogs_rows_are_those_of_the_issues(
        issues_: list[tuple[str, int, int, datetime, str, int]], now: datetime) -> None:
    """The catalog's rows (a date as ISO text and as a POSIX time, most never parsed)
    give the same warnings, in the same order, and the same moment they change, as
    the issues do: dates a microsecond either side of a day ahead, in other years,
    and before the year 1000 too."""
    dated = [_Issue(*i) for i in issues_]
    warnings, change = sanity_warnings(dated, now), warnings_change_at(dated, now)
    rows = [DatedRow(p, y, n, d.isoformat(), s, h, d.timestamp()) for p, y, n, d, s, h in issues_]
    assert row_warnings(rows, now) == (warnings, None if change is None else change.timestamp())


@given(st.lists(st.tuples(
    st.sampled_from(["issues/a.md", "issues/2027-03-01-9.md", "c.md", "issues/x/2030-01-06-1.md"]),
    st.integers(1, 6),
    st.one_of(st.datetimes(datetime(999, 12, 30), datetime(9999, 12, 30), timezones=_ZONES),
              _NEAR.map(lambda gap: NOW + gap),
              st.sampled_from([datetime(2027, 3, 1, tzinfo=TZ), datetime(2030, 1, 6, tzinfo=TZ)])),
    st.sampled_from(["file name", "git", "front matter", "mtime", "?"]), st.integers(0, 9)),
    max_size=12), st.sampled_from([NOW, NOW.astimezone(ZoneInfo("UTC"))]))
def test_warnings_of_rows_in_their_headings_year_are_those_of_the_issues(
        issues_: list[tuple[str, int, datetime, str, int]], now: datetime) -> None:
    """Rows dated in their heading's year (most of them far in the future, whose warning
    is made without parsing the date) give the same warnings and change as the issues."""
    dated = [_Issue(p, d.year, n, d, s, h) for p, n, d, s, h in issues_]
    warnings, change = sanity_warnings(dated, now), warnings_change_at(dated, now)
    rows = [DatedRow(i.path, i.year, i.number, i.date.isoformat(), i.date_source,
                     i.heading_line, i.date.timestamp()) for i in dated if i.date is not None]
    assert row_warnings(rows, now) == (warnings, None if change is None else change.timestamp())


@pytest.mark.parametrize("date", [
    datetime(2027, 3, 28, 3, 0, tzinfo=ZoneInfo("Europe/Berlin")),  # the day the clocks go on
    datetime(2041, 3, 31, 2, 0, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),  # in the gap
    datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),  # the hour twice
])
@pytest.mark.parametrize("now", [NOW, datetime(2027, 3, 20, 12, tzinfo=ZoneInfo("Europe/Berlin"))])
def test_a_day_ahead_is_86400_seconds_on_the_days_the_clocks_change(
        date: datetime, now: datetime) -> None:
    """An issue's warning stops a day before its date in absolute time, whether the
    issue or the catalog's row is checked (they were an hour apart on such days)."""
    issue = _Issue("issues/a.md", date.year, 1, date, "file name", 0)
    change = warnings_change_at([issue], now)
    assert change is not None and change.timestamp() == date.timestamp() - 86400
    row = DatedRow(issue.path, issue.year, 1, date.isoformat(), "file name", 0, date.timestamp())
    assert row_warnings([row], now) == (sanity_warnings([issue], now), date.timestamp() - 86400)
