"""A build never plans with stored entries that disagree with what making them again
gives: an issue's stored entries are dated by its revision records, and a build under
another context (here: another timezone) rewrites those records."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

from test_build import CONFIG, SECOND, SEED, all_files, build, write_project

UTC_CONFIG = CONFIG + 'timezone = "UTC"\n'


def _project(root: Path) -> Path:
    return write_project(root, {"2024-07-20-29.md": SEED.read_bytes(),
                                "2024-07-27-30.md": SECOND})


def _configure(root: Path, config: str) -> None:
    (root / "feeds.toml").write_text(config, encoding="utf-8")


def _built(root: Path) -> dict[str, bytes]:
    code, _, err = build(root)
    assert code == 0, err
    return all_files(root / "output")


def _remade(root: Path, copy: Path) -> dict[str, bytes]:
    """What a build of ``root`` publishes with no stored entries (each one made again
    from the same records), built in a copy from an empty output folder."""
    shutil.copytree(root, copy)
    shutil.rmtree(copy / "output")
    with sqlite3.connect(copy / ".feeds" / "state.sqlite") as db:
        db.execute("DELETE FROM entries")
    return _built(copy)


def _updated(files: dict[str, bytes]) -> list[str]:
    return re.findall(r"<updated>([^<]+)</updated>", files["atom.xml"].decode())


def test_entries_stored_before_a_zone_change_are_not_reused_after_it(tmp_path: Path) -> None:
    root = _project(tmp_path / "site")
    shanghai = _built(root)
    _configure(root, UTC_CONFIG)
    in_utc = _built(root)
    _configure(root, CONFIG)
    back = _built(root)
    # The UTC build published later times (midnight UTC is 08:00 in Shanghai): an
    # entry's updated never moves back, and so the Shanghai entries stored before are
    # stale; reused, they would give the first build's times.
    assert _updated(shanghai) != _updated(back)
    assert [u.replace("+00:00", "") for u in _updated(in_utc)[1:]] == [
        u.replace("T08:", "T00:").replace("+08:00", "") for u in _updated(back)[1:]]
    assert back == _remade(root, tmp_path / "copy")


def test_a_store_whose_entries_disagree_with_their_records_is_built_over(
        tmp_path: Path) -> None:
    root = _project(tmp_path / "site")
    _built(root)
    # the state a build under another zone left before the fix: the records moved 8 h
    # later, the stored entries kept, their serialised bytes dropped
    with sqlite3.connect(root / ".feeds" / "state.sqlite") as db:
        for year, number, records in db.execute("SELECT year, number, records FROM revisions").fetchall():
            moved = [[i, r, t + 8 * 3600] for i, r, t in json.loads(records)]
            db.execute("UPDATE revisions SET records = ? WHERE year = ? AND number = ?",
                       (json.dumps(moved), year, number))
        db.execute("DELETE FROM fragments")
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] > 0
    shutil.rmtree(root / "output")
    code, _, err = build(root)
    assert (code, err) == (0, "")
    files = all_files(root / "output")
    assert _updated(files)[0] == "2024-07-27T08:00:02+08:00"
    assert files == _remade(root, tmp_path / "copy")
