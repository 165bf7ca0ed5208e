"""End to end, as a subscriber sees it: feeds served by a real nginx, read with feedparser.

The server uses the nginx snippet shipped in deploy/nginx-feeds.conf, the one
the README tells operators to use.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from conftest import ATOM_RNG, ROOT, SEED
from corpus import write_corpus
from lxml import etree
from test_build import SECOND

from feeds.formats import FORMATS

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
if NGINX is None and os.environ.get("CI"):
    pytest.fail("nginx is missing: .ci/run installs it", pytrace=False)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)")

ATOM = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
FEEDS = ["atom.xml", "rss.xml", "sections/fen-bu-shi-xi-tong/atom.xml",
         "sections/fen-bu-shi-xi-tong/rss.xml"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """A project folder whose output/ is served by nginx."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.base = f"http://127.0.0.1:{port}/"
        self.output = root / "output"

    def build(self, *extra: str, wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
        args = [sys.executable, "-m", "feeds", "build", *extra]
        if not wait:
            return subprocess.Popen(args, cwd=self.root, env=ENV, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        return subprocess.run(args, cwd=self.root, env=ENV, capture_output=True, text=True,
                              timeout=300, check=False)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def feed(self, path: str, **conditional: str) -> feedparser.FeedParserDict:
        return feedparser.parse(self.base + path, **conditional)


def _nginx_conf(tmp: Path, port: int, output: Path) -> Path:
    snippet = (ROOT / "deploy" / "nginx-feeds.conf").read_text(encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(f"""{user}daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {output};
{snippet}
    }}
}}
""", encoding="utf-8")
    return conf


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    root = tmp_path / "project"
    (root / "issues").mkdir(parents=True)
    (root / "issues" / "2024-07-20-29.md").write_bytes(SEED.read_bytes())
    port = _free_port()
    (root / "feeds.toml").write_text(
        f'base_url = "http://127.0.0.1:{port}/"\ntag_authority = "news.example.org"\n', encoding="utf-8")
    (root / "output").mkdir()
    conf_dir = tmp_path / "nginx"
    conf_dir.mkdir()
    conf = _nginx_conf(conf_dir, port, root / "output")
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(conf_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None or time.monotonic() > deadline:
            log = (conf_dir / "error.log").read_text() if (conf_dir / "error.log").exists() else ""
            pytest.fail(f"nginx did not start: {proc.stderr.read().decode()} {log}")
        time.sleep(0.05)
    try:
        yield Site(root, port)
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _valid(data: bytes, path: str) -> None:
    doc = etree.fromstring(data)  # a truncated file fails here
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    if path.endswith("atom.xml"):
        assert ATOM.validate(doc), (path, ATOM.error_log)


def test_subscriber_journey(site: Site) -> None:
    # 1. build from the seed, subscribe over HTTP
    done = site.build()
    assert done.returncode == 0, done.stderr
    first: dict[str, feedparser.FeedParserDict] = {}
    for path in FEEDS:
        parsed = site.feed(path)
        assert parsed.status == 200 and parsed.bozo == 0, path
        assert parsed.headers["content-type"].startswith(
            "application/atom+xml" if path.endswith("atom.xml") else "application/rss+xml")
        assert parsed.etag and parsed.modified
        first[path] = parsed
    assert len(first["atom.xml"].entries) == 8
    status, headers, _ = site.get("feeds.opml")
    assert status == 200 and headers["Content-Type"].startswith("text/x-opml")
    for fmt in FORMATS:  # every registered format, as deploy/nginx-feeds.conf types it
        for path in (fmt.file_name, f"digest/{fmt.file_name}"):
            status, headers, body = site.get(path)
            assert status == 200 and headers["Content-Type"].split(";")[0] == fmt.media_type, path
            assert body == (site.root / "output" / path).read_bytes()
    status, headers, body = site.get("")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'type="application/atom+xml"' in body
    assert site.get(".feeds/state.sqlite")[0] == 404
    assert not (site.output / ".feeds").exists()

    # 2. rebuild with no change: every conditional GET answers 304
    done = site.build()
    assert done.returncode == 0 and done.stdout.endswith("(nothing changed)\n")
    for path, old in first.items():
        assert site.feed(path, etag=old.etag).status == 304, path
        assert site.feed(path, modified=old.modified).status == 304, path

    # 3. a second issue: old entries unchanged, new ones added, nothing duplicated
    (site.root / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    assert site.build().returncode == 0
    for path, old in first.items():
        new = site.feed(path, etag=old.etag)
        assert new.status == 200, path
        old_entries = [(e.id, e.link, e.title, e.published) for e in old.entries]
        new_entries = [(e.id, e.link, e.title, e.published) for e in new.entries]
        assert new_entries[len(new_entries) - len(old_entries):] == old_entries, path
        assert len({e[0] for e in new_entries}) == len(new_entries), path
        added = new_entries[:len(new_entries) - len(old_entries)]
        assert added and all("issue-2024-30/" in e[0] for e in added), path

    # 4. a broken issue: exit 1 naming file and line, every served feed byte-identical
    before = {p: site.get(p)[2] for p in [*FEEDS, "index.html", "feeds.opml"]}
    broken = site.root / "issues" / "2024-08-03-31.md"
    broken.write_text("# 云计算技术动态 2024 年第三十一期\n\n## 分布式系统\n\n**1.** **缺链接**\n\n"
                      "**摘要:** 没有链接。\n", encoding="utf-8")
    done = site.build()
    assert done.returncode == 1
    assert done.stderr.startswith("issues/2024-08-03-31.md:5: error: article 1 in section 分布式系统 "
                                  "has no URL")
    assert {p: site.get(p)[2] for p in before} == before


def test_killed_builds_never_leave_a_broken_feed(site: Site) -> None:
    write_corpus(50, site.root / "issues")
    rng = random.Random(4287)
    toml = site.root / "feeds.toml"
    settings = toml.read_text(encoding="utf-8") + "max_items = 0\nsection_max_items = 0\n"
    toml.write_text(settings, encoding="utf-8")
    done = site.build()
    assert done.returncode == 0, done.stderr
    started = time.monotonic()
    assert site.build("--base-url", site.base + "x/").returncode == 0
    full = time.monotonic() - started  # a build that rewrites every file
    kills = 0
    for round_ in range(12):
        toml.write_text(settings + f'description = "第 {round_} 轮"\n', encoding="utf-8")
        proc = site.build(wait=False)
        time.sleep(rng.uniform(0.02, full * 0.9))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(30)
        feeds = sorted(str(p.relative_to(site.output)) for p in site.output.rglob("*.xml"))
        assert len(feeds) >= 26
        for path in feeds:
            status, _, body = site.get(path)
            assert status == 200, path
            _valid(body, path)
    assert kills >= 6
    done = site.build()
    assert done.returncode == 0, done.stderr
    assert not list(site.output.rglob(".feeds-tmp-*"))
    description = "第 11 轮"
    assert description.encode() in site.get("rss.xml")[2]


def test_two_builds_at_once_equal_one(site: Site, tmp_path: Path) -> None:
    write_corpus(60, site.root / "issues")
    runs = [site.build(wait=False) for _ in range(2)]
    results = [(p.wait(120), p.stdout.read(), p.stderr.read()) for p in runs]
    assert [r[0] for r in results] == [0, 0], results
    assert sorted(r[1].endswith("(nothing changed)\n") for r in results) == [False, True]
    alone = tmp_path / "alone"
    shutil.copytree(site.root / "issues", alone / "issues")
    shutil.copy(site.root / "feeds.toml", alone / "feeds.toml")
    done = subprocess.run([sys.executable, "-m", "feeds", "build", "-q"], cwd=alone, env=ENV,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr

    def files(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    assert files(site.output) == files(alone / "output")


def test_feeds_and_pages_are_served_compressed(site: Site) -> None:
    assert site.build().returncode == 0
    for path in [*FEEDS, "feeds.opml", "index.html"]:
        published = (site.output / path).read_bytes()
        status, headers, body = site.get(path, {"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers.get("Content-Encoding") == "gzip", path
        assert "Accept-Encoding" in headers.get("Vary", ""), path
        assert gzip.decompress(body) == published, path
        assert len(body) < len(published), path
        plain = site.get(path)
        assert plain[0] == 200 and "Content-Encoding" not in plain[1] and plain[2] == published
        etag, modified = headers["ETag"], headers["Last-Modified"]
        for conditional in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
            again = site.get(path, {"Accept-Encoding": "gzip", **conditional})
            assert again[0] == 304, (path, conditional)
