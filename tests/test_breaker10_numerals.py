"""An issue number such as 第一百一期, its last unit left out as Chinese speech does.

Found on main (54da399): ``一百一`` was read as 101, ``两百五`` as 205, ``一千二`` as
1002, without a word; a reader of Chinese reads 110, 250 and 1200 (一百一 is short for
一百一十, as 两百五 for 两百五十). The number is part of every entry's id, so an editor
who meant 110 published issue 101: a clash with the real No. 101, or, at a restart or
in a new feed, wrong ids that a correction can only replace. Such a number is now an
error naming both readings, in the heading and in front matter; 一百一十 and 一百零一
are read as before.
"""

from __future__ import annotations

import pytest

from feeds.model import ParseError
from feeds.numerals import parse_chinese
from feeds.parser import parse_issue

HEAD = "# 云计算技术动态 2024 年第{}期\n\n## 分布式系统\n\n**1.** **T**\n\nhttps://example.com/1\n\n**摘要:** s\n"


@pytest.mark.parametrize(("text", "spoken", "written"), [
    ("一百一", "110 (一百一十)", "101 (一百零一)"),
    ("两百五", "250 (二百五十)", "205 (二百零五)"),
    ("一千二", "1200 (一千二百)", "1002 (一千零二)"),
    ("九千九百九", "9990 (九千九百九十)", "9909 (九千九百零九)"),
])
def test_a_number_with_its_last_unit_left_out_is_an_error(text: str, spoken: str,
                                                          written: str) -> None:
    with pytest.raises(ParseError) as heading:
        parse_issue(HEAD.format(text), "issues/x.md")
    assert [str(d) for d in heading.value.diagnostics] == [
        f"issues/x.md:1: error: the issue number '{text}' in the heading may be read as "
        f"{spoken} or as {written}: write the one meant"]
    with pytest.raises(ParseError) as front:
        parse_issue(f"---\nnumber: {text}\n---\n" + HEAD.format("二十九"), "issues/x.md")
    assert [str(d) for d in front.value.diagnostics] == [
        f"issues/x.md:2: error: front matter number '{text}' may be read as {spoken} or as "
        f"{written}: write the one meant; write a number from 1 to 9999 in digits (29) or "
        "Chinese numerals (二十九)"]


@pytest.mark.parametrize(("text", "number"), [
    ("一百一十", 110), ("一百零一", 101), ("两百五十", 250), ("二百零五", 205),
    ("一千二百", 1200), ("一千零二", 1002), ("二十九", 29), ("十一", 11), ("一〇一", 101),
])
def test_the_full_forms_are_read_as_before(text: str, number: int) -> None:
    assert parse_chinese(text) == number
    assert parse_issue(HEAD.format(text), "issues/x.md").issue.number == number
