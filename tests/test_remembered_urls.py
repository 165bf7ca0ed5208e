"""The URL functions remember their last answers (feeds.urls): each gives what its plain
reference (``__wrapped__``) gives, for any text, asked once or again, and a str and a
Markup of the same text are answered apart, each with what the reference gives it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from feeds import urls

REMEMBERED: list[Callable[[str], str | None]] = [urls.url_problem, urls.published_url,
                                                 urls.canonical_url]
TRICKY = ["https://example.com/a", "HTTPS://Example.COM/a?b=1&c=2#d", "https://ｅｘａｍｐｌｅ．com/a",
          "https://exa\u200bmple.com/a", "https://cafe\u0301.example/a", "http://a b/",
          "https://user:pw@example.com/", "javascript:alert(1)", "https://例子.测试/路径?q=值",
          "https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1&sn=x&utm_source=y#rd",
          "https://example.com/%zz|{}", "", "ftp://example.com/", "https://[::1]:8080/x",
          "https://example.com:99999/", "https://x.example/a\x01b", "https://x.example/\ud800"]
URL_TEXT = st.one_of(st.sampled_from(TRICKY), st.text(max_size=60),
                     st.builds(lambda s: "https://" + s, st.text(max_size=40)))


def _answer(function: Callable[[str], str | None], url: str) -> object:
    try:
        return function(url)
    except ValueError as exc:  # canonical_url of a malformed URL raises, as urlsplit does
        return ("raises", type(exc), str(exc))


@pytest.mark.parametrize("function", REMEMBERED, ids=lambda f: f.__name__)
@given(url=URL_TEXT)
@settings(max_examples=300, deadline=None)
def test_each_answers_as_its_reference_asked_once_or_again(
        function: Callable[[str], str | None], url: str) -> None:
    reference = function.__wrapped__  # type: ignore[attr-defined]
    expected = _answer(reference, url)
    assert _answer(function, url) == expected
    assert _answer(function, url) == expected  # the remembered answer


@pytest.mark.parametrize("function", REMEMBERED, ids=lambda f: f.__name__)
def test_a_str_and_a_markup_of_one_text_are_answered_apart(
        function: Callable[[str], str | None]) -> None:
    url = "https://example.com/a?b=1&c=2"
    function.cache_clear()  # type: ignore[attr-defined]
    plain = function(url)
    markup = function(Markup(url))
    assert type(plain) is type(function.__wrapped__(url))  # type: ignore[attr-defined]
    assert type(markup) is type(function.__wrapped__(Markup(url)))  # type: ignore[attr-defined]
    assert type(function(url)) is type(plain)


def test_what_is_remembered_is_bounded() -> None:
    urls.published_url.cache_clear()
    for n in range(3 * urls._REMEMBERED):
        urls.published_url(f"https://example.com/{n}")
    assert urls.published_url.cache_info().currsize == urls._REMEMBERED
