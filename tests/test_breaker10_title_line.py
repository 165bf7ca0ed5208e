"""A front matter ``title`` (the newsletter's name) that holds a line break.

Found on main (54da399): ``title: "云计算\\n技术动态"`` (a YAML escape) or a block scalar
(``title: |``) was accepted, exit 0, and published with the line break in every feed's
title and every page's heading; then ``feeds new`` copied the name into the next
issue's heading, ``# 云计算`` on one line and ``技术动态 2024 年第二期`` on the next,
a file that ``feeds check`` refuses (no issue number). The name is one line: such a
title is now an error on its line, as any other bad front matter value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

BODY = "# X 2024 年第1期\n\n## 分布式\n\n**1.** **T**\n\nhttps://example.com/1\n\n**摘要:** s\n"
FORM = "write text, e.g. 'title: 云计算技术动态'"


@pytest.mark.parametrize(("front", "line", "shown"), [
    ('title: "云计算\\n技术动态"', 2, "'云计算\\n技术动态'"),
    ('title: "云计算\\r技术动态"', 2, "'云计算\\r技术动态'"),
    ('title: "云计算\\u2028技术动态"', 2, "'云计算\\u2028技术动态'"),
    ("title: |\n  云计算\n  技术动态", 2, "'云计算\\n技术动态'"),
])
def test_a_title_with_a_line_break_is_an_error_on_its_line(
        project: Path, front: str, line: int, shown: str) -> None:
    path = project / "issues" / "2024-01-01-1.md"
    path.write_text(f"---\n{front}\n---\n{BODY}", encoding="utf-8")
    assert run_main("check") == (1, (
        f"issues/2024-01-01-1.md:{line}: error: front matter title {shown} holds a line "
        f"break (the newsletter's name is one line); {FORM}\n"
        "checked 1 file: 1 error, 0 warnings\n"), "")
    assert run_main("build", "-q")[0] == 1
    assert not [p for p in (project / "output").rglob("*") if p.is_file()]


def test_a_title_folded_by_yaml_onto_one_line_stays_accepted(project: Path) -> None:
    """A plain scalar over two lines is one line to YAML (folded with a space)."""
    (project / "issues" / "2024-01-01-1.md").write_text(
        f"---\ntitle: 云计算\n  技术动态\n---\n{BODY}", encoding="utf-8")
    assert run_main("build", "-q") == (0, "", "")
    assert "<title>云计算 技术动态</title>" in (project / "output" / "rss.xml").read_text(
        encoding="utf-8")
    assert run_main("new", "--date", "2024-02-01") == (0, "issues/2024-02-01-2.md\n", "")
    assert "\n# 云计算 技术动态 2024 年第二期\n" in (
        project / "issues" / "2024-02-01-2.md").read_text(encoding="utf-8")
