"""A catalog row put into the state by hand with INSERT (after a DELETE of the row it
replaces, or beside the rows a build put there) rather than edited in place with
UPDATE: schema 15's triggers see only an UPDATE (a build itself drops a row and puts it
anew, so an INSERT cannot be told from one by hand).

Found by breaker10b on main (08d5463): a section row of an issue deleted and put back
with another name and slug (``DELETE FROM catalog_sections WHERE position = 0; INSERT
…``), then one new issue, made ``feeds build`` exit 70, ``feeds: internal error:
IndexError: tuple index out of range`` (the plan's section with articles in the
catalog and none in the entries). Now the store is set aside as damaged, with a warning,
and the build's output is that of a clean build.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import SEED, run_main

DAMAGES = {
    "deleted and put back renamed": (
        "CREATE TEMP TABLE t AS SELECT * FROM catalog_sections WHERE position = 0; "
        "DELETE FROM catalog_sections WHERE position = 0; "
        "UPDATE t SET name = '假的栏目', slug = 'fake'; "
        "INSERT INTO catalog_sections SELECT * FROM t;"),
    "one more put beside them": (
        "INSERT INTO catalog_sections SELECT file, 9, '假的栏目', 'fake', line, count, newest "
        "FROM catalog_sections WHERE position = 0;"),
}
WARNING = (".feeds/state.sqlite: warning: not a usable state database (its catalog disagrees with the "
           "issue files: section 'fake' has articles in the issues' summaries and none in "
           "their entries); set aside as state.sqlite.broken, building from scratch\n")


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_catalog_row_inserted_by_hand_sets_the_store_aside(
        project: Path, damage: str) -> None:
    issues = project / "issues"
    (issues / "2024-11-01-29.md").write_bytes(SEED.read_bytes())
    assert run_main("build", "-q") == (0, "", "")
    with sqlite3.connect(project / ".feeds" / "state.sqlite") as db:
        db.executescript(DAMAGES[damage])
    db.close()
    (issues / "2024-11-08-30.md").write_bytes(
        SEED.read_bytes().replace("第二十九期".encode(), "第三十期".encode()))
    code, _, err = run_main("build")
    assert (code, err) == (0, WARNING)
    assert (project / ".feeds" / "state.sqlite.broken").is_file()
    built = _files(project / "output")
    shutil.rmtree(project / ".feeds")
    shutil.rmtree(project / "output")
    assert run_main("build", "-q") == (0, "", "")
    assert _files(project / "output") == built
