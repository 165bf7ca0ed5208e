"""An issue published before whose articles' URLs were all fixed: each fixed URL is a
new entry (README, "Entry ids and dates"), an article added to an issue published
before, which is "dated and republished the same way" as a correction ("How a
correction reaches readers"), so that a reader who holds the archive pages gets it.

Found by breaker10b on main (08d5463, after 96fd61b: "an issue none of whose entry ids
has a record is new, not corrected", meant for a new tag_authority): fixing 7 of the 8
URLs of an archived issue republished those 7 in the subscription feed, dated by the
edit; fixing all 8 republished none: no id of the issue had a record, so it was taken
as new, its articles dated as published and left in an archive page no reader fetches
again (RFC 5005), never seen. Now an issue is new only when no record is under its ids'
head (tag:<authority>,<year>:issue-<year>-<number>), which a URL does not change.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import SEED, run_main

PUBLISHED = 1_730_419_200  # 2024-11-01T00:00:00Z
EDITED = 1_733_011_200  # 2024-12-01T00:00:00Z
OLD, FIXED = "https://mp.weixin.qq.com/s/", "https://mp.weixin.qq.com/s?x="


@pytest.mark.parametrize("fixed", [1, 7, 8])
def test_articles_whose_urls_were_fixed_reach_the_subscription_feed(
        project: Path, fixed: int) -> None:
    config = project / "feeds.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + "max_items = 4\narchive_page_size = 4\n", encoding="utf-8")
    old = project / "issues" / "2024-11-01-29.md"
    old.write_bytes(SEED.read_bytes())
    os.utime(old, (PUBLISHED, PUBLISHED))
    newer = project / "issues" / "2024-11-08-30.md"
    newer.write_text(SEED.read_text(encoding="utf-8").replace("第二十九期", "第三十期")
                     .replace(OLD, OLD + "n"), encoding="utf-8")
    os.utime(newer, (PUBLISHED + 7 * 86400,) * 2)
    assert run_main("build", "-q") == (0, "", "")
    text = SEED.read_text(encoding="utf-8")
    assert text.count(OLD) == 8
    old.write_text(text.replace(OLD, FIXED, fixed), encoding="utf-8")
    os.utime(old, (EDITED, EDITED))
    assert run_main("build", "-q") == (0, "", "")
    atom = (project / "output" / "atom.xml").read_text(encoding="utf-8")
    entries = re.findall(r"<entry>.*?</entry>", atom, re.S)
    assert len(entries) == 4 + fixed
    republished = [e for e in entries if FIXED in e]
    assert len(republished) == fixed
    assert all("<updated>2024-12-01T08:00:00+08:00</updated>" in e for e in republished)
