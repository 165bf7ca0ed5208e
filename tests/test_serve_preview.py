"""`feeds serve` builds its preview into a folder of its own: output/ is never touched."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from test_build import all_files, build
from test_publish_archives import write_issues

from feeds.cli import _browser_url

CONFIG = """title = "云计算技术动态"
base_url = "https://feeds.example.com/"
max_items = 5
section_max_items = 3
digest_max_items = 3
archive_page_size = 2
"""


@pytest.mark.parametrize(("bind", "url"), [
    ("127.0.0.1", "http://127.0.0.1:8000/"), ("0.0.0.0", "http://127.0.0.1:8000/"),
    ("192.168.1.20", "http://192.168.1.20:8000/"), ("::", "http://[::1]:8000/"),
    ("::1", "http://[::1]:8000/"), ("localhost", "http://localhost:8000/")])
def test_the_preview_is_named_by_an_address_a_browser_can_open(bind: str, url: str) -> None:
    assert _browser_url(bind, 8000) == url


def serve_once(project: Path, *args: str) -> tuple[str, bytes]:
    """Run ``feeds serve --port 0`` until it serves; its address and its atom.xml."""
    proc = subprocess.Popen([sys.executable, "-m", "feeds", "serve", "--port", "0", *args],
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        while line and not line.startswith("serving"):
            line = proc.stdout.readline() if proc.stdout else ""
        found = re.fullmatch(r"serving \.feeds/preview/site at (http://127\.0\.0\.1:\d+/) "
                             r"\(Ctrl-C to stop\)\n", line)
        assert found, line
        with urllib.request.urlopen(found.group(1) + "atom.xml", timeout=10) as answer:
            return found.group(1), answer.read()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)


def snapshot(folder: Path) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def test_serve_never_touches_output_and_its_pages_do_not_pile_up(tmp_path: Path) -> None:
    write_issues(tmp_path, 12)
    (tmp_path / "feeds.toml").write_text(CONFIG, encoding="utf-8")
    assert build(tmp_path)[0] == 0
    out = tmp_path / "output"
    before = snapshot(out)
    state = (tmp_path / ".feeds" / "state.sqlite").read_bytes()
    local, atom = serve_once(tmp_path, "--bind", "0.0.0.0")
    assert f'<link href="{local}atom.xml" rel="self"'.encode() in atom
    assert b"0.0.0.0" not in atom
    site = tmp_path / ".feeds" / "preview" / "site"
    first = all_files(site)
    assert len([p for p in first if "/archive/" in f"/{p}"]) > 60
    again, atom = serve_once(tmp_path)
    assert again != local and f'<link href="{again}atom.xml" rel="self"'.encode() in atom
    second = all_files(site)
    assert len(second) == len(first)  # the pages made for the first address are gone
    assert not [p for p, data in second.items() if local.encode() in data]
    assert snapshot(out) == before
    assert (tmp_path / ".feeds" / "state.sqlite").read_bytes() == state
    assert build(tmp_path)[1].endswith("(nothing changed)\n")
