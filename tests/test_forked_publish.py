"""The cold build's large feeds written by forked children (:class:`feeds.writer.Forkable`)
and in blocks of entries (:func:`feeds.render.joined_blocks`), its section pages made by a
forked child (:func:`feeds.apart.begin`): the same bytes as the plain paths, atomic,
and nothing left behind or lost when a child fails."""

from __future__ import annotations

import errno
import hashlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED
from test_build import CONFIG, all_files, build, write_project

from feeds import writer
from feeds.apart import begin, stop_all
from feeds.parallel import parallel_begun, workers
from feeds.render import joined_blocks, joined_parts
from feeds.spool import Spool, Spooled
from feeds.writer import FORK_FROM, Forkable, OutputDir, WriteError

TWO_CORES = pytest.mark.skipif(workers() < 2, reason="forked children need a second core")


def _twin_projects(tmp_path: Path, other: str) -> tuple[Path, Path]:
    """Two projects of the seed and 12 corpus issues, no item limit: ``plain`` and
    ``other``, each with its own state."""
    from corpus import write_corpus

    config = CONFIG + "max_items = 0\nsection_max_items = 0\n"
    plain = write_project(tmp_path / "plain", {"2024-07-20-29.md": SEED.read_bytes()}, config)
    write_corpus(12, plain / "issues")
    twin = write_project(tmp_path / other, {}, config)
    for source in (plain / "issues").iterdir():
        (twin / "issues" / source.name).write_bytes(source.read_bytes())
    return plain, twin


@pytest.mark.parametrize("separator", [b"", b","])
@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5, 7, 8, 9])
def test_blocks_join_the_parts_as_the_plain_path_does(separator: bytes, count: int) -> None:
    parts = [f"<e>{n}一</e>".encode() for n in range(count)]
    plain = list(joined_parts(iter(parts), separator))
    blocks = list(joined_blocks(iter(parts), separator, block=4))
    assert b"".join(blocks) == b"".join(plain) == separator.join(parts)
    assert len(blocks) == -(-count // 4)
    assert b"".join(joined_blocks(iter(parts), separator)) == separator.join(parts)


def test_parallel_begun_gives_the_results_in_order_while_the_body_runs() -> None:
    items = list(range(7))
    with parallel_begun(lambda n: (n * n, os.getpid()), items, 2) as results:
        made = results()
    assert [square for square, _ in made] == [n * n for n in items]
    if workers() >= 2:
        assert os.getpid() not in {pid for _, pid in made}
    with parallel_begun(lambda n: (n, os.getpid()), items[:1], 2) as results:
        assert results() == [(0, os.getpid())]  # too few: made here


def _feeds(count: int) -> dict[str, bytes]:
    return {f"sections/s{n}/atom.xml": f"<feed>{n} 第{n}期</feed>\n".encode() * (n + 1)
            for n in range(count)}


def _forkable(data: bytes) -> Forkable:
    def chunks() -> Iterator[bytes]:
        yield data[:3]
        yield data[3:]
    return Forkable(chunks)


@TWO_CORES
def test_forkable_files_are_staged_in_children_and_published_whole(tmp_path: Path) -> None:
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    feeds = _feeds(FORK_FROM + 3)
    out = OutputDir(out_dir)
    published = out.publish({**{p: _forkable(d) for p, d in feeds.items()},
                             "index.html": b"<p>home</p>\n"}, {})
    assert sorted(published.changed) == sorted([*feeds, "index.html"])
    assert all_files(out_dir) == {**feeds, "index.html": b"<p>home</p>\n"}
    assert {p: (r.digest, r.size) for p, r in published.rows.items() if p in feeds} == \
        {p: (hashlib.sha256(d).hexdigest(), len(d)) for p, d in feeds.items()}
    stats = {p: os.stat(out_dir / p).st_mtime_ns for p in feeds}
    again = out.publish({p: _forkable(d) for p, d in feeds.items()}, published.rows)
    assert again.changed == () and sorted(again.unchanged) == sorted(feeds)
    assert {p: os.stat(out_dir / p).st_mtime_ns for p in feeds} == stats
    assert not writer._PENDING


@TWO_CORES
def test_a_child_that_cannot_write_leaves_the_old_files_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    feeds = _feeds(FORK_FROM + 2)
    out = OutputDir(out_dir)
    first = out.publish(dict(feeds), {})
    broken = sorted(feeds)[1]

    def full() -> Iterator[bytes]:
        yield b"<feed>"
        raise OSError(errno.ENOSPC, "No space left on device")

    changed = {p: _forkable(d + b"<!-- 2 -->") for p, d in feeds.items()}
    changed[broken] = Forkable(full)
    with pytest.raises(WriteError, match=f"{broken}: cannot write: no space left on device"):
        out.publish(changed, first.rows)
    assert all_files(out_dir) == feeds
    assert not writer._PENDING


@TWO_CORES
def test_a_cold_build_writes_its_large_feeds_in_children_as_the_reference_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every feed counted large: each is written by a forked child, in blocks of
    entries; the bytes are those of a build that writes each in this process."""

    from feeds import render, site

    plain, forked = _twin_projects(tmp_path, "forked")
    monkeypatch.setattr(writer, "FORK_FROM", 10 ** 9)
    monkeypatch.setattr(render, "BLOCK", 1)
    assert build(plain)[0] == 0
    monkeypatch.setattr(writer, "FORK_FROM", 2)
    monkeypatch.setattr(render, "BLOCK", 3)
    monkeypatch.setattr(site, "IN_MEMORY_ENTRIES", 0)
    staged = writer._stage

    def noted(*args: object, **kwargs: object) -> tuple[str, str, int]:
        with open(tmp_path / "pids", "a", encoding="ascii") as log:
            log.write(f"{os.getpid()}\n")
        return staged(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "_stage", noted)
    code, _, err = build(forked)
    assert code == 0, err
    stagers = [int(p) for p in (tmp_path / "pids").read_text(encoding="ascii").split()]
    assert set(stagers) - {os.getpid()}, "no feed was written by a child"
    assert all_files(forked / "output") == all_files(plain / "output")
    assert not [p for p in (forked / "output").rglob("*") if p.name.startswith(".feeds-tmp")]


def test_a_file_made_in_large_chunks_is_written_a_megabyte_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of entries are large chunks: the writer holds about a megabyte of them
    before writing (a thousand of them held a whole feed of 5,000 issues)."""
    out_dir = tmp_path / "output"
    out_dir.mkdir()
    chunks = [bytes([65 + n]) * (700 << 10) for n in range(5)]
    writes: list[int] = []
    write_all = writer._write_all

    def noted(fd: int, batch: list[bytes]) -> None:
        writes.append(sum(len(c) for c in batch))
        write_all(fd, batch)

    monkeypatch.setattr(writer, "_write_all", noted)
    published = OutputDir(out_dir).publish({"atom.xml": lambda: iter(chunks)}, {})
    whole = b"".join(chunks)
    assert (out_dir / "atom.xml").read_bytes() == whole
    row = published.rows["atom.xml"]
    assert (row.digest, row.size) == (hashlib.sha256(whole).hexdigest(), len(whole))
    assert writes == [1400 << 10, 1400 << 10, 700 << 10]


def test_entry_rows_made_in_the_worker_are_those_the_build_stores_otherwise(
        tmp_path: Path) -> None:
    """A cold build stores each issue's entry rows as its worker wrote them: the text
    :meth:`feeds.store.Store.add_entries` makes of the rows themselves."""
    import json
    import sqlite3

    from feeds.site import _entry_rows

    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                         CONFIG + "max_items = 0\n")
    assert build(root)[0] == 0
    with sqlite3.connect(root / ".feeds" / "state.sqlite") as db:
        [(text,)] = db.execute("SELECT entries FROM entries").fetchall()
    rows = json.loads(text)
    assert len(rows) == 8 and all(len(r) == 4 for r in rows)
    from datetime import datetime

    from feeds.builder import Serialised
    again = [Serialised(k, datetime.fromisoformat(p), datetime.fromisoformat(u), n)
             for k, p, u, n in rows]
    assert text == json.dumps(_entry_rows(again), ensure_ascii=False)


def _pages(spool: Spool) -> dict[str, bytes | Spooled]:
    page = spool.page()
    for n in range(5):
        page.add(f"<li>第{n}期</li>\n".encode() * 4000)
    return {"sections/a/index.html": page.done(), "sections/b/index.html": b"<p>b</p>\n"}


def _bytes(pages: Mapping[str, bytes | Spooled]) -> dict[str, bytes]:
    return {p: d if isinstance(d, bytes) else b"".join(d()) for p, d in pages.items()}


@TWO_CORES
def test_pages_made_apart_are_the_pages_made_here() -> None:
    here = _bytes(_pages(Spool()))
    apart = begin(_pages, True)
    assert apart is not None
    pages = apart.pages()
    assert pages is not None and _bytes(pages) == here
    assert all(isinstance(p, Spooled) and p.digest == hashlib.sha256(here[path]).hexdigest()
               and p.size == len(here[path]) for path, p in pages.items())
    assert apart.pages() is None  # taken once
    assert begin(_pages, False) is None


@TWO_CORES
def test_a_child_that_fails_leaves_the_pages_to_this_process() -> None:
    def broken(spool: Spool) -> dict[str, bytes | Spooled]:
        raise KeyError("in the child")

    apart = begin(broken, True)
    assert apart is not None
    assert apart.take(lambda: {"sections/a/index.html": b"here"}) == {
        "sections/a/index.html": b"here"}


def _started(marker: Path) -> int:
    for _ in range(1000):
        if marker.exists() and marker.read_text():
            return int(marker.read_text())
        time.sleep(0.01)
    raise AssertionError("the child did not start")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@TWO_CORES
@pytest.mark.parametrize("how", ["stopped", "dropped", "all stopped"])
def test_a_child_not_waited_for_is_killed(tmp_path: Path, how: str) -> None:
    def slow(spool: Spool) -> dict[str, bytes | Spooled]:
        (tmp_path / "started").write_text(str(os.getpid()))
        time.sleep(60)
        return {}

    apart = begin(slow, True)
    assert apart is not None
    pid = _started(tmp_path / "started")
    if how == "stopped":
        apart.stop()
    elif how == "dropped":
        del apart
    else:  # as a build that failed does (feeds.site.run_build)
        stop_all()
        assert apart.pages() is None
    assert _gone(pid)


@TWO_CORES
@pytest.mark.parametrize("child", ["works", "fails"])
def test_a_cold_build_makes_its_section_pages_apart_as_the_plain_path_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, child: str) -> None:

    from feeds import apart, webedition

    plain, other = _twin_projects(tmp_path, "apart")
    made = apart.begin
    asked: list[bool] = []

    def never(make: Callable[[Spool], apart.Pages], wanted: bool) -> apart.Apart | None:
        asked.append(wanted)
        return made(make, False)

    monkeypatch.setattr(webedition, "begin", never)
    assert build(plain)[0] == 0
    assert asked == [True]
    answers: list[bool] = []
    pages = apart._Child.pages

    def noted(self: apart._Child) -> dict[str, bytes | Spooled] | None:
        found = pages(self)
        answers.append(found is not None)
        return found

    def broken(pages: apart.Pages, spool: Spool) -> bytes:
        raise OSError("the child cannot answer")  # in the child: it fails

    monkeypatch.setattr(webedition, "begin", made)
    monkeypatch.setattr(apart._Child, "pages", noted)
    if child == "fails":
        monkeypatch.setattr(apart, "_answer", broken)
    code, _, err = build(other)
    assert code == 0, err
    assert answers == [child == "works"]
    assert all_files(other / "output") == all_files(plain / "output")
    sections = [p for p in all_files(other / "output") if p.startswith("sections/")
                and p.endswith("index.html")]
    assert len(sections) >= 10


@TWO_CORES
def test_a_build_that_fails_before_taking_the_section_pages_kills_their_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child still making the section pages when the build fails (after the web
    edition, before publishing) is killed and reaped; the published files stay as
    they were, and no temporary file is left."""
    import shutil

    from corpus import write_corpus

    from feeds import apart, site

    root = write_project(tmp_path, {}, CONFIG + "max_items = 0\nsection_max_items = 0\n")
    write_corpus(12, root / "issues")
    assert build(root)[0] == 0
    before = all_files(root / "output")
    first = sorted((root / "issues").iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8").replace("# ", "# 更正 ", 1),
                     encoding="utf-8")
    shutil.rmtree(root / ".feeds")  # cold again: every issue parsed, the child begun
    fork = apart._fork
    forked: list[int] = []

    def noted(*args: Any) -> Any:
        child = fork(*args)
        if child is not None:
            forked.append(child.pid)
        return child

    def slow(pages: apart.Pages, spool: Spool) -> bytes:
        time.sleep(60)  # in the child: still at work when the build fails
        raise OSError("never answers")

    web_edition = site._web_edition

    def failing(*args: Any, **kwargs: Any) -> Any:
        web_edition(*args, **kwargs)  # the child begun
        raise WriteError("output: cannot write: no space left on the device")

    monkeypatch.setattr(apart, "_fork", noted)
    monkeypatch.setattr(apart, "_answer", slow)
    monkeypatch.setattr(site, "_web_edition", failing)
    started = time.monotonic()
    code, _, err = build(root)
    assert code == 4, err
    assert "no space left on the device" in err
    assert time.monotonic() - started < 30
    assert len(forked) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(forked[0], 0)  # killed and reaped, not a zombie
    assert all_files(root / "output") == before
