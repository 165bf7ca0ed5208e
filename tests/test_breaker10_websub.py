"""A WebSub hub that answers badly or slowly, after a build or publish that succeeded.

Found on main (54da399): a hub whose answer is not HTTP (a garbled status line, a
header line over http.client's 64 KiB) made ``feeds build`` exit 70 (``feeds:
internal error: BadStatusLine``) after the files were out: http.client's
``HTTPException`` is no ``OSError``, and ``websub._post`` caught only those. And a hub
that sends its answer a byte at a time, each within the socket's timeout, held the
command for as long as it kept sending (days, for a 64 KiB body at one byte in 9 s):
urllib's timeout bounds each read, not the answer, so the README's "10 s timeout"
bounded nothing; under cron every run then hangs beside the last. Both are now the
usual warning, each try ending within its timeout.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_main
from test_websub import project

import feeds.websub


class BadHub:
    """A hub on loopback that reads the request, sends ``answer`` and then, if given,
    ``trickle`` every 0.1 s until the client goes away."""

    def __init__(self, answer: bytes, trickle: bytes = b"") -> None:
        self.answer, self.trickle = answer, trickle
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.requests = 0
        self.answering: list[threading.Thread] = []
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.requests += 1
            answering = threading.Thread(target=self.answer_one, args=(conn,), daemon=True)
            self.answering.append(answering)
            answering.start()

    def stop(self) -> None:
        """End the hub and its threads: a thread left in ``accept`` would outlive the
        test, and the process with a thread running forks no first-look child
        (see feeds.firstlook.begin), which the tests after this one count on."""
        self.closed.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept; close alone does not
        self.sock.close()
        self.thread.join(5)
        for answering in self.answering:
            answering.join(5)
        assert not self.thread.is_alive(), "the hub's thread did not end"

    def answer_one(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.answer)
                while self.trickle and not self.closed.is_set():
                    conn.sendall(self.trickle)
                    time.sleep(0.1)
            except OSError:
                pass


@pytest.fixture
def bad_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[BadHub]]:
    monkeypatch.setattr(feeds.websub, "BACKOFF", 0.01)
    monkeypatch.setattr(feeds.websub, "TIMEOUT", 0.5)
    made: list[BadHub] = []

    class Made(BadHub):
        def __init__(self, answer: bytes, trickle: bytes = b"") -> None:
            super().__init__(answer, trickle)
            made.append(self)

    yield Made
    for hub in made:
        hub.stop()


def ping_within(hub: str, seconds: float) -> list[str] | None:
    """``websub.ping`` of one feed to ``hub``; None if it has not returned in ``seconds``."""
    got: list[list[str]] = []
    worker = threading.Thread(target=lambda: got.append(
        feeds.websub.ping([hub], ["https://e.example/atom.xml"])), daemon=True)
    worker.start()
    worker.join(seconds)
    return got[0] if got else None


WARNING = ("WebSub hub {} was not told of 1 changed feed: {} (after 3 attempts); readers "
           "will see the change when they next poll")


@pytest.mark.parametrize(("answer", "why"), [
    (b"FOO BAR\r\n\r\n", "the hub's answer is not HTTP (BadStatusLine)"),
    (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
     "the hub's answer is not HTTP (LineTooLong)"),
])
def test_a_hub_answering_no_http_is_a_warning(bad_hub: type[BadHub], answer: bytes,
                                              why: str) -> None:
    hub = bad_hub(answer)
    assert ping_within(hub.url, 10) == [WARNING.format(hub.url, why)]
    assert hub.requests == 3


@pytest.mark.parametrize(("answer", "trickle"), [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b"x"),
    (b"HTTP/1.1 200 OK\r\n", b"X-Slow: 1\r\n"),
])
def test_a_hub_answering_a_byte_at_a_time_is_given_up_on_in_time(
        bad_hub: type[BadHub], answer: bytes, trickle: bytes) -> None:
    """Three tries of 0.5 s each: the ping is over in well under 10 s."""
    hub = bad_hub(answer, trickle)
    started = time.monotonic()
    got = ping_within(hub.url, 10)
    assert got == [WARNING.format(hub.url, "no complete answer within 0.5 s")]
    assert time.monotonic() - started < 5
    assert hub.requests == 3


def test_a_build_with_a_garbled_hub_exits_0_with_a_warning(
        tmp_path: Path, bad_hub: type[BadHub]) -> None:
    hub = bad_hub(b"FOO BAR\r\n\r\n")
    project(tmp_path, [hub.url])
    code, out, err = run_main("build", "--quiet", "--issues", str(tmp_path / "issues"),
                              "--output", str(tmp_path / "output"),
                              "--config", str(tmp_path / "feeds.toml"))
    assert (code, out) == (0, "")
    assert err == "feeds: warning: " + WARNING.format(hub.url, "the hub's answer is not HTTP "
                                                      "(BadStatusLine)").replace(
        "1 changed feed:", "18 changed feeds:") + "\n"
