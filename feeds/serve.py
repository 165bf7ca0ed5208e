"""A local web server for ``output/``, to try the feeds in a reader before publishing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from feeds.hosting import content_type


class _Handler(SimpleHTTPRequestHandler):
    """Static files with the feed types; the tool's own state folder is never served."""

    def guess_type(self, path: str | Path) -> str:
        return content_type(str(path))

    def send_head(self):  # type: ignore[no-untyped-def]
        if "/.feeds" in self.path.split("?", 1)[0] or "/." in self.path:
            self.send_error(404)
            return None
        return super().send_head()

    def log_message(self, format: str, *args: object) -> None:
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


def make_server(root: Path, bind: str, port: int, verbose: bool = False) -> ThreadingHTTPServer:
    """A bound (not yet serving) server; port 0 picks a free port."""
    server = ThreadingHTTPServer((bind, port), partial(_Handler, directory=str(root)))
    server.verbose = verbose  # type: ignore[attr-defined]
    server.daemon_threads = True
    return server


def watch(poll: Callable[[], str], on_change: Callable[[], None], stop: threading.Event,
          interval: float = 1.0) -> threading.Thread:
    """Call ``on_change`` whenever ``poll()`` returns something new; runs in a thread."""

    def loop() -> None:
        last = poll()
        while not stop.wait(interval):
            current = poll()
            if current != last:
                last = current
                on_change()

    thread = threading.Thread(target=loop, name="feeds-watch", daemon=True)
    thread.start()
    return thread
