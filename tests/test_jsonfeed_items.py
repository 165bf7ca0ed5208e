"""JSON Feed items written directly (feeds.formats.jsonfeed.item_bytes) against their
reference, ``json.dumps`` of the item: the same bytes for every entry, hostile text
(control characters, lone surrogates, quotes, backslashes, CJK, huge lines) included,
or the same error."""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, example, given, settings
from test_direct import SHANGHAI, _plain_entry, entries

from feeds.builder import Entry
from feeds.formats import jsonfeed

FORMAT = jsonfeed.FORMAT


def _reference(entry: Entry) -> list[bytes] | type[Exception]:
    try:
        return FORMAT.reference_entries([entry], None)  # type: ignore[arg-type]
    except Exception as error:  # the fast path must fail the same way
        return type(error)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=entries())
@example(entry=_plain_entry(title='"\\\x00\x1f\x7f\u2028</script>', summary="", tags=("", "a"),
                            section_name="", author=""))
@example(entry=_plain_entry(content_html="<p>" + "云\t\"" * 50_000 + "</p>", author="\ud800"))
@example(entry=_plain_entry(published=datetime(1, 1, 1), updated=datetime(9999, 12, 31, 23, 59,
                                                                          59, 999999, SHANGHAI)))
def test_items_are_the_bytes_json_dumps_writes(entry: Entry) -> None:
    expected = _reference(entry)
    if isinstance(expected, list):
        assert [jsonfeed.item_bytes(entry)] == expected
        assert FORMAT.entries([entry, entry], None) == expected * 2  # type: ignore[arg-type]
    else:
        try:
            jsonfeed.item_bytes(entry)
        except Exception as error:
            assert type(error) is expected
        else:
            raise AssertionError(f"json.dumps refused the entry ({expected}), the fast path not")


def test_a_plain_entry_is_written_exactly() -> None:
    entry = _plain_entry()
    assert jsonfeed.item_bytes(entry) == (
        '{"id":"tag:news.example.org,2024:issue-2024-29/0123456789abcdef",'
        '"url":"https://example.com/a?x=1&y=2","title":"标题 <b> & co",'
        '"content_html":"<p>正文 &amp; 更多</p>","summary":"摘要",'
        '"date_published":"2024-07-20T08:00:05+08:00","date_modified":"2024-07-20T08:00:05+08:00",'
        '"tags":["分布式","k8s","<tag>"],"authors":[{"name":"张三"}]}').encode()
