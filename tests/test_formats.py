"""The format seam, JSON Feed 1.1 and the digest feed: what every format writes, checked
against the JSON Feed schema, the other formats and the deploy configs."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import jsonschema
import pytest
from conftest import SEED
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from test_build import BASE, CONFIG, SECOND, all_files, build, write_project

from feeds.formats import BY_NAME, FORMATS

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).parent / "data" / "jsonfeed"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def jsonfeed_validator() -> jsonschema.Draft7Validator:
    feed1 = json.loads((SCHEMAS / "jsonfeed-1.schema.json").read_text(encoding="utf-8"))
    main = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
    registry: Registry = Registry().with_resource(
        "https://json.schemastore.org/feed-1",
        Resource.from_contents(feed1, default_specification=DRAFT4))
    return jsonschema.Draft7Validator(main, registry=registry)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes(), "2024-07-27-30.md": SECOND})
    code, _, err = build(tmp_path)
    assert code == 0, err
    return tmp_path


def json_feeds(out: Path) -> list[str]:
    return sorted(p for p in all_files(out) if p.endswith(".json"))


def folders(out: Path) -> list[str]:
    return sorted(p.rsplit("/", 1)[0] if "/" in p else "" for p in all_files(out)
                  if p.endswith("atom.xml"))


def test_the_schema_rejects_what_it_should() -> None:
    """The validator is wired to the feed-1 definitions: a broken feed fails."""
    validator = jsonfeed_validator()
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "t",
            "items": [{"id": "1", "content_html": "<p>x</p>", "authors": [{"name": "a"}]}]}
    validator.validate(good)
    for bad in ({**good, "items": [{"id": "1"}]},  # no content
                {**good, "items": [{"id": "1", "content_html": "x", "authors": [{"nick": 1}]}]},
                {**good, "home_page_url": 7}):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(bad)


def test_every_feed_json_validates_against_json_feed_1_1(site: Path) -> None:
    out = site / "output"
    validator = jsonfeed_validator()
    paths = json_feeds(out)
    assert paths == sorted(f"{f}/feed.json".lstrip("/") for f in folders(out))
    for path in paths:
        data = (out / path).read_bytes()
        doc = json.loads(data)
        validator.validate(doc)
        assert next(iter(doc)) == "version" and doc["version"] == "https://jsonfeed.org/version/1.1"
        assert doc["feed_url"] == BASE + path
        for item in doc["items"]:
            for key in ("date_published", "date_modified"):
                assert RFC3339.fullmatch(item[key]), (path, item[key])
        assert b"\\u" not in data and "云计算技术动态".encode() in data  # UTF-8, not escapes
        assert data.index(BY_NAME["json"].mark) < 100  # the tool's mark, near the start


def test_feed_json_fields_exactly(site: Path) -> None:
    doc = json.loads((site / "output" / "sections/fen-bu-shi-xi-tong/feed.json").read_bytes())
    head = {k: v for k, v in doc.items() if k != "items"}
    assert head == {
        "version": "https://jsonfeed.org/version/1.1",
        "_feeds": {"generator": "feeds"},
        "title": "云计算技术动态 · 分布式系统",
        "home_page_url": BASE + "sections/fen-bu-shi-xi-tong/index.html",
        "feed_url": BASE + "sections/fen-bu-shi-xi-tong/feed.json",
        "description": "云计算技术动态：每期精选的分布式系统、云计算与大模型技术文章。（分布式系统）",
        "language": "zh-CN",
        "authors": [{"name": "云计算技术动态"}],
    }
    atom = feedparser.parse((site / "output" / "sections/fen-bu-shi-xi-tong/atom.xml").read_bytes())
    first = doc["items"][0]
    assert first == {
        "id": atom.entries[0].id,
        "url": "https://example.com/raft?utm_source=wechat&utm_medium=share&id=7",
        "title": "一致性协议综述",
        "content_html": atom.entries[0].content[0]["value"],
        "summary": "介绍 Raft 与 Paxos，见论文。",
        "date_published": "2024-07-27T00:00:02+08:00",
        "date_modified": "2024-07-27T00:00:02+08:00",
        "tags": ["分布式系统", "共识", "Raft", "分布式"],
        "authors": [{"name": "李四"}],
    }
    assert "authors" not in doc["items"][1]  # no author given


def test_every_format_carries_the_same_entries(site: Path) -> None:
    """Ids, titles, links and dates agree between the formats of every feed, in order."""
    out = site / "output"
    for folder in folders(out):
        where = f"{folder}/" if folder else ""
        rows = {}
        for name in ("atom.xml", "rss.xml"):
            parsed = feedparser.parse((out / (where + name)).read_bytes())
            rows[name] = [(e.id, e.link, datetime(*(e.published_parsed)[:6]).isoformat())
                          for e in parsed.entries]
        doc = json.loads((out / (where + "feed.json")).read_bytes())
        rows["feed.json"] = [
            (i["id"], i["url"],
             datetime.fromisoformat(i["date_published"]).astimezone(None).replace(tzinfo=None)
             .isoformat()) for i in doc["items"]]
        assert rows["atom.xml"] == rows["rss.xml"], folder
        assert [r[:2] for r in rows["feed.json"]] == [r[:2] for r in rows["atom.xml"]], folder
        assert len(rows["feed.json"]) > 0


def test_json_feed_keeps_hostile_text_as_text(tmp_path: Path) -> None:
    from test_build import HOSTILE

    write_project(tmp_path, {"2024-07-27-30.md": HOSTILE})
    assert build(tmp_path)[0] == 0
    doc = json.loads((tmp_path / "output" / "feed.json").read_bytes())
    [item] = doc["items"]
    assert item["title"] == "标题 <b>不是标签</b> & a < b"  # plain text in JSON Feed
    assert "<script>" not in item["content_html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in item["content_html"]
    assert "\x00" not in item["summary"] and "控制字符" in item["summary"]
    jsonfeed_validator().validate(doc)


# ---------------------------------------------------------------- the digest

def test_digest_has_one_entry_per_issue_newest_first(site: Path) -> None:
    out = site / "output"
    atom = feedparser.parse((out / "digest/atom.xml").read_bytes())
    assert atom.bozo == 0
    assert atom.feed.title == "云计算技术动态 · 每期合集"
    assert [e.title for e in atom.entries] == ["《云计算技术动态》2024 年第 30 期",
                                               "《云计算技术动态》2024 年第 29 期"]
    assert [e.id for e in atom.entries] == ["tag:news.example.org,2024:issue-2024-30",
                                            "tag:news.example.org,2024:issue-2024-29"]
    assert [e.link for e in atom.entries] == ["https://news.example.org/issues/30",
                                              BASE + "issues/2024-29.html"]  # its page
    article_ids = {e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries}
    assert not article_ids & {e.id for e in atom.entries}
    assert [e.published for e in atom.entries] == ["2024-07-27T00:00:00+08:00",
                                                   "2024-07-20T00:00:00+08:00"]
    assert [e.updated for e in atom.entries] == [e.published for e in atom.entries]
    newest = atom.entries[0].content[0]["value"]
    assert newest == (
        '<h2>分布式系统</h2><h3><a href="https://example.com/raft?utm_source=wechat&amp;utm_medium=share'
        '&amp;id=7">一致性协议综述</a></h3><p>介绍 <strong>Raft</strong> 与 <code>Paxos</code>，见'
        '<a href="https://raft.github.io/">论文</a>。</p><p>作者：李四 · 标签：共识、Raft、分布式</p>'
        '<h3><a href="https://mp.weixin.qq.com/s/tcCCSp51iE7_ZGdomZu8SQ">同一篇文章又出现了</a></h3>'
        '<p>上一期的文章在本期再次推荐。</p><h2>新栏目</h2><h3><a href="https://mp.weixin.qq.com/s?__biz='
        'MzA5&amp;mid=2650&amp;idx=1&amp;sn=abc123&amp;chksm=deadbeef&amp;scene=21#wechat_redirect">'
        '新栏目的第一篇</a></h3><p>新栏目。</p>')
    assert atom.entries[0].summary == "本期 3 篇：一致性协议综述；同一篇文章又出现了；新栏目的第一篇"
    doc = json.loads((out / "digest/feed.json").read_bytes())
    assert [i["title"] for i in doc["items"]] == [e.title for e in atom.entries]
    assert doc["items"][0]["content_html"] == newest
    assert "tags" not in doc["items"][0]


def _updated(out: Path) -> dict[str, str]:
    doc = json.loads((out / "digest/feed.json").read_bytes())
    return {i["id"].rsplit("-", 1)[1]: i["date_modified"] for i in doc["items"]}


def test_digest_updated_moves_only_when_the_issue_changes(site: Path) -> None:
    out = site / "output"
    first = _updated(out)
    assert first == {"30": "2024-07-27T00:00:00+08:00", "29": "2024-07-20T00:00:00+08:00"}
    edited = site / "issues" / "2024-07-27-30.md"
    edited.write_text(SECOND.replace("新栏目。", "新栏目，改过。"), encoding="utf-8")
    when = datetime(2024, 8, 10, 12, 30, 15, tzinfo=timezone(timedelta(hours=8)))
    os.utime(edited, (when.timestamp(), when.timestamp()))
    assert build(site)[0] == 0
    second = _updated(out)
    assert second["29"] == first["29"]
    assert second["30"] == "2024-08-10T12:30:15+08:00"  # when the file changed, not the clock
    (site / "issues" / "2024-08-03-31.md").write_text(
        SECOND.replace("第三十期", "第三十一期").replace("url: https://news.example.org/issues/30\n", ""),
        encoding="utf-8")
    assert build(site)[0] == 0
    third = _updated(out)
    assert third["29"] == first["29"] and third["30"] == second["30"]
    assert third["31"] == "2024-08-03T00:00:00+08:00"
    atom = feedparser.parse((out / "digest/atom.xml").read_bytes())
    assert [e.updated for e in atom.entries][1] == second["30"]


def test_digest_limit(tmp_path: Path) -> None:
    from corpus import write_corpus

    write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                  CONFIG + "digest_max_items = 3\narchive_page_size = 0\n")
    write_corpus(6, tmp_path / "issues")
    assert build(tmp_path)[0] == 0
    doc = json.loads((tmp_path / "output" / "digest/feed.json").read_bytes())
    dates = [i["date_published"] for i in doc["items"]]
    assert len(dates) == 3 and dates == sorted(dates, reverse=True)


def test_digest_is_listed_on_the_index_and_in_opml(site: Path) -> None:
    out = site / "output"
    page = (out / "index.html").read_text(encoding="utf-8")
    opml = (out / "feeds.opml").read_text(encoding="utf-8")
    for fmt in FORMATS:
        url = f"{BASE}digest/{fmt.file_name}"
        assert f'<link rel="alternate" type="{fmt.media_type}" title="云计算技术动态 · 每期合集' \
               f'（{fmt.name.upper()}）" href="{url}">' in page
        assert f'<a href="{url}"><code>{url}</code></a>' in page
        assert f'xmlUrl="{url}"' in opml


# ---------------------------------------------------------------- the deploy configs

def test_nginx_snippet_serves_every_registered_format() -> None:
    conf = (ROOT / "deploy" / "nginx-feeds.conf").read_text(encoding="utf-8")
    gzip = re.search(r"gzip_types([^;]*);", conf)
    assert gzip is not None
    locations = dict(re.findall(r'location ~ /([\w\\.]+)\$ \{\s*types \{ \} default_type "([^"]+)";',
                                conf))
    for fmt in FORMATS:
        assert locations.get(re.escape(fmt.file_name)) == fmt.media_type, fmt.name
        assert fmt.media_type in gzip.group(1).split(), fmt.name
    assert len(locations) == len(FORMATS)


def test_s3_script_types_every_registered_format() -> None:
    script = (ROOT / "deploy" / "s3-sync.sh").read_text(encoding="utf-8")
    synced = dict(re.findall(r'^sync "\*([^"]+)" "([^"]+)"$', script, re.M))
    for fmt in FORMATS:
        assert synced.get(fmt.file_name) == fmt.media_type, fmt.name


def test_serve_sends_every_registered_type() -> None:
    from feeds.serve import content_type

    for fmt in FORMATS:
        assert content_type(f"sections/x/{fmt.file_name}") == fmt.media_type
        assert content_type(f"digest/{fmt.file_name}") == fmt.media_type


# ---------------------------------------------------------------- choosing formats

def test_formats_and_digest_can_be_chosen(tmp_path: Path) -> None:
    write_project(tmp_path, {"2024-07-27-30.md": SECOND},
                  CONFIG + 'formats = ["rss", "json"]\ndigest = false\npages = false\n')
    code, _, err = build(tmp_path)
    assert code == 0, err
    assert sorted(all_files(tmp_path / "output")) == [
        "feed.json", "feeds.opml", "rss.xml",
        "sections/fen-bu-shi-xi-tong/feed.json", "sections/fen-bu-shi-xi-tong/rss.xml",
        "sections/xin-lan-mu/feed.json", "sections/xin-lan-mu/rss.xml"]
    both = all_files(tmp_path / "output")
    (tmp_path / "feeds.toml").write_text(CONFIG + "pages = false\n", encoding="utf-8")  # all
    assert build(tmp_path)[0] == 0
    every = all_files(tmp_path / "output")
    assert {p: every[p] for p in both if p.endswith((".xml", ".json"))} == \
        {p: d for p, d in both.items() if p.endswith((".xml", ".json"))}
    assert "digest/feed.json" in every and "atom.xml" in every


@pytest.mark.parametrize("value", ['["atom", "html"]', "[]", '"atom"'])
def test_unknown_formats_are_a_config_error(tmp_path: Path, value: str) -> None:
    write_project(tmp_path, {"2024-07-27-30.md": SECOND}, CONFIG + f"formats = {value}\n")
    code, out, err = build(tmp_path)
    assert (code, out) == (2, "")
    assert err == (f"feeds: error: {tmp_path / 'feeds.toml'}: formats must be a non-empty list of "
                   "atom, rss, json\n")


# ---------------------------------------------------------------- the oracle

@pytest.mark.parametrize("hubs", [(), ("https://hub.example.org/?a=1&b=<2>",)])
def test_fast_bytes_equal_each_formats_library_writing_the_whole_feed(hubs: tuple[str, ...]) -> None:
    """Every format, every feed (digest and empty feeds too): the fast path's bytes are
    those of the reference path (feedgen for Atom and RSS, json.dumps for JSON Feed)."""
    from test_build import HOSTILE

    from feeds.builder import plan_feeds
    from feeds.config import Config
    from feeds.parser import ParseOptions, parse_issue
    from feeds.render import render_feed_reference, render_feeds

    config = Config(base_url=BASE, tag_authority="news.example.org", websub_hubs=hubs,
                    max_items=0, section_max_items=2)
    issues = [parse_issue(text, name, ParseOptions()).issue for name, text in (
        ("2024-07-20-29.md", SEED.read_text(encoding="utf-8")), ("2024-07-27-30.md", SECOND),
        ("2024-08-03-31.md", HOSTILE.replace("第三十期", "第三十一期")))]
    for plan in (plan_feeds(issues, config), plan_feeds([], config)):
        assert {f.format for f in plan} == {fmt.name for fmt in FORMATS}
        fast = {path: b"".join(chunks) for path, chunks in render_feeds(plan, config).items()}
        assert fast == {f.path: render_feed_reference(f, config) for f in plan}
    empty = json.loads(b"".join(render_feeds(plan_feeds([], config), config)["feed.json"]))
    assert empty["items"] == []
