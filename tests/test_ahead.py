"""Work a build does meanwhile, on the second core: the few edited issues parsed in a
forked child (feeds.ahead) while the build goes on, its record packed by a thread while
it publishes. Their results are those of the same work done in the build's own process
(whatever the child does not answer in full is done there instead)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEED, reaped
from test_build import SECOND, all_files, build, write_project

import feeds.loader
from feeds.ahead import Ahead
from feeds.child import Child
from feeds.site import _packed_meanwhile
from feeds.store import Store

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
PARENT = os.getpid()
PARSE_ONE = feeds.loader._parse_one
NEW = SECOND + "\n## 空栏目\n"  # new section names (slugs made here), and a parser's warning


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("feeds.parallel.workers", lambda: 2)
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as the command line runs


def test_results_come_from_the_child_which_is_reaped() -> None:
    calls: list[int] = []

    def square(n: int) -> int:
        calls.append(n)  # in this process's list only when made here
        return n * n

    ahead = Ahead.begin(square, [2, 3])
    assert ahead is not None
    assert (ahead(3), ahead(2)) == (9, 4)
    assert calls == []
    assert reaped(ahead.child.pid)
    assert (ahead(5), ahead(2)) == (25, 4)  # not given to the child, or taken already: made here
    assert calls == [5, 2]


def test_a_child_that_fails_leaves_every_item_to_this_process() -> None:
    calls: list[int] = []

    def half(n: int) -> int:
        if os.getpid() != PARENT and n == 3:
            raise ValueError("in the child")
        calls.append(n)
        return n // 2

    ahead = Ahead.begin(half, [4, 3])
    assert ahead is not None
    assert (ahead(4), ahead(3)) == (2, 1)
    assert calls == [4, 3]
    assert reaped(ahead.child.pid)


@pytest.mark.parametrize("answer", [b"\x80\x05garbage", b"", b"\x80\x05]\x94(K\x01e."])  # [1]
def test_an_answer_that_does_not_fit_is_not_used(answer: bytes) -> None:
    """Torn, empty, or with another number of results than of items (one for two)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, answer)
        os._exit(0)
    os.close(write)
    calls: list[int] = []

    def same(n: int) -> int:
        calls.append(n)
        return n

    ahead = Ahead(same, [1, 2], Child(pid, read))
    assert (ahead(1), ahead(2)) == (1, 2)
    assert calls == [1, 2]
    assert reaped(pid)


def test_closed_before_its_answer_the_child_is_killed_and_reaped() -> None:
    ahead = Ahead.begin(time.sleep, [60.0])
    assert ahead is not None
    started = time.monotonic()
    ahead.close()
    assert time.monotonic() - started < 10
    assert reaped(ahead.child.pid)
    assert ahead.close() is None  # once


def test_no_child_without_a_second_core_or_with_other_threads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert Ahead.begin(abs, []) is None
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # feeds serve: never forked there
    assert Ahead.begin(abs, [1]) is None
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr("feeds.parallel.workers", lambda: 1)
    assert Ahead.begin(abs, [1]) is None


def _one_new(root: Path, monkeypatch: pytest.MonkeyPatch, tear: bool) -> tuple[list[str], str]:
    """Build one issue, add a second and build again, the parse child's answer torn if
    ``tear``: the files this process parsed in the second build, and its warnings."""
    write_project(root, {"2024-07-20-29.md": SEED.read_bytes()})
    assert build(root)[0] == 0
    (root / "issues" / "2024-07-27-30.md").write_text(NEW, encoding="utf-8")
    parsed_here: list[str] = []
    begin = Ahead.begin

    def counted(job: tuple[Path, str], options: object) -> object:
        if os.getpid() == PARENT:
            parsed_here.append(job[1])
        return PARSE_ONE(job, options)  # type: ignore[arg-type]

    def torn(func: object, items: object) -> Ahead | None:
        ahead = begin(func, items)  # type: ignore[arg-type]
        if ahead is not None:
            os.close(ahead.child.read)
            ahead.child.read = os.open(os.devnull, os.O_RDONLY)
        return ahead

    monkeypatch.setattr(feeds.loader, "_parse_one", counted)
    if tear:
        monkeypatch.setattr(Ahead, "begin", torn)
    code, _, err = build(root)
    assert code == 0, err
    return parsed_here, err.replace(str(root), "")


def test_a_new_issue_parsed_by_the_child_builds_as_a_cold_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One new issue, parsed in the child (nothing here), or here when the child's answer
    is torn: both outputs are a cold build's, byte for byte, and so are the warnings."""
    child, child_warnings = _one_new(tmp_path / "child", monkeypatch, tear=False)
    torn, torn_warnings = _one_new(tmp_path / "torn", monkeypatch, tear=True)
    assert (child, torn) == ([], [str(tmp_path / "torn" / "issues" / "2024-07-27-30.md")])
    monkeypatch.undo()
    monkeypatch.setattr("feeds.parallel.workers", lambda: 1)
    cold = write_project(tmp_path / "cold", {"2024-07-20-29.md": SEED.read_bytes(),
                                             "2024-07-27-30.md": NEW})
    code, _, cold_warnings = build(cold)
    assert code == 0
    assert "2024-07-27-30.md:32: warning: section 空栏目 has no articles" in cold_warnings
    for name, warnings in (("child", child_warnings), ("torn", torn_warnings)):
        assert all_files(tmp_path / name / "output") == all_files(cold / "output")
        assert warnings == cold_warnings.replace(str(cold), "")


def test_only_edited_files_whose_parse_is_not_stored_are_parsed_ahead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An issue put back as it was (its parse stored: the build takes it from the store)
    forks no parse; an edited one is parsed ahead."""
    root = write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes(),
                                    "2024-07-27-30.md": NEW})
    assert build(root)[0] == 0
    newest = root / "issues" / "2024-07-27-30.md"
    shutil.move(newest, tmp_path / "kept.md")
    assert build(root)[0] == 0
    shutil.move(tmp_path / "kept.md", newest)
    given: list[list[str]] = []
    begin = Ahead.begin

    def recorded(func: object, items: list[tuple[Path, str]]) -> Ahead | None:
        given.append([name for _, name in items])
        return begin(func, items)  # type: ignore[arg-type]

    monkeypatch.setattr(Ahead, "begin", recorded)
    assert build(root)[0] == 0
    newest.write_text(NEW.replace("新栏目。", "新栏目，改过。"), encoding="utf-8")
    assert build(root)[0] == 0
    assert given == [[], [str(newest)]]


def test_import_quietly_freezes_what_loads_once_and_leaves_the_collector_as_it_was() -> None:
    script = """
import gc, sys
from feeds.site import _import_quietly
assert "feeds.webedition" not in sys.modules
frozen = gc.get_freeze_count()
_import_quietly("feeds.webedition")
after = gc.get_freeze_count()
assert "feeds.webedition" in sys.modules and gc.isenabled(), "loaded, collector on"
assert after > frozen + 10_000 and gc.get_count()[0] < 1000, (frozen, after, gc.get_count())
_import_quietly("feeds.webedition")
assert gc.get_freeze_count() == after, "modules loaded before: nothing frozen"
gc.disable()
_import_quietly("feeds.hosting")
assert not gc.isenabled(), "a collector that was off stays off"
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=ENV, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")


def test_a_build_record_packed_meanwhile_is_the_one_packed_here(tmp_path: Path) -> None:
    files = [f"sections/s{n}/atom.xml" for n in range(3000)]
    warnings = [[f"issues/{n}.md", n, "warning", f"问题 {n}\n"] for n in range(4000)]
    store = Store.open(tmp_path)
    try:
        store.begin()
        store.save_build("here", "inputs", 7, files, warnings)
        store.save_packed_build("meanwhile", "inputs", 7, _packed_meanwhile(files, warnings)())
        store.commit()
        rows = {o: (f, w) for o, f, w in store.db.execute("SELECT output, files, warnings FROM builds")}
        assert rows["meanwhile"] == rows["here"]
        assert store.last_build("meanwhile") == ("inputs", 7, files, warnings)
    finally:
        store.close()
