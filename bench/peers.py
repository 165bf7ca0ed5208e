"""The same corpus as a Pelican site and as a Hugo site, for a side-by-side benchmark.

Both get one page per newsletter article (title, date, category/section, link,
summary) and make an all-items feed plus one feed per category, in RSS and
Atom, with no item limit and as little else as each allows.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from feeds.loader import load_issues
from feeds.parser import ParseOptions

HERE = Path(__file__).resolve().parent
PELICAN_VERSION = "4.12.0"


def _articles(issues_dir: Path):  # type: ignore[no-untyped-def]
    for issue in load_issues([issues_dir], ParseOptions()).issues:
        assert issue.date is not None
        pairs = [(s, a) for s in issue.sections for a in s.articles]
        for index, (section, article) in enumerate(pairs):
            stamp = issue.date + timedelta(seconds=len(pairs) - 1 - index)
            yield issue, section, article, index, stamp


def to_pelican(issues_dir: Path, site: Path) -> int:
    """Write a Pelican project; return the number of articles."""
    shutil.rmtree(site, ignore_errors=True)
    content = site / "content"
    content.mkdir(parents=True)
    count = 0
    for issue, section, article, index, stamp in _articles(issues_dir):
        slug = f"{issue.year}-{issue.number}-{index}"
        one_line = article.summary_text.replace("\n", " ")
        (content / f"{slug}.md").write_text(
            f"Title: {article.title}\nDate: {stamp:%Y-%m-%d %H:%M:%S}\nCategory: {section.name}\n"
            f"Slug: {slug}\nLink: {article.url}\nSummary: {one_line}\n\n{article.summary_text}\n",
            encoding="utf-8")
        count += 1
    off = ["ARTICLE", "ARTICLE_LANG", "DRAFT", "DRAFT_LANG", "PAGE", "PAGE_LANG", "DRAFT_PAGE",
           "DRAFT_PAGE_LANG", "CATEGORY", "TAG", "AUTHOR", "YEAR_ARCHIVE", "MONTH_ARCHIVE",
           "DAY_ARCHIVE", "AUTHORS", "CATEGORIES", "TAGS", "ARCHIVES", "INDEX"]
    settings = "\n".join(f"{name}_SAVE_AS = ''" for name in off)
    (site / "pelicanconf.py").write_text(f"""
SITENAME = "云计算技术动态"
SITEURL = "https://feeds.example.com"
FEED_DOMAIN = SITEURL
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
PATH = "content"
FILENAME_METADATA = "(?P<slug>.*)"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/{{slug}}.atom.xml"
CATEGORY_FEED_RSS = "feeds/{{slug}}.rss.xml"
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = None
DIRECT_TEMPLATES = []
PAGINATED_TEMPLATES = {{}}
STATIC_PATHS = []
THEME_STATIC_PATHS = []
DELETE_OUTPUT_DIRECTORY = False
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
{settings}
""", encoding="utf-8")
    return count


def to_hugo(issues_dir: Path, site: Path) -> int:
    """Write a Hugo project; return the number of articles."""
    shutil.rmtree(site, ignore_errors=True)
    count = 0
    sections: dict[str, str] = {}
    for issue, section, article, index, stamp in _articles(issues_dir):
        folder = site / "content" / section.slug
        if section.slug not in sections:
            sections[section.slug] = section.name
            folder.mkdir(parents=True)
            (folder / "_index.md").write_text(
                f"---\ntitle: {json.dumps(section.name, ensure_ascii=False)}\n---\n", encoding="utf-8")
        front = {"title": article.title, "date": stamp.isoformat(), "link": article.url,
                 "summary": article.summary_text}
        (folder / f"{issue.year}-{issue.number}-{index}.md").write_text(
            "---\n" + json.dumps(front, ensure_ascii=False) + "\n---\n" + article.summary_text + "\n",
            encoding="utf-8")
        count += 1
    (site / "config.toml").write_text("""
baseURL = "https://feeds.example.com/"
title = "云计算技术动态"
languageCode = "zh-CN"
disableKinds = ["taxonomy", "term", "sitemap", "robotsTXT", "404"]
rssLimit = -1
[outputs]
home = ["RSS", "Atom"]
section = ["RSS", "Atom"]
[mediaTypes."application/atom+xml"]
suffixes = ["xml"]
[outputFormats.Atom]
mediaType = "application/atom+xml"
baseName = "atom"
[[cascade]]
[cascade._build]
render = "never"
list = "always"
[cascade._target]
kind = "page"
""", encoding="utf-8")
    layouts = site / "layouts" / "_default"
    layouts.mkdir(parents=True)
    pages = "{{ $pages := cond .IsHome .Site.RegularPages .Pages }}"
    (layouts / "list.rss.xml").write_text(pages + """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{{ .Site.Title }}</title><link>{{ .Permalink }}</link>
<description>{{ .Site.Title }}</description>
{{ range $pages }}<item><title>{{ .Title }}</title><link>{{ .Params.link }}</link>
<guid isPermaLink="false">{{ .File.Path }}</guid>
<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" }}</pubDate>
<description>{{ .Params.summary }}</description></item>
{{ end }}</channel></rss>
""", encoding="utf-8")
    (layouts / "list.atom.xml").write_text(pages + """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{{ .Site.Title }}</title><id>{{ .Permalink }}</id>
<updated>{{ now.Format "2006-01-02T15:04:05-07:00" }}</updated>
{{ range $pages }}<entry><title>{{ .Title }}</title><link rel="alternate" href="{{ .Params.link }}"/>
<id>{{ .File.Path }}</id><updated>{{ .Date.Format "2006-01-02T15:04:05-07:00" }}</updated>
<summary>{{ .Params.summary }}</summary><content type="html">{{ .Content }}</content></entry>
{{ end }}</feed>
""", encoding="utf-8")
    return count


def count_items(folder: Path) -> dict[str, int]:
    """Items per feed file: ``<item>`` in RSS, ``<entry>`` in Atom."""
    counts = {}
    for file in sorted(folder.rglob("*.xml")):
        data = file.read_bytes()
        counts[str(file.relative_to(folder))] = len(re.findall(rb"<item>|<entry>", data))
    return counts


def setup(work: Path, peers: Sequence[str] = ("hugo", "pelican")
          ) -> tuple[Path | None, Path | None]:
    """Install Pelican (pip, in its own venv) and Hugo (apt) if missing, of those named
    in ``peers``; their commands (None for one not named or not installed)."""
    venv = work / "pelican-venv"
    pelican = venv / "bin" / "pelican"
    if "pelican" in peers and not pelican.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                        f"pelican[markdown]=={PELICAN_VERSION}"], check=False)
    hugo = shutil.which("hugo") if "hugo" in peers else None
    if "hugo" in peers and hugo is None and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "hugo"], check=False,
                       stdout=subprocess.DEVNULL)
        hugo = shutil.which("hugo")
    return (pelican if "pelican" in peers and pelican.exists() else None), \
        (Path(hugo) if hugo else None)
