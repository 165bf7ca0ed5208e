"""The compiled templates escape with :func:`feeds.precompiled.fast_escape`: the same
text and type as :func:`markupsafe.escape` for every kind of value, and the same pages
(``feeds.precompiled.FAST_ESCAPE = False`` renders with markupsafe's)."""

from __future__ import annotations

from pathlib import Path

import markupsafe
import pytest
from conftest import SEED
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from test_build import CONFIG, all_files, build, write_project

from feeds import precompiled
from feeds.precompiled import fast_escape


class _Text(str):
    pass


class _Safe(Markup):
    pass


class _Html:
    def __html__(self) -> str:
        return "<b>&amp;</b>"


class _Both(str):
    def __html__(self) -> str:
        return "<i>kept</i>"


VALUES: list[object] = [
    "", "plain", "<a href=\"x\">&'</a>", "第二十九期 <>&\"'", "\x00\ud800", _Text("<t>&"),
    Markup("<b>safe</b> &amp;"), _Safe("<s>"), Markup(""), _Html(), _Both("<raw>"),
    0, 3, -1.5, True, None, ("<", 1), b"<bytes>",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_fast_escape_gives_what_markupsafe_gives(value: object) -> None:
    fast, plain = fast_escape(value), markupsafe.escape(value)
    assert type(fast) is type(plain) is Markup
    assert str.__str__(fast) == str.__str__(plain)


@given(st.text())
def test_fast_escape_of_any_text(text: str) -> None:
    fast, plain = fast_escape(text), markupsafe.escape(text)
    assert type(fast) is Markup and str.__str__(fast) == str.__str__(plain)
    again = fast_escape(fast)
    assert type(again) is Markup and again == markupsafe.escape(plain)


HOSTILE = """---
date: 2024-07-27
---
# 云计算技术动态 2024 年第三十期

## 分布式 <系统> & "存储"

**1.** **<script>alert('x')</script> & 标题 "引号"**

https://example.com/a?b=1&c=<2>

**摘要:** 一段 <b>不安全</b> 的 & 'HTML'，`<code>` 与 **粗体 & 斜体**。

作者：<张三> & '李四'
来源："某处" <来源>
标签：<标签>，a&b，"q"
"""


def test_pages_rendered_with_fast_escape_are_those_of_markupsafe(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issues = {"2024-07-20-29.md": SEED.read_bytes(), "2024-07-27-30.md": HOSTILE}
    fast = write_project(tmp_path / "fast", issues, CONFIG)
    plain = write_project(tmp_path / "plain", issues, CONFIG)
    loaded: list[str] = []
    load = precompiled._Loader.load

    def noted(self: precompiled._Loader, *args: object, **kwargs: object) -> object:
        template = load(self, *args, **kwargs)  # type: ignore[arg-type]
        loaded.append(template.name or "")
        return template

    monkeypatch.setattr(precompiled._Loader, "load", noted)
    assert build(fast)[0] == 0
    assert {"issue.html", "macros.html", "index.html"} <= set(loaded)
    monkeypatch.setattr(precompiled, "FAST_ESCAPE", False)
    assert build(plain)[0] == 0
    pages = all_files(fast / "output")
    assert pages == all_files(plain / "output")
    page = pages["issues/2024-30.html"].decode()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 标题 &#34;引号&#34;" in page
    assert "作者：&lt;张三&gt; &amp; &#39;李四&#39;" in page and "<script>" not in page
