"""Property tests: nothing but ParseError escapes, and well-formed issues round-trip."""

from __future__ import annotations

import random

from compose import DraftArticle, issue_markdown
from conftest import SEED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.model import ParseError
from feeds.parser import _CONTROL_BYTE, has_control_byte, parse_issue

SEED_TEXT = SEED.read_text(encoding="utf-8")
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
WORD = st.text(st.one_of(CJK, st.sampled_from("ABCxyz0189")), min_size=1, max_size=30)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _parse_or_parse_error(data: str | bytes) -> None:
    try:
        parse_issue(data, "issues/x.md")
    except ParseError as exc:
        assert exc.diagnostics and all(d.path == "issues/x.md" for d in exc.diagnostics)


@SETTINGS
@given(st.text())
def test_arbitrary_text_only_raises_parse_error(text: str) -> None:
    _parse_or_parse_error(text)


@SETTINGS
@given(st.binary())
def test_arbitrary_bytes_only_raise_parse_error(data: bytes) -> None:
    _parse_or_parse_error(data)


MUTATIONS = st.lists(st.tuples(st.sampled_from(["delete", "insert", "replace", "swap"]),
                               st.integers(0, 10_000), st.text(max_size=12)), max_size=12)


@SETTINGS
@given(MUTATIONS)
def test_mutated_seed_only_raises_parse_error(mutations: list[tuple[str, int, str]]) -> None:
    text = SEED_TEXT
    for kind, at, piece in mutations:
        at %= max(len(text), 1)
        if kind == "delete":
            text = text[:at] + text[at + len(piece) + 1:]
        elif kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "replace":
            text = text[:at] + piece + text[at + len(piece):]
        else:
            lines = text.split("\n")
            i, j = at % len(lines), (at * 7) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    _parse_or_parse_error(text)


@SETTINGS
@given(st.integers(0, 2**32))
def test_seed_with_random_markdown_noise(seed: int) -> None:
    rng = random.Random(seed)
    noise = ["**", "__", "`", "[", "](", ")", "<", ">", "\n", "\n\n", "#", "## ", "1. ", "- ",
             "摘要：", "**摘要:**", "http://", "javascript:", "---\n", "> ", "    ", "|", "\r", "\0"]
    text = SEED_TEXT
    for _ in range(rng.randint(1, 30)):
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice(noise) + text[at:]
    _parse_or_parse_error(text)


ARTICLE = st.builds(DraftArticle, title=WORD,
                    url=st.builds("https://example.com/{}/{}".format,
                                  st.integers(0, 10**6), st.text("abcXYZ019-_", min_size=1)),
                    summary=st.text(st.one_of(CJK, st.sampled_from("，。ab 12")), min_size=1,
                                    max_size=80).map(str.strip).filter(bool))
SECTIONS = st.lists(st.tuples(WORD, st.lists(ARTICLE, min_size=1, max_size=5)),
                    min_size=1, max_size=6, unique_by=lambda s: s[0])


@SETTINGS
@given(name=st.text(CJK, min_size=1, max_size=10), year=st.integers(1990, 2100),
       number=st.integers(1, 999), sections=SECTIONS)
def test_generated_issues_round_trip(name: str, year: int, number: int,
                                     sections: list[tuple[str, list[DraftArticle]]]) -> None:
    text = issue_markdown(name, year, number, sections)
    result = parse_issue(text, "issues/x.md")
    issue = result.issue
    assert (issue.name, issue.year, issue.number) == (name, year, number)
    got = [(s.name, [(a.title, a.url, a.summary_text) for a in s.articles])
           for s in issue.sections]
    want = [(s, [(a.title, a.url, a.summary) for a in arts]) for s, arts in sections]
    assert got == want
    assert all(d.level == "warning" and "same URL" in d.message for d in result.diagnostics)


_BYTES = st.binary() | st.lists(st.sampled_from(
    [b"\x00", b"\x08", b"\x09", b"\x0a", b"\x0d", b"\x1f", b"\x7f", b"\xc2", b"\x80", b"\x9f",
     b"\xa0", b"\xc2\x80", b"\xc2\x9f", b"\xc2\xa0", b"\xc3\x80", "云·计算".encode()]),
    max_size=40).map(b"".join)


@settings(max_examples=2000, deadline=None)
@given(_BYTES)
def test_the_control_byte_check_agrees_with_its_pattern(data: bytes) -> None:
    assert has_control_byte(data) is (_CONTROL_BYTE.search(data) is not None)
