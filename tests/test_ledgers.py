"""What one output folder published is its own: a preview build into another folder
or a second project sharing the state folder never changes the entries of the live
feeds."""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from test_build import all_files

from feeds.cli import cli

SECTIONS = ["分布式系统", "云计算技术", "大模型技术", "技术之外"]
# small limits, so that every feed has archive pages (as the hostile tester's project)
CONFIG = """title = "云计算技术动态"
base_url = "https://feeds.example.com/"
tag_authority = "feeds.example.com"
max_items = 5
section_max_items = 3
digest_max_items = 3
archive_page_size = 2

[sections]
"分布式系统" = "distributed-systems"
"云计算技术" = "cloud-computing"
"大模型技术" = "large-models"
"技术之外" = "beyond-tech"
"""
EDITED = "2024-01-01 00:00:00+00:00"  # when the staging copy is edited (its mtime)


def _name(i: int) -> str:
    return f"{date(2023, 1, 6) + timedelta(days=7 * (i - 1))}-{i}.md"


def _issue(i: int, variant: str = "") -> str:
    """Issue ``i`` of 2023 (weekly from 6 January): 2 articles in most sections."""
    lines = [f"# 云计算技术动态 2023 年第{i}期", ""]
    for s, section in enumerate(SECTIONS):
        if (i + s) % 5 == 0:
            continue
        lines += [f"## {section}", ""]
        for k in (1, 2):
            lines += [f"**{k}.** **文章 {i}-{s}-{k} 标题{variant}**", "",
                      f"https://example.com/a{variant and '/' + variant}/{i}/{s}/{k}", "",
                      f"**摘要:** 摘要 {i} {s} {k}，内容{variant}。", ""]
    return "\n".join(lines)


def _project(root: Path, count: int, variant: str = "") -> Path:
    (root / "issues").mkdir(parents=True)
    for i in range(1, count + 1):
        _write(root / "issues" / _name(i), _issue(i, variant))
    (root / "feeds.toml").write_text(CONFIG, encoding="utf-8")
    return root


def _write(path: Path, text: str, when: str = "2023-06-01 00:00:00+00:00") -> None:
    """An issue file with a fixed mtime: the time a correction would be dated by."""
    from datetime import datetime

    path.write_text(text, encoding="utf-8")
    stamp = datetime.fromisoformat(when).timestamp()
    os.utime(path, (stamp, stamp))


def _build(root: Path, state: Path, issues: str = "issues", output: str = "output") -> None:
    result = CliRunner().invoke(cli, [
        "build", "-q", "--issues", str(root / issues), "--output", str(root / output),
        "--config", str(root / "feeds.toml"), "--state", str(state)])
    assert (result.exit_code, result.stderr) == (0, ""), (result.output, result.exception)


def _as_cold(root: Path, copy: Path) -> None:
    """``root``'s output holds what a build of its issues from nothing (no state, no
    output) holds, and besides only archive pages that are no longer linked (kept,
    never deleted)."""
    _project(copy, 0)
    shutil.copytree(root / "issues", copy / "issues", dirs_exist_ok=True,
                    copy_function=shutil.copy2)
    _build(copy, copy / ".feeds")
    cold, built = all_files(copy / "output"), all_files(root / "output")
    assert {p: built.get(p) for p in cold} == cold
    assert all(p.startswith("archive/") or "/archive/" in p for p in built.keys() - cold.keys())


def test_a_preview_of_an_edit_leaves_the_live_feeds_as_they_would_be(tmp_path: Path) -> None:
    """The hostile tester's repro: an edit built into a preview folder from a staging
    copy of the issues, then one new issue published live, gives the live folder
    exactly what the same steps give without the preview (before, the edited article
    led the live feeds, dated by the staging file's mtime, though its text never
    changed there)."""
    outputs = []
    for run, preview in (("with", True), ("without", False)):
        root = _project(tmp_path / run, 20)
        state = root / ".feeds"
        _build(root, state)
        if preview:
            shutil.copytree(root / "issues", root / "staging", copy_function=shutil.copy2)
            staged = root / "staging" / _name(5)
            _write(staged, staged.read_text(encoding="utf-8").replace(
                "文章 5-1-1 标题", "文章 5-1-1 标题草稿"), EDITED)
            _build(root, state, "staging", "preview")
            page = root / "preview" / "issues" / "2023-5.html"
            assert "文章 5-1-1 标题草稿" in page.read_text("utf-8")
        _write(root / "issues" / _name(21), _issue(21))
        _build(root, state)
        outputs.append(all_files(root / "output"))
    live, alone = outputs
    assert live == alone
    assert "2024-01-01" not in live["atom.xml"].decode()
    _as_cold(tmp_path / "with", tmp_path / "cold")


def test_two_projects_sharing_one_state_folder_each_build_as_alone(tmp_path: Path) -> None:
    """Two projects with the same issue numbers (their digest entries share ids) given
    one --state, built in turn as each grows: each publishes what a cold build of its
    own issues publishes (before, the second one's feeds held 134 entries against a
    limit of 5, every one dated by the build's clock)."""
    state = tmp_path / "shared-state"
    first = _project(tmp_path / "first", 12)
    second = _project(tmp_path / "second", 12, "b")
    for count in (12, 13, 14):
        for root, variant in ((first, ""), (second, "b")):
            _write(root / "issues" / _name(count), _issue(count, variant))
            _build(root, state)
    for root in (first, second):
        _as_cold(root, tmp_path / f"cold-{root.name}")


def test_an_edit_a_preview_built_first_is_still_a_correction_for_the_live_feeds(
        tmp_path: Path) -> None:
    """The issue files' rows are shared: an edit that a preview build from the same
    issues saw first is still an edit to the next live build, which dates the
    corrected entry by the file, as it would without the preview."""
    root = _project(tmp_path / "site", 8)
    _build(root, root / ".feeds")
    issue = root / "issues" / _name(5)
    _write(issue, issue.read_text(encoding="utf-8").replace("文章 5-1-1 标题", "文章 5-1-1 更正"),
           EDITED)
    _build(root, root / ".feeds", output="preview")
    _build(root, root / ".feeds")
    atom = (root / "output" / "atom.xml").read_text("utf-8")
    first = atom[atom.index("<entry>"):atom.index("</entry>")]
    assert "文章 5-1-1 更正" in first and "<updated>2024-01-01T08:00:00+08:00</updated>" in first
