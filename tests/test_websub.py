"""WebSub: every feed names its hubs and itself; hubs hear of exactly the feeds that changed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from conftest import ATOM_RNG, SEED
from lxml import etree
from test_build import BASE, CONFIG, SECOND, all_files, build, write_project

import feeds.websub
from feeds.formats import FORMATS

ATOM_NS = "{http://www.w3.org/2005/Atom}"


class Hub:
    """A WebSub hub on loopback: records every POST; ``/fail`` answers 503, ``/gone`` 404."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, bytes]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hub.posts.append((self.path, self.headers["Content-Type"], body))
                status = {"/fail": 503, "/gone": 404}.get(self.path, 204)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, path: str = "/") -> list[bytes]:
        return [body for p, kind, body in self.posts
                if p == path and kind == "application/x-www-form-urlencoded"]


def serve_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """A hub for the length of a test, with short pauses between the tool's tries."""
    monkeypatch.setattr(feeds.websub, "BACKOFF", 0.01)
    made = Hub()
    yield made
    made.server.shutdown()
    made.server.server_close()


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    yield from serve_hub(monkeypatch)


def form(*rels: str) -> bytes:
    return b"hub.mode=publish" + b"".join(
        b"&hub.url=" + quote(BASE + rel, safe="").encode() for rel in rels)


def project(root: Path, hubs: list[str], on_build: bool = True) -> Path:
    listed = ", ".join(f'"{h}"' for h in hubs)
    config = CONFIG + f"websub_hubs = [{listed}]\nwebsub_on_build = {str(on_build).lower()}\n"
    return write_project(root, {"2024-07-20-29.md": SEED.read_bytes()}, config)


FOLDERS = ["", "digest", *(f"sections/{s}" for s in (
    "da-mo-xing-ji-shu", "fen-bu-shi-xi-tong", "ji-shu-zhi-wai", "yun-ji-suan-ji-shu"))]
FEEDS = [f"{folder}/{fmt.file_name}".lstrip("/") for folder in FOLDERS for fmt in FORMATS]
XML_FEEDS = [f for f in FEEDS if f.endswith(".xml")]


def test_every_feed_carries_its_hubs_and_self_link(tmp_path: Path) -> None:
    hubs = ["https://pubsubhubbub.appspot.com/", "https://websub.example.net/hub?x=1&y=2"]
    project(tmp_path, hubs, on_build=False)
    assert build(tmp_path)[0] == 0
    out = tmp_path / "output"
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    assert sorted(p for p in all_files(out) if p.endswith(".xml") and p != "sitemap.xml") == \
        sorted(XML_FEEDS)
    for rel in XML_FEEDS:
        doc = etree.parse(str(out / rel))
        parent = doc.getroot() if rel.endswith("atom.xml") else doc.getroot()[0]
        links = [(link.get("rel"), link.get("href")) for link in parent.findall(f"{ATOM_NS}link")]
        assert links[:3] == [("self", BASE + rel), ("hub", hubs[0]), ("hub", hubs[1])], rel
        if rel.endswith("atom.xml"):
            assert schema.validate(doc), (rel, schema.error_log)
        parsed = feedparser.parse(out / rel)
        assert not parsed.bozo, rel
        assert [link.href for link in parsed.feed.links if link.rel == "hub"] == hubs
        assert [link.href for link in parsed.feed.links if link.rel == "self"] == [BASE + rel]
    for rel in FEEDS:
        if rel.endswith("feed.json"):  # JSON Feed 1.1: "hubs", and its URL as feed_url
            doc = json.loads((out / rel).read_bytes())
            assert doc["hubs"] == [{"type": "WebSub", "url": h} for h in hubs], rel
            assert doc["feed_url"] == BASE + rel
    rss = (out / "rss.xml").read_bytes()
    assert (b'<atom:link href="https://websub.example.net/hub?x=1&#x26;y=2" rel="hub"/>\n'
            b"    <docs>") in rss  # RSS writes & as &#x26; (see feeds/render.py)


def test_no_hubs_means_no_hub_links(tmp_path: Path) -> None:
    write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()})
    assert build(tmp_path)[0] == 0
    for data in all_files(tmp_path / "output").values():
        assert b'rel="hub"' not in data


def test_a_build_pings_each_hub_with_exactly_the_changed_feeds(tmp_path: Path, hub: Hub) -> None:
    project(tmp_path, [hub.url + "/", hub.url + "/second"])
    code, _, err = build(tmp_path)
    assert (code, err) == (0, "")
    assert hub.bodies("/") == hub.bodies("/second") == [form(*sorted(FEEDS))]
    hub.posts.clear()
    assert build(tmp_path)[0] == 0
    assert hub.posts == []  # nothing changed, nobody is told
    (tmp_path / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    assert build(tmp_path)[0] == 0
    assert hub.bodies("/") == [form(*sorted(
        f"{folder}/{fmt.file_name}".lstrip("/") for fmt in FORMATS
        for folder in ("", "digest", "sections/fen-bu-shi-xi-tong", "sections/xin-lan-mu")))]
    assert hub.bodies("/second") == hub.bodies("/")


def test_without_websub_on_build_a_build_pings_nobody(tmp_path: Path, hub: Hub) -> None:
    project(tmp_path, [hub.url + "/"], on_build=False)
    assert build(tmp_path)[0] == 0
    assert hub.posts == []


def test_a_failing_hub_is_a_warning_naming_it_and_exit_0(tmp_path: Path, hub: Hub) -> None:
    project(tmp_path, [hub.url + "/fail", hub.url + "/gone", hub.url + "/"])
    code, out, err = build(tmp_path)
    assert code == 0
    assert out.splitlines()[-1].startswith("18 feeds, 28 changed, ")
    assert err == (
        f"feeds: warning: WebSub hub {hub.url}/fail was not told of 18 changed feeds: HTTP 503 "
        "(after 3 attempts); readers will see the change when they next poll\n"
        f"feeds: warning: WebSub hub {hub.url}/gone was not told of 18 changed feeds: HTTP 404; "
        "readers will see the change when they next poll\n")
    assert [p for p, _, _ in hub.posts].count("/fail") == 3  # tried again, with a pause
    assert [p for p, _, _ in hub.posts].count("/gone") == 1  # a refusal is final
    assert hub.bodies("/") == [form(*sorted(FEEDS))]


def test_an_unreachable_hub_is_a_warning(tmp_path: Path, hub: Hub) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    project(tmp_path, [dead])
    code, _, err = build(tmp_path)
    assert code == 0
    assert err.startswith(f"feeds: warning: WebSub hub {dead} was not told of 18 changed feeds: ")
    assert "(after 3 attempts); readers will see the change when they next poll\n" in err


def test_hubs_must_be_http_urls(tmp_path: Path) -> None:
    project(tmp_path, ["ftp://hub.example.org/"])
    code, _, err = build(tmp_path)
    assert code == 2
    assert err == (f"feeds: error: {tmp_path / 'feeds.toml'}:3: websub_hubs: 'ftp://hub.example.org/' "
                   "is not an absolute http(s) URL\n")


@pytest.mark.parametrize("bad", ["https://hub.example.org/\x01", "https://hub example.org/",
                                 "https://hub.example.org:99999/", "hub.example.org", ""])
def test_a_hub_url_that_cannot_be_published_is_a_config_error(tmp_path: Path, bad: str) -> None:
    write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                  CONFIG + f"websub_hubs = [{json.dumps(bad)}]\n")
    code, out, err = build(tmp_path)
    assert (code, out) == (2, "")
    assert err == f"feeds: error: {tmp_path / 'feeds.toml'}:3: websub_hubs: {bad!r} is not an absolute http(s) URL\n"
    assert not (tmp_path / "output" / "atom.xml").exists()


@pytest.mark.parametrize(("bad", "problem"), [
    ("https://u:p@hub.example.org/", "contains credentials (user:password@ before the host); "
     "credentials do not belong in a feed: remove them"),
    ("https://hub@hub.example.org/", "contains credentials (user:password@ before the host); "
     "credentials do not belong in a feed: remove them"),
    ('https://hub.example.org/"><x>', "contains '\"', which a URL cannot hold"),
    ("https://hub.example.org/<x>", "contains '<', which a URL cannot hold"),
    ("https://hub.example.org/{x}", "contains '{', which a URL cannot hold"),
    ("https://hub.example.org:0/", "has port '0', which is not a number from 1 to 65535"),
    ("https://hub..example.org/", "has an empty label in its host 'hub..example.org' "
     "(two dots in a row?)"),
])
def test_a_hub_url_with_credentials_markup_or_a_bad_host_is_refused_on_its_line(
        tmp_path: Path, bad: str, problem: str) -> None:
    write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes()},
                  CONFIG + f'websub_hubs = [\n  "https://ok.example.org/",\n  {json.dumps(bad)},\n]\n')
    code, out, err = build(tmp_path)
    assert (code, out) == (2, "")
    assert err == f"feeds: error: {tmp_path / 'feeds.toml'}:3: websub_hubs: {bad!r} {problem}\n"
    assert not (tmp_path / "output").exists()


def test_an_international_hub_host_is_published_in_punycode(tmp_path: Path) -> None:
    project(tmp_path, ["https://bücher.example/hub?x=ü"], on_build=False)
    assert build(tmp_path)[0] == 0
    hub = "https://xn--bcher-kva.example/hub?x=%C3%BC"
    atom = etree.parse(str(tmp_path / "output" / "atom.xml")).getroot()
    assert [link.get("href") for link in atom.iter(f"{ATOM_NS}link") if link.get("rel") == "hub"] \
        == [hub]
    rss = etree.parse(str(tmp_path / "output" / "rss.xml")).getroot()
    assert [link.get("href") for link in rss.iter(f"{ATOM_NS}link") if link.get("rel") == "hub"] \
        == [hub]
    feed = json.loads((tmp_path / "output" / "feed.json").read_text(encoding="utf-8"))
    assert feed["hubs"] == [{"type": "WebSub", "url": hub}]
