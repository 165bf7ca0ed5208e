"""A link with credentials (``user:password@``) is dropped from a summary with its text
kept; the text of an autolink is the URL itself, so the credentials are taken out of
the text too: no feed or page publishes them."""

from __future__ import annotations

from pathlib import Path

from test_build import all_files, build, write_project
from test_parser_errors import HEAD, P, problems

from feeds.parser import parse_issue

TEXT = HEAD + ("**1.** **A**\n\nhttps://a.example/1\n\n**摘要:** 见 <https://u:p@a.com/x> 与 "
               "[此处 https://u:p@a.com/y](https://u:p@a.com/y)，及 [原文](https://v@a.com/z)。\n")
WARNING = ("contains credentials (user:password@ before the host); credentials do not belong "
           "in a feed: remove them; its text is kept without the link")


def test_the_text_of_a_dropped_link_loses_its_credentials() -> None:
    article = parse_issue(TEXT, P).issue.sections[0].articles[0]
    assert article.summary_html == ("<p>见 https://a.com/x 与 此处 https://a.com/y，及 原文。</p>")
    assert article.summary_text == "见 https://a.com/x 与 此处 https://a.com/y，及 原文。"
    assert problems(TEXT) == [
        f"{P}:9: warning: link 'https://u:p@a.com/x' {WARNING}, and without the credentials",
        f"{P}:9: warning: link 'https://u:p@a.com/y' {WARNING}, and without the credentials",
        f"{P}:9: warning: link 'https://v@a.com/z' {WARNING}"]


def test_no_published_file_holds_the_credentials(tmp_path: Path) -> None:
    write_project(tmp_path, {"2024-07-01-29.md": TEXT})
    code, _, err = build(tmp_path)
    assert code == 0, err
    files = all_files(tmp_path / "output")
    assert "atom.xml" in files and "feed.json" in files
    assert not [p for p, data in files.items() if b"u:p@" in data]
    assert b"https://a.com/x" in files["atom.xml"]
