"""A combined feed without a limit holds every article: the sections' feeds take theirs
from it (``feeds.builder.REFS_ONCE``) rather than reading every issue again, and are
the same as when each is read issue by issue."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEED
from test_build import CONFIG, all_files, build, write_project

from feeds import builder
from feeds.builder import plan_feeds
from feeds.config import Config
from feeds.loader import load_issues
from feeds.site import parse_options


def _project(root: Path, config: str) -> Path:
    from corpus import write_corpus

    project = write_project(root, {"2024-07-20-29.md": SEED.read_bytes()}, CONFIG + config)
    write_corpus(12, project / "issues")
    return project


@pytest.mark.parametrize("config", [
    "max_items = 0\nsection_max_items = 0\n",
    "max_items = 0\nsection_max_items = 7\n",  # each section's newest seven of them
    "max_items = 0\nsection_max_items = 5\narchive_page_size = 4\n",  # and archive pages
    "max_items = 30\nsection_max_items = 0\n",  # a limited combined feed: read apart
])
def test_sections_taken_from_the_combined_feed_are_those_read_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str) -> None:
    once, apart = _project(tmp_path / "once", config), _project(tmp_path / "apart", config)
    taken: list[str | None] = []
    newest = builder._newest

    def noted(issues: object, limit: int, only: str | None = None) -> list[builder._Ref]:
        taken.append(only)
        return newest(issues, limit, only)  # type: ignore[arg-type]

    monkeypatch.setattr(builder, "_newest", noted)
    assert build(once)[0] == 0
    read_apart = [only for only in taken if only is not None]
    taken.clear()
    monkeypatch.setattr(builder, "REFS_ONCE", False)
    assert build(apart)[0] == 0
    assert len([only for only in taken if only is not None]) >= 10
    if config.startswith("max_items = 0"):
        assert read_apart == []
    else:
        assert len(read_apart) >= 10
    assert all_files(once / "output") == all_files(apart / "output")


@pytest.mark.parametrize("limit", [0, 1, 3, 1000])
def test_the_planned_sections_are_the_same_either_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    from corpus import write_corpus

    paths = write_corpus(12, tmp_path / "issues")
    config = Config(max_items=0, section_max_items=limit, base_url="https://news.example.org/")
    issues = sorted(load_issues(paths, parse_options(config)).issues,
                    key=lambda i: (i.date, i.year, i.number))

    def planned() -> list[tuple[str, tuple[str, ...]]]:
        return [(f.path, tuple(e.id for e in f.entries))
                for f in plan_feeds(issues, config)]

    once = planned()
    monkeypatch.setattr(builder, "REFS_ONCE", False)
    assert once == planned()
    assert len(once) > 30 and all(entries for _, entries in once)
