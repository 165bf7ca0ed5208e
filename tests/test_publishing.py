"""Publishing for cron and static hosts: atomic, only what changed, locked, exit codes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from conftest import ROOT, SEED, damage_on_disk
from filelock import FileLock
from test_build import SECOND, all_files, build, write_project

from feeds.store import Manifest, PublishedRow, Store
from feeds.writer import OutputDir, Publication, WriteError, atomic_write

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def feeds_cmd(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "feeds", *args], cwd=cwd, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()})


def test_unchanged_files_are_not_touched_when_one_changes(project: Path) -> None:
    assert build(project)[0] == 0
    out = project / "output"
    before = {p: (out / p).stat().st_mtime_ns for p in all_files(out)}
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    code, stdout, _ = build(project)
    assert code == 0
    after = {p: (out / p).stat().st_mtime_ns for p in all_files(out)}
    changed = sorted(p for p in after if before.get(p) != after[p])
    # the new issue's page, its neighbour's (a "next" link), the sections it touches,
    # the archive, the home page and the sitemap; no other page
    # and every format of the feeds it touches, the digest's too
    assert changed == sorted([
        "archive.html", "atom.xml", "feed.json", "feeds.opml", "index.html",
        "issues/2024-29.html", "issues/2024-30.html", "rss.xml", "sitemap.xml",
        "digest/atom.xml", "digest/feed.json", "digest/rss.xml",
        *(f"sections/{s}/{name}" for s in ("fen-bu-shi-xi-tong", "xin-lan-mu")
          for name in ("atom.xml", "feed.json", "index.html", "rss.xml"))])
    assert stdout.splitlines()[-1].startswith("21 feeds, 20 changed, ")


def test_noop_rebuild_writes_nothing_at_all(project: Path) -> None:
    for issue in (project / "issues").iterdir():  # settled: not changed in the last seconds
        os.utime(issue, (time.time() - 60, time.time() - 60))
    assert build(project)[0] == 0
    state = project / ".feeds"
    watched = [*(project / "output").rglob("*"), *state.rglob("*")]
    before = {p: p.stat().st_mtime_ns for p in watched if p.is_file()}
    code, stdout, _ = build(project)
    assert code == 0 and stdout.endswith("(nothing changed)\n")
    after = {p: p.stat().st_mtime_ns for p in watched if p.is_file()}
    assert before == after
    assert sorted(p.name for p in state.iterdir()) == ["build.lock", "state.sqlite"]


def test_an_issue_edited_in_place_behind_its_size_and_mtime_is_read_again(
        project: Path) -> None:
    """The no-op check stands on a digest of the issue files' sizes, times and inodes:
    an edit that keeps the size and puts the mtime back still changes the ctime."""
    issue = project / "issues" / "2024-07-20-29.md"
    os.utime(issue, (time.time() - 60, time.time() - 60))
    assert build(project)[0] == 0
    assert build(project)[1].endswith("(nothing changed)\n")
    st = issue.stat()
    data = issue.read_bytes()
    with issue.open("r+b") as handle:  # in place: the same inode
        handle.write(data.replace(b"PyTorch", b"PYTORCH"))
    os.utime(issue, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (issue.stat().st_size, issue.stat().st_mtime_ns, issue.stat().st_ino) == \
        (st.st_size, st.st_mtime_ns, st.st_ino)
    code, stdout, err = build(project)
    assert code == 0, err
    atom = project / "output" / "atom.xml"
    assert f"wrote {atom}" in stdout.splitlines()
    assert "PYTORCH内部机制" in atom.read_text(encoding="utf-8")


def _noop_records(project: Path) -> list[str]:
    with sqlite3.connect(project / ".feeds" / "state.sqlite") as db:
        rows = [r[0] for r in db.execute("SELECT name FROM meta WHERE name LIKE 'noop%'")]
    db.close()
    return rows


def test_no_noop_record_while_an_issue_is_racy(project: Path) -> None:
    """An issue file changed in the last two seconds may change again within its
    timestamp tick: no record lets the next build skip looking at it."""
    assert build(project)[0] == 0  # the issue was just written
    assert _noop_records(project) == []
    os.utime(project / "issues" / "2024-07-20-29.md", (time.time() - 60, time.time() - 60))
    assert build(project)[0] == 0  # settled now, and a build that writes nothing
    assert _noop_records(project) == [f"noop\0{(project / 'output').resolve()}"]


@pytest.mark.parametrize("value", ["garbage", '["a", "b", "c"]', "[1, 2, 3, [4]]", "null",
                                   "[" * 100_000])
def test_a_damaged_noop_record_only_means_a_longer_look(project: Path, value: str) -> None:
    os.utime(project / "issues" / "2024-07-20-29.md", (time.time() - 60, time.time() - 60))
    assert build(project)[0] == 0
    with sqlite3.connect(project / ".feeds" / "state.sqlite") as db:
        db.execute("UPDATE meta SET value = ? WHERE name LIKE 'noop%'", (value,))
    db.close()
    code, stdout, err = build(project)
    assert (code, err) == (0, "")
    assert stdout.endswith("(nothing changed)\n")
    with sqlite3.connect(project / ".feeds" / "state.sqlite") as db:  # made again, once
        [(made,)] = db.execute("SELECT value FROM meta WHERE name LIKE 'noop%'").fetchall()
    db.close()
    assert made != value and len(json.loads(made)) == 4
    (project / "output" / "atom.xml").write_bytes(b"broken")
    code, stdout, err = build(project)
    assert (code, err) == (0, "")
    assert f"wrote {project / 'output' / 'atom.xml'}" in stdout.splitlines()


def test_a_noop_prints_the_last_builds_warnings_and_a_new_clash_is_still_an_error(
        project: Path) -> None:
    """The short no-op replays the warnings of the build it stands for; a file added
    after it is checked against every other one again."""
    issues = project / "issues"
    (issues / "2024-08-03-31.md").write_text(SECOND.replace("第三十期", "第三十一期"),
                                             encoding="utf-8")
    for issue in issues.iterdir():
        os.utime(issue, (time.time() - 60, time.time() - 60))
    code, _, first = build(project)
    assert code == 0
    assert first == ("issues/2024-08-03-31.md:4: warning: issue 2024 No. 31 follows 2024 No. 29 "
                     "(issues/2024-07-20-29.md); No. 30 is missing; check the number in its "
                     "heading (renumbering an issue already published gives its articles new "
                     "ids: readers get them again as new)\n").replace("issues/", f"{issues}/")
    assert len(_noop_records(project)) == 1  # so the next build is the short no-op
    code, stdout, again = build(project)
    assert (code, again) == (0, first) and stdout.endswith("(nothing changed)\n")
    (issues / "2024-08-10-31.md").write_text(SECOND.replace("第三十期", "第三十一期"),
                                             encoding="utf-8")
    code, stdout, err = build(project)
    assert code == 1 and stdout == ""
    assert f"{issues}/2024-08-10-31.md:1: error: issue 2024 No. 31 is also in " \
        f"{issues}/2024-08-03-31.md; give each issue its own number\n" in err


def test_a_tampered_output_is_rebuilt(project: Path) -> None:
    assert build(project)[0] == 0
    atom = project / "output" / "atom.xml"
    good = atom.read_bytes()
    atom.write_bytes(b"broken")
    code, stdout, _ = build(project)
    assert code == 0 and f"wrote {atom}" in stdout
    assert atom.read_bytes() == good
    atom.unlink()
    assert build(project)[0] == 0 and atom.read_bytes() == good


def test_a_noop_finds_a_file_in_a_subfolder_replaced_or_truncated_behind_its_times(
        project: Path) -> None:
    """The no-op check (one lstat per published file, relative to output/) compares
    size, mtime and inode: a file replaced by another of the same size and mtime, or
    truncated with its mtime put back, is written again."""
    assert build(project)[0] == 0
    out = project / "output"
    good = all_files(out)
    replaced = sorted(out.glob("sections/*/atom.xml"))[0]
    truncated = out / "issues" / "2024-29.html"
    for path, data in ((replaced, bytes(reversed(replaced.read_bytes()))),
                       (truncated, truncated.read_bytes()[:-10])):
        st = path.stat()
        spare = path.with_name("spare")
        spare.write_bytes(data)
        if path is replaced:
            os.replace(spare, path)
        else:
            path.write_bytes(data)
            spare.unlink()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    code, stdout, err = build(project)
    assert code == 0, err
    assert sorted(line for line in stdout.splitlines() if line.startswith("wrote ")) == \
        sorted([f"wrote {replaced}", f"wrote {truncated}"])
    assert all_files(out) == good


def test_a_damaged_state_record_means_a_full_build(project: Path) -> None:
    assert build(project)[0] == 0
    damage_on_disk(project / ".feeds" / "state.sqlite", "builds",
                   """UPDATE builds SET warnings = '[["only", "three", "fields"]]',
                      feeds = 'many'""")
    code, stdout, err = build(project)
    assert (code, err) == (0, "")
    assert stdout.endswith("(nothing changed)\n")
    with sqlite3.connect(project / ".feeds" / "state.sqlite") as db:
        [(feeds, warnings)] = db.execute("SELECT feeds, warnings FROM builds").fetchall()
    db.close()
    assert (feeds, json.loads(zlib.decompress(warnings))) == (18, [])


@pytest.mark.parametrize("files", [b"not zlib", zlib.compress(b"[1, 2"),
                                   zlib.compress(b'{"a": 1}'), zlib.compress(b"[1, 2]")[:-3],
                                   zlib.compress(b"[" * 100_000)])
def test_a_damaged_packed_file_list_means_a_full_build(project: Path, files: bytes) -> None:
    """The last build's file list is stored compressed: one that cannot be unpacked, or
    is not a list, means a full build (which writes nothing new), never an error."""
    assert build(project)[0] == 0
    with sqlite3.connect(project / ".feeds" / "state.sqlite") as db:
        assert db.execute("UPDATE builds SET files = ?", (files,)).rowcount == 1
    db.close()
    code, stdout, err = build(project)
    assert (code, err) == (0, "")
    assert stdout.endswith("(nothing changed)\n")
    with sqlite3.connect(project / ".feeds" / "state.sqlite") as db:
        [(made,)] = db.execute("SELECT files FROM builds").fetchall()
    db.close()
    assert "feeds.opml" in json.loads(zlib.decompress(made))


def test_a_planted_record_that_unpacks_to_half_a_gigabyte_costs_no_memory(project: Path) -> None:
    """The last build's record is unpacked only up to a bound: one that would unpack
    to 512 MB means a full build in a process held to 400 MB of address space."""
    import resource

    for issue in (project / "issues").iterdir():
        os.utime(issue, (time.time() - 60, time.time() - 60))
    assert build(project)[0] == 0
    pack = zlib.compressobj(1)
    spaces = b" " * (1 << 20)
    bomb = b"".join([pack.compress(b"["), *(pack.compress(spaces) for _ in range(512)),
                     pack.compress(b"]"), pack.flush()])
    assert len(bomb) < (3 << 20)
    with sqlite3.connect(project / ".feeds" / "state.sqlite") as db:
        assert db.execute("UPDATE builds SET files = ?", (bomb,)).rowcount == 1
    db.close()
    limit = 400 << 20

    def held() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    run = subprocess.run([sys.executable, "-m", "feeds", "build", "--issues", str(project / "issues"),
                          "--output", str(project / "output"), "--config",
                          str(project / "feeds.toml")], cwd=project,
                         env={**ENV, "MALLOC_ARENA_MAX": "1"},  # no 64 MB reserved per thread
                         capture_output=True, text=True, preexec_fn=held, timeout=120)
    assert (run.returncode, run.stderr) == (0, ""), run.stderr
    assert run.stdout.endswith("(nothing changed)\n")
    with sqlite3.connect(project / ".feeds" / "state.sqlite") as db:
        [(made,)] = db.execute("SELECT files FROM builds").fetchall()
    db.close()
    assert "feeds.opml" in json.loads(zlib.decompress(made))


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "atom.xml"
    target.write_bytes(b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["atom.xml"]


def test_disk_full_is_exit_4_and_names_the_path(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace

    def full(src: str, dst: str) -> None:
        if str(dst).endswith("output/rss.xml"):
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", full)
    code, _, err = build(project)
    assert code == 4
    assert err == f"feeds: error: {project / 'output' / 'rss.xml'}: cannot write: no space left on device\n"


def test_output_that_cannot_be_a_folder_is_exit_4(project: Path) -> None:
    (project / "blocker").write_text("a file, not a folder", encoding="utf-8")
    code, _, err = build(project, "--output", str(project / "blocker" / "out"))
    assert code == 4
    assert err == f"feeds: error: {project / 'blocker' / 'out'}: cannot write: Not a directory\n"


def test_files_it_did_not_write_are_never_overwritten(project: Path) -> None:
    out = project / "output"
    out.mkdir()
    (out / "index.html").write_text("<p>the site's own page</p>", encoding="utf-8")
    code, stdout, err = build(project)
    assert (code, stdout) == (4, "")
    assert err == (f"feeds: error: {out / 'index.html'}: exists and was not written by feeds; "
                   "move it away or choose another --output folder\n")
    assert (out / "index.html").read_text(encoding="utf-8") == "<p>the site's own page</p>"
    assert not (out / "atom.xml").exists()


def test_unrelated_files_in_output_are_left_alone(project: Path) -> None:
    out = project / "output"
    out.mkdir()
    (out / "CNAME").write_text("news.example.org\n", encoding="utf-8")
    assert build(project)[0] == 0
    assert (out / "CNAME").read_text(encoding="utf-8") == "news.example.org\n"


def test_stale_feeds_are_kept_and_reported(project: Path) -> None:
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    assert build(project)[0] == 0
    (project / "issues" / "2024-07-27-30.md").unlink()
    code, _, err = build(project)
    out = project / "output"
    assert code == 0
    stale = ["issues/2024-30.html", "sections/xin-lan-mu/atom.xml",
             "sections/xin-lan-mu/feed.json", "sections/xin-lan-mu/index.html",
             "sections/xin-lan-mu/rss.xml"]
    assert err == "".join(f"{out / rel}: warning: no longer produced; kept, not deleted\n"
                          for rel in stale)
    assert (out / "sections/xin-lan-mu/atom.xml").exists()
    code, _, err = build(project)  # the no-op path still reports them
    assert code == 0 and err.count("no longer produced") == 5
    assert build(project, "--quiet") == (0, "", "")


@pytest.mark.parametrize("rel", ["../escape.xml", "/etc/passwd", "a/../../b", ".feeds/x", "a//b", ""])
def test_no_path_outside_output(tmp_path: Path, rel: str) -> None:
    with pytest.raises(WriteError):
        OutputDir(tmp_path / "out").publish({rel: b"x"}, {})
    assert not (tmp_path / "escape.xml").exists()


def test_no_writing_through_a_link_that_leaves_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "sections").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(WriteError, match="refusing to write through a link"):
        OutputDir(out).publish({"sections/x/atom.xml": b"x"}, {})
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_published_files_are_world_readable(project: Path) -> None:
    old = os.umask(0o022)
    try:
        assert build(project)[0] == 0
    finally:
        os.umask(old)
    assert (project / "output" / "atom.xml").stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------- locking

def test_lock_held_too_long_is_exit_3(project: Path) -> None:
    lock = FileLock(project / ".feeds" / "build.lock")
    (project / ".feeds").mkdir(parents=True)
    with lock:
        started = time.monotonic()
        code, stdout, err = build(project, "--wait", "0.5")
        waited = time.monotonic() - started
    assert (code, stdout) == (3, "")
    assert err == (f"feeds: error: {project / 'output'}: another build still holds the lock after "
                   f"0.5 s ({project / '.feeds' / 'build.lock'})\n")
    assert 0.5 <= waited < 5
    assert not (project / "output" / "atom.xml").exists()


def _hold_lock(project: Path, seconds: float) -> subprocess.Popen:
    """Another process that takes the build lock and keeps it for ``seconds``."""
    lock = project / ".feeds" / "build.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock\n"
         "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True)\n"
         "time.sleep(float(sys.argv[2]))",
         str(lock), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def test_second_build_waits_for_the_first(project: Path) -> None:
    holder = _hold_lock(project, 1.5)
    started = time.monotonic()
    code, _, err = build(project, "--wait", "30")
    assert code == 0, err
    assert time.monotonic() - started >= 0.5
    holder.wait(10)


def test_lock_of_a_killed_build_does_not_block(project: Path) -> None:
    holder = _hold_lock(project, 600)
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    started = time.monotonic()
    assert build(project, "--wait", "5")[0] == 0
    assert time.monotonic() - started < 5


def test_usage_and_config_errors_are_exit_2(project: Path) -> None:
    assert build(project, "--base-url", "ftp://x")[0] == 2
    (project / "feeds.toml").write_text("timezone = 'Mars/Olympus'\n", encoding="utf-8")
    code, _, err = build(project)
    assert code == 2 and "unknown timezone 'Mars/Olympus'" in err
    assert not (project / "output").exists()


@pytest.mark.parametrize(("line", "message"), [
    ('language = "zh\\u0001"', "language contains the control character U+0001; remove it"),
    ('email = "a\\u0001@b.c"', "email contains the control character U+0001; remove it"),
    ('title = "News\\u0085"', "title contains the control character U+0085; remove it"),
    ('description = "a\\u001bb"', "description contains the control character U+001B; remove it"),
    ('author = "\\u007fEd"', "author contains the control character U+007F; remove it"),
    ('language = "english"', "language 'english' is not a language tag; write one such as "
                             "'zh-CN', 'zh' or 'en'"),
    ("language = 'zh\"><script>'", "language 'zh\"><script>' is not a language tag; write one "
                                   "such as 'zh-CN', 'zh' or 'en'"),
    ('email = "not an email"', "email 'not an email' is not an email address; write one such "
                               "as 'editor@example.com', or leave it out"),
    ('email = "a@localhost"', "email 'a@localhost' is not an email address; write one such "
                              "as 'editor@example.com', or leave it out"),
])
def test_config_text_is_checked_exit_2_naming_the_key(project: Path, line: str,
                                                      message: str) -> None:
    """Feed readers and the W3C validator reject such values (InvalidLanguage,
    InvalidAddrSpec); a control character used to crash the build (exit 70)."""
    config = project / "feeds.toml"
    config.write_text(config.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    code, out, err = build(project)
    assert (code, out, err) == (2, "", f"feeds: error: {config}: {message}\n")
    assert not (project / "output").exists()


@pytest.mark.parametrize("line", ['language = "zh-Hant-TW"', 'language = "en"',
                                  'email = "first.last+feeds@mail.example.com"'])
def test_ordinary_language_and_email_are_accepted(project: Path, line: str) -> None:
    config = project / "feeds.toml"
    config.write_text(config.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    assert build(project)[0] == 0


def test_base_url_flag_overrides_config(project: Path) -> None:
    assert build(project, "--base-url", "https://mirror.example.net/news")[0] == 0
    atom = (project / "output" / "atom.xml").read_text(encoding="utf-8")
    assert '<link href="https://mirror.example.net/news/atom.xml" rel="self"' in atom
    assert "<id>tag:news.example.org,2024:" in atom  # ids do not follow the host


# ---------------------------------------------------------------- serve

def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_builds_and_serves_with_content_types(project: Path) -> None:
    port = _free_port()
    proc = feeds_cmd("serve", "--port", str(port), "--watch", cwd=project)
    try:
        line = proc.stdout.readline()
        while line and not line.startswith("serving"):
            line = proc.stdout.readline()
        local = f"http://127.0.0.1:{port}/"
        assert line == f"serving .feeds/preview/site at {local} (Ctrl-C to stop)\n"
        assert _get(local + "atom.xml")[:2] == (200, "application/atom+xml")
        assert _get(local + "rss.xml")[:2] == (200, "application/rss+xml")
        assert _get(local + "sections/fen-bu-shi-xi-tong/rss.xml")[:2] == (200, "application/rss+xml")
        assert _get(local + "feeds.opml")[:2] == (200, "text/x-opml")
        status, kind, body = _get(local)
        assert (status, kind) == (200, "text/html; charset=utf-8")
        assert f'href="{local}atom.xml"'.encode() in body
        assert not (project / "output").exists()  # the preview is built elsewhere
        site = project / ".feeds" / "preview" / "site"
        assert (site / "atom.xml").read_bytes() == _get(local + "atom.xml")[2]
        assert not [p for p in site.rglob(".*")]  # its state is not in it
        (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
        deadline = time.monotonic() + 15
        while b"xin-lan-mu" not in _get(local + "feeds.opml")[2]:
            assert time.monotonic() < deadline, "--watch did not rebuild"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)


def test_serve_reports_a_busy_port(project: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = feeds_cmd("serve", "--port", str(port), cwd=project)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert re.fullmatch(rf"feeds: error: cannot listen on 127.0.0.1:{port}: .+\n", err)


def test_atomic_write_survives_short_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """writev may write less than asked (signals, quotas): the rest still goes out, in order."""
    from feeds import writer

    chunks = [bytes([65 + i % 26]) * (i % 23) for i in range(3000)]  # empty ones too
    calls = []

    def short_writev(fd: int, buffers: list[memoryview]) -> int:
        calls.append(len(buffers))
        return os.write(fd, b"".join(bytes(b) for b in buffers)[:37])

    monkeypatch.setattr(os, "writev", short_writev)
    writer.atomic_write(tmp_path / "feed.xml", tuple(chunks))
    assert (tmp_path / "feed.xml").read_bytes() == b"".join(chunks)
    assert max(calls) == 1024 and len(calls) > 100


def test_many_files_are_written_together_and_a_failure_names_its_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From WRITE_THREADS_FROM files on, files are written by a pool of threads."""
    from feeds.writer import WRITE_THREADS_FROM

    out = OutputDir(tmp_path / "out")
    files = {f"issues/2024-{n}.html": f"<p>{n}</p>".encode()
             for n in range(max(WRITE_THREADS_FROM * 2, 100))}
    published = out.publish(files, {})
    assert sorted(published.changed) == sorted(files)
    assert {rel: (tmp_path / "out" / rel).read_bytes() for rel in files} == files
    real = os.replace

    def full(src: str, dst: str) -> None:
        if str(dst).endswith("2024-77.html"):
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(WriteError) as caught:
        out.publish({rel: data + b"!" for rel, data in files.items()}, published.rows)
    assert str(caught.value) == f"{tmp_path / 'out' / 'issues' / '2024-77.html'}: cannot write: no space left on device"
    assert (tmp_path / "out" / "issues" / "2024-77.html").read_bytes() == b"<p>77</p>"
    assert not list((tmp_path / "out" / "issues").glob(".feeds-tmp-*"))


NAMES = ["a.xml", "archive/b.xml", "archive/c.xml", "archive/d.xml", "e.xml"]


def _published_then_changed(tmp_path: Path) -> tuple[OutputDir, Publication]:
    """:data:`NAMES` published into ``tmp_path/out``, then ``archive/b.xml`` edited,
    ``archive/c.xml`` removed and ``archive/d.xml`` replaced by the same bytes."""
    out = OutputDir(tmp_path / "out")
    first = out.publish({n: f"<{n}/>".encode() for n in NAMES}, {})
    root = tmp_path / "out"
    (root / "archive" / "b.xml").write_bytes(b"<edited/>")
    (root / "archive" / "c.xml").unlink()
    (root / "archive" / ".x").write_bytes(b"<d/>")
    os.replace(root / "archive" / ".x", root / "archive" / "d.xml")
    return out, first


def test_intact_each_finds_the_files_as_published_and_they_can_be_kept(tmp_path: Path) -> None:
    """intact_each: exactly the owned files whose size, mtime and inode are the manifest's;
    an edited, replaced, missing or unowned file is not among them."""
    from feeds.writer import KEEP

    out, first = _published_then_changed(tmp_path)
    (tmp_path / "out" / "other.xml").write_bytes(b"<mine/>")
    owned = {n: r for n, r in first.rows.items() if n != "e.xml"}
    assert out.intact_each([*NAMES, "other.xml", "missing.xml"], owned) == {"a.xml"}
    again = out.publish({"a.xml": KEEP, "archive/b.xml": b"<b2/>"}, first.rows)
    assert again.unchanged == ("a.xml",) and again.rows["a.xml"] == first.rows["a.xml"]
    assert OutputDir(tmp_path / "nowhere").intact_each(["a.xml"], first.rows) == set()


def test_look_ahead_finds_what_intact_each_finds_and_its_child_is_reaped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept files' stats taken by a forked child (OutputDir.look_ahead, for thousands
    of files; here forced for a few): it answers that every file is intact, or that some
    is not, and then each is looked at in turn (the same answer as without a child); the
    child is reaped once it answered; an answer that does not fit is not used."""
    import feeds.writer

    monkeypatch.setattr(feeds.writer, "LOOK_AHEAD_FROM", 0)
    monkeypatch.setattr("feeds.parallel.workers", lambda: 2)
    out, first = _published_then_changed(tmp_path)
    owned = dict(first.rows)
    out.look_ahead(owned)
    ahead = out._ahead
    assert ahead is not None
    assert out.intact_each([*NAMES, "missing.xml"], owned) == {"a.xml", "e.xml"}
    assert ahead.ended and ahead.answered and ahead.found is None  # some file is not
    with pytest.raises(ChildProcessError):
        os.waitpid(ahead.child.pid, os.WNOHANG)
    again = out.publish({n: f"<{n}/>".encode() for n in NAMES}, owned)
    owned = dict(again.rows)
    out.look_ahead(owned)
    ahead = out._ahead
    assert ahead is not None
    assert out.intact_each([*NAMES, "missing.xml", "other.xml"], owned) == set(NAMES)
    assert ahead.ended and ahead.found == set(NAMES)
    assert out.intact_each(["a.xml", "archive/b.xml"], owned) == {"a.xml", "archive/b.xml"}
    assert out.intact_each(["a.xml"], dict(owned)) == {"a.xml"}  # another manifest: looked at
    out.look_ahead(owned)
    assert out._ahead is not None
    os.close(out._ahead.child.read)  # its answer cannot be read: not used
    out._ahead.child.read = os.open(os.devnull, os.O_RDONLY)
    (tmp_path / "out" / "a.xml").write_bytes(b"<edited too/>")
    assert out.intact_each(NAMES, owned) == set(NAMES) - {"a.xml"}  # each looked at in turn
    assert out._ahead is None
    out.look_ahead(owned)
    pid = out._ahead.child.pid if out._ahead is not None else 0
    out.forget_ahead()  # a build that ends before asking: the child is ended and reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_the_child_finds_any_change_to_a_file_the_manifest_sums(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child compares the sum of the files' stat keys with the manifest's, read from
    the store as a sum: a file removed behind the tool's back, edited in place with its
    size and mtime put back (only its ctime moves), or two files swapped, each makes it
    answer that not every file is intact, and exactly the files changed are not kept."""
    import feeds.writer

    monkeypatch.setattr(feeds.writer, "LOOK_AHEAD_FROM", 0)
    monkeypatch.setattr("feeds.parallel.workers", lambda: 2)
    out = OutputDir(tmp_path / "out")
    files = {f"p/{n}.html": f"<p>{n:04}</p>".encode() for n in range(40)}
    (tmp_path / "state").mkdir()
    store = Store.open(tmp_path / "state")
    try:
        store.begin()
        store.save_published(out.key, out.publish(files, {}).rows)
        store.commit()
        root = tmp_path / "out" / "p"

        def intact() -> tuple[bool, set[str]]:
            owned = store.manifest(out.key)
            out.look_ahead(owned)
            ahead = out._ahead
            assert ahead is not None
            found = out.intact_each(files, owned)
            return ahead.found is not None, set(files) - found

        assert intact() == (True, set())
        (root / "3.html").unlink()
        assert intact() == (False, {"p/3.html"})
        (root / "3.html").write_bytes(b"<p>0003</p>")
        store.begin()
        store.update_published(out.key, *_republished(out, files, store))
        store.commit()
        assert intact() == (True, set())
        st = (root / "5.html").stat()
        (root / "5.html").write_bytes(b"<p>9995</p>")
        os.utime(root / "5.html", ns=(st.st_atime_ns, st.st_mtime_ns))
        assert intact() == (False, {"p/5.html"})
        (root / "5.html").write_bytes(b"<p>0005</p>")
        store.begin()
        store.update_published(out.key, *_republished(out, files, store))
        store.commit()
        os.rename(root / "6.html", root / "x")
        os.rename(root / "7.html", root / "6.html")
        os.rename(root / "x", root / "7.html")
        assert intact() == (False, {"p/6.html", "p/7.html"})
    finally:
        out.forget_ahead()
        store.close()


def _republished(out: OutputDir, files: dict[str, bytes], store: Store
                 ) -> tuple[Mapping[str, PublishedRow], Manifest]:
    """The new manifest after publishing ``files`` again, and the one before."""
    owned = store.manifest(out.key)
    return out.publish(files, owned).rows, owned


def test_a_kept_file_is_left_as_it_is_and_stays_in_the_manifest(tmp_path: Path) -> None:
    """KEEP publishes a file without its bytes: same row, not changed, not stale; a file
    that changed since the caller looked, or that the tool never published, is an error."""
    from feeds.writer import KEEP

    out = OutputDir(tmp_path / "out")
    first = out.publish({"a.xml": b"<a/>", "archive/atom-b1.xml": b"<b/>"}, {})
    again = out.publish({"a.xml": b"<a2/>", "archive/atom-b1.xml": KEEP}, first.rows)
    assert again.changed == ("a.xml",)
    assert again.unchanged == ("archive/atom-b1.xml",)
    assert again.stale == ()
    assert again.rows["archive/atom-b1.xml"] == first.rows["archive/atom-b1.xml"]
    page = tmp_path / "out" / "archive" / "atom-b1.xml"
    assert page.read_bytes() == b"<b/>"
    page.write_bytes(b"<b>changed</b>")
    with pytest.raises(WriteError) as caught:
        out.publish({"a.xml": b"<a2/>", "archive/atom-b1.xml": KEEP}, again.rows)
    assert str(caught.value) == f"{page}: changed while the build ran; run the build again"
    with pytest.raises(WriteError):
        out.publish({"c.xml": KEEP}, again.rows)
    assert not (tmp_path / "out" / "c.xml").exists()


def test_a_published_file_replaced_by_a_link_is_written_again(project: Path, tmp_path: Path) -> None:
    """A link in output/ to a file outside it, even with the same bytes, is replaced by
    the file: what the host serves must not depend on a file elsewhere."""
    assert build(project)[0] == 0
    out = project / "output"
    good = all_files(out)
    for rel in ("index.html", "atom.xml"):
        outside = tmp_path / rel.replace("/", "-")
        outside.write_bytes((out / rel).read_bytes())
        (out / rel).unlink()
        (out / rel).symlink_to(outside)
    code, stdout, err = build(project)
    assert code == 0, err
    assert not [p for p in out.rglob("*") if p.is_symlink()]
    assert all_files(out) == good
    assert f"wrote {out / 'atom.xml'}" in stdout.splitlines()


def test_a_large_publish_writes_every_kind_of_content_exactly(tmp_path: Path) -> None:
    """Bytes, chunks and ``Ready`` files go to the writer's threads, a function that
    makes its bytes while written (it may read the state store) stays in the
    publishing thread; each file holds its bytes and the manifest their digest."""
    import hashlib
    import threading
    from functools import partial

    from feeds.writer import WRITE_THREADS_FROM, Ready

    callers: dict[str, int] = {}

    def made(name: str, data: tuple[bytes, ...]) -> Iterator[bytes]:
        callers[name] = threading.get_ident()
        yield from data

    files: dict[str, object] = {}
    want: dict[str, bytes] = {}
    for n in range(max(WRITE_THREADS_FROM * 2, 128)):  # 3 in 4 to threads: >= WRITE_THREADS_FROM
        data = tuple(f"<{n}:{part}>".encode() * (n + 1) for part in range(n % 5 + 1))
        rel = f"f{n % 3}/file-{n}.xml"
        want[rel] = b"".join(data)
        files[rel] = (want[rel], data, Ready(partial(made, rel, data)),
                      partial(made, rel, data))[n % 4]
    out = OutputDir(tmp_path / "out")
    published = out.publish(files, {})  # type: ignore[arg-type]
    assert {rel: (tmp_path / "out" / rel).read_bytes() for rel in want} == want
    assert {rel: (row.digest, row.size) for rel, row in published.rows.items()} == {
        rel: (hashlib.sha256(data).hexdigest(), len(data)) for rel, data in want.items()}
    here = threading.get_ident()
    streamed = {rel for n, rel in enumerate(files) if n % 4 == 3}
    assert {rel for rel, ident in callers.items() if ident == here} == streamed
    assert not list((tmp_path / "out").rglob(".feeds-tmp-*"))
