"""Bad front matter, headings and base_url: each is `path:line: error` (exit 1) or a
usage error (exit 2), never an internal error (exit 70) and never published."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

ROOT = Path(__file__).resolve().parent.parent
P = "issues/2024-29.md"
HEAD = "# 云计算技术动态 2024 年第二十九期\n\n"
BODY = ("## 分布式系统\n\n**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** s\n\n"
        "**2.** **B**\n\nhttps://a.example/2\n\n**摘要:** s\n")
DATE_FORM = ("write YYYY-MM-DD, or YYYY-MM-DD HH:MM[:SS] with an optional offset such as "
             "+08:00, in the years 1900-2999")
NUMBER_FORM = "a number from 1 to 9999 in digits (29) or Chinese numerals (二十九)"
YEAR_FORM = "write a year from 1900 to 2999, e.g. 'year: 2024'"
TITLE_FORM = "write text, e.g. 'title: 云计算技术动态'"


def feeds(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the real entry point in-process (its own handler turns bugs into exit 70)."""
    return run_main(*args)


def check_and_build(project: Path, text: str, capsys: pytest.CaptureFixture[str]
                    ) -> tuple[int, list[str], int, list[str]]:
    """`check` and `build` on one issue: (check's code, its problem lines, build's code,
    its problem lines); a build that fails must leave ``output/`` without feeds."""
    (project / P).write_text(text, encoding="utf-8")
    code, out, err = feeds("check", capsys=capsys)
    assert err == ""
    checked = out.splitlines()[:-1]
    build_code, _, build_err = feeds("build", capsys=capsys)
    built = build_err.splitlines()
    if build_code:
        assert built[-1].endswith("; nothing was written")
        assert not (project / "output" / "atom.xml").exists()
        built = built[:-1]
    return code, checked, build_code, built


@pytest.mark.parametrize(("front", "message"), [
    ("date: 2024-13-45", f"front matter date '2024-13-45' is not a date (month must be in "
                         f"1..12); {DATE_FORM}"),
    ("date: 2024-01-01T25:00:00", f"front matter date '2024-01-01T25:00:00' is not a date "
                                  f"(hour must be in 0..23); {DATE_FORM}"),
    ("date: T25:00", f"front matter date 'T25:00' is not a date; {DATE_FORM}"),
    ("date: !!timestamp 2024-01-01x", f"front matter date '2024-01-01x' is not a date; "
                                      f"{DATE_FORM}"),
    ("date: 9999-12-31 23:59:59+08:00", "front matter date '9999-12-31 23:59:59+08:00' is not a "
                                        f"date (the year 9999 is outside 1900-2999); {DATE_FORM}"),
    ("date: 1899-12-31", "front matter date '1899-12-31' is not a date (the year 1899 is "
                         f"outside 1900-2999); {DATE_FORM}"),
    ("date: 2024-07-20 08:00:00+99:00", "front matter date '2024-07-20 08:00:00+99:00' is not a "
                                        "date (offset must be a timedelta strictly between "
                                        "-timedelta(hours=24) and timedelta(hours=24), not "
                                        f"datetime.timedelta(days=4, seconds=10800).); {DATE_FORM}"),
    ("date: [2024-07-20]", f"front matter date is a list; {DATE_FORM}"),
    ("title: null", f"front matter title is nothing (null); {TITLE_FORM}"),
    ("title: [a, b]", f"front matter title is a list; {TITLE_FORM}"),
    ("title: !!binary aGVsbG8=", f"front matter title is binary data; {TITLE_FORM}"),
    ("title: {a: b}", f"front matter title is a mapping; {TITLE_FORM}"),
    ("title: 2024", f"front matter title is a number; {TITLE_FORM}"),
    ("title: ''", f"front matter title is empty; {TITLE_FORM}"),
    ("title: !custom x", f"front matter title is a value tagged !custom; {TITLE_FORM}"),
    ("year: 99999", f"front matter year '99999' is out of range or not a year; {YEAR_FORM}"),
    ("year: 0", f"front matter year '0' is out of range or not a year; {YEAR_FORM}"),
    ("year: -5", f"front matter year '-5' is out of range or not a year; {YEAR_FORM}"),
    ("year: 2024.0", f"front matter year must be a whole number, not 2024.0; {YEAR_FORM}"),
    ("year: true", f"front matter year is true/false; {YEAR_FORM}"),
    ("number: 0", f"front matter number '0' is out of range or not a number; write {NUMBER_FORM}"),
    ("number: 10000", "front matter number '10000' is out of range or not a number; "
                      f"write {NUMBER_FORM}"),
    ("number: 一二三四五", "front matter number '一二三四五' is out of range or not a number; "
                      f"write {NUMBER_FORM}"),
    ("number: ፩", f"front matter number '፩' is out of range or not a number; write {NUMBER_FORM}"),
    ("number: " + "9" * 4000, "front matter number '" + "9" * 40 + "…' is out of range or not a "
                              f"number; write {NUMBER_FORM}"),
    ("url: 5", "front matter url is a number; write an http(s) URL"),
])
def test_bad_front_matter_value_is_an_error_on_its_line(
        project: Path, capsys: pytest.CaptureFixture[str], front: str, message: str) -> None:
    text = f"---\n{front}\n---\n" + HEAD + BODY
    code, checked, build_code, built = check_and_build(project, text, capsys)
    assert (code, build_code) == (1, 1)
    assert checked == built == [f"{P}:2: error: {message}"]


@pytest.mark.parametrize(("heading", "message"), [
    ("# 云计算技术动态 2024 年第፩期", "the issue number '፩' in the heading is not " + NUMBER_FORM),
    ("# 云计算技术动态 2024 年第" + "9" * 5000 + "期",
     "the issue number '" + "9" * 40 + "…' in the heading is not " + NUMBER_FORM),
    ("# 云计算技术动态 2024 年第一二三四五期",
     "the issue number '一二三四五' in the heading is not " + NUMBER_FORM),
    ("# 云计算技术动态 0001 年第29期", "the year 0001 in the heading is not a year from 1900 to 2999"),
    ("# 云计算技术动态 3000 年第29期", "the year 3000 in the heading is not a year from 1900 to 2999"),
])
def test_bad_heading_number_or_year_is_an_error(
        project: Path, capsys: pytest.CaptureFixture[str], heading: str, message: str) -> None:
    text = "---\ndate: 2024-07-20\n---\n" + heading + "\n\n" + BODY
    code, checked, build_code, built = check_and_build(project, text, capsys)
    assert (code, build_code) == (1, 1)
    assert checked == built == [f"{P}:4: error: {message}"]


def test_front_matter_number_and_year_override_a_bad_heading(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "---\nnumber: 29\nyear: 2024\ndate: 2024-07-20\n---\n# 云计算技术动态 0001 年第፩期\n\n" + BODY
    assert check_and_build(project, text, capsys) == (0, [], 0, [])
    atom = (project / "output" / "atom.xml").read_text(encoding="utf-8")
    assert "tag:example.com,2024:issue-2024-29/" in atom


@pytest.mark.parametrize(("front", "date"), [
    ("date: 2024-07-20", "2024-07-20T00:00:00+08:00"),
    ("date: 2024-07-20 09:30", "2024-07-20T09:30:00+08:00"),
    ("date: 2024-07-20T09:30:00+02:00", "2024-07-20T09:30:00+02:00"),
    ("date: 2024-7-2 9:30:00 +2", "2024-07-02T09:30:00+02:00"),
    ("date: '2024-07-20'", "2024-07-20T00:00:00+08:00"),
    ("date: 1900-01-01", "1900-01-01T00:00:00+08:06"),
    ("date: 2999-12-31 23:59:59+08:00", "2999-12-31T23:59:59+08:00"),
])
def test_dates_in_every_accepted_form_and_at_the_ends_of_the_range(
        project: Path, capsys: pytest.CaptureFixture[str], front: str, date: str) -> None:
    year = date[:4]
    full_width = year.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    text = (f"---\n{front}\nyear: '{full_width}'\nnumber: 二十九\n---\n"
            f"# 云计算技术动态 {year} 年第二十九期\n\n" + BODY)
    code, checked, build_code, _ = check_and_build(project, text, capsys)
    assert (code, build_code) == (0, 0)
    assert [line for line in checked if ": error: " in line] == []
    atom = (project / "output" / "atom.xml").read_text(encoding="utf-8")
    assert f"<published>{date}</published>" in atom
    assert f"tag:example.com,{year}:issue-{year}-29/" in atom


def test_a_title_from_front_matter_is_published_as_written(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "---\ntitle: ' 新名字 '\ndate: 2024-07-20\n---\n" + HEAD + BODY
    assert check_and_build(project, text, capsys) == (0, [], 0, [])
    index = (project / "output" / "index.html").read_text(encoding="utf-8")
    assert ('<h2 id="latest">最新一期：<a href="issues/2024-29.html">《新名字》2024 年第 29 期</a></h2>'
            in index)


@pytest.mark.parametrize(("front", "line", "message"), [
    ("a: &x 1\ntitle: *x", 2, "front matter: aliases and anchors (*name, &name) are not allowed"),
    ("title: &x t", 2, "front matter: aliases and anchors (*name, &name) are not allowed"),
    ("number: [[1]]", 2, "front matter: values cannot be nested; give each key one plain value"),
    ("title: a\ntitle: b", 3, "front matter title is set twice (also on line 2)"),
    ("[a]: 1", 2, "front matter keys must be plain names such as 'date'"),
    ("title: " + "x" * 4100, 2, "front matter is longer than the limit of 4,096 characters"),
])
def test_front_matter_refuses_what_it_does_not_need(
        project: Path, capsys: pytest.CaptureFixture[str], front: str, line: int,
        message: str) -> None:
    text = f"---\n{front}\n---\n" + HEAD + BODY
    code, checked, build_code, built = check_and_build(project, text, capsys)
    assert (code, build_code) == (1, 1)
    assert checked == built == [f"{P}:{line}: error: {message}"]


def test_an_issue_with_a_heading_and_no_sections_is_warned_about(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "issues" / "2024-07-20-29.md").write_text(HEAD + BODY, encoding="utf-8")
    (project / "issues" / "2024-07-27-30.md").write_text(
        "# 云计算技术动态 2024 年第三十期\n\n编者按：下期见。\n", encoding="utf-8")
    warning = ("issues/2024-07-27-30.md:1: warning: the issue has no sections and so no "
               "articles; add a '## section name' heading with the articles under it")
    assert feeds("check", capsys=capsys) == (
        0, f"{warning}\nchecked 2 files: 0 errors, 1 warning\n", "")
    code, _, err = feeds("build", capsys=capsys)
    assert code == 0
    assert err == f"{warning}\n"


BASE_URL_ADVICE = "write the public folder's URL, e.g. 'https://example.com/feeds/'"


@pytest.mark.parametrize(("url", "problem"), [
    ("https://example.com/feeds?x=1", "it has a query ('?') or a fragment ('#'), which would "
                                      "end up inside every feed URL"),
    ("https://example.com/feeds/#top", "it has a query ('?') or a fragment ('#'), which would "
                                       "end up inside every feed URL"),
    ("https://example.com/my feeds/", "it contains a space or a control character"),
    ("https://example.com/\tfeeds/", "it contains a space or a control character"),
    ("https://user:secret@example.com/", "it has a user name or password ('user@'); "
                                          "credentials do not belong in a feed"),
    ("http://[::1/", "it is malformed (Invalid IPv6 URL)"),
    *((f"http://example.com:{port}/", f"its port {port!r} is not a number from 1 to 65535")
      for port in ("99999", "65536", "0", "", "abc", "+1", "1_0", "\u0663")),
    ("http://[::1]:0/", "its port '0' is not a number from 1 to 65535"),
    ("https://xn--a.com/", "it has a host label 'xn--a' that is not a valid international "
                           "domain name"),
    ("https://a..example/", "it has an empty label in its host 'a..example' (two dots in a row?)"),
    ("ftp://example.com/", "it must be an absolute http(s) URL"),
])
def test_base_url_that_cannot_prefix_feed_urls_is_a_usage_error(
        project: Path, capsys: pytest.CaptureFixture[str], url: str, problem: str) -> None:
    (project / P).write_text(HEAD + BODY, encoding="utf-8")
    assert feeds("build", "--base-url", url, capsys=capsys) == (
        2, "", f"feeds: error: --base-url: base_url {url!r} cannot be used: {problem}; "
               f"{BASE_URL_ADVICE}\n")
    (project / "feeds.toml").write_text(f'title = "T"\nbase_url = "{url}"\n', encoding="utf-8")
    for command in ("build", "check"):
        assert feeds(command, capsys=capsys) == (
            2, "", f"feeds: error: feeds.toml:2: base_url {url!r} cannot be used: {problem}; "
                   f"{BASE_URL_ADVICE}\n")
    assert not (project / "output" / "atom.xml").exists()


def test_an_international_base_url_is_published_in_punycode_and_ids_keep_its_host(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every URL a file publishes starts with the base URL as a browser asks for it
    (host in punycode, path percent-encoded): a raw IDN is no URL for a sitemap or
    RSS. The ``tag:`` ids keep the host as written, as they always had."""
    import feedparser

    (project / P).write_text(HEAD + BODY, encoding="utf-8")
    (project / "feeds.toml").write_text('base_url = "https://例子.中国/新闻"\n', encoding="utf-8")
    assert feeds("build", capsys=capsys)[0] == 0
    base = "https://xn--fsqu00a.xn--fiqs8s/%E6%96%B0%E9%97%BB/"
    out = project / "output"
    texts = {str(p.relative_to(out)): p.read_text(encoding="utf-8")
             for p in out.rglob("*") if p.suffix in (".xml", ".json", ".opml", ".html")}
    assert [p for p, t in texts.items() if t.replace("tag:例子.中国,", "").count("例子")] == []
    assert f"<loc>{base}index.html</loc>" in texts["sitemap.xml"]
    assert f'"feed_url":"{base}feed.json"' in texts["feed.json"]
    atom = feedparser.parse(texts["atom.xml"])
    assert [link.href for link in atom.feed.links if link.rel == "self"] == [base + "atom.xml"]
    assert [e.id for e in atom.entries][-1].startswith("tag:例子.中国,2024:issue-2024-29/")
    rss = feedparser.parse(texts["rss.xml"])
    assert rss.feed.link == base + "index.html"


def test_the_projects_own_issue_still_builds(project: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (project / P).write_bytes((ROOT / P).read_bytes())
    assert feeds("check", capsys=capsys)[0] == 0
