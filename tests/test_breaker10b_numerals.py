"""An issue number such as 第百一期 or 第千二期: the sibling of 一百一 (test_breaker10_numerals)
with its leading 一 left out as well.

Found by breaker10b on main (08d5463): 一百一 was an error naming both readings, but
百一 was read as 101 and 千二 as 1002 without a word (feeds.numerals.abbreviated looked
only at numerals of three characters or more); a reader reads 110 and 1200, as for
一百一 and 一千二. Now the same error; 百, 千, 一百零一, 二百, 一千零一 read as before.
"""

from __future__ import annotations

import pytest

from feeds.model import ParseError
from feeds.numerals import parse_chinese
from feeds.parser import parse_issue

HEAD = "# 云计算技术动态 2024 年第{}期\n\n## 分布式系统\n\n**1.** **T**\n\nhttps://example.com/1\n\n**摘要:** s\n"


@pytest.mark.parametrize(("text", "spoken", "written"), [
    ("百一", "110 (一百一十)", "101 (一百零一)"),
    ("千二", "1200 (一千二百)", "1002 (一千零二)"),
    ("百九", "190 (一百九十)", "109 (一百零九)"),
])
def test_a_number_with_its_leading_one_and_last_unit_left_out_is_an_error(
        text: str, spoken: str, written: str) -> None:
    with pytest.raises(ParseError) as heading:
        parse_issue(HEAD.format(text), "issues/x.md")
    assert [str(d) for d in heading.value.diagnostics] == [
        f"issues/x.md:1: error: the issue number '{text}' in the heading may be read as "
        f"{spoken} or as {written}: write the one meant"]
    with pytest.raises(ValueError, match=f"^'{text}' may be"):
        parse_chinese(text)


@pytest.mark.parametrize(("text", "number"), [
    ("百", 100), ("千", 1000), ("一百零一", 101), ("二百", 200), ("一千零一", 1001),
    ("百二十", 120), ("千二百", 1200), ("十一", 11), ("两", 2),
])
def test_the_other_forms_are_read_as_before(text: str, number: int) -> None:
    assert parse_chinese(text) == number
    assert parse_issue(HEAD.format(text), "issues/x.md").issue.number == number
