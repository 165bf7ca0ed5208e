"""The build's state: a SQLite store outside output/, safe to lose, damage or lock."""

from __future__ import annotations

import errno
import fcntl
import functools
import os
import pickle
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEED, damage_on_disk
from corpus import write_corpus
from test_build import CONFIG, SECOND, all_files, build, write_project

from feeds import store as store_module
from feeds.formats import FORMATS

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
TABLES = ["archive_marks", "archive_pages", "builds", "catalog", "catalog_sections", "corrected",
          "digests", "edits", "entries", "fragments", "issues", "ledgers", "meta", "page_issues",
          "page_keys", "page_marks", "page_parts", "parsed", "published", "revisions", "slugs",
          "sources"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project", {"2024-07-20-29.md": SEED.read_bytes()})


@functools.cache
def published(second: bool = False) -> list[str]:
    """Every file a clean build of the seed issue (and the second) publishes."""
    with tempfile.TemporaryDirectory() as folder:
        issues = {"2024-07-20-29.md": SEED.read_bytes()}
        if second:
            issues["2024-07-27-30.md"] = SECOND
        root = write_project(Path(folder), issues)
        assert build(root)[0] == 0
        return every_file(root / "output")


def every_file(out: Path) -> list[str]:
    """Every file under ``out``, dot files included."""
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def clean_build(project: Path, where: Path) -> dict[str, bytes]:
    """The output of a build from scratch of the same issues and config elsewhere."""
    shutil.copytree(project / "issues", where / "issues")
    shutil.copy(project / "feeds.toml", where / "feeds.toml")
    code, _, err = build(where)
    assert code == 0, err
    return all_files(where / "output")


def database(project: Path) -> Path:
    return project / ".feeds" / "state.sqlite"


def query(path: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


# ---------------------------------------------------------------- where it lives

def test_state_is_beside_the_config_and_output_holds_only_published_files(project: Path) -> None:
    assert build(project)[0] == 0
    assert every_file(project / "output") == published()
    assert sorted(p.name for p in (project / ".feeds").iterdir()) == ["build.lock",
                                                                     "state.sqlite"]
    tables = query(database(project), "SELECT name FROM sqlite_master WHERE type = 'table'")
    assert sorted(t for (t,) in tables) == TABLES
    assert query(database(project), "PRAGMA journal_mode") == [("wal",)]
    assert query(database(project), "SELECT path FROM published ORDER BY path") == \
        [(p,) for p in published()]


def test_state_flag_and_config_key_move_it(project: Path, tmp_path: Path) -> None:
    assert build(project, "--state", str(tmp_path / "elsewhere"))[0] == 0
    assert (tmp_path / "elsewhere" / "state.sqlite").is_file()
    assert not (project / ".feeds").exists()
    with (project / "feeds.toml").open("a", encoding="utf-8") as toml:
        toml.write('state = "var/feeds"\n')
    code, _, err = build(project)
    assert (code, err) == (0, "")
    assert (project / "var" / "feeds" / "state.sqlite").is_file()
    assert not (project / ".feeds").exists()
    assert every_file(project / "output") == published()


def test_no_pickle_in_the_old_state_folder_is_ever_loaded(project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple:
            return os.system, (f"touch {marker}",)

    legacy = project / "output" / ".feeds"
    (legacy / "parsed").mkdir(parents=True)
    for name in ("fragments.pickle", "parsed/pack.pickle", "parsed/abc.pickle"):
        (legacy / name).write_bytes(pickle.dumps(Payload()))
    (legacy / "manifest.json").write_text('{"files": 5}', encoding="utf-8")
    (legacy / "state.json").write_text("{not json", encoding="utf-8")
    (legacy / "build.lock").write_bytes(b"")
    code, _, err = build(project)
    assert (code, err) == (0, "")
    assert not marker.exists()
    assert every_file(project / "output") == published()  # the old state is gone from output/
    assert not legacy.exists()


# ---------------------------------------------------------------- losing or damaging it

def test_deleting_the_state_folder_is_safe(project: Path, tmp_path: Path) -> None:
    assert build(project)[0] == 0
    shutil.rmtree(project / ".feeds")
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    code, _, err = build(project)
    assert (code, err) == (0, "")
    assert all_files(project / "output") == clean_build(project, tmp_path / "clean")
    assert every_file(project / "output") == published(True)
    assert build(project)[1].endswith("(nothing changed)\n")


def test_files_of_others_are_still_refused_without_the_state(project: Path) -> None:
    assert build(project)[0] == 0
    shutil.rmtree(project / ".feeds")
    out = project / "output"
    (out / "rss.xml").write_text('<?xml version="1.0"?><rss><channel><generator>other'
                                 "</generator></channel></rss>", encoding="utf-8")
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    code, stdout, err = build(project)
    assert (code, stdout) == (4, "")
    assert err == (f"feeds: error: {out / 'rss.xml'}: exists and was not written by feeds; "
                   "move it away or choose another --output folder\n")
    assert (out / "rss.xml").read_text(encoding="utf-8").endswith("other</generator>"
                                                                   "</channel></rss>")
    assert every_file(out) == published()  # nothing half-published, no temporary left


def test_its_own_pages_are_adopted_by_their_mark(project: Path, tmp_path: Path) -> None:
    assert build(project)[0] == 0
    shutil.rmtree(project / ".feeds")
    out = project / "output"
    for name in ("index.html", "feeds.opml", "atom.xml"):
        (out / name).write_bytes((out / name).read_bytes().replace("云计算".encode(), b"x"))
    code, stdout, err = build(project)
    assert (code, err) == (0, "")
    assert sorted(line.split()[-1] for line in stdout.splitlines()[:-1]) == \
        [str(out / n) for n in ("atom.xml", "feeds.opml", "index.html")]
    assert all_files(out) == clean_build(project, tmp_path / "clean")


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is no database\n" * 400)


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _foreign(path: Path) -> None:
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.execute("INSERT INTO notes VALUES ('mine')")
    db.commit()
    db.close()


@pytest.mark.parametrize(("damage", "reason"), [
    (_garbage, "file is not a database"),
    (_truncated, "database disk image is malformed"),
    (_foreign, "a SQLite database of another program (application_id 0x0)"),
])
def test_a_damaged_database_is_set_aside_and_the_build_goes_cold(
        project: Path, tmp_path: Path, damage, reason: str) -> None:
    write_corpus(3, project / "issues")
    assert build(project)[0] == 0
    damage(database(project))
    broken = database(project).read_bytes()
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    code, _, err = build(project)
    assert code == 0
    assert err.splitlines()[0] == (f"{database(project)}: warning: not a usable state database "
                                   f"({reason}); set aside as state.sqlite.broken, building "
                                   "from scratch")
    assert "state" not in "".join(err.splitlines()[1:])  # (the corpus has a gap in numbers)
    assert (project / ".feeds" / "state.sqlite.broken").read_bytes() == broken
    assert all_files(project / "output") == clean_build(project, tmp_path / "clean")
    code, stdout, _ = build(project)
    assert code == 0 and stdout.endswith("(nothing changed)\n")


@pytest.mark.parametrize(("version", "which"), [(7, "an older"), (0, "an older"),
                                                 (store_module.SCHEMA_VERSION + 1, "a newer")])
def test_the_state_of_another_version_is_set_aside_with_a_warning(
        project: Path, tmp_path: Path, version: int, which: str) -> None:
    """Its corrections cannot be read by this version: the file is kept under a name
    of its own, and the warning says what a cold build loses."""
    assert build(project)[0] == 0
    with sqlite3.connect(database(project)) as db:
        db.execute(f"PRAGMA user_version = {version}")
    db.close()
    old = database(project).read_bytes()
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    code, _, err = build(project)
    assert (code, err) == (0, (
        f"{database(project)}: warning: the state of {which} version of feeds (schema "
        f"{version}; this version's is {store_module.SCHEMA_VERSION}); set aside as "
        f"state.sqlite.schema-{version}, building from scratch: the corrections it recorded "
        "are not carried over (each entry's updated starts again from its published)\n"))
    assert (project / ".feeds" / f"state.sqlite.schema-{version}").read_bytes() == old
    assert all_files(project / "output") == clean_build(project, tmp_path / "clean")
    code, stdout, err = build(project)
    assert (code, err) == (0, "") and stdout.endswith("(nothing changed)\n")


DEEP = "[" * 100_000  # JSON nested deeper than Python's parser goes (RecursionError)


CATALOG_ROW = "the catalog row of .*/2024-07-2\\d-\\d\\d\\.md cannot be read: [^\\n]+"
PARSE_RESULT = "the parse result [0-9a-f]{64} is damaged \\(not the bytes stored\\)"


@pytest.mark.parametrize(("sql", "value", "set_aside"), [
    ("UPDATE entries SET entries = ?", DEEP, False),
    ("UPDATE parsed SET result = ?", DEEP.encode(), PARSE_RESULT),
    ("UPDATE issues SET summary = ?", DEEP.encode(), False),
    ("UPDATE revisions SET records = ?", DEEP, False),
    ("UPDATE archive_marks SET marks = ?", DEEP, False),
    ("UPDATE catalog SET sections = ?", DEEP, True),
    ("UPDATE catalog SET sections = ?", "not json", True),
    ("UPDATE catalog SET sections = ?", "[[1, 2]]", True),
    ("UPDATE catalog SET diagnostics = ?", DEEP, True),
    ("INSERT OR REPLACE INTO slugs VALUES ('分布式系统', ?)", "../../evil", False),
    *((f"UPDATE {table} SET {column} = {planted}", "../../evil", aside)
      for table, column, at, aside in (("parsed", "result", 5, PARSE_RESULT),
                                       ("issues", "summary", 7, False))
      for planted in (f"CAST(json_replace(CAST({column} AS TEXT), '$[{at}][0][1]', ?) AS BLOB)",)),
    ("UPDATE catalog SET sections = json_replace(sections, '$[0][1]', ?)", "../../evil", True),
])
def test_a_planted_row_is_made_again_or_the_database_set_aside(
        project: Path, tmp_path: Path, sql: str, value: str | bytes, set_aside: bool | str
) -> None:
    """A row that cannot be read is made again from the issues; one of the catalog,
    which the plan cannot do without, or a parse result not as stored (its CRC-32),
    makes the database damaged: set aside with a warning, a cold build. Never exit
    70, and the output is a clean build's."""
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    for issue in (project / "issues").iterdir():  # settled: not changed in the last seconds
        os.utime(issue, (time.time() - 60, time.time() - 60))
    assert build(project)[0] == 0
    if sql.startswith("UPDATE catalog"):  # edited by hand, the catalog is made again whole:
        assert damage_on_disk(database(project), "catalog", sql, value) > 0  # damaged on disk
    else:
        with sqlite3.connect(database(project)) as db:
            assert db.execute(sql, (value,)).rowcount > 0
        db.close()
    second = project / "issues" / "2024-07-27-30.md"
    second.write_text(SECOND + "\n", encoding="utf-8")  # read again, the same issue
    code, _, err = build(project)
    assert code == 0, err
    if set_aside:
        reason = CATALOG_ROW if set_aside is True else set_aside
        assert re.fullmatch(
            f"{re.escape(str(database(project)))}: warning: not a usable state database "
            f"\\({reason}\\); set aside as state.sqlite.broken, building from scratch\n",
            err), err
    else:
        assert err == ""
    assert all_files(project / "output") == clean_build(project, tmp_path / "clean")


@pytest.mark.parametrize(("table", "column", "at"), [("parsed", "result", 5),
                                                     ("issues", "summary", 7)])
def test_text_where_a_blob_is_stored_is_refused(project: Path, table: str, column: str,
                                                at: int) -> None:
    """The tables are STRICT: a parse result or summary planted as text (where the build
    stores bytes) is refused by the database itself."""
    assert build(project)[0] == 0
    with sqlite3.connect(database(project)) as db, pytest.raises(
            sqlite3.IntegrityError, match=f"cannot store TEXT value in BLOB column {table}."):
        db.execute(f"UPDATE {table} SET {column} = json_replace(CAST({column} AS TEXT), "
                   f"'$[{at}][0][1]', ?)", ("../../evil",))
    db.close()


def test_a_deleted_database_means_a_cold_build(project: Path) -> None:
    assert build(project)[0] == 0
    good = all_files(project / "output")
    database(project).unlink()
    code, stdout, err = build(project)
    assert (code, err) == (0, "")
    assert stdout.startswith("18 feeds, 0 changed")
    assert all_files(project / "output") == good


def test_a_locked_database_means_a_build_without_it(project: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert build(project)[0] == 0
    before = query(database(project), "SELECT count(*) FROM parsed")
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(database(project), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
        code, _, err = build(project)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 0
    assert err == (f"{database(project)}: warning: cannot use the state database (database is "
                   "locked); building from scratch without it, nothing is saved\n")
    assert every_file(project / "output") == published(True)
    assert query(database(project), "SELECT count(*) FROM parsed") == before
    code, stdout, err = build(project)  # unlocked: it catches up and is consistent again
    assert (code, err) == (0, "") and stdout.startswith("21 feeds, 0 changed")


def test_a_read_only_database_means_a_build_without_it(project: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert build(project)[0] == 0
    real = sqlite3.connect

    def read_only(path: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if str(path).endswith("state.sqlite"):
            return real(f"file:{path}?mode=ro", *args, uri=True, **kwargs)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    code, _, err = build(project)
    assert code == 0
    assert err == (f"{database(project)}: warning: cannot use the state database (attempt to "
                   "write a readonly database); building from scratch without it, nothing is "
                   "saved\n")
    assert every_file(project / "output") == published(True)


def test_a_state_folder_that_cannot_be_made_is_exit_4(project: Path) -> None:
    (project / "blocker").write_text("a file, not a folder", encoding="utf-8")
    code, _, err = build(project, "--state", str(project / "blocker" / "state"))
    assert code == 4
    assert err == f"feeds: error: {project / 'blocker' / 'state'}: cannot write: Not a directory\n"
    assert not (project / "output" / "atom.xml").exists()


def test_an_unwritable_lock_file_is_exit_4(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from filelock import FileLock

    def denied(self: FileLock, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(FileLock, "acquire", denied)
    code, _, err = build(project)
    assert code == 4
    assert err == f"feeds: error: {project / '.feeds' / 'build.lock'}: cannot write: Permission denied\n"


def test_a_read_only_output_with_state_is_exit_4_naming_the_path(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a user other than root meets it: no new file can be made in output/."""
    assert build(project)[0] == 0
    out = project / "output"
    good = all_files(out)
    real = os.open

    def read_only(path: str, flags: int, *args: object, **kwargs: object) -> int:
        if flags & os.O_CREAT and Path(path).is_relative_to(out):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only)
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    code, stdout, err = build(project)
    assert (code, stdout) == (4, "")
    assert err == f"feeds: error: {out / 'archive.html'}: cannot write: Permission denied\n"
    assert all_files(out) == good
    monkeypatch.undo()
    assert build(project)[0] == 0
    assert every_file(out) == published(True)


# ---------------------------------------------------------------- temporary files

def test_only_its_own_temporary_files_are_removed(project: Path) -> None:
    assert build(project)[0] == 0
    out = project / "output"
    theirs = [out / ".notes.tmp", out / "sections" / ".draft.tmp", out / ".atom.xml.tmp"]
    for path in theirs:
        path.write_text("keep me", encoding="utf-8")
    # left by a killed build: named as this version names them, and as older ones did
    (out / ".feeds-tmp-atom.xml.0f1e2d3c4b5a").write_bytes(b"<feed")
    (out / "sections" / "fen-bu-shi-xi-tong" / ".feeds-tmp-rss.xml.k2j3_h4x").write_bytes(b"<rss")
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    assert build(project)[0] == 0
    assert all(p.read_text(encoding="utf-8") == "keep me" for p in theirs)
    assert every_file(out) == sorted([*published(True), ".atom.xml.tmp", ".notes.tmp",
                                      "sections/.draft.tmp"])


def test_every_cold_build_leaves_a_whole_store(tmp_path: Path) -> None:
    """No writer races the clean-up: after each cold build the store holds every
    published entry and every parsed issue (it once lost them one build in fifteen)."""
    root = write_project(tmp_path, {}, 'base_url = "https://x.example/"\nmax_items = 0\n'
                                       "section_max_items = 0\ndigest_max_items = 0\n")
    write_corpus(66, root / "issues")  # enough for the parallel path
    for _ in range(4):
        shutil.rmtree(root / "output", ignore_errors=True)
        shutil.rmtree(root / ".feeds", ignore_errors=True)
        assert build(root)[0] == 0
        entries = sum((root / "output" / path).read_bytes().count(b"<entry>")
                      for path in ("atom.xml", "digest/atom.xml"))
        assert query(root / ".feeds" / "state.sqlite",  # one row per entry, a column a format
                     "SELECT count(*), count(data0), count(data1), count(data2) "
                     "FROM fragments") == [(entries, *(entries for _ in FORMATS))]
        assert query(root / ".feeds" / "state.sqlite", "SELECT count(*) FROM parsed") == [(66,)]
        assert every_file(root / ".feeds") == ["build.lock", "state.sqlite"]


# ---------------------------------------------------------------- incremental builds

def test_cross_file_errors_are_found_with_a_warm_store(project: Path) -> None:
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    assert build(project)[0] == 0
    good = all_files(project / "output")
    (project / "issues" / "2024-08-03-30.md").write_text(SECOND, encoding="utf-8")
    code, _, err = build(project)
    assert code == 1
    assert err.splitlines() == [
        f"{project / 'issues' / '2024-08-03-30.md'}:1: error: issue 2024 No. 30 is also in "
        f"{project / 'issues' / '2024-07-27-30.md'}; give each issue its own number",
        "feeds: 1 error; nothing was written"]
    (project / "issues" / "2024-08-03-30.md").unlink()
    with (project / "feeds.toml").open("a", encoding="utf-8") as toml:
        toml.write('[sections]\n"新栏目" = "fen-bu-shi-xi-tong"\n')
    code, _, err = build(project)
    assert code == 1 and "has the slug 'fen-bu-shi-xi-tong', like section 分布式系统" in err
    assert all_files(project / "output") == good


def test_an_undated_issue_keeps_its_date_and_warning(project: Path) -> None:
    undated = project / "issues" / "undated.md"
    undated.write_text(SECOND, encoding="utf-8")
    os.utime(undated, (1722000000, 1722000000))
    code, _, err = build(project)
    warning = (f"{undated}:1: warning: no date in front matter, file name or git history; using "
               "the file's modification time (add 'date: YYYY-MM-DD' to front matter)\n")
    assert (code, err) == (0, warning)
    first = all_files(project / "output")
    (project / "issues" / "2024-08-10-31.md").write_text(
        SECOND.replace("第三十期", "第三十一期").replace("/30", "/31"), encoding="utf-8")
    code, _, err = build(project)
    assert (code, err) == (0, warning)
    assert b"2024-07-26T21:20:00+08:00" in (project / "output" / "sections" / "xin-lan-mu" /
                                            "atom.xml").read_bytes()
    assert first != all_files(project / "output")


def test_incremental_plans_equal_planning_every_entry(tmp_path: Path) -> None:
    """The plan from summaries, reading only the newest issues, keeps exactly the
    entries that sorting every article of every issue keeps, ties in time included."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from feeds.builder import digest_entry, issue_entries, newest_stamp, plan_feeds, split_archives
    from feeds.cache import summarise
    from feeds.config import Config
    from feeds.loader import StoredIssues, _catalog_row
    from feeds.model import Article, Issue, Section
    from feeds.store import Store

    rng = random.Random(10)
    tz = ZoneInfo("Asia/Shanghai")
    for _ in range(30):
        issues = []
        for n in range(rng.randint(1, 40)):
            sections = tuple(
                Section(name=f"栏目{s}", slug=f"s{s}", articles=tuple(
                    Article(title=f"t{n}-{s}-{a}", url=f"https://e.example/{n}/{s}/{a}",
                            summary_html="", summary_text="", position=a + 1, line=1)
                    for a in range(rng.randint(1, 5))))
                for s in sorted(rng.sample(range(6), rng.randint(1, 4))))
            day = datetime(2024, 1, 1, tzinfo=tz) + timedelta(seconds=rng.choice([0, 3, 7, 3600])
                                                              * rng.randint(0, 30))
            issues.append(Issue(path=f"i{n}.md", name="N", year=2024, number=n + 1, date=day,
                                sections=sections))
        issues.sort(key=lambda i: (i.date, i.year, i.number, i.path))
        config = Config(max_items=rng.choice([0, 1, 3, 10]), section_max_items=rng.choice([0, 1, 4]),
                        archive_page_size=rng.choice([0, 2, 100]))
        summaries = [summarise(i) for i in issues]
        whole = {i.path: i for i in issues}
        stored = Store.memory()
        for summary in summaries:
            stored.put_catalog(summary.path, _catalog_row(summary), newest_stamp(summary),
                               summary.date.timestamp(), [list(s) for s in summary.sections])
        every = sorted((e for i in issues for e in issue_entries(i, config)),
                       key=lambda e: e.order, reverse=True)
        for source in (summaries, StoredIssues(stored)):
            planned = plan_feeds(source, config, entries_of=lambda s, whole=whole, config=config:
                                 issue_entries(whole[s.path], config),
                                 digest_of=lambda s, whole=whole, config=config:
                                 digest_entry(whole[s.path], config))
            for feed in [f for f in planned if f.folder != "digest"]:
                kept = [e for e in every if not feed.slug or e.section_slug == feed.slug]
                limit = config.section_max_items if feed.slug else config.max_items
                ids, pages = split_archives([e.id for e in kept], limit, config.archive_page_size)
                assert [e.id for e in feed.entries] == list(ids)
                assert [tuple(e.id for e in p.entries) for p in feed.archives] == list(pages)
            assert {f.slug for f in planned} == {"", *(e.section_slug for e in every)}
            digest = next(f for f in planned if f.folder == "digest")
            assert [e.id for e in digest.entries] == [digest_entry(i, config).id for i in sorted(
                issues, key=lambda i: (i.date, i.year, i.number), reverse=True)]


# A catalog row of a file (its path too), year and number, the rest as a build has it.
CATALOG_VALUES = ("?1, ?1, 'N', ?2, ?3, 1104681600.0, '2005-01-03T00:00:00+08:00', "
                  "'file name', 'k', 1104681600.0, '[]', NULL, 1")


def test_numbers_of_reads_the_year_and_number_of_the_paths_asked_for() -> None:
    """numbers_of: for a few paths or for more than a batch, what dates_and_numbers has."""
    stored = store_module.Store.memory()
    stored.db.executemany(f"INSERT INTO catalog VALUES ({CATALOG_VALUES})", (
        (f"issues/{n}.md", 2000 + n % 7, n) for n in range(1, store_module._BATCH + 40)))
    every = {p: (y, n) for p, y, n, *_ in stored.dates_and_numbers()}
    assert stored.numbers_of({"issues/3.md", "issues/510.md", "issues/none.md"}) == {
        "issues/3.md": (2003, 3), "issues/510.md": (2000 + 510 % 7, 510)}
    assert stored.numbers_of(set()) == {}
    many = {p for p in every if not p.endswith("7.md")} | {"issues/none.md"}
    assert stored.numbers_of(many) == {p: every[p] for p in many if p in every}


def test_shared_slugs_and_feeds_before_searched_by_slug_are_those_of_a_scan() -> None:
    """slug_clashes and feeds_before look each slug up in the index rather than scan
    every issue's sections: the same rows as the scan gives, NULL slugs too (names and
    times cannot be NULL: the table refuses them)."""
    rng = random.Random(12)
    for _ in range(60):
        stored = store_module.Store.memory()
        stored.db.executemany(f"INSERT INTO catalog VALUES ({CATALOG_VALUES})",
                              ((f"i{n}.md", 2005, n + 1) for n in range(8)))
        stored.db.executemany("INSERT INTO catalog_sections VALUES (?, ?, ?, ?, ?, ?, ?)", (
            (f"i{rng.randrange(8)}.md", at, rng.choice(["甲", "乙", "丙"]),
             rng.choice(["a", "b", "c", None]), at, rng.randrange(3),
             rng.choice([1.0, 2.0, 3.0])) for at in range(rng.randrange(12))))
        assert stored.slug_clashes() == stored.db.execute(
            "SELECT c.path, s.line, s.name, s.slug FROM catalog_sections s "
            "JOIN catalog c ON c.file = s.file WHERE s.slug IN (SELECT slug FROM "
            "catalog_sections GROUP BY slug HAVING count(DISTINCT name) > 1) "
            "ORDER BY c.path, s.position").fetchall()
        for newest in (0.0, 1.0, 2.5, 9.0):
            scanned = {str(slug) for (slug,) in stored.db.execute(
                "SELECT slug FROM catalog_sections GROUP BY slug HAVING min(newest) <= ?",
                (newest,))}
            assert stored.feeds_before(newest) == (scanned | {""} if scanned else set())


def test_the_stat_key_tells_apart_every_name_number_and_setting() -> None:
    """stat_key packs each file's numbers in 32 bytes: any change of a name, a size, a
    time, an inode or a setting gives another key; an inode past 2**63 and a time
    after 2262 (too large to pack) give one too, and a file not looked at none."""
    from types import SimpleNamespace

    from feeds.sources import stat_key

    def st(size: int = 1, mtime: int = 2, ctime: int = 3, ino: int = 4) -> SimpleNamespace:
        return SimpleNamespace(st_size=size, st_mtime_ns=mtime, st_ctime_ns=ctime, st_ino=ino)

    files, stats = ["issues/a.md", "issues/b.md"], [st(), st(5, 6, 7, 8)]
    keys = {stat_key(files, stats, "s", "t"),
            stat_key(["issues/a.md", "issues/c.md"], stats, "s", "t"),
            stat_key(["issues/a.md\0issues/b.md"], stats[:1], "s", "t"),
            stat_key(files, stats, "s", "u"), stat_key(files, stats, "s\0t"),
            stat_key(files, [st(), st(5, 6, 7, 2**64 - 1)], "s", "t"),
            stat_key(files, [st(), st(5, 6, 7, 2**63)], "s", "t"),
            stat_key(files, [st(), st(5, 10**19, 7, 8)], "s", "t"),
            stat_key(files, [st(), st(5, 10**19 + 1, 7, 8)], "s", "t"),
            stat_key(files, [st(), st(5, -6, 7, 8)], "s", "t")}
    keys |= {stat_key(files, [st(), st(**{name: 9})], "s", "t")
             for name in ("size", "mtime", "ctime", "ino")}
    assert len(keys) == 14 and None not in keys
    assert stat_key(files, stats, "s", "t") == stat_key(list(files), list(stats), "s", "t")
    assert stat_key(files, [st(), OSError(2, "gone")], "s", "t") is None


# ---------------------------------------------------------------- killed and concurrent builds

def _hold_output_lock(out: Path) -> subprocess.Popen:
    out.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX)\n"
         "print('held', flush=True); time.sleep(60)", str(out)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def test_one_build_at_a_time_per_output_folder_whatever_the_state(project: Path,
                                                                   tmp_path: Path) -> None:
    holder = _hold_output_lock(project / "output")
    try:
        code, stdout, err = build(project, "--state", str(tmp_path / "other"), "--wait", "0.3")
    finally:
        holder.kill()
        holder.wait()
    assert (code, stdout) == (3, "")
    assert err == (f"feeds: error: {project / 'output'}: another build still holds the lock "
                   "after 0.3 s (the lock on the folder)\n")
    assert every_file(project / "output") == []
    fd = os.open(project / "output", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by the build that gave up
    finally:
        os.close(fd)


def test_builds_with_two_state_folders_into_one_output_equal_one(project: Path,
                                                                 tmp_path: Path) -> None:
    write_corpus(70, project / "issues")
    runs = [subprocess.Popen([sys.executable, "-m", "feeds", "build", "--state", str(tmp_path / s)],
                             cwd=project, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for s in ("a", "b")]
    results = [(p.wait(120), p.stdout.read(), p.stderr.read()) for p in runs]
    assert [r[0] for r in results] == [0, 0], results
    assert sorted(r[1].startswith("42 feeds, 0 changed") for r in results) == [False, True]
    assert all_files(project / "output") == clean_build(project, tmp_path / "clean")


def test_killed_builds_leave_a_readable_store_consistent_with_output(tmp_path: Path) -> None:
    settings = 'base_url = "https://x.example/"\nmax_items = 0\nsection_max_items = 0\n'
    root = write_project(tmp_path / "project", {}, settings)
    write_corpus(70, root / "issues")
    command = [sys.executable, "-m", "feeds", "build", "-q"]

    def timed() -> float:
        started = time.monotonic()
        assert subprocess.run(command, cwd=root, env=ENV, check=False).returncode == 0
        return time.monotonic() - started

    cold = timed()
    (root / "feeds.toml").write_text(settings + 'description = "变了"\n', encoding="utf-8")
    warm = timed()  # every feed rewritten from stored entries
    rng = random.Random(1010)
    kills = 0
    for round_ in range(10):
        (root / "feeds.toml").write_text(settings + f'description = "第 {round_} 轮"\n',
                                         encoding="utf-8")
        if round_ % 3 == 2:  # sometimes a new issue too, or no store at all
            write_corpus(1, root / "issues", start=100 + round_)
        if round_ % 5 == 0:
            shutil.rmtree(root / ".feeds")
        proc = subprocess.Popen(command, cwd=root, env=ENV)
        time.sleep(rng.uniform(0.1, (cold if round_ % 5 == 0 else warm) * 0.9))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(30)
        if (root / ".feeds" / "state.sqlite").exists():  # (killed before it made one)
            assert query(root / ".feeds" / "state.sqlite", "PRAGMA integrity_check") == \
                [("ok",)]
        if round_ % 4 == 1:
            done = subprocess.run(command, cwd=root, env=ENV, capture_output=True, text=True,
                                  check=False)
            assert (done.returncode, done.stderr) == (0, "")
            assert all_files(root / "output") == clean_build(root, tmp_path / f"clean{round_}")
    assert kills >= 5
    done = subprocess.run(command, cwd=root, env=ENV, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert all_files(root / "output") == clean_build(root, tmp_path / "clean")
    assert not [p for p in every_file(root / "output") if "/." in "/" + p]


def test_a_first_build_killed_mid_transaction_leaves_an_empty_store_then_builds_cold(
        tmp_path: Path) -> None:
    """The first build writes with a rollback journal (its pages once, not twice): killed
    while the journal is there, the next build rolls it back and builds from scratch,
    with no warning, and leaves the store in WAL mode with no journal beside it."""
    root = write_project(tmp_path / "project", {}, 'base_url = "https://x.example/"\n'
                         "max_items = 0\nsection_max_items = 0\ndigest_max_items = 0\n")
    write_corpus(70, root / "issues")
    journal = root / ".feeds" / "state.sqlite-journal"
    command = [sys.executable, "-m", "feeds", "build", "-q"]
    proc = subprocess.Popen(command, cwd=root, env=ENV)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:  # (a journal also comes and
        if journal.exists():                                    # goes as the store is made)
            time.sleep(0.3)
            if journal.exists():
                break
        time.sleep(0.002)
    assert proc.poll() is None and journal.exists(), "the build ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    done = subprocess.run(command, cwd=root, env=ENV, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert all_files(root / "output") == clean_build(root, tmp_path / "clean")
    assert every_file(root / ".feeds") == ["build.lock", "state.sqlite"]
    assert query(database(root), "PRAGMA journal_mode") == [("wal",)]
    assert query(database(root), "SELECT count(*) FROM parsed") == [(70,)]
    code, stdout, _ = build(root)
    assert code == 0 and stdout.endswith("(nothing changed)\n")


def test_a_database_set_aside_takes_its_journal_along(tmp_path: Path) -> None:
    """A journal left beside a damaged database would be played into the new one."""
    for suffix, data in (("", b"garbage"), ("-journal", b"journal"), ("-wal", b"wal")):
        (tmp_path / f"state.sqlite{suffix}").write_bytes(data)
    store_module.Store.set_aside(tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        "state.sqlite.broken": b"garbage", "state.sqlite.broken-journal": b"journal",
        "state.sqlite.broken-wal": b"wal"}


def test_switching_base_urls_remakes_entries_whose_bytes_were_dropped(tmp_path: Path) -> None:
    """Each build keeps only the serialised entries it publishes: going back to an
    earlier base URL must make them again, not expect them in the store."""
    root = write_project(tmp_path / "project", {"2024-07-20-29.md": SEED.read_bytes()},
                         'base_url = "https://x.example/"\nmax_items = 0\nsection_max_items = 0\n')
    write_corpus(30, root / "issues")
    assert build(root)[0] == 0
    for url in ("https://y.example/", "https://z.example/"):
        code, _, err = build(root, "--base-url", url)
        assert code == 0, err
    code, _, err = build(root)
    assert code == 0, err
    assert all_files(root / "output") == clean_build(root, tmp_path / "clean")


def test_a_store_that_fails_after_the_files_are_written_still_reports_them(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The state's disk fails at the commit, after the files were written: the
    build goes on without the store, and what it wrote is reported as changed (for
    WebSub pings and whoever reads the output), not 'nothing changed'."""
    real = store_module.Store.commit
    failed: list[object] = []

    def full(self: store_module.Store) -> None:
        if self.path is not None and not failed:
            failed.append(self.path)
            exc = sqlite3.OperationalError("disk I/O error")
            exc.sqlite_errorname = "SQLITE_IOERR_WRITE"  # type: ignore[attr-defined]
            raise exc
        real(self)

    monkeypatch.setattr(store_module.Store, "commit", full)
    code, out, err = build(project)
    assert code == 0, err
    assert failed
    assert "cannot use the state database (disk I/O error)" in err
    files = all_files(project / "output")
    wrote = sorted(line.removeprefix("wrote ") for line in out.splitlines()
                   if line.startswith("wrote "))
    assert wrote == sorted(str(project / "output" / p) for p in files)
    assert re.match(rf"\d+ feeds, {len(wrote)} changed, ", out.splitlines()[-1])


def _disk_full_at(monkeypatch: pytest.MonkeyPatch, pages: int) -> None:
    """The state database cannot grow past ``pages`` pages: SQLite's own SQLITE_FULL,
    as on a full disk."""
    real = sqlite3.connect

    def connect(path: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        db = real(path, *args, **kwargs)  # type: ignore[arg-type]
        if str(path).endswith("state.sqlite"):
            db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)


def test_a_new_database_on_a_full_disk_is_exit_4_and_not_set_aside(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _disk_full_at(monkeypatch, 2)
    code, out, err = build(project)
    assert (code, out) == (4, "")
    assert err == (f"feeds: error: {database(project)}: cannot write the state database: "
                   "no space left on device\n")
    assert sorted(p.name for p in (project / ".feeds").iterdir()) == ["build.lock", "state.sqlite"]


def test_a_full_disk_during_a_build_is_exit_4_and_the_database_is_kept(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert build(project)[0] == 0
    pages = query(database(project), "PRAGMA page_count")[0][0]
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    _disk_full_at(monkeypatch, pages)
    code, _, err = build(project)
    assert code == 4
    assert err.splitlines()[-1] == (f"feeds: error: {database(project)}: cannot write the state "
                                    "database: no space left on device")
    assert not (project / ".feeds" / "state.sqlite.broken").exists()
    monkeypatch.undo()
    code, _, err = build(project)  # space again: the same database, caught up
    assert (code, err) == (0, "")
    assert every_file(project / "output") == published(True)


# ---------------------------------------------------------------- odd stats and places

def test_file_times_and_inodes_beyond_64_bits_are_stored(project: Path, tmp_path: Path) -> None:
    """An issue file touched into the year 2300 (its time in nanoseconds does not fit
    SQLite's integers) builds, and builds again, as a clean build does."""
    issue = project / "issues" / "2024-07-20-29.md"
    later = 10_500_000_000 * 10**9  # 2302-09-25
    os.utime(issue, ns=(later, later))
    assert build(project)[0] == 0
    assert build(project)[0] == 0
    assert all_files(project / "output") == clean_build(project, tmp_path / "clean")
    [(seen,)] = query(database(project), "SELECT seen FROM sources")
    row = store_module.row_of(seen)
    assert row is not None and row.mtime_ns == 2**63 - 1


def test_inode_numbers_above_two_to_the_63_round_trip(tmp_path: Path) -> None:
    store = store_module.Store.open(tmp_path)
    try:
        store.begin()
        row = store_module.SourceRow(5, 2**70, -(2**70), 2**64 - 1, "d" * 64, False)
        store.save_sources({"a.md": row}, [])
        got = store_module.row_of(store.sources()["a.md"])
        assert got is not None
        assert (got.ino, got.mtime_ns, got.ctime_ns) == (2**64 - 1, 2**63 - 1, -(2**63))
        published = store_module.PublishedRow("d", 5, 7, 2**63, 11)
        plain = store_module.PublishedRow("e", 6, 8, 9, 10)
        store.save_published("out", {"rss.xml": published, "atom.xml": plain})
        got = store.published("out")
        assert list(got.items()) == [("atom.xml", plain), ("rss.xml", published)]
        assert all(type(r) is store_module.PublishedRow for r in got.values())
        store.save_published("out", {"rss.xml": published})
        assert store.published("out") == {"rss.xml": published}
        assert store.published_stats("out") == {"rss.xml": (5, 7, 2**63, 11)}
    finally:
        store.close()


@pytest.mark.parametrize("state", ["output", "output/.feeds"])
def test_a_state_folder_inside_the_output_folder_is_refused(project: Path, state: str) -> None:
    with (project / "feeds.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'state = "{state}"\n')
    code, out, err = build(project)
    assert (code, out) == (2, "")
    assert err == (f"feeds: error: {project / state}: the state folder is inside the output "
                   f"folder {project / 'output'}, which is published; move it with --state or "
                   "the config's 'state' key\n")
    assert not (project / "output").exists()


@pytest.mark.parametrize(("damage", "what"), [
    ("UPDATE fragments SET data0 = substr(data0, 1, 40)", "the atom entry"),
    ("UPDATE fragments SET data2 = CAST(data2 AS TEXT)", "the json entry"),
    ("UPDATE fragments SET crc1 = crc1 + 1", "the rss entry"),
    ("UPDATE parsed SET result = 'x'", "the parse result"),
    ("UPDATE parsed SET result = substr(result, 1, 40)", "the parse result"),
])
def test_a_damaged_stored_row_sets_the_database_aside_and_the_build_equals_a_clean_one(
        tmp_path: Path, damage: str, what: str) -> None:
    project = write_project(tmp_path / "project", {}, CONFIG + "max_items = 5\n"
                            "section_max_items = 3\ndigest_max_items = 3\narchive_page_size = 2\n")
    write_corpus(12, project / "issues")
    assert build(project)[0] == 0
    assert damage_on_disk(database(project), damage.split()[1], damage) > 0
    db = sqlite3.connect(database(project))
    with db:
        db.execute("DELETE FROM builds")  # no replay of the last build: every feed is made
        db.execute("DELETE FROM meta WHERE name LIKE 'feedkeys%'")  # none kept by its key
    db.close()
    os.utime(sorted((project / "issues").iterdir())[0])
    code, stdout, err = build(project)
    assert code == 0
    assert re.fullmatch(
        f"{re.escape(str(database(project)))}: warning: not a usable state database "
        f"\\({what} [0-9a-f]{{64}} is damaged \\(not the bytes stored\\)\\); set aside as "
        "state.sqlite.broken, building from scratch", err.splitlines()[0])
    assert (project / ".feeds" / "state.sqlite.broken").exists()
    assert all_files(project / "output") == clean_build(project, tmp_path / "clean")
    assert any("/archive/" in p for p in all_files(project / "output"))
    code, stdout, _ = build(project)
    assert code == 0 and stdout.endswith("(nothing changed)\n")


def test_a_file_altered_in_place_with_its_size_and_mtime_put_back_is_repaired(
        project: Path) -> None:
    assert build(project)[0] == 0
    good = all_files(project / "output")
    atom = project / "output" / "atom.xml"
    st = atom.stat()
    with atom.open("r+b") as f:
        f.seek(100)
        f.write(b"XXX")
    os.utime(atom, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (atom.stat().st_size, atom.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    code, out, _ = build(project)
    assert code == 0 and f"wrote {atom}\n" in out
    assert all_files(project / "output") == good


def test_an_output_folder_restored_with_cp_a_is_read_again_once_not_rewritten(
        project: Path, tmp_path: Path) -> None:
    assert build(project)[0] == 0
    good = all_files(project / "output")
    subprocess.run(["cp", "-a", str(project / "output"), str(tmp_path / "backup")], check=True)
    shutil.rmtree(project / "output")
    subprocess.run(["cp", "-a", str(tmp_path / "backup"), str(project / "output")], check=True)
    code, out, _ = build(project)
    assert code == 0 and "wrote" not in out and out.startswith("18 feeds, 0 changed")
    assert all_files(project / "output") == good
    code, out, _ = build(project)
    assert code == 0 and out.endswith("(nothing changed)\n")
