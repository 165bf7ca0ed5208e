"""Chinese numerals as the newsletter writes issue numbers."""

from __future__ import annotations

import pytest

from feeds.numerals import parse_chinese, to_chinese


def test_every_number_below_1000_round_trips() -> None:
    for n in range(1, 1000):
        assert parse_chinese(to_chinese(n)) == n


@pytest.mark.parametrize(("text", "number"), [
    ("一", 1), ("九", 9), ("十", 10), ("十一", 11), ("二十", 20), ("二十九", 29), ("一百", 100),
    ("一百零五", 105), ("一百〇五", 105), ("两百", 200), ("二百", 200), ("一百一十", 110),
    ("一〇五", 105), ("二〇二四", 2024), ("一千零一", 1001), ("九百九十九", 999),
])
def test_reads(text: str, number: int) -> None:
    assert parse_chinese(text) == number


@pytest.mark.parametrize(("number", "text"), [
    (1, "一"), (10, "十"), (11, "十一"), (29, "二十九"), (100, "一百"), (105, "一百零五"),
    (110, "一百一十"), (200, "二百"), (1010, "一千零一十"),
])
def test_writes(number: int, text: str) -> None:
    assert to_chinese(number) == text


@pytest.mark.parametrize("text", ["", "十十", "一二十", "零十", "百百", "二十x", "零", "〇〇"])
def test_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_chinese(text)


@pytest.mark.parametrize("text", ["一二三四五", "〇" * 5000, "九" * 5])
def test_rejects_more_than_four_digits(text: str) -> None:
    with pytest.raises(ValueError, match="more than four digits"):
        parse_chinese(text)
