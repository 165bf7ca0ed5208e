"""Operator templates: the stamp sees through symlinked folders, templates see plain
tuples, and any failure of an operator's template is a template error (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import SEED
from test_build import CONFIG, SECOND, all_files, build, write_project
from test_pages import THIRD
from test_webedition import mirror, reference_build

from feeds.sources import template_stamp

THEME = CONFIG + 'templates = "theme"\n'


def _project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "site", {"2024-07-20-29.md": SEED.read_bytes()}, THEME)
    (root / "theme").mkdir()
    return root


def test_a_template_behind_a_symlinked_folder_is_stamped(tmp_path: Path) -> None:
    root = _project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "row.html").write_text('<p class="v1">{{ year }}</p>', encoding="utf-8")
    (root / "theme" / "inc").symlink_to(outside, target_is_directory=True)
    (root / "theme" / "archive_year.html").write_text(
        '<section>{% include "inc/row.html" %}</section>', encoding="utf-8")
    assert build(root)[0] == 0
    archive = root / "output" / "archive.html"
    assert b'<section><p class="v1">2024</p></section>' in archive.read_bytes()
    (outside / "row.html").write_text('<p class="v2">{{ year }}</p>', encoding="utf-8")
    code, out, _ = build(root)
    assert code == 0 and out.startswith(f"wrote {archive}\n")
    data = archive.read_bytes()
    assert b'<section><p class="v2">2024</p></section>' in data and b"v1" not in data


def test_a_symlink_loop_in_the_template_folder_ends(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "a").mkdir(parents=True)
    (theme / "a" / "x.html").write_text("x", encoding="utf-8")
    (theme / "a" / "loop").symlink_to(theme, target_is_directory=True)
    (theme / "self").symlink_to(".", target_is_directory=True)
    (theme / "dangling").symlink_to(tmp_path / "nowhere")
    first = template_stamp(str(theme))
    assert first == template_stamp(str(theme))
    os.utime(theme / "a" / "x.html", ns=(1, 1))
    assert template_stamp(str(theme)) != first


def test_operator_templates_see_plain_tuples(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``years``, ``refs`` and ``blocks`` print is what the reference path prints, in a build
    that reuses a year's stored part as in a clean one (no object address in it)."""
    root = write_project(tmp_path / "site", {"2024-07-20-29.md": SEED.read_bytes(),
                                             "2024-07-27-30.md": SECOND}, THEME)
    (root / "theme").mkdir()
    (root / "theme" / "archive.html").write_text(
        "{% for year, refs in years %}{{ year_section(year, refs) }}{% endfor %}"
        "<div>{{ years }}</div>\n", encoding="utf-8")
    (root / "theme" / "archive_year.html").write_text(
        "<p>{{ refs }}</p><p>{{ (refs + refs)|length }}</p><p>{{ refs|tojson }}</p>",
        encoding="utf-8")
    (root / "theme" / "section.html").write_text(
        "<p>{{ blocks }}</p><p>{{ (blocks + blocks)|length }}</p>", encoding="utf-8")
    assert build(root)[0] == 0
    first = (root / "output" / "archive.html").read_bytes()
    assert first.startswith(b"<p>(IssueRef(label=&#39;")
    (root / "issues" / "2025-01-04-1.md").write_text(THIRD, encoding="utf-8")
    code, out, err = build(root)  # 2024's part reused from the store
    assert code == 0, err
    assert f"wrote {root / 'output' / 'archive.html'}\n" in out
    archive = (root / "output" / "archive.html").read_bytes()
    assert b"object at" not in archive and b"_YearRefs" not in archive
    assert archive.count(b"<p>4</p>") == 1 and archive.count(b"<p>2</p>") == 1
    assert archive.count(b"<div>((2025, (IssueRef(label=") == 1
    clean = write_project(tmp_path / "clean", {})
    mirror(root, clean)
    assert build(clean)[0] == 0
    assert (clean / "output" / "archive.html").read_bytes() == archive
    reference = write_project(tmp_path / "reference", {})
    mirror(root, reference)
    assert reference_build(reference, monkeypatch)["archive.html"] == archive
    assert all_files(root / "output") == all_files(clean / "output") \
        == all_files(reference / "output")
    section = (root / "output" / "sections" / "da-mo-xing-ji-shu" / "index.html").read_bytes()
    assert section.startswith(b"<p>(SectionArticles(issue=IssueRef(label=")


FAILING = [
    ("archive_year.html", b"{{ 1 // 0 }}", ":1: error: ZeroDivisionError: integer division or modulo by zero\n"),
    ("issue.html", b"\n{{ 1 // 0 }}", ":2: error: ZeroDivisionError: integer division or modulo by zero\n"),
    ("archive_year.html", b'{{ year + "a" }}',
     ":1: error: TypeError: unsupported operand type(s) for +: 'int' and 'str'\n"),
    ("archive.html", b'{% extends "archive.html" %}',
     ":1: error: RecursionError: maximum recursion depth exceeded"),
    ("archive.html", b"{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
     ":1: error: RecursionError: maximum recursion depth exceeded"),
    ("issue.html", b"\xff\xfe{{ 1 }}",
     ": error: UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0: "
     "invalid start byte\n"),
    ("style.css", b"{{ 1 // 0 }}", ":1: error: ZeroDivisionError: integer division or modulo by zero\n"),
]


@pytest.mark.parametrize(("name", "text", "message"), FAILING)
def test_any_failure_of_an_operator_template_is_a_template_error(
        tmp_path: Path, name: str, text: bytes, message: str) -> None:
    root = _project(tmp_path)
    (root / "theme" / name).write_bytes(text)
    code, out, err = build(root)
    assert (code, out) == (2, ""), err
    # the recursion message's tail varies with what Python was doing at the limit
    assert err.startswith(f"{root / 'theme' / name}{message}")
    assert err.endswith("\nfeeds: the templates have an error; nothing was written\n")
    assert err.count("\n") == 2
    assert not (root / "output" / "atom.xml").exists()


@pytest.mark.parametrize(("text", "message"), [
    (b"{{ 1 // 0 }}", ":1: error: ZeroDivisionError: integer division or modulo by zero\n"),
    (b"{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
     ":1: error: RecursionError: maximum recursion depth exceeded"),
])
def test_an_issue_template_failing_in_a_worker_is_a_template_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: bytes, message: str) -> None:
    import feeds.parallel
    import feeds.webedition

    monkeypatch.setattr(feeds.webedition, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(feeds.parallel, "workers", lambda: 2)
    root = write_project(tmp_path / "site", {"2024-07-20-29.md": SEED.read_bytes(),
                                             "2024-07-27-30.md": SECOND}, THEME)
    (root / "theme").mkdir()
    (root / "theme" / "issue.html").write_bytes(text)
    code, out, err = build(root)
    assert (code, out) == (2, ""), err
    assert err.startswith(f"{root / 'theme' / 'issue.html'}{message}")
    assert err.endswith("\nfeeds: the templates have an error; nothing was written\n")
    assert err.count("\n") == 2


def test_a_bug_in_the_package_templates_stays_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a template of the operator's in play, a failure is the package's own
    bug: raised as it is (a test sees it), not reported as the operator's error."""
    import jinja2

    import feeds.pages
    from feeds.config import Config

    r = feeds.pages._Renderer(Config(base_url="https://news.example.org/"), [])
    r.env = feeds.pages.template_environment(jinja2.DictLoader({"issue.html": "{{ 1 // 0 }}"}))
    with pytest.raises(ZeroDivisionError):
        r.render("issue.html", "issues/2024-1.html", "t", ())
