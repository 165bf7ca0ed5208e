"""Write an issue in the newsletter's own Markdown format: a helper of the tests and the
benchmark corpus, not part of the shipped package."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from feeds.numerals import to_chinese


@dataclass(frozen=True)
class DraftArticle:
    title: str
    url: str
    summary: str


def issue_markdown(name: str, year: int, number: int,
                   sections: Sequence[tuple[str, Sequence[DraftArticle]]]) -> str:
    """The issue as the editor writes it, like shared/seed/2024-29.md."""
    lines = [f"# {name} {year} 年第{to_chinese(number)}期", ""]
    for section, articles in sections:
        lines += [f"## {section}", ""]
        for n, article in enumerate(articles, start=1):
            lines += [f"**{n}.** **{article.title}**", "", article.url, "",
                      f"**摘要:** {article.summary}", ""]
    return "\n".join(lines)
