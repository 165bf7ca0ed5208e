"""The next issue's file, ready for the editor to fill in (``feeds new``).

It knows the newsletter's format and the history of issues, and nothing of
feeds: the file it makes passes ``feeds check`` with warnings only (its
sections are still empty).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from feeds.limits import MAX_ISSUE_NUMBER, YEARS
from feeds.model import Issue
from feeds.numerals import to_chinese
from feeds.sanity import next_number

DEFAULT_NAME = "云计算技术动态"

EXAMPLE = """<!-- 每篇文章照下面的格式写（写好后删去这段注释）：

**1.** **文章标题**

https://example.com/article

**摘要:** 一两句话说明文章讲了什么。

作者：张三
标签：分布式系统，存储
-->"""


@dataclass(frozen=True)
class NewIssue:
    """The next issue: where it goes (relative to the issues folder) and its text."""

    name: str
    year: int
    number: int
    text: str


def new_issue(history: Sequence[Issue], day: date, number: int | None = None,
              title: str = "", sections: Sequence[str] = ()) -> NewIssue:
    """The issue after ``history`` (oldest first), dated ``day``.

    Its number follows the history's numbering (restarting each year if the
    history does) unless ``number`` is given; its sections are those of the
    latest issue, else ``sections``. ValueError for a year or number that
    ``feeds check`` would refuse.
    """
    latest = history[-1] if history else None
    name = title or (latest.name if latest else "") or DEFAULT_NAME
    if day.year not in YEARS:
        raise ValueError(f"--date {day.isoformat()}: the year {day.year} is outside "
                         f"{YEARS.start}-{YEARS.stop - 1}")
    told = number is not None
    number = number if number is not None else next_number(history, day.year)
    if not 0 < number <= MAX_ISSUE_NUMBER:
        what = f"--number {number}" if told else f"the next issue number, {number},"
        raise ValueError(f"{what} is not a number from 1 to {MAX_ISSUE_NUMBER}")
    names = [s.name for s in latest.sections] if latest else list(sections)
    lines = ["---", f"date: {day.isoformat()}", "---",
             f"# {name} {day.year} 年第{to_chinese(number)}期", ""]
    for at, section in enumerate(names or ["栏目名称"]):
        lines += [f"## {section}", ""]
        if at == 0:
            lines += [EXAMPLE, ""]
    return NewIssue(f"{day.isoformat()}-{number}.md", day.year, number, "\n".join(lines))
