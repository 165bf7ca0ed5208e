"""Operator templates: the stamp sees through symlinked folders, templates see plain
tuples, and any failure of an operator's template is a template error (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import SEED
from test_build import CONFIG, build, write_project

from feeds.sources import template_stamp

THEME = CONFIG + 'templates = "theme"\n'


def _project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "site", {"2024-07-20-29.md": SEED.read_bytes()}, THEME)
    (root / "theme").mkdir()
    return root


def test_a_template_behind_a_symlinked_folder_is_stamped(tmp_path: Path) -> None:
    root = _project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "row.html").write_text('<p class="v1">{{ year }}</p>', encoding="utf-8")
    (root / "theme" / "inc").symlink_to(outside, target_is_directory=True)
    (root / "theme" / "archive_year.html").write_text(
        '<section>{% include "inc/row.html" %}</section>', encoding="utf-8")
    assert build(root)[0] == 0
    archive = root / "output" / "archive.html"
    assert b'<section><p class="v1">2024</p></section>' in archive.read_bytes()
    (outside / "row.html").write_text('<p class="v2">{{ year }}</p>', encoding="utf-8")
    code, out, _ = build(root)
    assert code == 0 and out.startswith(f"wrote {archive}\n")
    data = archive.read_bytes()
    assert b'<section><p class="v2">2024</p></section>' in data and b"v1" not in data


def test_a_symlink_loop_in_the_template_folder_ends(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "a").mkdir(parents=True)
    (theme / "a" / "x.html").write_text("x", encoding="utf-8")
    (theme / "a" / "loop").symlink_to(theme, target_is_directory=True)
    (theme / "self").symlink_to(".", target_is_directory=True)
    (theme / "dangling").symlink_to(tmp_path / "nowhere")
    first = template_stamp(str(theme))
    assert first == template_stamp(str(theme))
    os.utime(theme / "a" / "x.html", ns=(1, 1))
    assert template_stamp(str(theme)) != first
