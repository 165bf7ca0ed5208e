"""The templates' ``href`` filter given a value that is not a string (breaker12): since
published_url remembers its answers, a list or dict made it say "unhashable type";
it says a string was expected, as before. A missing value still names what is missing."""

from __future__ import annotations

import jinja2
import pytest

from feeds.pages import template_environment


def _render(source: str) -> str:
    env = template_environment(jinja2.DictLoader({"t.html": source}))
    return env.get_template("t.html").render(a={"url": "HTTPS://Example.COM/a b"})


@pytest.mark.parametrize(("value", "kind"), [("[1]", "list"), ("{}", "dict"), ("5", "int")])
def test_a_value_not_a_string_is_said_to_be_one(value: str, kind: str) -> None:
    with pytest.raises(TypeError) as raised:
        _render(f"{{{{ {value} | href }}}}")
    assert str(raised.value) == f"expected string or bytes-like object, got '{kind}'"


def test_a_missing_value_is_named() -> None:
    with pytest.raises(jinja2.UndefinedError) as raised:
        _render("{{ a.nosuch | href }}")
    assert str(raised.value) == "'dict object' has no attribute 'nosuch'"


def test_a_string_is_published() -> None:
    assert _render("{{ a.url | href }}") == "https://example.com/a%20b"
