"""A local web server for ``output/``, to try the feeds in a reader before publishing."""

from __future__ import annotations

import html
import io
import os
import threading
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

from feeds.hosting import content_type


def hidden(raw_path: str) -> bool | None:
    """Whether a request path names a dot-file or dot-folder (``.feeds/``, ``.x.tmp``,
    ``.``, ``..``) in any spelling; None if it cannot name a file at all (a NUL byte,
    percent-encoded bytes that are not UTF-8 such as ``%ff`` or ``%c0%ae``).

    The path is percent-decoded first, as the file lookup decodes it, so ``%2e``
    is a dot here too.
    """
    try:
        path = unquote(raw_path.split("?", 1)[0].split("#", 1)[0], errors="strict")
    except UnicodeDecodeError:
        return None
    if "\0" in path:
        return None
    return any(part.startswith(".") for part in path.split("/"))


class _Handler(SimpleHTTPRequestHandler):
    """Static files with the feed types; no dot-file or dot-folder (the tool's own
    state in ``.feeds/``, temporary files) is ever served or listed, nor anything a
    symbolic link leads to outside the folder."""

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return content_type(str(path))

    def send_head(self):  # type: ignore[no-untyped-def]
        verdict = hidden(self.path)
        if verdict is None:
            self.send_error(400, "Bad request path")
            return None
        if verdict or not self._inside(self.translate_path(self.path)):
            self.send_error(404)
            return None
        return super().send_head()

    def _inside(self, path: str) -> bool:
        """Whether ``path``, its symbolic links followed, stays inside the served folder
        (``output/pw.xml -> /etc/passwd`` does not)."""
        root = os.path.realpath(self.directory)
        return os.path.realpath(path).startswith(root.rstrip("/") + "/") \
            or os.path.realpath(path) == root

    def list_directory(self, path: str | os.PathLike[str]):  # type: ignore[no-untyped-def]
        """A folder's listing without its dot-files."""
        try:
            names = sorted(n for n in os.listdir(path) if not n.startswith("."))
        except OSError:
            self.send_error(404)
            return None
        title = html.escape(unquote(self.path.split("?", 1)[0]), quote=False)
        items = []
        for name in names:
            link = name + "/" if os.path.isdir(os.path.join(path, name)) else name
            href = quote(link, errors="surrogatepass")
            items.append(f'<li><a href="{href}">{html.escape(link)}</a></li>\n')
        page = (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
                f"<body><h1>{title}</h1>\n<ul>\n{''.join(items)}</ul></body></html>\n")
        body = page.encode("utf-8", "replace")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

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
