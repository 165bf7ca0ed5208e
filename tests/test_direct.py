"""The direct Atom and RSS writers (feeds.formats.direct) against their reference,
feedgen and lxml: the same bytes for every entry, hostile ones included, and the
reference's own answer (bytes or error) for every entry they decline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from feeds.builder import Entry, FeedInfo
from feeds.config import Config
from feeds.formats import BY_NAME, atom, direct, rss
from feeds.urls import published_url, url_problem
from feeds.xmltext import clean

WRITERS = {"atom": direct.atom_entry, "rss": direct.rss_item}
REFERENCE = {"atom": atom.FORMAT.feedgen_entries, "rss": rss.FORMAT.feedgen_entries}
SHANGHAI = ZoneInfo("Asia/Shanghai")

_SPECIAL = ["<", ">", "&", '"', "'", "]]>", "&amp;", "&lt;", "&#x26;", "<![CDATA[", "-->",
            "\t", "\n", "\r", "\r\n", "\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x85", "\x9f",
            "\ud800", "\udfff", "\ufffe", "\uffff", "\ufeff", "\u200b", "\u2028", "\u202e",
            "\u2066", "\u061c", "\U00020000", "\U0002a6d6", "\U0001f600", "𠮷", "云计算", "é"]
_pieces = st.one_of(
    st.sampled_from(_SPECIAL),
    st.characters(),  # any code point but lone surrogates
    st.characters(categories=["Cs"]),  # lone surrogates
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=8),
    st.text("abc <>&\"'", min_size=1, max_size=8))
raw_text = st.lists(_pieces, max_size=30).map("".join)
long_text = st.tuples(raw_text, st.integers(1, 400)).map(lambda t: t[0] * t[1])
# what the builder hands over is clean() text; hostile raw text must be declined exactly
texts = st.one_of(raw_text.map(clean), raw_text.map(clean), raw_text, long_text.map(clean))
maybe = st.one_of(st.just(""), texts)


def _url(parts: tuple[str, str, str, str, str]) -> str:
    scheme, host, port, path, rest = parts
    return f"{scheme}://{host}{port}/{path}{rest}"


_url_chars = st.sampled_from(list("aZ09-._~:/?#[]@!$&'()*+,;=%<>\"{}|\\^` 云é𠀀\u202e"))
urls = st.tuples(
    st.sampled_from(["http", "https", "HTTPS"]),
    st.sampled_from(["example.com", "Example.COM", "xn--fsqu00a.xn--0zwm56d", "例子.测试",
                     "ｅｘａｍｐｌｅ．com", "a_b-.example.org", "example.com.", "[::1]", "127.0.0.1"]),
    st.sampled_from(["", ":8080", ":1"]),
    st.text(_url_chars, max_size=40),
    st.sampled_from(["", "?a=1&b=2", "?q=<x>&amp;y", "#frag&x", "?%zz", "?a=%E4%BA%91"]),
).map(_url).filter(lambda u: url_problem(u) is None).map(published_url)

zones = st.one_of(
    st.just(SHANGHAI), st.just(UTC), st.timezones(),
    st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59))
    .map(timezone))
stamps = st.one_of(st.datetimes(timezones=zones),
                   st.datetimes(timezones=st.none()),  # naive: feedgen refuses it
                   st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(1000, 1, 1),
                                timezones=zones))


@st.composite
def entries(draw: st.DrawFn, wild: bool = True) -> Entry:
    """Any entry (``wild``), or one as the builder makes them: clean text (still full of
    markup, ``&``, ``]]>``, bidi and astral characters), aware dates, every required
    field set; optional fields (author, section, tags, summary) present or absent."""
    text = texts if wild else raw_text.map(lambda t: clean(t) or "云")
    optional = maybe if wild else st.one_of(st.just(""), text)
    dates = stamps if wild else st.datetimes(timezones=zones)
    published = draw(dates)
    section_slug = draw(st.one_of(st.just(""), st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
                                  text))
    return Entry(
        id=draw(st.one_of(st.from_regex(r"tag:[a-z.]{1,12},20[0-9]{2}:issue-[0-9]{1,3}(/[0-9a-f]{16})?",
                                        fullmatch=True), maybe if wild else text)),
        title=draw(maybe if wild else text), link=draw(urls if not wild else st.one_of(urls, st.just(""))),
        summary=draw(optional),
        content_html=draw(st.one_of(maybe if wild else text, text.map(lambda t: f"<p>{t}</p>"),
                                    long_text.map(clean).map(lambda t: f"<p>{t}</p>"))),
        published=published, updated=draw(st.one_of(st.just(published), dates)),
        section_name=draw(optional if wild or not section_slug else text), section_slug=section_slug,
        author=draw(optional), tags=tuple(draw(st.lists(optional if wild else text, max_size=4))),
        order=(published, 2024, 1, 0))


configs = st.sampled_from([Config(base_url="https://feeds.example.com/", tag_authority="feeds.example.com"),
                           Config(base_url="https://例子.example/a&b<c>/\"q\"/", tag_authority="x.org")])


def _reference(name: str, batch: list[Entry], config: Config) -> list[bytes] | type[Exception]:
    try:
        return REFERENCE[name](batch, config)
    except (ValueError, TypeError) as error:
        return type(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=entries(wild=False), config=configs)
@example(entry=Entry("tag:a,2024:1", "<b>&amp;", "https://example.com/?a=1&b=<2>", "", "]]>\r\n",
                     datetime(999, 1, 1, tzinfo=timezone(timedelta(seconds=3661, microseconds=5))),
                     datetime(2024, 7, 20, tzinfo=SHANGHAI), "名\t\"", "a&b", "作者", ("x", "'y'"),
                     (datetime(2024, 7, 20, tzinfo=SHANGHAI), 2024, 1, 0)),
         config=Config(base_url="https://feeds.example.com/"))
def test_direct_bytes_equal_feedgens_for_hostile_entries(entry: Entry, config: Config) -> None:
    """Entries as the builder makes them are all written directly, byte for byte as
    feedgen writes them."""
    for name, write in WRITERS.items():
        made = write(entry, config)
        assert made is not None
        assert [made] == REFERENCE[name]([entry], config)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=entries(), config=configs)
def test_any_entry_is_written_exactly_or_declined(entry: Entry, config: Config) -> None:
    """Any entry at all (empty fields, control characters, lone surrogates, naive dates):
    the direct bytes are the reference's, or the entry is declined and the format
    gives the reference's bytes or error."""
    for name, write in WRITERS.items():
        expected = _reference(name, [entry], config)
        made = write(entry, config)
        event(f"{name}: {'direct' if made is not None else 'declined'}")
        if isinstance(expected, list):
            assert made is None or [made] == expected
            assert BY_NAME[name].entries([entry], config) == expected
        else:  # feedgen refuses it: so must the direct path, by declining it
            assert made is None
            with pytest.raises(expected):
                BY_NAME[name].entries([entry], config)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(entries(), max_size=8), config=configs)
def test_a_batch_keeps_its_order_when_some_entries_are_declined(batch: list[Entry],
                                                                 config: Config) -> None:
    for name in WRITERS:
        expected = _reference(name, batch, config)
        if isinstance(expected, list):
            assert BY_NAME[name].entries(batch, config) == expected
        else:
            with pytest.raises(expected):
                BY_NAME[name].entries(batch, config)


def _plain_entry(**changes: object) -> Entry:
    when = datetime(2024, 7, 20, 8, 0, 5, tzinfo=SHANGHAI)
    fields: dict[str, object] = dict(
        id="tag:news.example.org,2024:issue-2024-29/0123456789abcdef", title="标题 <b> & co",
        link="https://example.com/a?x=1&y=2", summary="摘要", content_html="<p>正文 &amp; 更多</p>",
        published=when, updated=when, section_name="分布式", section_slug="distributed",
        author="张三", tags=("k8s", "<tag>"), order=(when, 2024, 29, 0))
    fields.update(changes)
    return Entry(**fields)  # type: ignore[arg-type]


CONFIG = Config(base_url="https://news.example.org/feeds/", tag_authority="news.example.org")


def test_a_plain_entry_is_written_directly_and_exactly() -> None:
    entry = _plain_entry()
    atom = direct.atom_entry(entry, CONFIG)
    rss = direct.rss_item(entry, CONFIG)
    assert atom is not None and [atom] == REFERENCE["atom"]([entry], CONFIG)
    assert rss is not None and [rss] == REFERENCE["rss"]([entry], CONFIG)
    assert '<title type="html">标题 &amp;lt;b&amp;gt; &amp;amp; co</title>'.encode() in atom
    assert "<title>标题 &#x26;lt;b&#x26;gt; &#x26;amp; co</title>".encode() in rss
    assert b"<pubDate>Sat, 20 Jul 2024 08:00:05 +0800</pubDate>" in rss


@pytest.mark.parametrize(("changes", "refused"), [
    ({"section_name": ""}, ()),  # a section without a name: feedgen writes its own shape
    ({"summary": "", "title": ""}, ("atom",)),  # Atom requires a title; RSS leaves it out
    ({"tags": ("a", "")}, ()),
    ({"author": "作者\x01"}, ("atom", "rss")),  # lxml refuses a control character
    ({"content_html": "<p>\ud800</p>"}, ("atom", "rss")),  # and a lone surrogate
    ({"title": "\x85 next line"}, ()),  # XML allows it; clean() would have removed it
    ({"published": datetime(2024, 7, 20)}, ("atom", "rss")),  # feedgen refuses a naive date
])
def test_what_the_direct_path_declines_is_the_references_answer(
        changes: dict[str, object], refused: tuple[str, ...]) -> None:
    entry = _plain_entry(**changes)
    plain = _plain_entry()
    for name, write in WRITERS.items():
        assert write(entry, CONFIG) is None
        if name in refused:
            with pytest.raises(ValueError):
                REFERENCE[name]([entry], CONFIG)
            with pytest.raises(ValueError):
                BY_NAME[name].entries([plain, entry], CONFIG)
        else:
            expected = REFERENCE[name]([plain, entry, plain], CONFIG)
            assert BY_NAME[name].entries([plain, entry, plain], CONFIG) == expected
            assert expected[0] == expected[2] == write(plain, CONFIG)


def test_a_batch_changed_in_place_is_checked_again() -> None:
    """The check made once for all formats of a batch is not reused for other entries
    in the same list."""
    batch = [_plain_entry(), _plain_entry()]
    assert BY_NAME["atom"].entries(batch, CONFIG) == REFERENCE["atom"](batch, CONFIG)
    batch[1] = _plain_entry(author="作者\x01")
    with pytest.raises(ValueError):
        BY_NAME["rss"].entries(batch, CONFIG)
    batch.pop()
    assert BY_NAME["rss"].entries(batch, CONFIG) == REFERENCE["rss"](batch, CONFIG)


def _reference_shell(name: str, info: FeedInfo, config: Config) -> tuple[bytes, bytes] | type[Exception]:
    """The shell as feedgen writes it (the path the direct writer replaces)."""
    from feeds.formats.feedgen_common import feed_generator, split_shell

    try:
        fg = feed_generator(info, config)
        if name == "atom":
            return split_shell(fg.atom_str(pretty=True, encoding="UTF-8"), b"</feed>\n")
        return split_shell(rss._refs(fg.rss_str(pretty=True, encoding="UTF-8")), b"  </channel>\n</rss>\n")
    except (ValueError, TypeError) as error:
        return type(error)


_hub_lists = st.lists(st.one_of(urls, st.sampled_from(["https://hub.example.com/", "https://例子.example/h?a=1&b=<2>"])),
                      max_size=3).map(tuple)


@st.composite
def feed_infos(draw: st.DrawFn, wild: bool = True) -> tuple[FeedInfo, Config]:
    """A feed and a config as a build has them (clean text, aware dates, any zone,
    archive marks, hubs, an email or none), or (``wild``) hostile ones: empty titles,
    naive dates, control characters, an empty language."""
    text = maybe if wild else raw_text.map(lambda t: clean(t) or "云")
    slug = draw(st.one_of(st.just(""), st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True)))
    name = draw(st.sampled_from(["atom", "rss"]))
    url = draw(st.one_of(urls, st.just("https://feeds.example.com/atom.xml")))
    info = FeedInfo(path="atom.xml", format=name, title=draw(text), description=draw(maybe),
                    url=draw(st.one_of(st.just(url), maybe) if wild else st.just(url)), slug=slug,
                    entries=(), issued=draw(stamps if wild else st.datetimes(timezones=zones)),
                    complete=draw(st.booleans()),
                    current=draw(st.one_of(st.just(""), urls)),
                    prev_archive=draw(st.one_of(st.just(""), urls)),
                    next_archive=draw(st.one_of(st.just(""), urls)))
    config = Config(base_url=draw(st.sampled_from(["https://feeds.example.com/",
                                                    "https://例子.example/a&b<c>/\"q\"/"])),
                    tag_authority="feeds.example.com", author=draw(maybe if wild else text),
                    email=draw(st.sampled_from(["", "editor@example.com", "a&b@example.com"])),
                    language=draw(st.sampled_from(["zh-CN", "en", "", "a<b"] if wild else ["zh-CN", "en"])),
                    timezone=draw(st.sampled_from(["Asia/Shanghai", "UTC", "America/St_Johns"])),
                    websub_hubs=draw(_hub_lists))
    return info, config


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(made=feed_infos())
@example(made=(FeedInfo("atom.xml", "atom", "云计算 · <b>&amp;", "\r\n\t\"'", "https://f.example/a?x=1&y=<2>",
                        "dist", (), datetime(999, 1, 1, tzinfo=timezone(timedelta(seconds=3661))),
                        complete=True, current="https://f.example/c", prev_archive="https://f.example/p",
                        next_archive="https://f.example/n"),
               Config(base_url="https://feeds.example.com/", email="e@example.com",
                      websub_hubs=("https://hub.example.com/", "https://h2.example.com/?a&b")))
         ).via("every optional part at once")
def test_a_shell_is_feedgens_or_declined(made: tuple[FeedInfo, Config]) -> None:
    """The feed around the entries, written directly, is byte for byte feedgen's; what
    it declines is left to feedgen, which writes it or refuses it as before."""
    info, config = made
    for name in WRITERS:
        expected = _reference_shell(name, info, config)
        shell = direct.shell(name, info, config)
        event(f"{name}: {'direct' if shell is not None else 'declined'}")
        if isinstance(expected, tuple):
            assert shell is None or shell == expected
            assert BY_NAME[name].shell(info, config) == expected
        else:
            assert shell is None
            with pytest.raises(expected):
                BY_NAME[name].shell(info, config)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(made=feed_infos(wild=False))
def test_a_shell_as_a_build_makes_it_is_written_directly(made: tuple[FeedInfo, Config]) -> None:
    info, config = made
    for name in WRITERS:
        shell = direct.shell(name, info, config)
        assert shell is not None
        assert shell == _reference_shell(name, info, config)


def test_a_builds_shells_are_written_directly() -> None:
    """A feed as a build makes it (its updated date from an entry, archive marks, a
    hub) takes the direct path, and equals feedgen's shell."""
    when = datetime(2024, 7, 20, 8, 0, 5, tzinfo=SHANGHAI)
    config = Config(base_url="https://news.example.org/feeds/", tag_authority="news.example.org",
                    websub_hubs=("https://pubsubhubbub.appspot.com/",))
    for name in WRITERS:
        info = FeedInfo(f"sections/dist/{name}.xml", name, "云计算技术动态 · 分布式", "",
                        f"https://news.example.org/feeds/sections/dist/{name}.xml", "dist",
                        (_plain_entry(updated=when),), prev_archive="https://news.example.org/feeds/a.xml")
        shell = direct.shell(name, info, config)
        assert shell is not None and shell == _reference_shell(name, info, config)
        assert b"<generator>feeds</generator>" in shell[0]


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(raw_text, long_text))
@example(text="&amp; <b>\r\n&lt;&#x26;>")
def test_html_text_is_as_html_then_the_text_escaper(text: str) -> None:
    from feeds.formats.base import as_html

    assert direct._html_text(text) == direct._text(as_html(text))
    assert direct._rss_html_text(text) == direct._rss_text(as_html(text))
