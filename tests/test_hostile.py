"""A guard that stays: issue files built from the nastiest pieces, run through
`feeds check` and `feeds build` end to end, and the invariants every run keeps.

- the exit code is 0, 1 or 2, never 70, and check and build agree on the issues;
- every problem is printed as `path:line: level: message` with a real path and line;
- every published file parses (XML, or HTML for the pages);
- no HTML-bearing field of any output holds a tag or attribute the tool did not make;
- a failed build leaves the published bytes as they were.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from conftest import run_main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "issues" / "2024-29.md"
GOOD_CONFIG = 'base_url = "https://feeds.example.com/"\ntag_authority = "feeds.example.com"\n'

CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028", "\u202e",
           "\ufeff", "\ufffe", "\r", "\t"]
HTML = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<b>b</b>", "</p><p>",
        '<a href="javascript:alert(3)">x</a>', "<iframe src=//e.example>", "<svg/onload=alert(4)>",
        "&lt;b&gt;", "&amp;", "&#0;", "&#x1F600;", "<!--", "-->", "<![CDATA[x", "]]>",
        "std::vector<int> 与 map<string, int>", "<style>*{}</style>", "<p onclick=x>", '"', "'"]
MARKUP = ["**", "*", "_", "`", "[", "]", "](", ")", "\\", "> ", "- ", "1. ", "#", "<", ">", "![",
          "[x]: https://a.example/", "```", "    "]
URLS = ["https://a.example/x", "javascript:alert(1)", "https://example.com/app/#/article/123",
        "https://a.example/?x=1;y=2", "https://a.example/?flag", "http://a:b@host.example/",
        "https://a b.example/", "http://[::1/", "https://a.example:99999/", "//a.example/x",
        "https://例子.测试/路径", "HTTPS://A.EXAMPLE/X", 'https://a.example/"><script>x</script>',
        "https://a.example/<b>", "data:text/html,<script>alert(1)</script>",
        "https://a.example/" + "x" * 3000, "mailto:a@b.example", "https://a.example/%00",
        "https://a.example/\x01x", "https://a.example/]]>"]
NUMBERS = ["29", "二十九", "０", "0", "-1", "99999", "9" * 5000, "፩", "一二三四五", "1e9", "0x1D",
           "两百", "〇", "٢٩"]
YEARS = ["2024", "0000", "9999", "１９９９", "20245", "٢٠٢٤"]
DATES = ["2024-07-20", "2024-13-45", "T25:00", "9999-12-31 23:59:59+08:00", "0001-01-01",
         "2024-02-30", "!!timestamp 2024-01-01x", "2024-07-20 25:00", "1899-12-31",
         "2999-12-31 23:59:59-12:00", "2024-07-20T08:00:00+99:00", "2024-01-01T25:00:00"]
YAML_VALUES = DATES + NUMBERS[:-3] + [
    "null", "[a, b]", "!!binary aGVsbG8=", "&a x", "*a", "{a: b}", "[[[[1]]]]", "'<b>t</b>'",
    '"]]>"', '"\\x00\\x07"', '"\\ud800"', "|\n  block <b>", ">-\n  folded", "yes", "1.5", ".inf",
    "~", "!!python/object/apply:os.system ['echo pwned']", "'" + "9" * 5000 + "'", "-5"]
WORDS = ["云计算", "分布式系统", "A", "x", "😀", "  ", "\n", "9" * 5000, "标签：", "摘要："]
BAD_BYTES = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00"]

_piece = st.sampled_from(CONTROL + HTML + MARKUP + URLS + WORDS)
text = st.lists(st.one_of(_piece, st.text(max_size=4)), max_size=6).map("".join)
line_text = text.map(lambda t: t.replace("\n", " ").replace("\r", " "))
named = st.tuples(st.sampled_from(["标题", *HTML]), line_text).map("".join)


def mostly(good: st.SearchStrategy[str], bad: list[str]) -> st.SearchStrategy[str]:
    """Three times in four ``good``, else one of the ``bad`` pieces: most files get
    far enough to be built, and every bad piece is still tried."""
    return st.integers(0, 3).flatmap(lambda k: st.sampled_from(bad) if k == 3 else good)


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 2)) < 2:
        return ""
    keys = draw(st.lists(st.sampled_from(["date", "year", "number", "title", "url", "x"]),
                         max_size=3))
    lines = []
    for key in keys:
        value = draw(st.one_of(st.sampled_from(YAML_VALUES), st.sampled_from(URLS).map(repr),
                               named.map(repr)))
        lines.append(f"{key}: {value}")
    return "---\n" + "\n".join(lines) + "\n---\n"


@st.composite
def article(draw: st.DrawFn, number: int) -> str:
    title = draw(named)
    url = draw(mostly(st.integers(1, 10**6).map("https://a.example/{}".format), URLS))
    form = draw(st.sampled_from(["**{n}.** **{t}**", "**{n}. {t}**", "{n}. **{t}**",
                                 "### {n}. {t}", "**{n}.** [{t}]({u})"]))
    parts = [form.format(n=number, t=title, u=url)]
    if draw(st.integers(0, 3)) < 3:
        parts.append(draw(st.sampled_from(["{u}", "<{u}>", "[原文]({u})"])).format(u=url))
    if draw(st.booleans()):
        parts.append("**摘要:** " + draw(named) + draw(text))
    for label in draw(st.lists(st.sampled_from(["作者：", "来源：", "标签："]), max_size=2)):
        parts.append(label + draw(line_text))
    return "\n\n".join(parts)


@st.composite
def issue_file(draw: st.DrawFn) -> bytes:
    name = draw(mostly(st.just("云计算技术动态"), ["", "<b>x</b>", "]]>", "\x00"]) | line_text)
    year = draw(mostly(st.just("2024"), YEARS))
    number = draw(mostly(st.sampled_from(["30", "三十一", "32", "三十三", "３４"]), NUMBERS))
    parts = [draw(front_matter()) + f"# {name} {year} 年第{number}期"]
    if draw(st.booleans()):
        parts.append(draw(text))
    for _ in range(draw(st.integers(0, 2))):
        parts.append("## " + draw(mostly(st.sampled_from(["分布式系统", "云计算技术"]), WORDS)
                                  | named))
        parts.extend(draw(article(n)) for n in range(1, draw(st.integers(0, 2)) + 1))
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from([">" * 60 + " a", "[" * 200, "- " * 60 + "a",
                                           "*a* " * 300, "> - > - 1. " * 10])))
    source = "\n\n".join(parts) + "\n"
    if draw(st.booleans()):
        source = source.replace("\n", "\r\n")
    data = source.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 7)) == 7:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(BAD_BYTES)) + data[at:]
    return data


issue_files = st.dictionaries(
    st.sampled_from(["2024-07-27-30.md", "x.md", "2024-13-45-1.md", "0001-01-01.md",
                     "sub/ü.md", "名字.md", "2024-07-20-29.md"]),
    issue_file(), min_size=1, max_size=2)
base_urls = st.sampled_from(["https://feeds.example.com/"] * 40 + [
    "https://example.com/feeds?x=1", "https://u:p@example.com/", "https://example.com/a b/",
    "javascript:alert(1)", "https://例子.测试/feeds/"])


# ------------------------------------------------------------------ running and checking

DIAGNOSTIC = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<level>error|warning): \S")
CHECK_SUMMARY = re.compile(r"^checked \d+ files?: \d+ errors?, \d+ warnings?$")
BUILD_LINES = re.compile(r"^(wrote \S+|\d+ feeds, \d+ changed, [\d.]+ s( \(nothing changed\))?|"
                         r"feeds: \d+ errors?; nothing was written|"
                         r"output/\S+: warning: no longer produced; kept, not deleted)$")
USAGE = re.compile(r"^feeds: error: (feeds\.toml:\d+|--base-url): base_url .* cannot be used: ")

# What the tool itself writes into HTML: Markdown's inline elements in content, and
# the structure of the web edition's pages.
CONTENT_TAGS = {"p": set(), "a": {"href"}, "strong": set(), "em": set(), "code": set(),
                "br": set(), "h2": set(), "h3": set()}  # the headings: the digest's whole issue
PAGE_TAGS = {"html": {"lang"}, "head": set(), "meta": {"charset", "name", "content"},
             "title": set(), "link": {"rel", "type", "title", "href"}, "body": set(),
             "header": {"class"}, "nav": {"class", "aria-label"}, "main": {"id"}, "footer": {"class"},
             "section": {"class", "id", "aria-labelledby"}, "article": {"class"},
             "div": {"class"}, "time": {"datetime"}, "h1": set(), "h2": {"id"}, "h3": {"id"},
             "h4": {"id"}, "p": {"class"}, "a": {"href", "class", "rel"}, "span": {"class"},
             "code": set(), "strong": set(), "em": set(), "br": set(), "ul": {"class"},
             "ol": {"class", "reversed"}, "li": {"class"}}
# the web edition's own links: relative to a published page, a fragment, the empty icon
OWN_LINK = re.compile(r"((\.\./)*[a-z0-9][a-z0-9/_.-]*\.(html|css|opml)(#[a-z0-9-]+)?|#[a-z0-9-]+|data:,)$")
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"


def feeds(*args: str) -> tuple[int, list[str]]:
    """The real entry point in-process: (exit code, every line printed)."""
    code, out, err = run_main(*args)
    return code, out.splitlines() + err.splitlines()


def published(output: Path) -> dict[str, bytes]:
    return {str(p.relative_to(output)): p.read_bytes() for p in sorted(output.rglob("*"))
            if p.is_file() and ".feeds" not in p.relative_to(output).parts}


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer reads the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def foreign_markup(html: str, allowed: dict[str, set[str]]) -> list[str]:
    """Tags, attributes and links in ``html`` that the tool does not make."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    found = []
    for tag, attrs in parser.tags:
        if tag not in allowed:
            found.append(f"<{tag}>")
            continue
        for name, value in attrs:
            if name not in allowed[tag]:
                found.append(f"<{tag} {name}>")
            elif name == "href" and not (re.match(r"https?://", value or "", re.I)
                                         or OWN_LINK.match(value or "")):
                found.append(f"<{tag} href={value!r}>")
    return found


def html_fields(path: str, data: bytes) -> list[tuple[str, str]]:
    """(where, HTML text) for every field of a feed that a reader renders as HTML."""
    root = lxml.etree.fromstring(data)
    fields = []
    if root.tag == f"{ATOM}feed":
        for element in root.iter(f"{ATOM}title", f"{ATOM}subtitle", f"{ATOM}summary",
                                 f"{ATOM}content", f"{ATOM}rights"):
            kind = element.get("type", "text")
            if kind == "html":
                fields.append((f"{path} {element.tag}", element.text or ""))
            elif kind == "xhtml":
                fields.append((f"{path} {element.tag}",
                               lxml.etree.tostring(element, encoding="unicode")))
    elif root.tag == "rss":
        for element in root.iter("title", "description", CONTENT_ENCODED):
            fields.append((f"{path} {element.tag}", element.text or ""))
    return fields


def json_html_fields(path: str, data: bytes) -> list[str]:
    """Every ``content_html`` of a JSON Feed (its other text fields are plain text)."""
    return [item["content_html"] for item in json.loads(data)["items"]]


def check_outputs(output: Path) -> None:
    """Every published file parses; nothing in it is markup the tool did not make."""
    files = published(output)
    assert "index.html" in files and "atom.xml" in files
    for path, data in files.items():
        if path.endswith(".css"):
            continue
        if path.endswith(".html"):
            text = data.decode("utf-8")
            lxml.html.document_fromstring(text)
            assert foreign_markup(text, PAGE_TAGS) == [], path
        elif path.endswith(".json"):
            assert isinstance(json.loads(data.decode("utf-8")), dict), path
        else:
            lxml.etree.fromstring(data)  # raises on anything that is not well-formed XML


def check_fields(output: Path) -> None:
    for path, data in published(output).items():
        if path.endswith(".xml"):
            for where, html in html_fields(path, data):
                allowed = {} if where.endswith("}title") or where.endswith(" title") \
                    else CONTENT_TAGS
                assert foreign_markup(html, allowed) == [], (where, html)
        elif path.endswith(".json"):
            for html in json_html_fields(path, data):
                assert foreign_markup(html, CONTENT_TAGS) == [], (path, html)


def check_lines(lines: list[str], paths: set[str], code: int, summary: re.Pattern[str]) -> None:
    """Every line is a diagnostic naming one of ``paths`` and a line, or a known line."""
    assert code in (0, 1, 2), lines
    if code == 2:
        assert len(lines) == 1 and USAGE.match(lines[0]), lines
        return
    errors = 0
    for line in lines:
        match = DIAGNOSTIC.match(line)
        if match and match.group("path") in paths:
            assert int(match.group("line")) >= 1, line
            errors += match.group("level") == "error"
        else:
            assert summary.match(line), line
    assert (code == 1) == (errors > 0), lines


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose output already holds a good build of the project's own issue."""
    project = tmp_path_factory.mktemp("template")
    (project / "issues").mkdir()
    shutil.copy(SEED, project / "issues" / "2024-07-20-29.md")
    (project / "feeds.toml").write_text(GOOD_CONFIG, encoding="utf-8")
    with contextlib.chdir(project):
        assert feeds("build", "-q") == (0, [])
    return project


def _run(template: Path, files: dict[str, bytes], base_url: str) -> Path:
    """Add ``files`` to a copy of ``template``, check and build: assert the invariants."""
    project = Path(tempfile.mkdtemp(prefix="hostile-"))
    shutil.copytree(template, project, dirs_exist_ok=True)
    for name, data in files.items():
        (project / "issues" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "issues" / name).write_bytes(data)
    (project / "feeds.toml").write_text(GOOD_CONFIG.replace("https://feeds.example.com/",
                                                            base_url), encoding="utf-8")
    paths = {f"issues/{name}" for name in files} | {"issues/2024-07-20-29.md"}
    with contextlib.chdir(project):
        before = published(project / "output")
        check_code, check_lines_ = feeds("check")
        check_lines(check_lines_, paths, check_code, CHECK_SUMMARY)
        build_code, build_lines = feeds("build")
        check_lines(build_lines, paths, build_code, BUILD_LINES)
        assert build_code == check_code, (check_lines_, build_lines)
        if build_code:
            assert published(project / "output") == before
        else:
            check_outputs(project / "output")
    return project


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=issue_files, base_url=base_urls)
def test_hostile_issues_keep_every_invariant(template: Path, files: dict[str, bytes],
                                             base_url: str) -> None:
    project = _run(template, files, base_url)
    shutil.rmtree(project)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=issue_files)
def test_no_html_field_holds_markup_the_tool_did_not_make(template: Path,
                                                          files: dict[str, bytes]) -> None:
    project = _run(template, files, "https://feeds.example.com/")
    try:
        check_fields(project / "output")
    finally:
        shutil.rmtree(project)


NASTY = ("---\ntitle: '<script>alert(0)</script> ]]> &amp;'\ndate: 2024-07-27\n---\n"
         "# 云计算技术动态 2024 年第三十期\n\n<b>编者按</b>：]]> \x1b &#x1F600; &#8232;\n\n## 分布式<i>系统</i>\n\n"
         "**1.** **<script>alert(1)</script><img src=x onerror=alert(2)>**\n\n"
         "https://a.example/1?x=1;y=2#frag\n\n"
         "**摘要:** std::vector<int> 与 map<string, int> ]]> `<b>` [x](javascript:alert(3))\n\n"
         "作者：<b>张三</b>\n标签：<i>x</i>，]]>\n")


def test_a_known_nasty_issue_publishes_only_text(template: Path) -> None:
    project = _run(template, {"2024-07-27-30.md": NASTY.encode()}, "https://feeds.example.com/")
    check_fields(project / "output")


@pytest.mark.parametrize(("files", "code"), [
    ({"2024-07-27-30.md": NASTY.encode("utf-8").replace(b"\n", b"\r\n")}, 0),
    ({"x.md": b"\xef\xbb\xbf---\ndate: 2024-13-45\ntitle: *a\n---\n# \xff 2024 \xe5\xb9\xb4\n"}, 1),
    ({"y.md": ("# 云计算技术动态 2024 年第፩期\n\n## S\n\n" + "[" * 5000 + "\n").encode()}, 1),
])
def test_hostile_issues_in_a_real_process(template: Path, tmp_path: Path,
                                          files: dict[str, bytes], code: int) -> None:
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    for name, data in files.items():
        (tmp_path / "issues" / name).write_bytes(data)
    before = published(tmp_path / "output")
    for command in (["check"], ["build"]):
        result = subprocess.run([sys.executable, "-m", "feeds", *command], cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == code, result
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        if code:
            assert any(DIAGNOSTIC.match(line) for line in result.stdout.splitlines()
                       + result.stderr.splitlines())
    if code:
        assert published(tmp_path / "output") == before
    else:
        check_outputs(tmp_path / "output")


def test_a_named_pipe_or_device_is_an_error_not_a_hang(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A FIFO named on the command line would block the build for good, and a device
    could feed it without end: only regular files are read."""
    import os

    fifo = tmp_path / "2024-1.md"
    os.mkfifo(fifo)
    monkeypatch.chdir(tmp_path)
    assert run_main("check", "2024-1.md", "/dev/zero") == (
        1, "/dev/zero: error: cannot read: not a regular file but a character device\n"
        "2024-1.md: error: cannot read: not a regular file but a named pipe\n"
        "checked 2 files: 2 errors, 0 warnings\n", "")


def test_a_file_name_cannot_drive_the_terminal(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Escape sequences and bidi controls in a file's name are printed as escapes."""
    name = "2024-\x1b[2J\u202e1.md"
    (tmp_path / name).write_bytes(b"no heading here\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main("check", name)
    assert code == 1
    assert out.startswith("2024-\\x1b[2J\\u202e1.md:1: error: ")
    assert not any(c in out + err for c in "\x1b\u202e")
