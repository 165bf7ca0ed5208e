"""`feeds publish` against an endpoint that answers but is not S3.

Found on main (54da399): an ``endpoint_url`` pointing at an ordinary web server (a
typo in the port, a CDN or proxy in front of the bucket, an HTML error page answered
with 200) made `feeds publish` exit 70, ``feeds: internal error: KeyError: 'ETag'``
(an answer to PutObject, HeadObject or a listing without an ETag), or ``ValueError:
Invalid timestamp`` (botocore's parser raises a plain ValueError for a date it cannot
read). The operator got a bug report instead of the error saying which object could
not be uploaded; it is now exit 4 naming the object, as for any endpoint that
refuses, and nothing is recorded as uploaded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import SEED, run_main
from test_build import CONFIG, build, write_project

HTML = b"<html><body>Welcome to nginx!</body></html>"
LISTING = (b"<?xml version='1.0'?><ListBucketResult><IsTruncated>false</IsTruncated>"
           b"<Contents><Key>site/atom.xml</Key><Size>5</Size><LastModified>yesterday"
           b"</LastModified><ETag>\"1\"</ETag></Contents></ListBucketResult>")


def endpoint(listing: bytes) -> Iterator[str]:
    """A web server that answers 200 to every request: ``listing`` to a GET of the
    bucket, nothing (no ETag) to a PUT or HEAD, 404 to the manifest object."""

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            code, body = 200, HTML
            if self.command == "GET" and self.path.startswith("/bucket?"):
                body = listing
            elif self.path.endswith(".feeds-publish.json") and self.command == "GET":
                code, body = 404, b"<Error><Code>NoSuchKey</Code><Message>no</Message></Error>"
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_PUT = do_HEAD = do_DELETE = answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def html_endpoint() -> Iterator[str]:
    yield from endpoint(HTML)


@pytest.fixture
def garbled_endpoint() -> Iterator[str]:
    yield from endpoint(LISTING)


def publish(root: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    write_project(root, {"2024-07-20-29.md": SEED.read_bytes()},
                  CONFIG + f'\n[publish]\nendpoint_url = "{url}"\nregion = "us-east-1"\n')
    assert build(root)[0] == 0
    code, _, err = run_main("publish", "-q", "s3://bucket/site", "--output",
                            str(root / "output"), "--config", str(root / "feeds.toml"))
    return code, err


def test_an_endpoint_answering_uploads_without_an_etag_is_exit_4(
        tmp_path: Path, html_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = publish(tmp_path, html_endpoint, monkeypatch)
    assert code == 4
    assert err.startswith("feeds: error: s3://bucket/site/")
    assert err.endswith(": upload failed: the endpoint's answer is not S3's (no ETag in it: "
                        "is endpoint_url an S3 API?); run the same command again to finish\n")


def test_an_endpoint_listing_what_s3_cannot_is_exit_4(
        tmp_path: Path, garbled_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = publish(tmp_path, garbled_endpoint, monkeypatch)
    assert (code, err) == (4, (
        "feeds: error: s3://bucket/site/: cannot read the bucket: the endpoint's answer is not "
        "S3's (Invalid timestamp \"yesterday\": Unknown string format: yesterday); run the "
        "same command again to finish\n"))
