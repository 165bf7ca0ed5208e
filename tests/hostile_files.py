"""Small files that cost the most to parse: the ones reported in issue 9 and the
worst found at the limits of feeds/limits.py (each was timed against the parser)."""

from __future__ import annotations

from feeds.limits import MAX_FILE_BYTES, MAX_LINE_CHARS, MAX_LINES, MAX_MARKUP, MAX_SECTIONS

HEAD = "# 云计算技术动态 2024 年第二十九期\n\n## 分布式系统\n\n**1.** **A**\n\nhttps://a.example/1\n\n"
_ROOM = MAX_MARKUP - 100  # the head's markup, and some to spare


def _lines(unit: str, markup_per_unit: int) -> str:
    """``unit`` repeated up to the markup limit, in lines just under the line limit."""
    text = unit * (_ROOM // markup_per_unit)
    width = MAX_LINE_CHARS - 20
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def _alias_bomb(key: str) -> str:
    """Nine levels of nine aliases: about 387 million strings once expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + f"\n{key}: *i\n---\n" + HEAD


REPORTED = {
    "alias-bomb-title": _alias_bomb("title"),
    "alias-bomb-number": _alias_bomb("number"),
    "em-line-5mb": HEAD + "*a* " * (5 * 2**20 // 4) + "\n",
    "word-em-code-line-5mb": HEAD + "word *em* `c` " * (5 * 2**20 // 14) + "\n",
}

AT_LIMITS = {
    "emphasis": HEAD + _lines("*a* ", 2),
    "word-em-code": HEAD + _lines("word *em* `c` ", 4),
    "open-brackets": HEAD + _lines("[", 1),
    "nested-brackets": HEAD + _lines("[a", 1),
    "links": HEAD + _lines("[a](b) ", 2),
    "autolinks": HEAD + _lines("<http://a.b/> ", 2),
    "unclosed-strong": HEAD + _lines("**a ", 2),
    "underscores": HEAD + _lines("_a_ ", 2),
    "entities": HEAD + _lines("&amp; ", 1),
    "blockquotes": HEAD + "\n".join(">" * 20 + " a" for _ in range(_ROOM // 20)),
    "nested-lists": HEAD + "\n".join("- " * 1000 + "a" for _ in range(100)),
    "spaces-in-title": HEAD + "\n\n".join("**1. a" + " " * (MAX_LINE_CHARS - 20) + "b**"
                                          for _ in range(MAX_FILE_BYTES // MAX_LINE_CHARS - 1)),
    "heading-without-end": "# " + "2024年第1" * ((MAX_LINE_CHARS - 10) // 7) + "\n\n## S\n",
    "many-sections": HEAD + "".join(f"## 栏目{i}\n**1.** [T](https://example.com/{i})\n"
                                    for i in range(MAX_SECTIONS - 1)),
    "many-articles": HEAD + "".join(f"### {i % 9999 + 1}. T\nhttps://a.example/{i}\n"
                                    for i in range(MAX_LINES // 2 - 20)),
    "chinese-text": HEAD + "\n".join("云计算技术动态" * ((MAX_LINE_CHARS - 20) // 7)
                                     for _ in range(MAX_FILE_BYTES // 3 // MAX_LINE_CHARS)),
}
