"""A configuration change and an edit no reader sees, in one build, date a correction.

Found by the long differential walk (tests/test_differential.py, seed 1002, variant
small-unseen, 31 steps; reduced by hand to this): README, "How a correction reaches
readers": touching a file or editing it without changing what a reader sees moves
nothing, and a new base URL, ``pages`` setting or time zone "corrects nothing" (its
entries are made again with their old ``updated``). But when both happen between two
builds (the operator sets ``pages = false`` while the editor adds a blank line to a
published issue), the edited issue's entries are compared with revisions recorded
under the old configuration: their content differs (the footer's link to the issue's
page is gone), so every article of that issue gets ``updated`` = the file's time, as
if the editor had corrected it, and is republished at the head of the subscription
feeds; a cold build of the same inputs has ``updated`` = ``published``. Readers see
the whole issue as corrected although nobody changed a word of it.

Fixed: a revision leaves out the content's link to the issue (and the digest entry
its link), which follow the configuration; and an issue none of whose ids has a record
(a new tag_authority: every id new) is new, not corrected: with base_url alone changed
in the file, the authority (its host) changed too, and every article was dated as
"added to an issue published before".
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import SEED, run_main

ISSUE = "2024-11-01-29.md"
EDITED = 1_733_011_200  # 2024-12-01T00:00:00Z: the editor's blank line, a month later


@pytest.mark.parametrize("change", [
    'pages = false\n',
    'base_url = "https://news.example.org/x/"\ntag_authority = "example.com"\n',
    'base_url = "https://news.example.org/x/"\n',  # a new authority: every id new
    'timezone = "UTC"\n',  # passed before the fix: the content does not hold the zone
])
def test_an_unseen_edit_beside_a_config_change_corrects_nothing(
        project: Path, tmp_path: Path, change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    issue = project / "issues" / ISSUE
    issue.write_bytes(SEED.read_bytes())
    os.utime(issue, (1_730_419_200, 1_730_419_200))  # 2024-11-01T00:00:00Z
    assert run_main("build", "-q") == (0, "", "")
    config = project / "feeds.toml"
    config.write_text(config.read_text(encoding="utf-8") + change, encoding="utf-8")
    if change.startswith("base_url"):
        config.write_text(change, encoding="utf-8")
    issue.write_bytes(SEED.read_bytes().replace(b"\n\n", b"\n\n\n", 1))
    os.utime(issue, (EDITED, EDITED))
    assert run_main("build", "-q") == (0, "", "")
    cold = tmp_path / "cold"
    shutil.copytree(project / "issues", cold / "issues")
    shutil.copy2(config, cold / "feeds.toml")
    monkeypatch.chdir(cold)
    assert run_main("build", "-q") == (0, "", "")
    got = (project / "output" / "atom.xml").read_text(encoding="utf-8")
    assert "2024-12-01" not in got  # no entry dated by the unseen edit
    assert got == (cold / "output" / "atom.xml").read_text(encoding="utf-8")
    for name in ("digest/atom.xml", "rss.xml", "feed.json"):  # the digest's entry too
        assert (project / "output" / name).read_bytes() == (cold / "output" / name).read_bytes()
