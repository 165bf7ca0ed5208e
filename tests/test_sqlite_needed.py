"""The state's tables are STRICT (SQLite 3.37 or later): on an older SQLite, the commands
that keep state say so and exit 2 before touching anything, rather than an internal error
(exit 70) when the store is made; those that keep none (check, list) work as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import SEED, run_main

MESSAGE = ("feeds: error: the build's state needs SQLite 3.37.0 or later; this Python's "
           "sqlite3 module has 3.31.1\n")


@pytest.fixture
def old_sqlite(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (project / "issues" / "2024-29.md").write_bytes(SEED.read_bytes())
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    return project


@pytest.mark.parametrize("args", [("build",), ("publish", "s3://bucket/x", "--dry-run"),
                                  ("serve",)])
def test_a_command_that_keeps_state_refuses_an_old_sqlite(old_sqlite: Path,
                                                          args: tuple[str, ...]) -> None:
    assert run_main(*args) == (2, "", MESSAGE)
    assert not (old_sqlite / "output").exists()
    assert not (old_sqlite / ".feeds").exists()


def test_check_and_list_need_no_sqlite(old_sqlite: Path) -> None:
    assert run_main("check")[0] == 0
    assert run_main("list")[0] == 0
