"""The config's timezone is a place's IANA zone: the names of the database's other
files (the host's own zone, its rules file, the placeholder) are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

CONFIG = 'base_url = "https://feeds.example.com/"\n# the zone\ntimezone = "{}"\n'
ADVICE = "; write an IANA name such as 'Asia/Shanghai'"


@pytest.mark.parametrize(("name", "reason"), [
    ("localtime", "is the time zone of the machine that builds, so the feeds would change with "
                  "the machine"),
    ("posixrules", "is a file of the time zone database, not a place's zone"),
    ("Factory", "is the time zone database's placeholder, not a place's zone"),
    ("posix/Asia/Shanghai", "is a copy of 'Asia/Shanghai' from the database's posix/ folder"),
    ("right/Asia/Shanghai", "is a copy of 'Asia/Shanghai' from the database's right/ folder"),
])
def test_a_name_that_is_not_a_places_zone_is_a_config_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, reason: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("feeds.toml").write_text(CONFIG.format(name), encoding="utf-8")
    Path("issues").mkdir()
    expected = (2, "", f"feeds: error: feeds.toml:3: timezone {name!r} {reason}{ADVICE}\n")
    assert run_main("check") == expected
    assert run_main("build") == expected


@pytest.mark.parametrize("name", ["Asia/Shanghai", "UTC", "Etc/GMT-8", "America/New_York"])
def test_real_zones_still_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               name: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("feeds.toml").write_text(CONFIG.format(name), encoding="utf-8")
    Path("issues").mkdir()
    assert run_main("check") == (0, "checked 0 files: 0 errors, 0 warnings\n", "")
