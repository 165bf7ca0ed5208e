"""Shared fixtures: the real seed issue and small helpers to parse text.

Everything the tests read is inside the repository, in tests/data/ (see its
README): the seed issue and the reference files.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from feeds import fastissue
from feeds.model import Issue
from feeds.parser import ParseOptions, parse_issue

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED = DATA / "2024-29.md"  # the first issue as the editor wrote it, undated
ATOM_RNG = DATA / "atom-rfc4287.rng"
sys.path.insert(0, str(ROOT / "bench"))  # the corpus generator, for large tests


def parse(text: str | bytes, path: str = "issues/2024-29.md",
          options: ParseOptions | None = None) -> Issue:
    return parse_issue(text, path, options).issue


def entries(issue: Issue) -> list[tuple]:
    """Everything an article carries, in order, for comparing two parses."""
    return [(s.name, s.slug, a.position, a.title, a.url, a.summary_text, a.summary_html,
             a.author, a.source, a.tags) for s in issue.sections for a in s.articles]


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project (``issues/`` and a ``feeds.toml`` naming base_url), the current
    folder, for :func:`run_main`; a test module may define a ``project`` of its own."""
    (tmp_path / "issues").mkdir()
    (tmp_path / "feeds.toml").write_text('base_url = "https://example.com/feeds/"\n',
                                         encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_main(*args: str) -> tuple[int, str, str]:
    """The real entry point in-process, as a user runs it: (exit code, stdout, stderr).

    Its own handler turns bugs into exit 70, which the hostile tests look for.
    """
    from feeds.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = sys.argv
    sys.argv = ["feeds", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    return code, out.getvalue(), err.getvalue()


def git(repo: Path, *args: str, date: str = "") -> None:
    """Run git in ``repo``; ``date`` sets the author and committer dates."""
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def git_repo(repo: Path) -> Path:
    """A new git repository at ``repo`` with an editor's name, for commits in tests."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "editor@example.org")
    git(repo, "config", "user.name", "Editor")
    return repo


def damage_state(root: Path, damage: str | Callable[[sqlite3.Connection], object]) -> None:
    """Run one SQL statement, or a function of the connection, on the state of the
    project at ``root`` in one transaction: how tests plant damage in the store."""
    db = sqlite3.connect(root / ".feeds" / "state.sqlite")
    with db:
        if callable(damage):
            damage(db)
        else:
            db.execute(damage)
    db.close()


def reaped(pid: int) -> bool:
    """Whether the child ``pid`` is gone and reaped (not running, not a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _built(root: Path, issues: list[Path]) -> dict[str, bytes]:
    from click.testing import CliRunner

    from feeds.cli import cli

    (root / "issues").mkdir(parents=True)
    for path in issues:
        (root / "issues" / path.name).write_bytes(path.read_bytes())
    (root / "feeds.toml").write_text('base_url = "https://news.example.org/feeds/"\n'
                                     'tag_authority = "news.example.org"\nmax_items = 0\n',
                                     encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--quiet", "--issues", str(root / "issues"),
                                      "--output", str(root / "output"),
                                      "--config", str(root / "feeds.toml")])
    assert result.exit_code == 0, result.stderr
    out = root / "output"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def built_fast_and_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         fast_path: object) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Every published file of a build of the seed and 12 corpus issues, by path: with
    the speed trick of module ``fast_path`` on, then off (its ``ENABLED``)."""
    from corpus import write_corpus

    seed = tmp_path / "2024-07-20-29.md"
    seed.write_bytes(SEED.read_bytes())
    issues = [seed, *write_corpus(12, tmp_path / "corpus")]
    fast = _built(tmp_path / "fast", issues)
    monkeypatch.setattr(fast_path, "ENABLED", False)
    return fast, _built(tmp_path / "reference", issues)


def damage_on_disk(database: Path | sqlite3.Connection, table: str, sql: str,
                   *args: object) -> int:
    """Run ``sql`` on ``table`` as damage on the disk would leave it, where no type or
    constraint is checked: the table's schema row loosened for the while (not STRICT,
    no NOT NULL, no CHECK), then put back as it was, as are the rows of ``meta`` (which
    the catalog's triggers change). Gives the rows changed."""
    db = sqlite3.connect(database, isolation_level=None) \
        if isinstance(database, Path) else database
    try:
        [(schema,)] = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,))
        kept = db.execute("SELECT name, value FROM meta").fetchall()
        loose = schema.replace(" STRICT", "").replace(" NOT NULL", "")
        assert loose != schema
        _set_schema(db, table, loose)
        db.execute("PRAGMA ignore_check_constraints = ON")
        try:
            changed = db.execute(sql, args).rowcount
        finally:
            db.execute("PRAGMA ignore_check_constraints = OFF")
            _set_schema(db, table, schema)
        db.execute("DELETE FROM meta")
        db.executemany("INSERT INTO meta VALUES (?, ?)", kept)
    finally:
        if isinstance(database, Path):
            db.close()
    return int(changed)


def _set_schema(db: sqlite3.Connection, table: str, sql: str) -> None:
    """Rewrite a table's schema row; the connection reads the schema again."""
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (sql, table))
    db.execute(f"PRAGMA schema_version = {version + 1}")
    db.execute("PRAGMA writable_schema = OFF")


@pytest.fixture(params=[True, False], ids=["fast", "reference"])
def either_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test runs on each parser path: the fast line-by-line one and the token walk."""
    monkeypatch.setattr(fastissue, "ENABLED", request.param)
