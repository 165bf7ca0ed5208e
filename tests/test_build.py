"""`feeds build`: every feed read back the way a reader reads it."""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from click.testing import CliRunner
from conftest import ATOM_RNG, SEED
from lxml import etree

from feeds.cli import cli
from feeds.loader import load_issues
from feeds.parser import ParseOptions
from feeds.urls import published_url

TZ = ZoneInfo("Asia/Shanghai")
BASE = "https://news.example.org/feeds/"
CONFIG = f'base_url = "{BASE}"\ntag_authority = "news.example.org"\n'
SECOND = """---
url: https://news.example.org/issues/30
---
# 云计算技术动态 2024 年第三十期

## 分布式系统

**1.** **一致性协议综述**

https://example.com/raft?utm_source=wechat&utm_medium=share&id=7

**摘要:** 介绍 **Raft** 与 `Paxos`，见[论文](https://raft.github.io/)。

作者：李四

标签：共识，Raft、分布式

**2.** **同一篇文章又出现了**

https://mp.weixin.qq.com/s/tcCCSp51iE7_ZGdomZu8SQ

**摘要:** 上一期的文章在本期再次推荐。

## 新栏目

**1.** **新栏目的第一篇**

https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=abc123&chksm=deadbeef&scene=21#wechat_redirect

**摘要:** 新栏目。
"""


def write_project(root: Path, issues: dict[str, str | bytes], config: str = CONFIG) -> Path:
    (root / "issues").mkdir(parents=True, exist_ok=True)
    for name, text in issues.items():
        data = text.encode("utf-8") if isinstance(text, str) else text
        (root / "issues" / name).write_bytes(data)
    (root / "feeds.toml").write_text(config, encoding="utf-8")
    return root


def build(root: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["build", "--issues", str(root / "issues"), "--output",
                                      str(root / "output"), "--config", str(root / "feeds.toml"),
                                      *extra])
    return result.exit_code, result.stdout, result.stderr


def all_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def feed_files(out: Path) -> list[str]:
    """The XML feeds of articles: every one but the digest's."""
    return [p for p in all_files(out) if p.endswith(".xml") and p != "sitemap.xml"
            and not p.startswith("digest/")]


def every_feed(out: Path) -> list[str]:
    """Every feed, in every format, the digest too."""
    return [p for p in all_files(out) if p.endswith((".xml", ".json")) and p != "sitemap.xml"]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes(),
                             "2024-07-27-30.md": SECOND})
    code, _, err = build(tmp_path)
    assert code == 0, err
    return tmp_path


def expected_entries(root: Path, slug: str = "") -> list[dict]:
    """What the parser says, in the order a newest-first reader must show it."""
    loaded = load_issues([root / "issues"], ParseOptions())
    rows = []
    for issue in reversed(loaded.issues):
        pairs = [(s, a) for s in issue.sections for a in s.articles]
        for index, (section, article) in enumerate(pairs):
            rows.append({
                "title": article.title, "link": published_url(article.url),
                "summary": article.summary_text, "section": section.name,
                "slug": section.slug, "tags": list(article.tags), "author": article.author,
                "published": issue.date + timedelta(seconds=len(pairs) - 1 - index),
                "html": article.summary_html,
            })
    return [r for r in rows if not slug or r["slug"] == slug]


def test_layout(site: Path) -> None:
    sections = ["da-mo-xing-ji-shu", "fen-bu-shi-xi-tong", "ji-shu-zhi-wai", "xin-lan-mu",
                "yun-ji-suan-ji-shu"]
    assert sorted(all_files(site / "output")) == sorted([
        "archive.html", "atom.xml", "feed.json", "feeds.opml", "index.html", "issues/2024-29.html",
        "issues/2024-30.html", "rss.xml", "digest/atom.xml", "digest/feed.json", "digest/rss.xml",
        *(f"sections/{s}/{name}" for s in sections
          for name in ("atom.xml", "feed.json", "index.html", "rss.xml")),
        "sitemap.xml", "style.css"])


@pytest.mark.parametrize("path", ["atom.xml", "rss.xml", "sections/fen-bu-shi-xi-tong/atom.xml",
                                  "sections/fen-bu-shi-xi-tong/rss.xml",
                                  "sections/xin-lan-mu/rss.xml"])
def test_entries_equal_what_the_parser_emitted(site: Path, path: str) -> None:
    parsed = feedparser.parse((site / "output" / path).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    slug = path.split("/")[1] if path.startswith("sections/") else ""
    want = expected_entries(site, slug)
    assert len(parsed.entries) == len(want)
    for got, exp in zip(parsed.entries, want, strict=True):
        assert got.title == exp["title"]
        assert got.link == exp["link"]
        assert got.summary == exp["summary"]
        assert got.id.startswith("tag:news.example.org,2024:issue-2024-")
        stamp = got.published_parsed or got.updated_parsed
        assert datetime(*stamp[:6], tzinfo=ZoneInfo("UTC")) == exp["published"]
        terms = [t["term"] for t in got.tags]
        if path.endswith("atom.xml"):
            assert terms == [exp["slug"], *exp["tags"]]
            assert [t.get("label") for t in got.tags] == [exp["section"], *exp["tags"]]
            assert got.content[0]["type"] == "text/html"
            assert got.content[0]["value"].startswith(exp["html"])
        else:
            assert terms == [exp["section"], *exp["tags"]]
        if exp["author"]:
            assert got.author == exp["author"]
    title = parsed.feed.title
    assert title == ("云计算技术动态" if not slug else f"云计算技术动态 · {want[0]['section']}")
    assert parsed.feed.language == "zh-CN"


def test_issue_order_survives_newest_first_sorting(site: Path) -> None:
    parsed = feedparser.parse((site / "output" / "atom.xml").read_bytes())
    by_date = sorted(parsed.entries, key=lambda e: e.published_parsed, reverse=True)
    assert [e.title for e in by_date] == [e.title for e in parsed.entries]
    assert [e.title for e in parsed.entries[:3]] == ["一致性协议综述", "同一篇文章又出现了",
                                                     "新栏目的第一篇"]
    days = {tuple(e.published_parsed[:3]) for e in parsed.entries}
    assert days == {(2024, 7, 19), (2024, 7, 26)}  # midnight in Shanghai is 16:00 UTC the day before


def test_content_footer_names_issue_and_section(site: Path) -> None:
    parsed = feedparser.parse((site / "output" / "atom.xml").read_bytes())
    first = parsed.entries[0].content[0]["value"]
    assert first == (
        '<p>介绍 <strong>Raft</strong> 与 <code>Paxos</code>，见<a href="https://raft.github.io/">'
        "论文</a>。</p><p>作者：李四 · 标签：共识、Raft、分布式</p>"
        '<p><a href="https://news.example.org/issues/30">《云计算技术动态》2024 年第 30 期</a> · 分布式系统</p>')
    old = parsed.entries[-1].content[0]["value"]
    assert old.endswith('<p><a href="https://news.example.org/feeds/issues/2024-29.html">'
                        "《云计算技术动态》2024 年第 29 期</a> · 技术之外</p>")


def test_links_are_published_as_written(site: Path) -> None:
    links = [e.link for e in feedparser.parse((site / "output" / "rss.xml").read_bytes()).entries]
    assert "https://example.com/raft?utm_source=wechat&utm_medium=share&id=7" in links
    assert ("https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=abc123&chksm=deadbeef&scene=21"
            "#wechat_redirect") in links


@pytest.mark.parametrize("path", ["atom.xml", "sections/xin-lan-mu/atom.xml",
                                  "sections/ji-shu-zhi-wai/atom.xml"])
def test_atom_validates_against_rfc4287_schema(site: Path, path: str) -> None:
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    doc = etree.parse(str(site / "output" / path))
    assert schema.validate(doc), schema.error_log


def test_every_atom_feed_validates(site: Path) -> None:
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    for path in feed_files(site / "output"):
        if path.endswith("atom.xml"):
            assert schema.validate(etree.parse(str(site / "output" / path))), (path, schema.error_log)


def test_rss_has_what_rss2_requires(site: Path) -> None:
    for path in feed_files(site / "output"):
        if not path.endswith("rss.xml"):
            continue
        root = etree.parse(str(site / "output" / path)).getroot()
        assert root.tag == "rss" and root.get("version") == "2.0"
        channel = root.find("channel")
        for name in ("title", "link", "description"):
            assert channel.findtext(name), (path, name)
        home = f"sections/{path.split('/')[1]}/index.html" if "/" in path else "index.html"
        assert channel.findtext("link") == BASE + home
        self_link = channel.find("{http://www.w3.org/2005/Atom}link")
        assert (self_link.get("rel"), self_link.get("href")) == ("self", BASE + path)
        stamp = email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate"))
        items = channel.findall("item")
        assert items
        for item in items:
            assert item.findtext("title") and item.findtext("link")
            guid = item.find("guid")
            assert guid.get("isPermaLink") == "false" and guid.text.startswith("tag:")
            assert email.utils.parsedate_to_datetime(item.findtext("pubDate")).tzinfo
            assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}",
                                item.findtext("pubDate"))
        newest = max(email.utils.parsedate_to_datetime(i.findtext("pubDate")) for i in items)
        assert stamp == newest


def test_ids_are_unique_per_feed_and_shared_between_feeds(site: Path) -> None:
    out = site / "output"
    ids_by_feed = {p: [e.id for e in feedparser.parse((out / p).read_bytes()).entries]
                   for p in feed_files(out)}
    for path, ids in ids_by_feed.items():
        assert len(ids) == len(set(ids)), path
    combined = {e.link + "|" + e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries}
    for path, _ in ids_by_feed.items():
        for e in feedparser.parse((out / path).read_bytes()).entries:
            assert e.link + "|" + e.id in combined, path
    atom_ids = ids_by_feed["atom.xml"]
    assert atom_ids == ids_by_feed["rss.xml"]
    # the same URL in issue 29 and issue 30 is two entries with two ids
    same = [e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries
            if e.link == "https://mp.weixin.qq.com/s/tcCCSp51iE7_ZGdomZu8SQ"]
    assert len(same) == 2 and len(set(same)) == 2


def _ids_by_link(out: Path) -> dict[str, str]:
    return {e.link: e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries
            if "tcCCSp51iE7" not in e.link}


def test_ids_stable_under_edits_and_reordering(site: Path) -> None:
    before = _ids_by_link(site / "output")
    seed = SEED.read_text(encoding="utf-8")
    edited = seed.replace("PyTorch内部机制，来自核心开发者的全面解读", "PyTorch 内部机制（修订标题）")
    edited = edited.replace("本文主要介绍了 PyTorch", "本文（已修订）介绍了 PyTorch")
    sections = edited.split("\n## ")
    sections[1], sections[2] = sections[2], sections[1]  # reorder two sections
    edited = "\n## ".join(sections)
    first, second = edited.index("**1.** **一篇"), edited.index("**2.** **拆解")
    end = edited.index("\n## ", second)
    edited = edited[:first] + edited[second:end] + "\n\n" + edited[first:second] + edited[end:]
    (site / "issues" / "2024-07-20-29.md").write_text(edited, encoding="utf-8")
    second_issue = SECOND.replace("一致性协议综述", "共识协议综述").replace("新栏目。", "新栏目，改过。")
    (site / "issues" / "2024-07-27-30.md").write_text(second_issue, encoding="utf-8")
    code, _, err = build(site)
    assert code == 0, err
    after = _ids_by_link(site / "output")
    assert after == before
    titles = [e.title for e in feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries]
    assert "共识协议综述" in titles and "PyTorch 内部机制（修订标题）" in titles


def test_two_builds_give_identical_bytes(tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        root = write_project(tmp_path / name, {"2024-07-20-29.md": SEED.read_bytes(),
                                               "2024-07-27-30.md": SECOND})
        assert build(root)[0] == 0
        outputs.append(all_files(root / "output"))
    assert outputs[0] == outputs[1]


def test_second_build_changes_nothing(site: Path) -> None:
    before = {p: (site / "output" / p).stat().st_mtime_ns for p in all_files(site / "output")}
    code, out, err = build(site)
    assert code == 0
    assert re.fullmatch(r"21 feeds, 0 changed, \d+\.\d\d s \(nothing changed\)\n", out)
    assert err == ""
    assert before == {p: (site / "output" / p).stat().st_mtime_ns for p in all_files(site / "output")}


def test_build_prints_changed_files_and_summary(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()})
    code, out, _ = build(root)
    lines = out.splitlines()
    assert code == 0
    assert lines[:3] == [f"wrote {root / 'output' / 'archive.html'}",
                         f"wrote {root / 'output' / 'atom.xml'}",
                         f"wrote {root / 'output' / 'digest' / 'atom.xml'}"]
    assert len(lines) == 29
    assert re.fullmatch(r"18 feeds, 28 changed, \d+\.\d\d s", lines[-1])
    assert build(root, "--quiet") == (0, "", "")


def test_parse_error_writes_nothing(site: Path) -> None:
    before = all_files(site / "output")
    (site / "issues" / "2024-08-03-31.md").write_text(
        "# 云计算技术动态 2024 年第三十一期\n\n## 分布式系统\n\n**1.** **A**\n\n**摘要:** s\n",
        encoding="utf-8")
    code, out, err = build(site)
    assert (code, out) == (1, "")
    issues_dir = site / "issues"
    assert err == (f"{issues_dir}/2024-08-03-31.md:5: error: article 1 in section 分布式系统 has no URL; "
                   "put its http(s) link on the line after the title\n"
                   "feeds: 1 error; nothing was written\n")
    assert all_files(site / "output") == before


def test_limits_keep_the_newest(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes(),
                                    "2024-07-27-30.md": SECOND},
                         CONFIG + "max_items = 4\nsection_max_items = 1\narchive_page_size = 0\n")
    assert build(root)[0] == 0
    out = root / "output"
    combined = feedparser.parse((out / "rss.xml").read_bytes()).entries
    assert [e.link for e in combined] == [r["link"] for r in expected_entries(root)[:4]]
    for path in feed_files(out):
        if path.startswith("sections/"):
            assert len(feedparser.parse((out / path).read_bytes()).entries) == 1
    section = feedparser.parse((out / "sections/fen-bu-shi-xi-tong/atom.xml").read_bytes())
    assert section.entries[0].title == "一致性协议综述"


def test_config_slugs_name_the_section_feeds(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                         CONFIG + '[sections]\n"分布式系统" = "distributed-systems"\n')
    assert build(root)[0] == 0
    assert (root / "output/sections/distributed-systems/atom.xml").exists()
    assert not (root / "output/sections/fen-bu-shi-xi-tong").exists()


# ---------------------------------------------------------------- feedgen's traps

def test_trap_no_clock_in_output(site: Path) -> None:
    """feedgen stamps now() on feed and entries unless told otherwise."""
    atom = etree.parse(str(site / "output" / "atom.xml")).getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    newest = atom.find("a:entry/a:published", ns).text
    assert atom.find("a:updated", ns).text == newest == "2024-07-27T00:00:02+08:00"
    for entry in atom.findall("a:entry", ns):
        assert entry.find("a:updated", ns).text == entry.find("a:published", ns).text
    year = str(datetime.now().year)
    assert all(year not in data.decode() or year == "2024" for data in all_files(site / "output").values())


def test_trap_entries_are_appended_in_order(site: Path) -> None:
    """feedgen prepends entries by default, which would reverse the feed."""
    parsed = feedparser.parse((site / "output" / "rss.xml").read_bytes())
    stamps = [e.published_parsed for e in parsed.entries]
    assert stamps == sorted(stamps, reverse=True)


def test_trap_rss_channel_link_is_the_site_not_the_feed(site: Path) -> None:
    """feedgen uses the last link added as the RSS <link>."""
    channel = etree.parse(str(site / "output" / "rss.xml")).getroot().find("channel")
    assert channel.findtext("link") == BASE + "index.html"


def test_trap_atom_entry_links_keep_rel_and_type(site: Path) -> None:
    """feedgen 1.0.0 drops rel/type attributes of Atom entry links."""
    atom = etree.parse(str(site / "output" / "atom.xml")).getroot()
    links = atom.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link")
    assert links and all((lk.get("rel"), lk.get("type")) == ("alternate", "text/html") for lk in links)


def test_trap_control_characters_do_not_reach_lxml(tmp_path: Path) -> None:
    """feedgen (lxml) raises ValueError on control characters; we remove them."""
    text = SECOND.replace("一致性协议综述", "一致性\x01协议\x1b综述\x7f").replace("新栏目。", "新\x00栏\x0b目。")
    root = write_project(tmp_path, {"2024-07-27-30.md": text})
    code, _, err = build(root)
    assert code == 0, err
    for path in feed_files(root / "output"):
        data = (root / "output" / path).read_bytes()
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", data)
        assert feedparser.parse(data).bozo == 0
    titles = [e.title for e in feedparser.parse((root / "output/atom.xml").read_bytes()).entries]
    assert "一致性协议综述" in titles


def test_feedgen_version_is_pinned() -> None:
    from importlib.metadata import version

    assert version("feedgen") == "1.0.0"


# ---------------------------------------------------------------- hostile input

HOSTILE = """# 云计算技术动态 2024 年第三十期

## 安全<script>alert('s')</script>

**1.** **标题 <b>不是标签</b> & a < b**

https://example.com/x?a=1&b=<2>

**摘要:** <script>alert(1)</script> <img src=x onerror=alert(1)> ]]> & &amp; 控制\x00字符\x08 [坏链接](javascript:alert(1)) [好链接](https://ok.example/)
"""


def test_hostile_input_is_escaped(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"2024-07-27-30.md": HOSTILE})
    code, _, err = build(root)
    assert code == 0, err
    out = root / "output"
    for path in feed_files(out):
        parsed = feedparser.parse((out / path).read_bytes())
        assert parsed.bozo == 0, path
        [entry] = parsed.entries
        assert entry.title_detail.type == "text/html"
        assert entry.title == "标题 &lt;b&gt;不是标签&lt;/b&gt; &amp; a &lt; b"
        assert "\x00" not in entry.summary and "\x08" not in entry.summary
    raw = (out / "atom.xml").read_text(encoding="utf-8")
    content = etree.fromstring(raw.encode()).find(
        "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content").text
    assert "<script>" not in content and "<img" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content
    assert "javascript:" not in content and '<a href="https://ok.example/">好链接</a>' in content
    assert "]]&gt;" in content and "控制字符" in content


# ---------------------------------------------------------------- OPML (pages: test_pages.py)

def test_opml_lists_every_feed(site: Path) -> None:
    out = site / "output"
    root = etree.parse(str(out / "feeds.opml")).getroot()
    assert root.tag == "opml" and root.get("version") == "2.0"
    outlines = root.findall("body/outline")
    assert sorted(o.get("xmlUrl") for o in outlines) == sorted(BASE + p for p in every_feed(out))
    assert all(o.get("type") == "rss" and o.get("text") for o in outlines)
    homes = {o.get("xmlUrl"): o.get("htmlUrl") for o in outlines}
    assert homes[BASE + "atom.xml"] == BASE + "index.html"
    assert homes[BASE + "sections/xin-lan-mu/rss.xml"] == BASE + "sections/xin-lan-mu/index.html"


# ---------------------------------------------------------------- speed never changes a byte

def test_fast_rendering_equals_plain_feedgen(site: Path) -> None:
    """render_feeds reuses serialised entries; it must write what feedgen writes itself."""
    from corpus import write_corpus

    from feeds.builder import plan_feeds
    from feeds.config import load_config
    from feeds.render import render_feed_reference, render_feeds

    write_corpus(12, site / "issues")
    (site / "issues" / "2024-08-03-31.md").write_text(HOSTILE.replace("第三十期", "第三十一期"),
                                                      encoding="utf-8")
    config = load_config(site / "feeds.toml", {"max_items": 0, "section_max_items": 7})
    loaded = load_issues([site / "issues"], ParseOptions())
    feeds = plan_feeds(loaded.issues, config)
    cache: dict = {}
    fast = {path: b"".join(chunks) for path, chunks in render_feeds(feeds, config, cache).items()}
    assert fast == {f.path: render_feed_reference(f, config) for f in feeds}
    digest = next(f for f in feeds if f.folder == "digest")
    assert len(cache) == len(feeds[0].entries) + len(digest.entries)
    assert {f.format for f in feeds} == {"atom", "rss", "json"}
    again = render_feeds(feeds, config, cache)  # from the cache: the same bytes
    assert {path: b"".join(chunks) for path, chunks in again.items()} == fast


def test_prepared_entries_plan_the_same_feeds(site: Path) -> None:
    """Entries serialised where their issue was prepared plan and render as whole ones."""
    from feeds.builder import Serialised, plan_feeds
    from feeds.config import load_config
    from feeds.render import prepare_issues, render_feeds

    config = load_config(site / "feeds.toml", {"max_items": 0, "section_max_items": 0})
    issues = load_issues([site / "issues"], ParseOptions()).issues
    whole = plan_feeds(issues, config)
    prepared = prepare_issues(issues, config)
    slim = plan_feeds(issues, config, {p: r.entries for p, r in prepared.items()},
                      {p: r.digest for p, r in prepared.items()})
    assert [(f.path, f.title, f.updated, [e.key for e in f.entries]) for f in slim] == \
        [(f.path, f.title, f.updated, [e.key for e in f.entries]) for f in whole]
    assert all(isinstance(e, Serialised) for f in slim for e in f.entries)
    cache = {k: v for r in prepared.values() for k, v in r.fragments.items()}
    assert render_feeds(slim, config, cache) == render_feeds(whole, config)
    with pytest.raises(KeyError, match="entries were serialised but their bytes are not"):
        render_feeds(slim, config, {})


def test_parallel_rendering_equals_serial(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from corpus import write_corpus

    from feeds import render
    from feeds.builder import plan_feeds
    from feeds.config import load_config

    write_corpus(20, site / "issues")
    config = load_config(site / "feeds.toml", {"max_items": 0})
    feeds = plan_feeds(load_issues([site / "issues"], ParseOptions()).issues, config)
    serial = render.render_feeds(feeds, config)
    monkeypatch.setattr(render, "PARALLEL_MIN_ENTRIES", 10)
    assert render.render_feeds(feeds, config) == serial


def test_parallel_parsing_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from corpus import write_corpus

    from feeds import loader

    write_corpus(20, tmp_path / "issues")
    serial = load_issues([tmp_path / "issues"], ParseOptions())
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    assert load_issues([tmp_path / "issues"], ParseOptions()) == serial


def test_unlimited_build_prepares_entries_in_workers_and_writes_what_feedgen_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no limit, issues are parsed, then their entries serialised, in parallel."""
    from corpus import write_corpus

    from feeds import loader, render
    from feeds.builder import plan_feeds
    from feeds.config import load_config
    from feeds.pages import with_page_urls
    from feeds.render import render_feed_reference

    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                         CONFIG + "max_items = 0\nsection_max_items = 0\n")
    write_corpus(16, root / "issues")
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(render, "PARALLEL_MIN_ISSUES", 2)
    assert build(root)[0] == 0
    config = load_config(root / "feeds.toml")
    issues = with_page_urls(load_issues([root / "issues"], ParseOptions()).issues, config)
    feeds = plan_feeds(issues, config)
    for info in feeds:
        assert (root / "output" / info.path).read_bytes() == render_feed_reference(info, config), info.path


def test_a_feed_with_no_entries_yet_is_dated_by_the_newest_issue(tmp_path: Path) -> None:
    """The first issue started with `feeds new` (sections, no articles): the feeds were
    dated 1970-01-01, which the W3C checker calls ImplausibleDate."""
    empty = "---\ndate: 2024-11-08\n---\n# 云计算技术动态 2024 年第三十期\n\n## 分布式系统\n"
    write_project(tmp_path, {"2024-11-08-30.md": empty})
    code, _, err = build(tmp_path, "-q")
    assert code == 0, err
    atom = (tmp_path / "output" / "atom.xml").read_text(encoding="utf-8")
    rss = (tmp_path / "output" / "rss.xml").read_text(encoding="utf-8")
    assert re.findall(r"<updated>[^<]*</updated>", atom) == ["<updated>2024-11-08T00:00:00+08:00</updated>"]
    assert re.findall(r"<lastBuildDate>[^<]*</lastBuildDate>", rss) == [
        "<lastBuildDate>Fri, 08 Nov 2024 00:00:00 +0800</lastBuildDate>"]
    assert "1970" not in atom + rss
