"""A manifest row in the state store whose inode is not a number (NULL or text: a store
damaged, or edited by hand) is a row that matches no file, as a wrong size or time is:
the file is looked at again and the build goes on; never an internal error.

Found by breaker9: ``UPDATE published SET ino = NULL`` in ``.feeds/state.sqlite``, then
one new issue: exit 70, ``feeds: internal error: TypeError: '<' not supported between
instances of 'NoneType' and 'int'`` (feeds.store._inode)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEED, damage_on_disk
from test_build import SECOND, all_files, build, write_project


@pytest.mark.parametrize("value", [None, "x", 1.5], ids=["null", "text", "real"])
def test_a_manifest_row_with_a_bad_inode_is_no_internal_error(tmp_path: Path,
                                                               value: object) -> None:
    project = write_project(tmp_path / "site", {"2024-07-20-29.md": SEED.read_bytes()})
    assert build(project, "--quiet")[0] == 0
    assert damage_on_disk(project / ".feeds" / "state.sqlite", "published",
                          "UPDATE published SET ino = ?", value) > 10
    issues = {"2024-07-20-29.md": SEED.read_bytes(), "2024-07-27-30.md": SECOND}
    (project / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    code, _, err = build(project, "--quiet")
    assert (code, err) == (0, "")
    clean = write_project(tmp_path / "clean", issues)
    assert build(clean, "--quiet")[0] == 0
    assert all_files(project / "output") == all_files(clean / "output")
    assert build(project, "--quiet") == (0, "", "")  # and the rows are whole again
