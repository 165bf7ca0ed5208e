"""Shared fixtures: the real seed issue and small helpers to parse text.

Everything the tests read is inside the repository, in tests/data/ (see its
README): the seed issue and the reference files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from feeds.model import Issue
from feeds.parser import ParseOptions, parse_issue

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED = DATA / "2024-29.md"  # the first issue as the editor wrote it, undated
ATOM_RNG = DATA / "atom-rfc4287.rng"
sys.path.insert(0, str(ROOT / "bench"))  # the corpus generator, for large tests


def parse(text: str | bytes, path: str = "issues/2024-29.md",
          options: ParseOptions | None = None) -> Issue:
    return parse_issue(text, path, options).issue


def entries(issue: Issue) -> list[tuple]:
    """Everything an article carries, in order, for comparing two parses."""
    return [(s.name, s.slug, a.position, a.title, a.url, a.summary_text, a.summary_html,
             a.author, a.source, a.tags) for s in issue.sections for a in s.articles]


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")
