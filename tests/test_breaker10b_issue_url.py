"""An editor's fix of an issue's front matter ``url`` (the link of its digest entry and
of every article's last line) is a correction: readers holding the entries in archive
pages get it. A new base_url or ``pages`` setting beside an unseen edit still corrects
nothing (test_breaker10_config_and_edit).

Found by breaker10b on main (08d5463, after 96fd61b "revisions leave out the footer's
link to the issue page and the digest entry's link"): 'url: https://example.com/wrong'
fixed to '.../right' in a published issue changed the link in every article's content
and in the digest entry's link, and no ``updated`` moved (before 96fd61b every one
moved to the edit's time): a reader kept the wrong link. Those links are left out of a
revision only when they are the issue's page, whose URL follows the configuration.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SEED, run_main

from feeds.builder import article_revision, issue_entries
from feeds.config import Config
from feeds.pages import with_page_urls
from feeds.parser import parse_issue

PUBLISHED = 1_730_419_200  # 2024-11-01T00:00:00Z
EDITED = 1_733_011_200  # 2024-12-01T00:00:00Z
ISSUE = "2024-11-01-29.md"


def _text(url: str) -> bytes:
    return f"---\nurl: {url}\n---\n".encode() + SEED.read_bytes()


def _updated(feed: Path) -> list[str]:
    return re.findall(r"<updated>([^<]*)</updated>", feed.read_text(encoding="utf-8"))[1:]


def test_a_fixed_issue_url_is_a_correction(project: Path) -> None:
    issue = project / "issues" / ISSUE
    issue.write_bytes(_text("https://example.com/wrong"))
    os.utime(issue, (PUBLISHED, PUBLISHED))
    assert run_main("build", "-q") == (0, "", "")
    issue.write_bytes(_text("https://example.com/right"))
    os.utime(issue, (EDITED, EDITED))
    assert run_main("build", "-q") == (0, "", "")
    out = project / "output"
    assert (out / "atom.xml").read_text(encoding="utf-8").count("https://example.com/right") == 8
    assert _updated(out / "atom.xml") == ["2024-12-01T08:00:00+08:00"] * 8
    assert _updated(out / "digest" / "atom.xml") == ["2024-12-01T08:00:00+08:00"]


@pytest.mark.parametrize("change", ['pages = false\n', 'base_url = "https://news.example.org/x/"\n'
                                    'tag_authority = "example.com"\n'])
def test_an_unseen_edit_of_an_issue_with_its_own_url_beside_a_config_change(
        project: Path, tmp_path: Path, change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    issue = project / "issues" / ISSUE
    issue.write_bytes(_text("https://example.com/own"))
    os.utime(issue, (PUBLISHED, PUBLISHED))
    assert run_main("build", "-q") == (0, "", "")
    config = project / "feeds.toml"
    if change.startswith("base_url"):
        config.write_text(change, encoding="utf-8")
    else:
        config.write_text(config.read_text(encoding="utf-8") + change, encoding="utf-8")
    issue.write_bytes(_text("https://example.com/own").replace(b"\n\n", b"\n\n\n", 1))
    os.utime(issue, (EDITED, EDITED))
    assert run_main("build", "-q") == (0, "", "")
    cold = tmp_path / "cold"
    shutil.copytree(project / "issues", cold / "issues")
    shutil.copy2(config, cold / "feeds.toml")
    monkeypatch.chdir(cold)
    assert run_main("build", "-q") == (0, "", "")
    for feed in ("atom.xml", "digest/atom.xml"):
        assert (project / "output" / feed).read_bytes() == (cold / "output" / feed).read_bytes()
        assert set(_updated(cold / "output" / feed)) <= {
            f"2024-11-01T00:00:0{s}+08:00" for s in range(8)}


@pytest.mark.parametrize("url", ["", "https://example.com/own",
                                 "https://feeds.example.com/issues/2024-29.html"])
@pytest.mark.parametrize("pages", [True, False])
def test_revisions_equal_the_reference_with_an_issue_url(url: str, pages: bool) -> None:
    """issue_entries' inline revision is article_revision's, an issue's own URL or not."""
    config = Config(base_url="https://feeds.example.com/", pages=pages)
    text = (f"---\nurl: {url}\n---\n".encode() if url else b"") + SEED.read_bytes()
    issue = parse_issue(text, "issues/x.md").issue
    issue = replace(issue, date=datetime(2024, 11, 1, tzinfo=ZoneInfo("Asia/Shanghai")))
    if pages:
        issue = with_page_urls([issue], config)[0]
    entries = issue_entries(issue, config)
    assert len(entries) == 8
    assert all(e.revision == article_revision(e, config) for e in entries)
