"""The web edition made incrementally: a change renders only the pages it touches, and
the output equals the reference path (every page rendered from the whole issues)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import pytest
from conftest import damage_on_disk, damage_state
from corpus import write_corpus
from test_build import CONFIG, all_files, build, write_project

import feeds.loader
import feeds.site
import feeds.webedition
import feeds.writer
from feeds.builder import FeedInfo
from feeds.config import Config
from feeds.loader import Catalog, load_issue, load_issues
from feeds.model import Issue, IssueSummary
from feeds.pages import _Renderer, site_pages, with_page_urls
from feeds.parser import ParseOptions
from feeds.store import Store
from feeds.writer import KEEP, OutputDir, PublishedRow


class Spy:
    """What the last build rendered (every template render, and the sitemap) and kept."""

    def __init__(self) -> None:
        self.rendered: list[str] = []
        self.kept: set[str] = set()

    def reset(self) -> None:
        self.rendered.clear()
        self.kept.clear()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    seen = Spy()
    render, stream, sitemap, edition = _Renderer.render, _Renderer.stream, \
        feeds.webedition.sitemap, feeds.webedition.web_edition

    def counted_render(self: _Renderer, template: str, path: str, *args: object,
                       **context: object) -> bytes:
        seen.rendered.append(path)
        return render(self, template, path, *args, **context)  # type: ignore[arg-type]

    def counted_stream(self: _Renderer, template: str, path: str, *args: object,
                       **context: object) -> Iterator[bytes]:
        seen.rendered.append(path)
        return stream(self, template, path, *args, **context)  # type: ignore[arg-type]

    def counted_sitemap(lastmod: dict[str, str], config: Config) -> bytes:
        seen.rendered.append("sitemap.xml")
        return sitemap(lastmod, config)

    def watched(*args: object, **kwargs: object) -> feeds.webedition.WebEdition:
        made = edition(*args, **kwargs)  # type: ignore[arg-type]
        seen.kept.update(p for p, data in made.files.items() if data is KEEP)
        return made

    monkeypatch.setattr(_Renderer, "render", counted_render)
    monkeypatch.setattr(_Renderer, "stream", counted_stream)
    monkeypatch.setattr(feeds.webedition, "sitemap", counted_sitemap)
    monkeypatch.setattr(feeds.webedition, "web_edition", watched)
    yield seen


def reference_pages(catalog: Catalog, options: ParseOptions, feeds_: Sequence[FeedInfo],
                    config: Config, store: Store, out: OutputDir,
                    owned: dict[str, PublishedRow], code: str, templates: str
                    ) -> tuple[dict[str, bytes], None]:
    """The plain path: every issue loaded whole, every page rendered (``_web_edition``'s
    arguments, its stamps unused; no section pages left to a child)."""
    issues = [load_issue(s, catalog, options, store) for s in catalog.issues.in_order()]
    return site_pages(with_page_urls(issues, config), feeds_, config), None


def reference_build(root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    with monkeypatch.context() as m:
        m.setattr(feeds.site, "_web_edition", reference_pages)
        code, _, err = build(root)
    assert code == 0, err
    return all_files(root / "output")


def mirror(src: Path, dst: Path) -> None:
    """Make ``dst``'s issues, config and theme those of ``src``, times and all (an
    undated or edited issue's dates come from its file's modification time)."""
    for folder in ("issues", "theme"):
        shutil.rmtree(dst / folder, ignore_errors=True)
        if (src / folder).is_dir():
            shutil.copytree(src / folder, dst / folder)  # copy2: with modification times
    shutil.copy2(src / "feeds.toml", dst / "feeds.toml")


def web_files(files: dict[str, bytes]) -> dict[str, bytes]:
    return {p: d for p, d in files.items() if p.endswith((".html", ".css")) or p == "sitemap.xml"}


def sections_of(issue_file: Path) -> set[str]:
    issue = load_issues([issue_file], ParseOptions()).issues[0]
    return {f"sections/{s.slug}/index.html" for s in issue.sections if s.articles}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "site", {})
    write_corpus(12, root / "issues")
    code, _, err = build(root)
    assert code == 0, err
    return root


def test_a_new_issue_renders_its_page_neighbour_sections_archive_home_and_sitemap(
        corpus: Path, spy: Spy, tmp_path: Path) -> None:
    new = write_corpus(1, corpus / "issues", start=12)[0]
    code, _, err = build(corpus)
    assert code == 0, err
    assert sorted(spy.rendered) == sorted({
        "issues/2005-13.html", "issues/2005-12.html", *sections_of(new), "archive.html",
        "index.html", "sitemap.xml"})
    assert len(spy.rendered) == len(set(spy.rendered))
    pages = {p for p in all_files(corpus / "output") if p.endswith(".html")}
    assert spy.kept == {"style.css", *(pages - set(spy.rendered))}
    assert len(spy.kept) > 12  # the older issues' pages, untouched sections
    clean = write_project(tmp_path / "clean", {})
    mirror(corpus, clean)
    assert build(clean)[0] == 0
    assert all_files(corpus / "output") == all_files(clean / "output")


def test_an_issue_put_back_renders_itself_and_both_neighbours(corpus: Path, spy: Spy,
                                                              tmp_path: Path) -> None:
    (corpus / "issues" / "2005-01-31-5.md").rename(tmp_path / "5.md")
    assert build(corpus)[0] == 0  # issue 5 gone: 4 and 6 are neighbours
    (tmp_path / "5.md").rename(corpus / "issues" / "2005-01-31-5.md")
    spy.reset()
    assert build(corpus)[0] == 0
    issues = sorted(p for p in spy.rendered if p.startswith("issues/"))
    assert issues == ["issues/2005-4.html", "issues/2005-5.html", "issues/2005-6.html"]


def test_a_tampered_or_deleted_page_is_rendered_again(corpus: Path, spy: Spy) -> None:
    out = corpus / "output"
    before = all_files(out)
    section = sorted(sections_of(corpus / "issues" / "2005-01-31-5.md"))[0]
    (out / "issues" / "2005-5.html").write_bytes(b"<p>not ours any more</p>\n")
    (out / section).unlink()
    (out / "archive.html").write_text("x", encoding="utf-8")
    code, _, err = build(corpus)
    assert code == 0, err
    assert sorted(spy.rendered) == sorted(["issues/2005-5.html", "archive.html", section])
    assert all_files(out) == before


def test_kept_files_looked_at_by_a_child_are_written_again_when_changed(
        monkeypatch: pytest.MonkeyPatch, spy: Spy, tmp_path: Path) -> None:
    """With the kept files' stats taken by a forked child while the build goes on
    (OutputDir.look_ahead: for thousands of files; here forced), an issue page, an
    archive page and a section page changed or deleted since the last build make it say
    that not every file is intact; they are found and written again with a new issue, a killed build's temporary files in their
    folders are removed, and the output equals a clean build."""
    monkeypatch.setattr(feeds.writer, "LOOK_AHEAD_FROM", 0)
    monkeypatch.setattr("feeds.parallel.workers", lambda: 2)
    answers: list[tuple[bool, set[str] | None]] = []
    take = feeds.writer._Ahead.take

    def counted(self: feeds.writer._Ahead) -> bool:
        answers.append((take(self), self.found))
        return answers[-1][0]

    monkeypatch.setattr(feeds.writer._Ahead, "take", counted)
    listed_here: list[str] = []  # the folders this process lists (the child's are its own)
    leftovers_in = feeds.writer.OutputDir._leftovers_in

    def spied(folders: Iterable[str]) -> dict[str, list[str]]:
        folders = list(folders)
        listed_here.extend(folders)
        return leftovers_in(folders)

    monkeypatch.setattr(feeds.writer.OutputDir, "_leftovers_in", staticmethod(spied))
    config = CONFIG + "max_items = 30\nsection_max_items = 10\narchive_page_size = 10\n"
    corpus = write_project(tmp_path / "site", {}, config)
    write_corpus(12, corpus / "issues")
    assert build(corpus)[0] == 0
    out = corpus / "output"
    archived = sorted(p for p in all_files(out) if "archive/" in p and not p.endswith(".html"))
    section = sorted(sections_of(corpus / "issues" / "2005-01-31-5.md"))[0]
    (out / "issues" / "2005-3.html").write_bytes(b"<p>not ours any more</p>\n")
    (out / archived[0]).unlink()
    (out / section).write_bytes(b"x")
    leftovers = [out / "issues" / ".feeds-tmp-2005-3.html.0123456789ab",  # a killed build's
                 out / archived[0].rpartition("/")[0] / ".feeds-tmp-x.xml.0123456789ab"]
    for leftover in leftovers:
        leftover.write_bytes(b"half")
    write_corpus(1, corpus / "issues", start=12)
    answers.clear()
    listed_here.clear()
    spy.reset()
    code, stdout, err = build(corpus)
    assert code == 0, err
    assert answers == [(True, None)]  # the child's answer was used: not every file is intact
    assert {"issues/2005-3.html", section} <= set(spy.rendered)
    assert f"wrote {out / archived[0]}" in stdout.splitlines()
    assert not any(leftover.exists() for leftover in leftovers)  # found by the child:
    assert not {str(leftover.parent) for leftover in leftovers} & set(listed_here)
    clean = write_project(tmp_path / "clean", {}, config)
    mirror(corpus, clean)
    assert build(clean)[0] == 0
    assert all_files(out) == all_files(clean / "output")


def test_a_kept_file_changed_after_its_check_is_written_again_by_the_next_build(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A kept file (a page, an archive page) is looked at once per build (by
    OutputDir.intact), not again when published: one changed in between keeps its old
    manifest row, so the next build, a no-op by its inputs, finds it changed and
    writes it again."""
    config = CONFIG + "max_items = 30\nsection_max_items = 10\narchive_page_size = 10\n"
    corpus = write_project(tmp_path / "site", {}, config)
    write_corpus(12, corpus / "issues")
    assert build(corpus)[0] == 0
    write_corpus(1, corpus / "issues", start=12)
    publish = OutputDir.publish
    tampered: list[Path] = []

    def tamper_then_publish(self: OutputDir, files: dict[str, object],
                            owned: dict[str, PublishedRow], *early: object) -> object:
        kept = sorted(p for p, data in files.items() if data is KEEP)
        for rel in [next(p for p in kept if p.startswith("issues/")),
                    next(p for p in kept if "/archive/" in p or p.startswith("archive/"))]:
            (self.root / rel).write_bytes(b"tampered after the check\n")
            tampered.append(self.root / rel)
        return publish(self, files, owned, *early)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(OutputDir, "publish", tamper_then_publish)
        code, _, err = build(corpus)
    assert code == 0, err
    assert len(tampered) == 2 and all(p.read_bytes() == b"tampered after the check\n"
                                      for p in tampered)
    code, stdout, err = build(corpus)
    assert code == 0, err
    assert sorted(line for line in stdout.splitlines() if line.startswith("wrote ")) == \
        sorted(f"wrote {p}" for p in tampered)
    clean = write_project(tmp_path / "clean", {}, config)
    mirror(corpus, clean)
    assert build(clean)[0] == 0
    assert all_files(corpus / "output") == all_files(clean / "output")


def test_the_keys_need_not_survive(corpus: Path, spy: Spy, tmp_path: Path) -> None:
    """A state without the pages' keys or the issues' URLs renders and loads again."""
    db = sqlite3.connect(corpus / ".feeds" / "state.sqlite")
    db.execute("DELETE FROM page_issues WHERE rowid % 2 = 0")
    db.execute("DELETE FROM page_keys WHERE path LIKE 'sections/%'")
    db.commit()
    db.close()
    write_corpus(1, corpus / "issues", start=12)
    assert build(corpus)[0] == 0
    assert {p for p in spy.rendered if p.startswith("sections/")} == \
        {p for p in all_files(corpus / "output") if p.endswith("/index.html")}
    clean = write_project(tmp_path / "clean", {})
    mirror(corpus, clean)
    assert build(clean)[0] == 0
    assert all_files(corpus / "output") == all_files(clean / "output")


def test_planted_issue_rows_are_not_trusted(corpus: Path, tmp_path: Path) -> None:
    """A state row with a URL the tool never writes, or a count below zero, is learned
    again from the issue: no ``javascript:`` link or negative count reaches a page."""
    db = sqlite3.connect(corpus / ".feeds" / "state.sqlite")
    db.execute("UPDATE page_issues SET url = 'javascript:alert(1)', articles = -5")
    db.commit()
    db.close()
    write_corpus(1, corpus / "issues", start=12)
    assert build(corpus)[0] == 0
    pages = {p: d for p, d in all_files(corpus / "output").items() if p.endswith(".html")}
    assert not [p for p, d in pages.items() if b"javascript:" in d or "-5 篇".encode() in d]
    clean = write_project(tmp_path / "clean", {})
    mirror(corpus, clean)
    assert build(clean)[0] == 0
    assert all_files(corpus / "output") == all_files(clean / "output")


def test_incremental_equals_the_reference_after_every_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spy: Spy) -> None:
    root = write_project(tmp_path / "site", {})
    ref = write_project(tmp_path / "ref", {})
    write_corpus(10, root / "issues")
    issues = root / "issues"

    def edit(name: str, old: str, new: str) -> None:
        text = (issues / name).read_text(encoding="utf-8")
        assert old in text
        (issues / name).write_text(text.replace(old, new, 1), encoding="utf-8")

    def theme(template: str, text: str) -> None:
        (root / "theme").mkdir(exist_ok=True)
        (root / "theme" / template).write_text(text, encoding="utf-8")

    changes = [
        ("cold", lambda: None),
        ("new issue", lambda: write_corpus(1, issues, start=10)),
        ("edited old issue", lambda: edit("2005-01-24-4.md", "**摘要:**", "**摘要:** 更正：")),
        ("own url of an old issue", lambda: edit(
            "2005-01-17-3.md", "# ", "---\nurl: https://example.com/issue/3\n---\n# ")),
        ("removed issue", lambda: (issues / "2005-02-07-6.md").unlink()),
        ("older issue inserted", lambda: (issues / "2004-12-27-53.md").write_text(
            (issues / "2005-01-03-1.md").read_text(encoding="utf-8")
            .replace("2005 年第一期", "2004 年第五十三期"), encoding="utf-8")),
        ("template override", lambda: (theme("archive.html", (
            '{% extends "base.html" %}{% block main %}<h1>目录</h1>{% for y, refs in years %}'
            "<p>{{ y }}: {{ refs | map(attribute='url') | join(' ') }}</p>{% endfor %}"
            "{% endblock %}\n")), (root / "feeds.toml").write_text(
                CONFIG + 'templates = "theme"\n', encoding="utf-8"))),
        ("template edited", lambda: theme("issue.html", (
            '{% extends "base.html" %}{% block main %}<h1>{{ ref.label }}</h1>'
            "<p>{{ issue.url }} {{ previous.path if previous }}</p>{% endblock %}\n"))),
        ("config changed", lambda: (root / "feeds.toml").write_text(
            CONFIG + 'templates = "theme"\nsection_max_items = 3\ntitle = "另一个名字"\n',
            encoding="utf-8")),
        ("new issue again", lambda: write_corpus(1, issues, start=11)),
        ("no limit", lambda: (root / "feeds.toml").write_text(
            CONFIG + "section_max_items = 0\n", encoding="utf-8")),
        ("nothing but a page tampered with", lambda: (root / "output" / "index.html")
         .write_text("x", encoding="utf-8")),
    ]
    kept_some = []
    for what, change in changes:
        change()
        spy.reset()
        code, _, err = build(root)
        assert code == 0, f"{what}: {err}"
        kept_some.append(bool(spy.kept))
        mirror(root, ref)
        assert all_files(root / "output") == reference_build(ref, monkeypatch), what
        assert web_files(all_files(root / "output")), what
    assert kept_some == [False, True, True, True, True, True, False, False, False, True, False,
                         True]


def test_streamed_in_small_parts_on_workers_equals_the_reference(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages spooled to a file in small parts, issue pages on forked workers, and the
    section pages made from a window of two issues: the bytes are the reference's; and
    every issue is loaded once for its page, once for all section pages, the latest
    once more for the home page."""
    monkeypatch.setattr("feeds.spool.SPOOL_IN_MEMORY", 0)
    monkeypatch.setattr("feeds.spool.SpooledPage.PART", 512)
    monkeypatch.setattr(feeds.webedition, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(feeds.webedition._Window, "SIZE", 2)
    # the section pages made here, not by a child (tests/test_forked_publish.py): counted
    begin = feeds.webedition.begin
    monkeypatch.setattr(feeds.webedition, "begin", lambda make, wanted: begin(make, False))
    loads: list[str] = []
    issue_from = feeds.loader.issue_from

    def counted(blob: bytes | None, summary: IssueSummary, options: ParseOptions) -> Issue:
        loads.append(summary.path)
        return issue_from(blob, summary, options)

    monkeypatch.setattr(feeds.loader, "issue_from", counted)
    root = write_project(tmp_path / "site", {}, CONFIG + "section_max_items = 0\n")
    ref = write_project(tmp_path / "ref", {})
    write_corpus(9, root / "issues")
    assert build(root)[0] == 0
    # In this process: each issue once for the section pages, and the latest for the
    # home page (the issue pages were loaded by the workers that rendered them).
    assert len(loads) == 10 and len(set(loads)) == 9
    mirror(root, ref)
    assert all_files(root / "output") == reference_build(ref, monkeypatch)
    write_corpus(1, root / "issues", start=9)
    assert build(root)[0] == 0
    mirror(root, ref)
    assert all_files(root / "output") == reference_build(ref, monkeypatch)


# archive.html as it was rendered before its years were parts: one Jinja render of the
# whole page, each year's links in the page's own loop (as an operator's copy may be)
WHOLE_ARCHIVE = """{% extends "base.html" %}
{% block main %}
<h1>往期目录</h1>
{% if archived %}
<p class="muted">订阅源也保存全部往期：较早的文章按 RFC 5005 分页存档，订阅源以 <code>rel="prev-archive"</code> 链接最新一页，支持的阅读器可一直取回到第一期。</p>
{% endif %}
{% for year, refs in years %}
<section aria-labelledby="y{{ year }}">
<h2 id="y{{ year }}">{{ year }} 年</h2>
<ol class="issues" reversed>
{% for ref in refs %}
<li><a href="{{ page.root }}{{ ref.path }}">{{ ref.label }}</a> <span class="muted"><time datetime="{{ ref.date }}">{{ ref.date }}</time> · {{ ref.articles }} 篇</span></li>
{% endfor %}
</ol>
</section>
{% else %}
<p>还没有任何一期。</p>
{% endfor %}
{% endblock %}
"""


@pytest.fixture
def year_parts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The years of archive.html rendered by the last build (not reused as stored)."""
    made: list[int] = []
    part = feeds.webedition._Parts.part

    def counted(self: feeds.webedition._Parts, year: int, refs: Sequence[object],
                render: Callable[[], str]) -> str:
        def rendered() -> str:
            made.append(year)
            return render()
        return part(self, year, refs, rendered)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds.webedition._Parts, "part", counted)
    return made


def test_archive_years_are_rendered_only_when_they_change_and_equal_a_whole_render(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, year_parts: list[int]) -> None:
    """archive.html made of year parts kept in the store equals the reference path and
    the page rendered whole by one template, after every kind of change; a change
    renders the years it touches, and only those."""
    root = write_project(tmp_path / "site", {})
    ref = write_project(tmp_path / "ref", {})
    whole = write_project(tmp_path / "whole", {})
    issues = root / "issues"
    for start, count in ((0, 2), (3, 2), (52, 3), (104, 3)):  # 2005, 2006, 2007
        write_corpus(count, issues, start=start)

    def edit(name: str) -> None:
        text = (issues / name).read_text(encoding="utf-8")
        (issues / name).write_text(text.replace("**摘要:**", "**摘要:** 更正：", 1),
                                   encoding="utf-8")

    def theme(name: str, text: str) -> None:
        (root / "theme").mkdir(exist_ok=True)
        (root / "theme" / name).write_text(text, encoding="utf-8")
        (root / "feeds.toml").write_text(CONFIG + 'templates = "theme"\n', encoding="utf-8")

    changes: list[tuple[str, Callable[[], object], list[int]]] = [
        ("cold", lambda: None, [2007, 2006, 2005]),
        ("appended", lambda: write_corpus(1, issues, start=107), [2007]),
        ("nothing", lambda: None, []),
        ("inserted in an older year", lambda: write_corpus(1, issues, start=2), [2005]),
        ("edited", lambda: edit("2006-01-09-2.md"), [2006]),
        ("removed", lambda: (issues / "2005-01-10-2.md").unlink(), [2005]),
        ("a year emptied", lambda: [p.unlink() for p in issues.glob("2006-*.md")], []),
        ("a new year", lambda: write_corpus(1, issues, start=160), [2008]),
        ("a year's template overridden", lambda: theme("archive_year.html", (
            '<section id="y{{ year }}">{{ page.root }} {{ archived }} '
            "{{ refs | map(attribute='label') | join('/') }}</section>\n")),
         [2008, 2007, 2005]),
        ("then appended", lambda: write_corpus(1, issues, start=161), [2008]),
        ("the hook given other links", lambda: theme("archive.html", (
            '{% extends "base.html" %}{% block main %}{% for y, refs in years %}'
            "{{ year_section(y, refs[:1]) }}{% endfor %}{% endblock %}\n")),
         [2008, 2007, 2005]),
        ("and again", lambda: write_corpus(1, issues, start=108), [2008, 2007, 2005]),
        ("the page overridden without the hook", lambda: theme("archive.html", WHOLE_ARCHIVE),
         []),
        ("appended with no hook", lambda: write_corpus(1, issues, start=162), []),
        ("the hook back", lambda: (root / "theme" / "archive.html").unlink(),
         [2008, 2007, 2005]),
    ]
    for what, change, rendered in changes:
        change()
        year_parts.clear()
        code, _, err = build(root)
        assert code == 0, f"{what}: {err}"
        assert year_parts == rendered, what
        mirror(root, ref)
        assert all_files(root / "output") == reference_build(ref, monkeypatch), what
        if not (root / "theme").exists():  # the same page from the whole-page template
            mirror(root, whole)
            (whole / "theme").mkdir(exist_ok=True)
            (whole / "theme" / "archive.html").write_text(WHOLE_ARCHIVE, encoding="utf-8")
            (whole / "feeds.toml").write_text(CONFIG + 'templates = "theme"\n',
                                              encoding="utf-8")
            assert build(whole)[0] == 0
            assert (whole / "output" / "archive.html").read_bytes() == \
                (root / "output" / "archive.html").read_bytes(), what
        assert b'<section aria-labelledby="y' in (root / "output" / "archive.html").read_bytes() \
            or (root / "theme").exists(), what


def test_a_damaged_or_missing_year_part_is_rendered_again(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        year_parts: list[int]) -> None:
    """A part row changed, of another type, with a stale key or missing is not used: its
    year is rendered again, and the page is the reference's."""
    for start in (52, 104, 157):
        write_corpus(1, corpus / "issues", start=start)  # 2006, 2007, 2008
    assert build(corpus)[0] == 0
    write_corpus(1, corpus / "issues", start=158)  # 2008, and the feeds have archive pages
    assert build(corpus)[0] == 0
    write_corpus(1, corpus / "issues", start=160)  # 2008
    year_parts.clear()
    assert build(corpus)[0] == 0
    assert year_parts == [2008]
    db = sqlite3.connect(corpus / ".feeds" / "state.sqlite")
    rows = db.execute("SELECT name, part FROM page_parts ORDER BY name").fetchall()
    assert [name for name, _ in rows] == ["2005", "2006", "2007", "2008"]
    assert all(part.startswith('<section aria-labelledby="y') for _, part in rows)
    db.execute("UPDATE page_parts SET part = replace(part, '篇', '篇<script>') "
               "WHERE name = '2005'")
    damage_on_disk(db, "page_parts", "UPDATE page_parts SET part = CAST(part AS BLOB) "
                   "WHERE name = '2006'")
    db.execute("UPDATE page_parts SET key = 'x' || key WHERE name = '2007'")
    db.execute("DELETE FROM page_parts WHERE name = '2008'")
    db.commit()
    db.close()
    write_corpus(1, corpus / "issues", start=161)  # 2008 again
    year_parts.clear()
    assert build(corpus)[0] == 0
    assert year_parts == [2008, 2007, 2006, 2005]
    archive = (corpus / "output" / "archive.html").read_bytes()
    assert b"<script>" not in archive
    ref = write_project(tmp_path / "ref", {})
    mirror(corpus, ref)
    assert all_files(corpus / "output") == reference_build(ref, monkeypatch)
    year_parts.clear()
    write_corpus(1, corpus / "issues", start=162)
    assert build(corpus)[0] == 0
    assert year_parts == [2008]  # the parts written again are used


def test_the_on_demand_sequences_behave_as_tuples_and_make_only_what_is_asked() -> None:
    """A template may index, slice, count or loop over a year's links or a section
    page's blocks: each answers as the tuple of its items would, making only those."""
    from feeds.webedition import _YearRefs

    made: list[int] = []

    def ref_at(at: int) -> object:
        made.append(at)
        return ("ref", at)

    ats = [7, 3, 9, 1]
    refs = _YearRefs(ats, ref_at)  # type: ignore[arg-type]
    whole = tuple(("ref", at) for at in ats)
    assert made == [] and len(refs) == 4
    for i in range(-6, 6):
        if -4 <= i < 4:
            assert refs[i] == whole[i]
        else:
            with pytest.raises(IndexError):
                refs[i]
    for part in (slice(None), slice(1, None), slice(None, -1), slice(None, None, -2),
                 slice(5, 9)):
        assert refs[part] == whole[part]
    made.clear()
    assert tuple(refs) == whole and made == ats
    made.clear()
    assert refs[2] == ("ref", 9) and made == [9]


@pytest.fixture
def page_marks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many issues the page marks covered, at each build that made the web edition."""
    got: list[int] = []
    real = Store.page_marks

    def counted(self: Store, output: str, context: str) -> int:
        got.append(real(self, output, context))
        return got[-1]

    monkeypatch.setattr(Store, "page_marks", counted)
    return got


def issue_pages(rendered: Iterable[str]) -> list[str]:
    return sorted(p for p in rendered if p.startswith("issues/"))


def test_page_marks_spare_the_older_issue_pages_keys(corpus: Path, spy: Spy,
                                                     page_marks: list[int],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    """With the last build's marks, the keys of the older issue pages are taken as stored,
    not made again: a new issue makes the keys of its page and of the one before only,
    renders the same pages as without marks, and the output equals a clean build's."""
    made: list[int] = []
    sha256 = feeds.webedition.hashlib.sha256

    def counted(*args: bytes, **kwargs: object) -> object:
        if args and isinstance(args[0], bytes) and b"\0issue\0" in args[0]:
            made.append(1)
        return sha256(*args, **kwargs)  # type: ignore[arg-type]

    write_corpus(1, corpus / "issues", start=12)
    monkeypatch.setattr(feeds.webedition.hashlib, "sha256", counted)
    assert build(corpus)[0] == 0
    assert page_marks == [12]
    assert len(made) == 2  # the new issue's page and the one before it
    assert issue_pages(spy.rendered) == ["issues/2005-12.html", "issues/2005-13.html"]
    assert "issues/2005-3.html" in spy.kept
    clean = write_project(tmp_path / "clean", {})
    mirror(corpus, clean)
    assert build(clean)[0] == 0
    assert all_files(corpus / "output") == all_files(clean / "output")


def _edit_issue_5(issues: Path) -> None:
    path = issues / "2005-01-31-5.md"
    path.write_text(path.read_text(encoding="utf-8").replace("**摘要:**", "**摘要:** 更正：", 1),
                    encoding="utf-8")


@pytest.mark.parametrize(("change", "pages"), [
    ("edited", ["issues/2005-12.html", "issues/2005-13.html", "issues/2005-4.html",
                "issues/2005-5.html", "issues/2005-6.html"]),
    ("deleted", ["issues/2005-12.html", "issues/2005-13.html", "issues/2005-4.html",
                 "issues/2005-6.html"]),
    ("renamed", ["issues/2005-12.html", "issues/2005-13.html", "issues/2005-4.html",
                 "issues/2005-5.html", "issues/2005-6.html"]),
    ("inserted", ["issues/2005-12.html", "issues/2005-13.html", "issues/2005-4.html",
                  "issues/2005-5.html", "issues/2005-54.html"])])
def test_page_marks_do_not_hold_after_a_change_among_the_older_issues(
        corpus: Path, spy: Spy, page_marks: list[int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, change: str, pages: list[str]) -> None:
    """An issue edited, deleted, renamed or added among the older ones (with a new issue
    at the end) makes the marks stale: every issue page is keyed again, the pages the
    change touches are rendered, and the output equals the reference path's after the
    same history."""
    ref = tmp_path / "ref"
    shutil.copytree(corpus, ref, symlinks=True)
    issues = corpus / "issues"
    if change == "edited":
        _edit_issue_5(issues)
    elif change == "deleted":
        (issues / "2005-01-31-5.md").unlink()
    elif change == "renamed":
        (issues / "2005-01-31-5.md").rename(issues / "2005-01-31-fifth.md")
    else:  # dated between issues 4 and 5, numbered on its own
        (issues / "2005-01-27-54.md").write_text(
            (issues / "2005-01-03-1.md").read_text(encoding="utf-8")
            .replace("2005 年第一期", "2005 年第五十四期"), encoding="utf-8")
    write_corpus(1, issues, start=12)
    code, _, err = build(corpus)
    assert code == 0, err
    assert page_marks == [0]
    assert issue_pages(spy.rendered) == pages
    mirror(corpus, ref)
    assert all_files(corpus / "output") == reference_build(ref, monkeypatch)
    spy.reset()
    write_corpus(1, issues, start=13)
    assert build(corpus)[0] == 0  # the marks this build saved hold for the next one
    assert page_marks[-1] == len(list(issues.glob("*.md"))) - 1
    assert issue_pages(spy.rendered) == ["issues/2005-13.html", "issues/2005-14.html"]


@pytest.mark.parametrize(("damage", "edit"), [
    ("UPDATE page_marks SET count = count + 1", False),  # the new issue's neighbour as kept
    ("UPDATE page_marks SET newest = newest - 86400 * 7", False),
    ("UPDATE page_marks SET newest = NULL", False),
    ("UPDATE page_marks SET context = 'x'", False),
    ("UPDATE page_marks SET low = newest", True),
    ("DROP TRIGGER page_marks_changed; DROP TRIGGER page_marks_dropped", True),
    ("DROP TRIGGER page_marks_dropped; CREATE TRIGGER page_marks_dropped AFTER DELETE "
     "ON catalog BEGIN SELECT 1; END", True)])
def test_damaged_page_marks_are_not_used(corpus: Path, page_marks: list[int],
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         damage: str, edit: bool) -> None:
    """A marks row that says what no build saves, or that the catalog's triggers no longer
    keep (with an older issue then edited), is not used; the output equals the reference
    path's after the same history."""
    ref = tmp_path / "ref"
    shutil.copytree(corpus, ref, symlinks=True)
    db = sqlite3.connect(corpus / ".feeds" / "state.sqlite")
    with db:
        db.executescript(damage)
    db.close()
    if edit:
        _edit_issue_5(corpus / "issues")
    write_corpus(1, corpus / "issues", start=12)
    code, _, err = build(corpus)
    assert code == 0, err
    assert page_marks == [0]
    mirror(corpus, ref)
    assert all_files(corpus / "output") == reference_build(ref, monkeypatch)


def test_page_marks_of_output_folders_sharing_a_state(corpus: Path, page_marks: list[int]
                                                      ) -> None:
    """Each output folder has its own marks, and the catalog's triggers keep them all: an
    older issue edited and first built into another folder makes this folder's marks
    stale too, so its pages show the edit as the other folder's do."""
    other = corpus / "other"
    assert build(corpus, "--output", str(other))[0] == 0
    _edit_issue_5(corpus / "issues")
    assert build(corpus, "--output", str(other))[0] == 0  # the catalog takes the edit here
    write_corpus(1, corpus / "issues", start=12)
    code, _, err = build(corpus)
    assert code == 0, err
    assert build(corpus, "--output", str(other))[0] == 0
    mine = web_files(all_files(corpus / "output"))
    assert "更正".encode() in mine["issues/2005-5.html"]
    assert mine == web_files(all_files(other))
    assert page_marks[-2:] == [0, 12]  # the other folder's marks were saved after the edit


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each build that made the web edition took the quick plan (webedition._Tail)."""
    taken: list[bool] = []
    real = feeds.webedition._Tail.of.__func__  # type: ignore[attr-defined]

    def of(cls: type, *args: object) -> object:
        made = real(cls, *args)
        taken.append(made is not None)
        return made

    monkeypatch.setattr(feeds.webedition._Tail, "of", classmethod(of))
    return taken


def _clean_equal(root: Path, tmp_path: Path, name: str = "clean") -> None:
    clean = write_project(tmp_path / name, {})
    mirror(root, clean)
    assert build(clean)[0] == 0
    assert all_files(root / "output") == all_files(clean / "output")


def test_new_issues_at_the_end_are_planned_from_the_newest_rows_only(
        corpus: Path, spy: Spy, quick: list[bool], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With the marks of the last build, new issues at the end (one; two at once, one in
    a new year) read the rows of the newest issues only (no issue rows nor page keys of
    the whole history), render what a whole plan renders, and the output equals a clean
    build's each time."""
    read: list[tuple[int, int]] = []
    between = Store.page_issues_between

    def counted(self: Store, start: int, stop: int) -> list[tuple[object, ...]]:
        read.append((start, stop))
        return between(self, start, stop)

    def whole(*args: object) -> None:
        raise AssertionError("the whole history read")

    def watched() -> None:
        with monkeypatch.context() as m:
            m.setattr(Store, "page_issues_between", counted)
            m.setattr(Store, "page_issues", whole)
            m.setattr(Store, "page_keys", whole)
            m.setattr(feeds.webedition._Fetched, "BLOCK", 4)
            code, _, err = build(corpus)
        assert code == 0, err

    new = write_corpus(1, corpus / "issues", start=12)[0]
    watched()
    assert quick == [True]
    # newest first, each row once (the section pages show all 13 issues' articles)
    assert read == [(9, 13), (5, 9), (1, 5), (0, 1)]
    assert sorted(spy.rendered) == sorted({
        "issues/2005-13.html", "issues/2005-12.html", *sections_of(new), "archive.html",
        "index.html", "sitemap.xml"})
    assert "issues/2005-3.html" in spy.kept
    _clean_equal(corpus, tmp_path, "one")
    spy.reset()
    write_corpus(1, corpus / "issues", start=13)
    write_corpus(1, corpus / "issues", start=52)  # 2006's first
    watched()
    assert quick == [True, False, True]  # the clean build's between
    assert issue_pages(spy.rendered) == ["issues/2005-13.html", "issues/2005-14.html",
                                         "issues/2006-1.html"]
    _clean_equal(corpus, tmp_path, "two")


def _forge_part(db: sqlite3.Connection) -> None:
    """A year part with a key of its own and a check that holds for it."""
    from feeds.webedition import _check

    [(part,)] = db.execute("SELECT part FROM page_parts WHERE name = '2005'").fetchall()
    db.execute("UPDATE page_parts SET key = 'x', part = ?, \"check\" = ? WHERE name = '2005'",
               (part + "<p>forged</p>", _check("x", part + "<p>forged</p>")))


@pytest.mark.parametrize("damage", [
    "UPDATE page_parts SET key = 'x' || key WHERE name = '2005'",
    "UPDATE page_parts SET part = part || ' ' WHERE name = '2005'",
    "DELETE FROM page_parts",
    _forge_part,
    "UPDATE page_keys SET key = 'x' WHERE path = 'archive.html'",
    "DELETE FROM page_keys WHERE path = 'issues/2005-3.html'",
    "DELETE FROM page_keys WHERE path = 'issues/2005-12.html'",
    "INSERT INTO page_keys SELECT output, 'issues/2005-13.html', key FROM page_keys LIMIT 1",
    "INSERT INTO page_keys SELECT output, 'issues/2004-1.html', key FROM page_keys LIMIT 1"])
def test_the_quick_plan_is_refused_on_any_doubt(
        corpus: Path, quick: list[bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        damage: str | Callable[[sqlite3.Connection], None]) -> None:
    """Year parts or page keys that are not what the last build left (changed, forged
    with a check that holds, missing, or more) make the whole plan; the output equals
    the reference path's after the same history."""
    ref = tmp_path / "ref"
    shutil.copytree(corpus, ref, symlinks=True)
    damage_state(corpus, damage)
    write_corpus(1, corpus / "issues", start=12)
    code, _, err = build(corpus)
    assert code == 0, err
    assert quick == [False]
    assert b"forged" not in (corpus / "output" / "archive.html").read_bytes()
    mirror(corpus, ref)
    assert all_files(corpus / "output") == reference_build(ref, monkeypatch)


def test_the_quick_plan_renders_older_issue_pages_not_intact(
        corpus: Path, spy: Spy, quick: list[bool], tmp_path: Path) -> None:
    """An older issue page deleted or changed since the last build is rendered again by
    the quick plan (its key as stored)."""
    out = corpus / "output"
    (out / "issues" / "2005-3.html").unlink()
    (out / "issues" / "2005-7.html").write_bytes(b"<p>not ours any more</p>\n")
    write_corpus(1, corpus / "issues", start=12)
    assert build(corpus)[0] == 0
    assert quick == [True]
    assert issue_pages(spy.rendered) == ["issues/2005-12.html", "issues/2005-13.html",
                                         "issues/2005-3.html", "issues/2005-7.html"]
    _clean_equal(corpus, tmp_path)


def test_the_quick_plan_is_refused_when_the_feeds_first_have_archive_pages(
        corpus: Path, quick: list[bool], tmp_path: Path) -> None:
    """archive.html says whether the feeds have archive pages: its year parts stored
    before they had are not those of the build after (their keys no longer give the
    stored archive.html key), so that build makes the whole plan."""
    out = corpus / "output"
    for start in range(12, 40):
        write_corpus(1, corpus / "issues", start=start)
        assert build(corpus)[0] == 0
        if (out / "archive").is_dir():
            break
    else:
        raise AssertionError("no archive pages")
    assert quick[:-1] == [True] * (len(quick) - 1) and quick[-1] is False
    _clean_equal(corpus, tmp_path)
