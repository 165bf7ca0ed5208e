"""Editor typos that silently swallowed an article or a section, or an issue file: a
hostile tester found each on main (761dc19) with no error, no warning and `check`
exiting 0. Each is now a warning on its line saying how to fix it; a real issue (the
seed, the bench corpus) gets none of them."""

from __future__ import annotations

from pathlib import Path

from feeds.model import ParseError
from feeds.parser import parse_issue

P = "issues/2024-11-01-29.md"
HEAD = "# 云计算技术动态 2024 年第二十九期\n\n## 分布式系统\n\n"
ONE = "**1.** **T1**\n\nhttps://example.com/1\n\n**摘要:** s1\n\n"
DATA = Path(__file__).parent / "data"


def problems(text: str, path: str = P) -> list[str]:
    try:
        return [str(d) for d in parse_issue(text, path).diagnostics]
    except ParseError as exc:
        return [str(d) for d in exc.diagnostics]


def _swallowed(title: str) -> str:
    return HEAD + ONE + f"{title}\n\nhttps://example.com/2\n\n**摘要:** s2\n"


# -- article numbers

def test_a_repeated_or_backwards_article_number_is_a_warning() -> None:
    text = HEAD + "".join(f"**{n}.** **A{i}**\n\nhttps://a.example/{i}\n\n**摘要:** s\n\n"
                          for i, n in enumerate((1, 2, 2, 1, 2)))
    assert problems(text) == [
        f"{P}:17: warning: article 2 in section 分布式系统 follows article 2: its number repeats "
        "it; number the articles of a section 1, 2, 3…, or if it starts a new section, add its "
        "'## name' heading above it",
        f"{P}:23: warning: article 1 in section 分布式系统 follows article 2: its number goes "
        "back; number the articles of a section 1, 2, 3…, or if it starts a new section, add its "
        "'## name' heading above it"]
