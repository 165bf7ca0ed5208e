"""Links are published as the editor wrote them; ids stay what they always were.

The canonical form of a URL (tracking parameters and fragment dropped) makes the
entry id only. The published link is the editor's URL with only the changes RFC 3986
and RFC 3987 allow: scheme and host in lower case, an international host in punycode,
characters a URI cannot hold percent-encoded (as CommonMark does for a Markdown link).
"""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from lxml import etree

from feeds.cli import cli
from feeds.model import ParseError
from feeds.parser import parse_issue
from feeds.urls import canonical_url, published_url, url_problem

P = "issues/2024-29.md"
HEAD = "# 云计算技术动态 2024 年第二十九期\n\n## 分布式系统\n\n"
BASE = "https://news.example.org/feeds/"

# (as written in the issue, as published, the entry id the code before this change gave it)
LINKS = [
    ("https://example.com/app/#/article/123", "https://example.com/app/#/article/123",
     "73fd4b26af322f88"),
    ("https://example.com/q?x=1;y=2", "https://example.com/q?x=1;y=2", "454a6227e1074390"),
    ("https://example.com/q?flag", "https://example.com/q?flag", "9f26cf6702dba2d8"),
    ("https://Example.COM/raft?utm_source=wechat&utm_medium=share&id=7",
     "https://example.com/raft?utm_source=wechat&utm_medium=share&id=7", "d255409f2a282b1f"),
    ("[微信](https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=abc123&chksm=deadbeef"
     "&scene=21#wechat_redirect)",
     "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=abc123&chksm=deadbeef&scene=21"
     "#wechat_redirect", "38a9100e265b43b1"),
    ("[原文](https://例子.测试/路径?q=值)",
     "https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=%E5%80%BC", "0d7945de048b9785"),
    ("https://example.com/路径/文章", "https://example.com/%E8%B7%AF%E5%BE%84/%E6%96%87%E7%AB%A0",
     "bab899f313cb4adf"),
]


def issue_with(urls: list[str]) -> str:
    parts = ["# 云计算技术动态 2024 年第三十期\n\n## 分布式系统\n"]
    for number, url in enumerate(urls, start=1):
        parts.append(f"\n**{number}.** **文章{number}**\n\n{url}\n\n**摘要:** s{number}\n")
    return "".join(parts)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    (tmp_path / "issues").mkdir()
    front = "---\nurl: HTTPS://News.Example.ORG/issues/30?ref=feed#top\n---\n"
    (tmp_path / "issues" / "2024-07-27-30.md").write_text(
        front + issue_with([written for written, _, _ in LINKS]), encoding="utf-8")
    (tmp_path / "feeds.toml").write_text(f'base_url = "{BASE}"\ntag_authority = "news.example.org"\n',
                                         encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--issues", str(tmp_path / "issues"), "--output",
                                      str(tmp_path / "output"), "--config", str(tmp_path / "feeds.toml")])
    assert result.exit_code == 0, result.output + result.stderr
    return tmp_path / "output"


def test_links_are_published_as_written_in_every_format(out: Path) -> None:
    want = [published for _, published, _ in LINKS]
    rss = etree.parse(str(out / "rss.xml")).getroot()
    assert [item.findtext("link") for item in rss.iter("item")] == want
    atom = etree.parse(str(out / "atom.xml")).getroot()
    ns = "{http://www.w3.org/2005/Atom}"
    assert [e.find(f"{ns}link").get("href") for e in atom.iter(f"{ns}entry")] == want
    assert [e.link for e in feedparser.parse((out / "rss.xml").read_bytes()).entries] == want
    page = (out / "index.html").read_text(encoding="utf-8")
    for link in want:
        assert f'<a href="{link.replace("&", "&amp;")}">' in page
    footer = '<a href="https://news.example.org/issues/30?ref=feed#top">'
    assert footer in page.replace("本期网页", "")
    content = feedparser.parse((out / "atom.xml").read_bytes()).entries[0].content[0]["value"]
    assert footer in content


def test_ids_are_what_they_always_were(out: Path) -> None:
    """Ids are permanent: these were computed by the code before links were published as written."""
    ids = [e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries]
    assert ids == [f"tag:news.example.org,2024:issue-2024-30/{digest}" for _, _, digest in LINKS]
    assert [e.id for e in feedparser.parse((out / "rss.xml").read_bytes()).entries] == ids


def test_canonical_form_is_unchanged() -> None:
    assert canonical_url("https://Example.COM/raft?utm_source=wechat&utm_medium=share&id=7") == \
        "https://example.com/raft?id=7"
    assert canonical_url("https://example.com/app/#/article/123") == "https://example.com/app/"
    assert canonical_url("https://example.com/q?x=1;y=2") == "https://example.com/q?x=1%3By%3D2"
    assert canonical_url("https://example.com/q?flag") == "https://example.com/q?flag="


@pytest.mark.parametrize(("url", "published"), [
    ("https://example.com/a", "https://example.com/a"),
    ("HTTP://EXAMPLE.com:8080/A/B?C=D#E", "http://example.com:8080/A/B?C=D#E"),
    ("https://example.com/a%2Fb%zz", "https://example.com/a%2Fb%25zz"),
    ("https://example.com/a|b{c}", "https://example.com/a%7Cb%7Bc%7D"),
    ("https://Bücher.example/x", "https://xn--bcher-kva.example/x"),
    ("https://[::1]:8080/x?y", "https://[::1]:8080/x?y"),
    ("https://example.com?x", "https://example.com?x"),
    ("https://example.com/#", "https://example.com/#"),
    # hosts as a browser maps them (WHATWG URL / UTS #46), not raw punycode of what is written
    ("https://ｅｘａｍｐｌｅ．com/x", "https://example.com/x"),
    ("https://exa\u200bmple.com/y", "https://example.com/y"),
    ("https://ＥＸＡＭＰＬＥ.com:8080/x", "https://example.com:8080/x"),
    ("https://faß.example/x", "https://xn--fa-hia.example/x"),
    ("https://a_b.example/x", "https://a_b.example/x"),
    ("https://xn--fsqu00a.xn--0zwm56d/x", "https://xn--fsqu00a.xn--0zwm56d/x"),
])
def test_published_url(url: str, published: str) -> None:
    assert published_url(url) == published
    assert published_url(published) == published


# ---------------------------------------------------------------- what is wrong with a URL

def problems(text: str | bytes) -> list[str]:
    try:
        return [str(d) for d in parse_issue(text, P).diagnostics]
    except ParseError as exc:
        return [str(d) for d in exc.diagnostics]


WHERE = f"{P}:7: error: article 1 in section 分布式系统: URL"
CREDENTIALS = ("contains credentials (user:password@ before the host); credentials do not belong "
               "in a feed: remove them")


@pytest.mark.parametrize("form", ["{u}", "<{u}>", "[原文]({u})", "**1.** [A]({u})"])
def test_url_with_credentials_is_an_error(form: str) -> None:
    line = form.format(u="http://a:b@host.example/x")
    if form.startswith("**1.**"):
        text = HEAD + line + "\n\n**摘要:** s\n"
        where = f"{P}:5: error: article 1 in section 分布式系统: URL"
    else:
        text = HEAD + "**1.** **A**\n\n" + line + "\n\n**摘要:** s\n"
        where = WHERE
    assert problems(text) == [f"{where} 'http://a:b@host.example/x' {CREDENTIALS}"]


def test_front_matter_url_with_credentials_is_an_error() -> None:
    text = "---\nurl: https://editor@news.example/30\n---\n" + HEAD + \
        "**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n"
    assert problems(text) == [f"{P}:2: error: front matter url 'https://editor@news.example/30' "
                              f"{CREDENTIALS}"]


@pytest.mark.parametrize(("escape", "problem"), [
    ("\\x01", "contains the control character U+0001; remove it"),
    ("\\x85", "contains the control character U+0085; remove it"),
    ("\\ud800", "contains U+D800, which is not a character; remove it"),
])
def test_front_matter_url_with_an_escaped_control_character_is_an_error(escape: str,
                                                                        problem: str) -> None:
    """YAML writes the character from an escape, so no raw line holds it; removing it
    would publish another URL than the editor's."""
    text = f'---\nurl: "https://news.example/i{escape}ssue"\n---\n' + HEAD + \
        "**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n"
    url = "https://news.example/i" + escape.encode().decode("unicode_escape", "surrogatepass") + "ssue"
    assert problems(text) == [f"{P}:2: error: front matter url {url!r} {problem}"]


@pytest.mark.parametrize("form", ["{u}", "<{u}>", "[原文]({u})"])
def test_url_with_a_space_says_so(form: str) -> None:
    text = HEAD + "**1.** **A**\n\n" + form.format(u="https://a.example/x y") + "\n\n**摘要:** s\n"
    assert problems(text) == [
        f"{WHERE} 'https://a.example/x y' contains a space; write a space inside a URL as %20"]


def test_url_then_words_on_its_line_says_so() -> None:
    text = HEAD + "**1.** **A**\n\nhttps://a.example/x 这是原文\n\n**摘要:** s\n"
    assert problems(text) == [
        f"{WHERE} 'https://a.example/x 这是原文' contains a space; write a space inside a URL as %20"]


@pytest.mark.parametrize(("line", "url"), [
    ("https://a.exa\x08mple/x", "https://a.exa\\x08mple/x"),
    ("<https://a.example/x\x00>", "https://a.example/x\\x00"),
    ("[原文](https://a.example/\x1fx)", "https://a.example/\\x1fx"),
    ("https://a.example/\u0085x", "https://a.example/\\x85x"),
])
def test_control_character_in_a_url_is_an_error_not_removed(line: str, url: str) -> None:
    text = HEAD + "**1.** **A**\n\n" + line + "\n\n**摘要:** s\n"
    code = f"U+{ord(next(c for c in line if ord(c) < 32 or 0x7f <= ord(c) <= 0x9f)):04X}"
    assert problems(text) == [f"{P}:7: error: URL '{url}' contains the control character {code}; "
                              "remove it"]


def test_control_character_in_a_summary_link_is_an_error() -> None:
    text = HEAD + "**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** 见 [论文](https://b.example/\x07p)\n"
    assert problems(text) == [f"{P}:9: error: URL 'https://b.example/\\x07p' contains the control "
                              "character U+0007; remove it"]


def test_check_exits_1_naming_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "2024-07-27-30.md").write_text(
        issue_with(["https://a.example/1", "http://user:secret@a.example/2", "https://a.example/3 4"]),
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.stdout == (
        "issues/2024-07-27-30.md:13: error: article 2 in section 分布式系统: URL "
        f"'http://user:secret@a.example/2' {CREDENTIALS}\n"
        "issues/2024-07-27-30.md:19: error: article 3 in section 分布式系统: URL "
        "'https://a.example/3 4' contains a space; write a space inside a URL as %20\n"
        "checked 1 file: 2 errors, 0 warnings\n")


@pytest.mark.parametrize(("url", "problem"), [
    ("https://a.example/x", None),
    ("https://medium.example/@user/post", None),
    ("https://user@a.example/x", CREDENTIALS),
    ("https://a.example/x\ty", "contains whitespace (U+0009); remove it or percent-encode it"),
    ("https://a.example/x\u3000", "contains whitespace (U+3000 IDEOGRAPHIC SPACE); remove it or "
                                  "percent-encode it"),
    ("ftp://a.example/", "is not allowed; only http:// and https:// links can be published"),
    ("https:///x", "has no host"),
    ("https://a.example:99999/x", "is not a valid URL (check the host and the port)"),
    ("", "is empty"),
    ("https://ｅｘａｍｐｌｅ．com/x", None),
    ("https://xn--a.com/z", "has a host label 'xn--a' that is not a valid international domain name"),
    ("https://xn--mi7chab1aes7c.com/x", "has a host label 'xn--mi7chab1aes7c' that is not a valid "
                                        "international domain name"),
    ("https://a..b/w", "has an empty label in its host 'a..b' (two dots in a row?)"),
    ("https://.a.example/w", "has an empty label in its host '.a.example' (two dots in a row?)"),
    ("https://a.example:0/w", "has port 0, which no server listens on"),
    ("https://a.example./w", None),
])
def test_url_problem(url: str, problem: str | None) -> None:
    assert url_problem(url) == problem


def test_hosts_a_browser_cannot_reach_are_errors_in_articles_and_summaries() -> None:
    text = (HEAD + "**1.** **A**\n\nhttps://xn--a.com/z\n\n"
            "**摘要:** see [C](https://c.example/)\n[B](https://a..b/w) and [D](https://d.example:0/)\n\n"
            "**2.** [B](https://a..b/)\n\n**摘要:** s\n")
    assert problems(text) == [
        f"{WHERE} 'https://xn--a.com/z' has a host label 'xn--a' that is not a valid international "
        "domain name",
        f"{P}:10: error: link 'https://a..b/w' has an empty label in its host 'a..b' (two dots in a row?)",
        f"{P}:10: error: link 'https://d.example:0/' has port 0, which no server listens on",
        f"{P}:12: error: article 2 in section 分布式系统: URL 'https://a..b/' has an empty label in "
        "its host 'a..b' (two dots in a row?)"]


def test_full_width_and_zero_width_hosts_are_published_as_a_browser_reads_them(tmp_path: Path) -> None:
    """They were published as xn--mi7chab1aes7c.com and xn--example-2z6c.com: other domains."""
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "2024-07-27-30.md").write_text(issue_with([
        "https://ｅｘａｍｐｌｅ．com/x", "https://exa\u200bmple.com/y",
        "https://a.example/s\n\n**摘要:** [见](https://ｅｘａｍｐｌｅ．com/z)"]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "-q", "--issues", str(tmp_path / "issues"),
                                      "--output", str(tmp_path / "output"), "--base-url", BASE,
                                      "--state", str(tmp_path / ".feeds")])
    assert result.exit_code == 0, result.output
    feed = feedparser.parse((tmp_path / "output" / "atom.xml").read_bytes())
    assert [e.link for e in feed.entries] == ["https://example.com/x", "https://example.com/y",
                                              "https://a.example/s"]
    rss = feedparser.parse((tmp_path / "output" / "rss.xml").read_bytes())
    assert '<a href="https://example.com/z">见</a>' in rss.entries[2].content[0].value
    assert b"xn--" not in (tmp_path / "output" / "rss.xml").read_bytes()
