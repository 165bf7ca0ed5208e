"""Breaker13c (on main 4c608ff): a section heading's own link was found by a regex search
that ran the URL of each ``[`` to its end, 2 s a parser path for a file within the
limits; and a 摘要 alone in the issue's intro, published as the intro's own text, was a
warning that it was an article's whose title was not read."""

from __future__ import annotations

import random
import re
import time

import pytest

from feeds import fastissue
from feeds.model import ParseError
from feeds.parser import _first_link, parse_issue

P = "issues/2024-07-20-29.md"
HEAD = "# 云计算技术动态 2024 年第二十九期\n\n"
ONE = "**1.** **T1**\n\nhttps://example.com/1\n\n**摘要:** s1\n\n"
# what the heading's link was found by before (breaker13c)
SEARCHED = re.compile(r"(?i)\[[^\]]*\]\(\s*<?https?://[^\s)]*>?\s*\)")


def problems(text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The diagnostics of ``text``, the same on the fast path and the token walk."""
    seen = []
    for fast in (True, False):
        monkeypatch.setattr(fastissue, "ENABLED", fast)
        try:
            seen.append([str(d) for d in parse_issue(text, P).diagnostics])
        except ParseError as exc:
            seen.append([str(d) for d in exc.diagnostics])
    assert seen[0] == seen[1]
    return seen[0]


def test_a_headings_link_is_the_one_a_search_finds() -> None:
    parts = ["[", "]", "(", ")", "<", ">", " ", "\t", "\u3000", "http://", "HTTPS://", "a",
             "](http://", "](", "x)"]
    rng = random.Random(13)
    for _ in range(50_000):
        raw = "".join(rng.choice(parts) for _ in range(rng.randint(0, 16)))
        found = SEARCHED.search(raw)
        assert _first_link(raw) == (found.group() if found else None), raw
    assert _first_link("## 2. [a](http://x[b](  http://y)") == "[b](  http://y)"


def test_a_heading_of_many_links_never_ended_costs_one_pass() -> None:
    """19 such headings, each 500 '[](http://' and a tail to 9,990 characters, a URL under
    each (within the limits: 19,000 markup characters), took 2 s more a parser path."""
    heading = "## 2. " + "[](http://" * 500
    heading += "a" * (9990 - len(heading))
    started = time.process_time()
    for _ in range(19):
        assert _first_link(heading) is None
    assert time.process_time() - started < 0.1  # (the search: some 1.8 s)


def test_a_heading_with_its_own_link_is_still_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (HEAD + "## 分布式系统\n\n" + ONE + "## 2. [[T2]](http://x [T2](https://example.com/2)\n"
            + "\n**摘要:** s2\n")
    assert problems(text, monkeypatch) == [
        f"{P}:11: error: the section heading '## 2. [[T2]](http://x [T2](https://example.com/2)' "
        "has a URL under it: it looks like the title of article 2, which as a heading would "
        "not be published; write '**2.** [T2](https://example.com/2)'"]


@pytest.mark.parametrize("intro", [
    "摘要：本期介绍分布式系统与大模型的最新进展。", "**摘要:** 本期介绍分布式系统。",
    "编者按：本期内容\n\n**摘要**：本期介绍分布式系统。"])
def test_a_summary_of_the_issue_in_its_intro_is_no_warning(
        intro: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + intro + "\n\n## 分布式系统\n\n" + ONE
    assert problems(text, monkeypatch) == []
    assert "本期" in parse_issue(text, P).issue.intro_text


def test_a_summary_before_a_sections_first_article_is_still_a_warning(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + "## 分布式系统\n\n摘要：本节介绍分布式系统。\n\n" + ONE
    assert problems(text, monkeypatch) == [
        f"{P}:5: warning: a 摘要 in section 分布式系统, before its first article, is not "
        "published; if it is an article's, that article's title above it was not read as "
        "one: write it as '**1.** **Title**'"]


@pytest.mark.parametrize("first", ["    **1.** **T3**", "**1。** **T3**"])
def test_a_numbered_section_whose_first_title_is_not_read_is_no_error(
        first: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """'## 2. 云计算' with its link under it, its article 1's title not read, its articles
    then 2, 3: the heading was the error, naming the fix '**2.** **云计算**' (which would
    have dropped the section) and stopping the build, where d28583e warned of the gap."""
    text = HEAD + "## 分布式系统\n\n" + ONE + "## 2. 云计算\n\nhttps://example.com/s2\n\n" \
        f"{first}\n\nhttps://example.com/3\n\n**摘要:** s3\n\n" \
        "**2.** **T4**\n\nhttps://example.com/4\n\n**摘要:** s4\n"
    found = problems(text, monkeypatch)
    assert not [p for p in found if ": error: " in p]
    assert f"{P}:21: warning: article 2 in section 2. 云计算 follows article 0; article 1 is " \
        "missing" in found
    assert any(p.startswith((f"{P}:13: warning: a URL alone", f"{P}:15: warning: ")) for p in found)


def test_a_numbered_heading_followed_by_the_next_articles_is_still_the_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + "## 分布式系统\n\n" + ONE + "## 2. **T2**\n\nhttps://example.com/2\n\n" \
        "**摘要:** s2\n\n**3.** **T3**\n\nhttps://example.com/3\n\n**摘要:** s3\n"
    assert problems(text, monkeypatch) == [
        f"{P}:11: error: the section heading '## 2. **T2**' has a URL under it: it looks like "
        "the title of article 2, which as a heading would not be published; write "
        "'**2.** **T2**'"]
