"""What a subscriber's reader shows is exactly what the editor wrote.

Every HTML-bearing field (RSS ``<title>``, ``<description>``, ``content:encoded``;
Atom title, subtitle, summary, content; ``index.html``) carries the editor's text
so that a reader shows it literally, and holds no tag that the tool did not make.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from conftest import ATOM_RNG, ROOT
from lxml import etree

from feeds.cli import cli
from feeds.loader import load_issues
from feeds.parser import ParseOptions

HOSTILE_DIR = ROOT / "tests" / "data" / "hostile"
BASE = "https://feeds.example.com/"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"

# Closing tags and entity-like text in the plain-text fields too (author, tags, section).
PLAIN_FIELDS = """# 云计算技术动态 2024 年第三十一期

## 栏目 <b>粗</b> &amp;amp; </script>

**1.** **std::vector<int> 与 map<string, int>**

https://example.com/1

**摘要:** <script>alert(1)</script><img src=x onerror=alert(2)>

作者：<b>张三</b> & 李四 &amp;amp;

标签：<i>斜</i>，&lt;x&gt;、]]>
"""


class _Shown(HTMLParser):
    """The text an HTML renderer shows, and every tag it would make."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.tags.append(("!--", []))

    def unknown_decl(self, data: str) -> None:
        self.tags.append(("![", []))


def shown(detail: dict) -> str:
    """What a reader shows for a feedparser text field: HTML is rendered, and must be text only."""
    if detail["type"] == "text/plain":
        return detail["value"]
    assert detail["type"] == "text/html", detail
    page = _Shown()
    page.feed(detail["value"])
    page.close()
    assert page.tags == [], detail["value"]
    return "".join(page.text)


def build(issues: Path, out: Path) -> None:
    config = out.parent / "feeds.toml"
    config.write_text(f'base_url = "{BASE}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--issues", str(issues), "--output", str(out),
                                      "--config", str(config)])
    assert result.exit_code == 0, result.output + result.stderr


@pytest.fixture(params=["hostile", "plain-fields"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    issues = tmp_path / "issues"
    issues.mkdir()
    if request.param == "hostile":
        for path in HOSTILE_DIR.glob("*.md"):
            (issues / path.name).write_bytes(path.read_bytes())
    else:
        (issues / "2024-08-03-31.md").write_text(PLAIN_FIELDS, encoding="utf-8")
    build(issues, tmp_path / "output")
    return tmp_path


def feeds_of(out: Path, digest: bool = True) -> list[str]:
    """The XML feeds (of articles only unless ``digest``)."""
    return sorted(str(p.relative_to(out)) for p in out.rglob("*.xml")
                  if p.name != "sitemap.xml" and (digest or p.parts[-2] != "digest"))


def test_reader_shows_the_editors_text_in_rss_and_atom(site: Path) -> None:
    out = site / "output"
    [issue] = load_issues([site / "issues"], ParseOptions()).issues
    articles = [(s.name, a) for s in issue.sections for a in s.articles]
    name = issue.name
    paths = feeds_of(out, digest=False)
    assert len(paths) == 2 + 2 * len(issue.sections)
    for path in paths:
        parsed = feedparser.parse((out / path).read_bytes())
        assert parsed.bozo == 0, path
        section = path.split("/")[1] if path.startswith("sections/") else ""
        want = [(s, a) for s, a in articles
                if not section or next(x.slug for x in issue.sections if x.name == s) == section]
        assert len(parsed.entries) == len(want), path
        if section:
            assert shown(parsed.feed.title_detail) == f"{name} · {want[0][0]}"
            assert shown(parsed.feed.subtitle_detail).endswith(f"（{want[0][0]}）")
        for got, (section_name, article) in zip(parsed.entries, want, strict=True):
            assert shown(got.title_detail) == article.title, path
            assert shown(got.summary_detail) == (article.summary_text or article.title), path
            assert got.get("author", "") == article.author, path
            if path.endswith("atom.xml"):
                labels = [t["label"] for t in got.tags]
            else:
                labels = [t["term"] for t in got.tags]
            assert labels == [section_name, *article.tags], path


def test_the_hostile_issue_reads_literally() -> None:
    """The editor's text, written out, for the issue kept in tests/data/hostile."""
    [issue] = load_issues([HOSTILE_DIR], ParseOptions()).issues
    [first, second, third] = issue.sections[0].articles
    assert issue.sections[0].name == "安全 & <script> ]]>"
    assert first.title == "标题 <b>粗体</b> & <script>alert(1)</script> ]]> javascript:alert(1)"
    assert first.summary_text == (
        "<script>alert(1)</script><img src=x onerror=alert(2)> std::vector<int> 与 "
        "map<string, int> ]]> & AT&T 坏链接 好链接 <a href=\"javascript:alert(4)\">x</a>")
    assert (first.author, first.tags) == ("张三 & <李四>", ("<script>", "a&b", "javascript:x"))
    assert (second.title, second.summary_text) == ("<b>只有标题</b> & <i>没有摘要</i>", "")
    assert third.title == "链接标题 <i>斜体</i> & ]]>"


def test_rss_and_atom_text_fields_exact_bytes(tmp_path: Path) -> None:
    issues = tmp_path / "issues"
    issues.mkdir()
    (issues / "2024-08-03-31.md").write_text(PLAIN_FIELDS, encoding="utf-8")
    build(issues, tmp_path / "output")
    rss = (tmp_path / "output" / "rss.xml").read_bytes()
    assert (b"      <title>std::vector&#x26;lt;int&#x26;gt; \xe4\xb8\x8e map&#x26;lt;string, int&#x26;gt;"
            b"</title>\n") in rss
    assert (b"      <description>&#x26;lt;script&#x26;gt;alert(1)&#x26;lt;/script&#x26;gt;"
            b"&#x26;lt;img src=x onerror=alert(2)&#x26;gt;</description>\n") in rss
    assert "      <dc:creator>&#x3C;b&gt;张三&#x3C;/b&gt; &#x26; 李四 &#x26;amp;</dc:creator>\n".encode() in rss
    atom = (tmp_path / "output" / "atom.xml").read_bytes()
    assert (b'    <title type="html">std::vector&amp;lt;int&amp;gt; \xe4\xb8\x8e '
            b"map&amp;lt;string, int&amp;gt;</title>\n") in atom
    assert (b'    <summary type="html">&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;'
            b"&amp;lt;img src=x onerror=alert(2)&amp;gt;</summary>\n") in atom
    assert b'  <title type="html">' in atom and b'  <subtitle type="html">' in atom
    assert "      <name>&lt;b&gt;张三&lt;/b&gt; &amp; 李四 &amp;amp;</name>\n".encode() in atom


# Tags the tool itself writes into HTML fields (the summary's Markdown and the footer; the
# digest's section and article headings).
MADE_BY_THE_TOOL = {"p", "a", "strong", "em", "code", "br", "h2", "h3"}


def _html_fields(out: Path, path: str) -> list[str]:
    root = etree.parse(str(out / path)).getroot()
    if root.tag == "rss":
        channel = root.find("channel")
        fields = [channel.findtext("title"), channel.findtext("description")]
        for item in channel.iter("item"):
            fields += [item.findtext("title"), item.findtext("description"), item.findtext(CONTENT)]
        return fields
    fields = []
    for element in root.iter(f"{ATOM}title", f"{ATOM}subtitle", f"{ATOM}summary", f"{ATOM}content"):
        assert element.get("type") == "html", (path, element.tag)
        fields.append(element.text)
    return fields


def test_no_html_field_holds_a_tag_the_tool_did_not_make(site: Path) -> None:
    out = site / "output"
    for path in feeds_of(out):
        for field in _html_fields(out, path):
            page = _Shown()
            page.feed(field)
            page.close()
            for tag, attrs in page.tags:
                assert tag in MADE_BY_THE_TOOL, (path, tag, field)
                for key, value in attrs:
                    assert tag == "a" and key == "href", (path, tag, attrs)
                    assert value and value.startswith(("https://", "http://")), (path, attrs)


def test_index_html_shows_the_editors_text(site: Path) -> None:
    page = _Shown()
    page.feed((site / "output" / "index.html").read_text(encoding="utf-8"))
    page.close()
    text = "".join(page.text)
    [issue] = load_issues([site / "issues"], ParseOptions()).issues
    for section in issue.sections:
        assert section.name in text
        for article in section.articles:
            assert article.title in text
    assert {t for t, _ in page.tags} <= {"html", "head", "meta", "title", "link", "body", "header",
                                         "nav", "main", "footer", "section", "article", "div", "time",
                                         "h1", "h2", "h3", "h4", "p", "a", "span", "code", "strong",
                                         "em", "ul", "li"}


def test_opml_outlines_show_the_feed_titles(site: Path) -> None:
    """OPML 2.0: an outline's text may hold HTML; it and the title are escaped as in RSS."""
    root = etree.parse(str(site / "output" / "feeds.opml")).getroot()
    titles = {}
    for path in feeds_of(site / "output"):
        titles[BASE + path] = shown(feedparser.parse((site / "output" / path).read_bytes()).feed.title_detail)
        if path.endswith("atom.xml"):  # JSON Feed's title is plain text: the same as Atom's
            titles[BASE + path.replace("atom.xml", "feed.json")] = titles[BASE + path]
    outlines = root.findall("body/outline")
    assert len(outlines) == len(titles)
    for outline in outlines:
        title = titles[outline.get("xmlUrl")]
        kind = outline.get("version")
        assert shown({"type": "text/html", "value": outline.get("text")}) == f"{title} ({kind})"
        assert shown({"type": "text/html", "value": outline.get("title")}) == title


def test_hostile_atom_validates_against_rfc4287_schema(site: Path) -> None:
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    for path in feeds_of(site / "output"):
        if path.endswith("atom.xml"):
            doc = etree.parse(str(site / "output" / path))
            assert schema.validate(doc), (path, schema.error_log)
