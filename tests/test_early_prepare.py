"""A cold build that prepares each issue's entries in the pool that parses it
(:mod:`feeds.early`) against the reference path (parsed first, then prepared from the
parse results read back): the same published bytes, the same store, the same errors."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED
from corpus import write_corpus
from test_build import CONFIG, all_files, build, write_project

from feeds import loader, render, site, slugs
from feeds.store import DATABASE, SEEN, SEEN_BYTES

EVERY = CONFIG + "max_items = 0\nsection_max_items = 0\ndigest_max_items = 0\n"
ARCHIVES = CONFIG + "max_items = 6\nsection_max_items = 3\narchive_page_size = 4\n"
SLUGGED = '\n[sections]\n"数据库" = "db"\n'  # a configured slug: the parser's own


def _project(root: Path, config: str, count: int = 18) -> Path:
    """``count`` issues of the corpus and the seed issue, which is undated: its date is
    its file's modification time (no git here), which the workers do not know."""
    write_project(root, {"2024-29.md": SEED.read_bytes()}, config)
    write_corpus(count, root / "issues")
    return root


def _state(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the state store, sorted; of the published files and the issue files
    what a build writes, not their stats (a second build meets other inodes and times,
    and a file may be racy for one build and not the other), nor the no-op record."""
    db = sqlite3.connect(root / ".feeds" / DATABASE)
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                for t in tables if t not in ("published", "sources", "meta")}
        rows["published"] = sorted(db.execute("SELECT output, path, digest, size FROM published"))
        rows["sources"] = sorted((p, bytes(s)[SEEN.size:SEEN_BYTES]) for p, s in
                                 db.execute("SELECT path, seen FROM sources"))
        rows["meta"] = sorted(db.execute("SELECT * FROM meta WHERE name NOT LIKE 'noop%'"))
        return rows
    finally:
        db.close()


def _cold(root: Path, early: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[
        tuple[int, str, str], dict[str, bytes], dict[str, list[tuple[Any, ...]]] | None]:
    """A cold build of ``root`` (no output, no state) along one path or the other:
    its exit code and printout, the files published and the store's rows."""
    shutil.rmtree(root / "output", ignore_errors=True)
    shutil.rmtree(root / ".feeds", ignore_errors=True)
    monkeypatch.setattr(site, "PREPARE_WHILE_PARSING", early)
    result = build(root, "--quiet")
    out = all_files(root / "output") if (root / "output").exists() else {}
    state = _state(root) if (root / ".feeds" / DATABASE).exists() else None
    return result, out, state


@pytest.mark.parametrize(("config", "pool", "known"), [
    (EVERY + SLUGGED, True, True), (EVERY + SLUGGED, True, False),
    (EVERY + SLUGGED, False, True), (EVERY + SLUGGED, False, False),
    (ARCHIVES, True, False), (EVERY + "pages = false\n", True, True)],
    ids=["every-pool-slugs-known", "every-pool-slugs-new", "every-here-slugs-known",
         "every-here-slugs-new", "archives-pool-slugs-new", "no-pages-pool-slugs-known"])
def test_preparing_while_parsing_gives_the_bytes_and_store_of_the_reference_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, pool: bool,
        known: bool) -> None:
    root = _project(tmp_path / "site", config)
    if pool:
        monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
        monkeypatch.setattr(render, "PARALLEL_MIN_ISSUES", 2)
    made: list[str] = []
    fresh = site._prepare_fresh

    def counted(issue: Any, **kwargs: Any) -> Any:
        made.append(issue.path)
        return fresh(issue, **kwargs)

    monkeypatch.setattr(site, "_prepare_fresh", counted)
    # the slugs this process knows (it keeps what it learns): every name's, or none,
    # when the first files' slugs come from this process while the workers parse on
    start: dict[str, str] = {}
    if known:
        monkeypatch.setattr(slugs, "_known", {})
        assert _cold(root, False, monkeypatch)[0][0] == 0
        start = slugs.known_slugs()
    monkeypatch.setattr(slugs, "_known", dict(start))
    reference = _cold(root, False, monkeypatch)
    assert reference[0][0] == 0, reference[0]
    assert made == []
    monkeypatch.setattr(slugs, "_known", dict(start))
    merged = _cold(root, True, monkeypatch)
    assert merged[0] == reference[0]
    assert merged[1] == reference[1]
    assert merged[2] == reference[2]
    if not pool:  # counted here: every dated issue once, the undated seed never
        assert sorted(Path(p).name for p in made) == \
            sorted(p.name for p in (root / "issues").glob("2005-*.md"))
    code, out, _ = build(root)
    assert code == 0 and "0 changed" in out
    assert all_files(root / "output") == reference[1]


def test_a_second_build_after_preparing_while_parsing_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "site", EVERY)
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    code, _, _ = build(root)
    assert code == 0
    before = all_files(root / "output")
    code, out, _ = build(root)
    assert code == 0 and "0 changed" in out
    assert all_files(root / "output") == before
    write_corpus(1, root / "issues", start=18)
    assert build(root)[0] == 0
    incremental = all_files(root / "output")
    shutil.rmtree(root / "output")
    shutil.rmtree(root / ".feeds")
    monkeypatch.setattr(site, "PREPARE_WHILE_PARSING", False)
    assert build(root)[0] == 0
    assert all_files(root / "output") == incremental


@pytest.mark.parametrize("pool", [True, False], ids=["pool", "here"])
@pytest.mark.parametrize("bad", ["article", "number"])
def test_errors_are_reported_as_by_the_reference_path_and_nothing_is_published(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: bool, bad: str) -> None:
    root = _project(tmp_path / "site", EVERY, count=12)
    if pool:
        monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    if bad == "article":  # a file that does not parse, among the first
        (root / "issues" / "2005-01-04-1.md").write_text(
            "# 云计算技术动态 2005 年第一期\n\n## 分布式系统\n\n**1.** **A**\n\n**摘要:** s\n",
            encoding="utf-8")
    else:  # a file that parses, and clashes with another
        shutil.copy(root / "issues" / "2005-03-14-11.md", root / "issues" / "2005-03-15-11.md")
    reference = _cold(root, False, monkeypatch)
    merged = _cold(root, True, monkeypatch)
    assert merged == reference
    code, out, err = merged[0]
    assert (code, out, merged[1]) == (1, "", {})
    assert err.endswith("; nothing was written\n")
    if bad == "number":
        assert ("2005-03-15-11.md:1: error: issue 2005 No. 11 is also in " in err)
    else:
        assert "2005-01-04-1.md:5: error: article 1 in section 分布式系统 has no URL" in err
