"""One published URL, spelled three ways: the ids come from the text (they never change),
so the editor is told when the text is not what is published, and the same published
URL twice in one issue is found whatever its spelling."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from test_parser_errors import HEAD, P, problems

from feeds.builder import issue_entries
from feeds.config import Config
from feeds.parser import parse_issue

FULL_WIDTH = "https://ｅｘａｍｐｌｅ．com/a"
ZERO_WIDTH = "https://exa\u200bmple.com/a"
NFD = "https://cafe\u0301.example/a"


def _issue(*urls: str) -> str:
    return HEAD + "".join(f"**{n}.** **A{n}**\n\n{u}\n\n**摘要:** s\n\n"
                          for n, u in enumerate(urls, start=1))


def test_a_host_written_otherwise_than_published_is_a_warning_naming_the_published_url() -> None:
    assert problems(_issue(FULL_WIDTH, ZERO_WIDTH, NFD)) == [
        f"{P}:7: warning: article 1 in section 分布式系统: URL {FULL_WIDTH!r} is published as "
        "https://example.com/a (its host holds full-width, invisible or otherwise mapped "
        "characters); the id comes from the text as written: correcting it later gives the "
        "article a new id",
        f"{P}:13: warning: article 2 in section 分布式系统: URL {ZERO_WIDTH!r} is published as "
        "https://example.com/a (its host holds full-width, invisible or otherwise mapped "
        "characters); the id comes from the text as written: correcting it later gives the "
        "article a new id",
        f"{P}:13: warning: article 2 in section 分布式系统 has the same URL as article 1 in "
        "section 分布式系统 (line 7)",
        f"{P}:19: warning: article 3 in section 分布式系统: URL {NFD!r} is published as "
        "https://xn--caf-dma.example/a (its host holds full-width, invisible or otherwise "
        "mapped characters); the id comes from the text as written: correcting it later "
        "gives the article a new id"]


def test_the_same_published_url_twice_is_found_whatever_its_spelling() -> None:
    found = problems(_issue("https://example.com/a", FULL_WIDTH, ZERO_WIDTH))
    assert [m.partition(": warning: ")[2] for m in found if "same URL" in m] == [
        "article 2 in section 分布式系统 has the same URL as article 1 in section 分布式系统 "
        "(line 7)",
        "article 3 in section 分布式系统 has the same URL as article 1 in section 分布式系统 "
        "(line 7)"]


def test_ids_stay_made_from_the_text() -> None:
    issue = replace(parse_issue(_issue("https://example.com/a", FULL_WIDTH, ZERO_WIDTH), P).issue,
                    date=datetime(2024, 7, 1, tzinfo=UTC))
    entries = issue_entries(issue, Config(base_url="https://news.example.org/"))
    assert [e.link for e in entries] == ["https://example.com/a"] * 3
    assert len({e.id for e in entries}) == 3


def test_plain_case_punycode_and_international_hosts_are_no_warning() -> None:
    assert problems(_issue("HTTPS://Example.COM/a", "https://例子.中国/路径",
                           "https://xn--fsqu00a.xn--fiqs8s/b", "https://bücher.de/c")) == []
