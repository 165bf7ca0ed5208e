"""The preview server never hands out a dot-file or dot-folder, however the path is spelt."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from feeds.serve import make_server

ATOM = b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"/>\n'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A real server on 127.0.0.1 (port 0) over an output folder with state and a leftover."""
    out = tmp_path / "output"
    (out / ".feeds" / "parsed").mkdir(parents=True)
    (out / ".feeds" / "state.json").write_text('{"secret": 1}', encoding="utf-8")
    (out / ".feeds" / "parsed" / "pack.pickle").write_bytes(b"\x80\x05secret")
    (out / "sections" / "ai").mkdir(parents=True)
    (out / "sections" / "ai" / "atom.xml").write_bytes(ATOM)
    (out / "sections" / "ai" / ".atom.xml.k2j3.tmp").write_bytes(b"half")
    (out / "atom.xml").write_bytes(ATOM)
    (out / ".atom.xml.x1y2.tmp").write_bytes(b"half")
    httpd = make_server(out, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def _get(server: tuple[str, int], raw_path: str) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        conn.putrequest("GET", raw_path, skip_host=False, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        conn.close()


def test_feeds_are_served_with_their_type(server: tuple[str, int]) -> None:
    assert _get(server, "/atom.xml") == (200, "application/atom+xml", ATOM)
    assert _get(server, "/%61tom.xml") == (200, "application/atom+xml", ATOM)
    assert _get(server, "/sections/ai/atom.xml?x=1") == (200, "application/atom+xml", ATOM)


@pytest.mark.parametrize("raw_path", [
    "/.feeds/", "/.feeds/state.json",
    "/%2efeeds/", "/%2Efeeds/", "/%2efeeds/parsed/pack.pickle", "/%2Efeeds/state.json",
    "/%2e%66eeds/state.json", "//.feeds/state.json", "//%2efeeds/state.json",
    "/sections//%2efeeds/", "/./.feeds/state.json", "/%2e/%2efeeds/state.json",
    "/sections/../.feeds/state.json", "/sections/%2e%2e/%2efeeds/state.json",
    "/sections/ai/%2e%2e/%2e%2e/%2efeeds/parsed/pack.pickle",
    "/.atom.xml.x1y2.tmp", "/%2eatom.xml.x1y2.tmp", "/sections/ai/%2Eatom.xml.k2j3.tmp",
    "/%2e%2e/", "/..", "/%2e", "/sections/ai/%2e/atom.xml",
])
def test_no_dot_file_or_folder_in_any_spelling(server: tuple[str, int], raw_path: str) -> None:
    status, _, body = _get(server, raw_path)
    assert status == 404
    assert b"secret" not in body and b"half" not in body


@pytest.mark.parametrize("raw_path", ["/%00", "/atom.xml%00", "/%2efeeds%00/", "/sections/%00/atom.xml"])
def test_a_nul_in_the_path_is_a_bad_request(server: tuple[str, int], raw_path: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert _get(server, raw_path)[0] == 400
    assert _get(server, "/atom.xml")[0] == 200  # and the server still answers
    assert "Traceback" not in capsys.readouterr().err


def test_a_raw_nul_byte_is_a_bad_request(server: tuple[str, int],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(b"GET /\x00 HTTP/1.0\r\n\r\n")
        reply = sock.makefile("rb").readline()
    assert reply.startswith(b"HTTP/1.0 400 ")
    assert "Traceback" not in capsys.readouterr().err


def test_listings_leave_dot_files_out(server: tuple[str, int]) -> None:
    status, kind, body = _get(server, "/")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b'<a href="atom.xml">atom.xml</a>' in body
    assert b'<a href="sections/">sections/</a>' in body
    assert b".feeds" not in body and b".tmp" not in body
    status, _, body = _get(server, "/sections/ai/")
    assert status == 200 and b'<a href="atom.xml">' in body and b".tmp" not in body


@pytest.mark.parametrize("raw_path", ["/%ff", "/%c0%ae", "/%c0%ae%c0%ae/", "/sections/%ed%a0%80",
                                      "/atom.xml%80"])
def test_a_path_that_is_not_utf8_is_a_bad_request(server: tuple[str, int], raw_path: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``%ff`` used to raise UnicodeDecodeError in the handler: a traceback, no answer."""
    assert _get(server, raw_path)[0] == 400
    assert _get(server, "/atom.xml")[0] == 200
    assert "Traceback" not in capsys.readouterr().err


def test_symbolic_links_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "output"
    (out / "sections").mkdir(parents=True)
    (out / "atom.xml").write_bytes(ATOM)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd").write_bytes(b"root:x:0:0")
    (out / "pw.xml").symlink_to(secret / "passwd")
    (out / "etc").symlink_to(secret, target_is_directory=True)
    (out / "sections" / "up").symlink_to(tmp_path, target_is_directory=True)
    (out / "same.xml").symlink_to(out / "atom.xml")  # inside the folder: served
    httpd = make_server(out, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        where = ("127.0.0.1", httpd.server_address[1])
        for path in ("/pw.xml", "/etc/passwd", "/etc/", "/sections/up/secret/passwd",
                     "/sections/up/"):
            status, _, body = _get(where, path)
            assert status == 404, path
            assert b"root:x" not in body and b"passwd" not in body
        assert _get(where, "/same.xml") == (200, "application/xml", ATOM)
    finally:
        httpd.shutdown()
        httpd.server_close()
