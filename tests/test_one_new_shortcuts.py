"""Two shortcuts of a build after one new issue, each against its plain path: the issue
files found and looked at by a child forked as the command starts (feeds.firstlook),
and the digest entries' records read as the plan asks for them rather than all first
(feeds.corrections.StoredDigests, site.DIGESTS_AS_ASKED). Each gives what the plain
path gives, byte for byte, warnings included, over a history with new issues, edits
(corrections), removals, re-datings and an issue dated ahead; or falls back to it.
And the newest issues' rows read from the newest end (Store.page_issues_between)."""

from __future__ import annotations

import os
import random
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from corpus import write_corpus
from test_build import CONFIG, all_files, build, write_project

import feeds.site
import feeds.sources
from feeds import firstlook
from feeds.config import load_config
from feeds.corrections import StoredCorrections, StoredDigests, digest_records
from feeds.sources import LookedFirst, find_issue_names, look, packs, survey
from feeds.store import Store

SMALL = ('max_items = 10\nsection_max_items = 5\ndigest_max_items = 3\n'
         'archive_page_size = 4\n')


@pytest.fixture(autouse=True)
def _patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The builds wait for the child (a build in a hurry looks itself: see
    test_a_child_not_done_is_not_waited_for)."""
    monkeypatch.setattr(firstlook, "GRACE", 60.0)
    monkeypatch.setattr(firstlook, "FROM_BYTES", 0)  # (small folders too)


@pytest.fixture(autouse=True)
def _no_thread_running() -> None:
    """No child is forked while a thread runs (firstlook.begin), so a thread another
    test left running would make these tests fail as if the child were never begun:
    say so plainly instead, naming it (a hub's accept loop once did, in CI only)."""
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(5)
    left = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    assert not left, f"threads left running by an earlier test: {left}"


BASE = 1_700_000_000  # the issue files' mtimes: fixed, far behind the clock


def _touch(path: Path, at: int) -> None:
    os.utime(path, (at, at))


def _step(issues: Path, step: str, at: int) -> None:
    """One editor's step, the same in every project (the files' times included)."""
    if step == "add":
        touched = write_corpus(1, issues, start=40)
    elif step == "edit":  # a correction of an article published long ago
        [path] = issues.glob("2005-07-25-*.md")
        path.write_text(path.read_text(encoding="utf-8").replace(
            "**摘要:**", "**摘要:** 更正：", 1), encoding="utf-8")
        touched = [path]
    elif step == "remove":
        [path] = issues.glob("2005-03-14-*.md")
        path.unlink()
        touched = []
    elif step == "redate":  # the same issue, a day later by its file's name
        [path] = issues.glob("2005-05-23-*.md")
        touched = [path.rename(path.with_name(path.name.replace("05-23", "05-24")))]
    elif step == "ahead":  # dated years ahead: a warning, and a digest entry dated then
        touched = write_corpus(1, issues, start=1300)
    else:
        raise AssertionError(step)
    for path in touched:
        _touch(path, at)


@pytest.mark.parametrize("config", ["", SMALL], ids=["default", "small"])
def test_builds_are_those_of_the_plain_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              config: str) -> None:
    taken: list[bool] = []
    real = firstlook.taken

    def counted(folder: Path) -> object:
        found = real(folder)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(firstlook, "taken", counted)
    sites = {}
    for on in (True, False):
        site = write_project(tmp_path / str(on), {}, CONFIG + config)
        for path in write_corpus(40, site / "issues"):
            _touch(path, BASE)
        sites[on] = site
    for at, step in enumerate(("", "add", "edit", "remove", "redate", "ahead", "add"), 1):
        made: dict[bool, tuple[dict[str, bytes], str]] = {}
        for on, site in sites.items():
            if step:
                _step(site / "issues", step, BASE + 1000 * at)
            monkeypatch.setattr(feeds.site, "DIGESTS_AS_ASKED", on)
            monkeypatch.setattr(firstlook, "FIRST_LOOK", on)
            taken.clear()
            firstlook.begin(["build", "--issues", str(site / "issues")])
            code, _, err = build(site)
            firstlook.end()
            assert code == 0, err
            assert taken == ([True] if on else []) or len(os.sched_getaffinity(0)) < 2
            made[on] = (all_files(site / "output"), err.replace(str(site), "SITE"))
        assert made[True] == made[False], step
    assert any("more than a day in the future" in line for line in made[True][1].splitlines())


# -- the digest records as asked, against all of them read first


_FORMS = [  # what a row's ``updated`` may hold (as the table's CHECK allows): as the
    # tool writes it, or not
    "{d}T{t}+08:00", "{d}T{t}.250000+08:00", "{d}T{t}Z", "{d}T{t}", "{d}T{t}+05:30:15",
    "{d}T{t}-23:59", "{d}T{t}+0800", "{d}T99:99:99+00:00", "{d}T{t}+08:00 and more",
]


def _rows(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for i in range(count):
        when = datetime(2005, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(0, 60 * 365 * 86400))
        form = rng.choice(_FORMS)
        rows.append((f"tag:news.example.org,{when.year}:issue-{when.year}-{i}",
                     rng.choice(["1" * 64, "2" * 64]),
                     form.format(d=when.date().isoformat(), t=when.strftime("%H:%M:%S"))))
    return rows


def _store(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Store:
    store = Store.open(tmp_path)
    store.begin()
    store.db.executemany("INSERT INTO digests VALUES ('L', ?, ?, ?)", rows)
    store.db.execute("INSERT INTO digests VALUES ('other', 'x', ?, '2030-01-01T00:00:00+00:00')",
                     ("3" * 64,))
    return store


@pytest.mark.parametrize("seed", range(6))
def test_stored_digests_are_the_records_read_first(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    rows = _rows(rng, rng.choice([0, 1, 40, 300]))
    store = _store(tmp_path, rows)
    reference = digest_records(store.digests("L"))
    asked = StoredDigests(store, "L")
    assert bool(asked) == bool(reference)
    for ident, _, _ in rows[:50]:
        assert (ident in asked) == (ident in reference)
        assert asked.get(ident) == reference.get(ident)
    assert "tag:none" not in asked and asked.get("x") is None  # another ledger's
    stamps = [u.timestamp() for _, u in reference.values()]
    nows = [*rng.sample(stamps, min(len(stamps), 8)), *(s + 0.5 for s in stamps[:4]),
            time.time(), time.time() + 3000, 0.0, 4e9]
    for now in nows:
        assert StoredDigests(store, "L").newest_until(now) == max(
            (s for s in stamps if s <= now), default=None)
    found = {ident: ("4" * 64, datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=8))))
             for ident, _, _ in rng.sample(rows, min(len(rows), 3))}
    found["tag:news.example.org,2031:issue-2031-1"] = ("4" * 64, datetime(2031, 1, 1, tzinfo=UTC))
    merged = {**reference, **found}
    for since in [datetime(2000, 1, 1, tzinfo=UTC), datetime(2019, 6, 1, tzinfo=UTC),
                  *(u for _, u in list(merged.values())[:5]), datetime(2099, 1, 1, tzinfo=UTC)]:
        view = StoredDigests(store, "L").with_found(found)
        assert list(view) == list(merged) and len(view) == len(merged)
        assert [(k, v) for k, v in view.updated_after(since) if v[1] > since] \
            == [(k, v) for k, v in merged.items() if v[1] > since]
    store.rollback()
    store.close()


def test_corrected_issues_are_those_of_the_records_read_first(tmp_path: Path) -> None:
    """The issues whose digest entry moved, found by StoredCorrections over either."""
    site = write_project(tmp_path / "site", {}, CONFIG + SMALL)
    write_corpus(12, site / "issues")
    assert build(site)[0] == 0
    [path] = (site / "issues").glob("2005-01-17-*.md")
    path.write_text(path.read_text(encoding="utf-8").replace("**摘要:**", "**摘要:** 更正：", 1),
                    encoding="utf-8")
    assert build(site)[0] == 0
    store = Store.open(site / ".feeds")
    [ledger] = {row[0] for row in store.db.execute("SELECT ledger FROM digests")}
    config = load_config(site / "feeds.toml")
    reference = digest_records(store.digests(ledger))
    for since in sorted({u for _, u in reference.values()}):
        plain = StoredCorrections(store, ledger, config, reference)
        asked = StoredCorrections(store, ledger, config,
                                  StoredDigests(store, ledger).with_found({}))
        assert [i.path for i in asked.issues(since)] == [i.path for i in plain.issues(since)]
    assert list(StoredCorrections(store, ledger, config, reference).issues(
        min(u for _, u in reference.values())))  # the corrected issue
    store.close()


# -- the issue files as the child of feeds.firstlook found them


def _folder(tmp_path: Path) -> Path:
    issues = tmp_path / "issues"
    write_corpus(30, issues)
    (issues / "sub").mkdir()
    write_corpus(3, issues / "sub", start=30)
    (issues / "README.md").write_text("read me", encoding="utf-8")
    (issues / ".hidden.md").write_text("x", encoding="utf-8")
    (issues / "_draft.md").write_text("x", encoding="utf-8")
    (issues / "folder.md").mkdir()
    (issues / "2024-01-01-1.MD").write_text("x", encoding="utf-8")  # misnamed
    (issues / "gone.md").symlink_to(tmp_path / "nowhere.md")  # looked at again: fails
    (issues / os.fsdecode(b"2024-\xff-2.md")).write_text("x", encoding="utf-8")
    return issues


def test_the_childs_answer_is_what_the_build_finds(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    issues = _folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    for given in ("issues", "./issues/", str(issues)):
        firstlook.begin(["build", "-q", "--issues", given])
        names, misnamed, stats = survey(Path(given))
        assert isinstance(stats, LookedFirst), given  # the child's
        odd: list[str] = []
        assert names == find_issue_names([Path(given)], odd) and misnamed == odd
        looked = look(names)
        assert packs(stats) == packs(looked) and None in packs(stats)
        for st, plain in zip(stats, looked, strict=True):
            if isinstance(plain, OSError):
                assert isinstance(st, OSError) and st.errno == plain.errno
            else:
                assert (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) == \
                    (plain.st_size, plain.st_mtime_ns, plain.st_ctime_ns, plain.st_ino)


def test_an_answer_not_for_this_build_is_not_taken(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    issues = _folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    firstlook.begin(["build", "--issues", str(other)])
    assert firstlook.taken(issues) is None  # another folder
    firstlook.begin(["build", "--issues", str(issues)])
    assert firstlook.taken(issues) is not None and firstlook.taken(issues) is None  # once
    monkeypatch.setattr(firstlook, "MAX_AGE", 0.0)
    firstlook.begin(["build", "--issues", str(issues)])
    time.sleep(0.01)
    assert firstlook.taken(issues) is None  # too old: a file may have changed since
    firstlook.begin(["build", "--issues", str(other)])
    assert not isinstance(survey(issues)[2], LookedFirst)  # looked at here
    monkeypatch.setattr(firstlook, "MAX_AGE", 60.0)
    for args in (["serve"], ["build", "--help"], ["check", "--issues", "issues"],
                 ["build", "--issues"], ["--version"], []):
        firstlook.begin(args)
        assert not firstlook._begun, args
    firstlook.begin(["build", "--issues", str(tmp_path / "missing")])
    assert not firstlook._begun
    monkeypatch.setattr(firstlook, "FROM_BYTES", (issues.stat().st_size or 1) * 2)
    firstlook.begin(["build", "--issues", str(issues)])
    assert not firstlook._begun  # a folder of a few files: the build looks itself
    monkeypatch.setattr(firstlook, "FROM_BYTES", 0)
    firstlook.begin(["build", "--issues=issues"])
    firstlook.end()  # not taken: stopped, and reaped
    assert not firstlook._begun


@pytest.mark.parametrize("cut", [0, 5, 20, -1, -33])
def test_a_malformed_answer_is_none(tmp_path: Path, cut: int) -> None:
    issues = _folder(tmp_path)
    answer = firstlook._looked(str(issues))
    assert firstlook._read(answer) is not None
    broken = answer[:cut] if cut else b"XXXX" + answer[4:]
    assert firstlook._read(broken) is None
    assert firstlook._read(answer + b"\0" * 32) is None


# -- the newest issues' rows, read from the newest end


def _put(store: Store, file: str, year: int, number: int, stamp: float, day: str) -> None:
    path = f"issues/{file}"
    store.put_catalog(file, (path, file, year, number, f"{day}T00:00:00+08:00", "file name",
                             f"k{file}", "[]", None, 1), stamp, stamp, [])


@pytest.mark.parametrize("seed", range(4))
def test_each_block_of_issues_is_that_of_every_issue(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = Store.open(tmp_path)
    store.begin()
    assert store.catalog_files("context") == set()
    for i in range(60):  # ties of dates, years and numbers among them
        stamp = 1.7e9 + 604800 * rng.randrange(40)
        _put(store, f"{i:03}.md", 2020 + i % 3, i % 7 + 1, stamp, "2024-01-01")
    for i in rng.sample(range(60), 9):  # put again: after the others in the order of rowids
        _put(store, f"{i:03}.md", 2020 + i % 3, i % 7 + 1, 1.7e9 + 604800 * rng.randrange(40),
             "2024-02-02")
    every = store.page_issues()
    for start, stop in [(0, 5), (len(every) - 7, len(every)), (len(every) - 1, len(every)),
                        (30, 41), (len(every) // 2, len(every) // 2 + 3), (0, len(every))]:
        assert store.page_issues_between(start, stop) == every[start:stop]
    store.rollback()
    store.close()


def test_a_child_not_done_is_not_waited_for(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy machine keeps it waiting: the build looks itself, the same."""
    site = write_project(tmp_path / "site", {}, CONFIG + SMALL)
    write_corpus(12, site / "issues")
    assert build(site)[0] == 0
    monkeypatch.setattr(firstlook, "GRACE", 0.0)
    looked = firstlook._looked

    def slow(folder: str) -> bytes:
        time.sleep(2)
        return looked(folder)

    monkeypatch.setattr(firstlook, "_looked", slow)
    taken = firstlook.taken
    answers: list[object] = []
    monkeypatch.setattr(firstlook, "taken", lambda folder: answers.append(taken(folder)))
    write_corpus(1, site / "issues", start=12)
    firstlook.begin(["build", "--issues", str(site / "issues")])
    child = firstlook._begun[0][0]
    code, _, err = build(site)
    assert code == 0, err
    assert answers == []  # not waited for: the build looked itself
    assert child.ended and not firstlook._begun  # the child stopped, and reaped
    clean = write_project(tmp_path / "clean", {}, CONFIG + SMALL)
    for path in (site / "issues").iterdir():
        (clean / "issues" / path.name).write_bytes(path.read_bytes())
    assert build(clean)[0] == 0
    assert all_files(site / "output") == all_files(clean / "output")


@pytest.mark.parametrize("given", ["issues", "./issues/", "issues//2024/", ".", "", "/", "//",
                                   "///x", "//x/./y", "a/../b", "./", "x/.", "./.hidden"])
def test_a_folder_as_the_child_names_it_is_as_pathlib_names_it(given: str) -> None:
    assert firstlook.as_path(given) == str(Path(given))


def test_an_answer_that_comes_while_the_build_looks_itself_is_taken(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issues = tmp_path / "issues"
    write_corpus(40, issues)
    monkeypatch.setattr(firstlook, "GRACE", 0.0)
    monkeypatch.setattr(feeds.sources, "SURVEY_PART", 1)
    looked = firstlook._looked

    def late(folder: str) -> bytes:
        time.sleep(0.2)
        return looked(folder)

    monkeypatch.setattr(firstlook, "_looked", late)
    plain = feeds.sources.look

    def slow(files: list[str]) -> object:
        time.sleep(0.02)
        return plain(files)

    monkeypatch.setattr(feeds.sources, "look", slow)
    firstlook.begin(["build", "--issues", str(issues)])
    names, misnamed, stats = survey(issues)
    assert isinstance(stats, LookedFirst) and not firstlook._begun  # taken, midway
    assert names == find_issue_names([issues]) and misnamed == []
    assert packs(stats) == packs(plain(names))


def test_a_child_stopped_is_not_waited_for_and_reaped_once_it_ends() -> None:
    from feeds import child as child_module

    child = child_module.Child.fork(lambda: time.sleep(30) or b"", brief=True)
    assert child is not None
    started = time.monotonic()
    child.stop()
    assert child.ended and time.monotonic() - started < 1
    deadline = time.monotonic() + 10
    while child.pid in child_module._stopped and time.monotonic() < deadline:
        time.sleep(0.01)
        child_module.reap_stopped()
    assert child.pid not in child_module._stopped
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped: no such child any more
