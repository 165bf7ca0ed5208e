"""`feeds publish` of a site with archive pages, against moto's S3 server: the pages the
builds kept are uploaded and never deleted, and `--delete` leaves no link dangling."""

from __future__ import annotations

import datetime
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer
from test_build import all_files, build

from feeds.cli import cli
from feeds.store import published_paths

BASE = "https://feeds.example.com/"
SECTIONS = ["分布式系统", "云计算技术", "大模型技术", "技术之外"]
CONFIG = """title = "云计算技术动态"
base_url = "https://feeds.example.com/"
tag_authority = "feeds.example.com"
timezone = "Asia/Shanghai"
max_items = 5
section_max_items = 3
digest_max_items = 3
archive_page_size = {size}
{extra}
[sections]
"分布式系统" = "distributed-systems"
"云计算技术" = "{cloud}"
"大模型技术" = "large-models"
"技术之外" = "beyond-tech"
[publish]
endpoint_url = "{endpoint}"
region = "us-east-1"
"""
LINK = re.compile(re.escape(BASE).encode() + rb'([^"<\s\\]*)')


def write_issues(root: Path, n: int) -> None:
    """N weekly issues from 2023-01-06, three of the four sections in most (after the
    hostile tester's generator, /tmp/hostile-lib/gen.py, 2026-11-29)."""
    (root / "issues").mkdir(parents=True)
    for i in range(1, n + 1):
        day = datetime.date(2023, 1, 6) + datetime.timedelta(days=7 * (i - 1))
        lines = [f"# 云计算技术动态 {day.year} 年第{i}期", ""]
        for s, name in enumerate(SECTIONS):
            if (i + s) % 5:
                lines += [f"## {name}", ""]
                for k in (1, 2):
                    lines += [f"**{k}.** **文章 {i}-{s}-{k} 标题**", "",
                              f"https://example.com/a/{i}/{s}/{k}", "",
                              f"**摘要:** 摘要 {i} {s} {k}，内容。", ""]
        (root / "issues" / f"{day.isoformat()}-{i}.md").write_text("\n".join(lines),
                                                                   encoding="utf-8")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    yield f"http://{host}:{port}"
    moto.stop()


class Site:
    """A project with archive pages, its bucket, and the commands run on it."""

    def __init__(self, root: Path, endpoint: str, name: str, size: int) -> None:
        self.root, self.endpoint, self.name = root, endpoint, name
        self.client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        self.client.create_bucket(Bucket=name)
        write_issues(root, 12)
        self.configure(size=size)

    def configure(self, cloud: str = "cloud-computing", size: int = 2, extra: str = "") -> None:
        (self.root / "feeds.toml").write_text(CONFIG.format(
            size=size, extra=extra, cloud=cloud, endpoint=self.endpoint), encoding="utf-8")

    def build(self) -> None:
        code, _, err = build(self.root)
        assert code == 0, err

    def publish(self, *extra: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, [
            "publish", f"s3://{self.name}/p", "--output", str(self.root / "output"),
            "--config", str(self.root / "feeds.toml"), *extra])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    def keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    def dangling(self) -> list[tuple[str, str]]:
        """Every link from an object in the bucket to one of the site's URLs with no object."""
        keys = self.keys()
        missing = []
        for key in sorted(keys):
            data = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
            for match in LINK.finditer(data):
                rel = match.group(1).decode() or "index.html"
                if f"p/{rel}" not in keys:
                    missing.append((key, rel))
        return missing

    def archive_pages(self) -> set[str]:
        return {f"p/{rel}" for rel in all_files(self.root / "output") if "archive/" in rel}


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path, endpoint: str,
         monkeypatch: pytest.MonkeyPatch) -> Site:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:50].strip("-")
    made = Site(tmp_path, endpoint, name, getattr(request, "param", 2))
    made.build()
    code, _, err = made.publish("-q")
    assert (code, err) == (0, "")
    return made


def kept_lines(name: str, kept: dict[str, str]) -> str:
    return "".join(f"kept s3://{name}/p/{rel}: no longer built, but s3://{name}/p/{source} "
                   "links to it\n" for rel, source in sorted(kept.items()))


def test_a_renamed_section_keeps_every_archive_page_and_the_feeds_they_name(site: Site) -> None:
    first = site.keys()
    assert len(site.archive_pages()) > 60 and site.archive_pages() <= first
    site.configure(cloud="cloud")
    site.build()
    superseded = {k for k in first if "archive/" in k}
    out = site.root / "output"
    manifest = published_paths(site.root / ".feeds", str(out.resolve()))
    assert {f"p/{rel}" for rel in manifest} >= superseded | site.archive_pages()
    code, out, err = site.publish("--delete", "--dry-run")
    assert (code, err) == (0, "")
    assert "would delete" not in out
    code, out, err = site.publish("--delete")
    assert (code, err) == (0, "")  # no "not written by feeds" for the pages the build kept
    assert ", 0 deleted, " in out
    old = "sections/cloud-computing/"
    kept = dict(re.findall(rf"kept s3://{site.name}/p/(\S+): no longer built, but "
                           rf"s3://{site.name}/p/(\S+) links to it\n", out))
    assert sorted(kept) == [old + f for f in ("atom.xml", "feed.json", "index.html", "rss.xml")]
    assert out.startswith(kept_lines(site.name, kept))
    keys = site.keys()
    assert superseded <= keys and site.archive_pages() <= keys
    for rel, source in kept.items():
        assert f"p/{rel}" in keys
        assert BASE.encode() + rel.encode() in (site.root / "output" / source).read_bytes()
    assert site.dangling() == []
    code, out, err = site.publish("--delete")
    assert (code, err) == (0, "")
    assert out.startswith(kept_lines(site.name, kept) + "0 uploaded, 0 deleted, ")


def test_a_dropped_format_keeps_its_feed_and_the_archive_page_it_names(site: Site) -> None:
    rss = site.client.get_object(Bucket=site.name, Key="p/rss.xml")["Body"].read()
    newest = re.search(rb'href="https://feeds.example.com/(archive/rss-[0-9a-f]{12}\.xml)" '
                       rb'rel="prev-archive"', rss)
    assert newest is not None
    site.configure(extra='formats = ["atom"]')
    site.build()
    code, out, err = site.publish("--delete")
    assert (code, err) == (0, "")
    assert ", 0 deleted, " in out
    assert f"kept s3://{site.name}/p/rss.xml: no longer built, but s3://{site.name}/p/archive/rss-" \
        in out
    keys = site.keys()
    assert f"p/{newest.group(1).decode()}" in keys
    assert site.client.get_object(Bucket=site.name, Key="p/rss.xml")["Body"].read() == rss
    assert site.archive_pages() <= keys
    assert site.dangling() == []


@pytest.mark.parametrize("site", [0], indirect=True)  # no archive pages
def test_a_stale_feed_no_object_links_to_is_deleted_and_not_uploaded(site: Site) -> None:
    assert not site.archive_pages()
    site.configure(cloud="cloud", size=0)
    code, _, err = build(site.root)
    assert code == 0 and "sections/cloud-computing/atom.xml: warning: no longer produced" in err
    code, out, err = site.publish("--delete", "--dry-run")
    assert (code, err) == (0, "")
    old = [f"sections/cloud-computing/{f}" for f in ("atom.xml", "feed.json", "index.html",
                                                      "rss.xml")]
    assert [line for line in out.splitlines() if not line.startswith("would upload")] == [
        *(f"would delete s3://{site.name}/p/{rel}" for rel in old),
        "dry run: 19 to upload, 4 to delete, 104.8 kB"]
    code, out, err = site.publish("--delete")
    assert (code, err) == (0, "")
    assert "\n".join(f"deleted s3://{site.name}/p/{rel}" for rel in old) in out
    keys = site.keys()
    assert not {f"p/{rel}" for rel in old} & keys
    assert all((site.root / "output" / rel).is_file() for rel in old)  # the build kept them
    assert site.dangling() == []
    code, out, _ = site.publish("--delete")
    assert code == 0 and out.startswith("0 uploaded, 0 deleted, ")  # nor uploaded again


def test_archive_pages_are_never_deleted_even_once_gone_from_the_output(site: Site) -> None:
    out = site.root / "output"
    pages = sorted(out.glob("sections/large-models/archive/*"))
    for page in pages:
        page.unlink()
    code, stdout, err = site.publish("--delete")
    assert (code, err) == (0, "")
    assert ", 0 deleted, " in stdout
    assert {f"p/{p.relative_to(out)}" for p in pages} <= site.keys()


def test_pages_kept_by_a_build_whose_state_was_lost_are_recognised(site: Site) -> None:
    first = next((site.root / "issues").glob("2023-01-06-*.md"))
    first.write_text(first.read_text(encoding="utf-8").replace("摘要 1 0 1", "更正 1 0 1"),
                     encoding="utf-8")  # a correction in the oldest issue renames every page
    site.build()
    shutil.rmtree(site.root / ".feeds")
    site.build()  # adopts the files it makes; the pages it no longer makes are unknown to it
    out = site.root / "output"
    fake = out / "archive" / "atom-0123456789ab.xml"
    fake.write_text("<feed>not ours</feed>")
    code, _, err = site.publish()
    assert code == 0
    assert err == f"feeds: warning: {fake}: not written by feeds; not uploaded\n"
    keys = site.keys()
    old = {k for k in keys if "archive/" in k}
    assert {f"p/{rel}" for rel in all_files(out) if "archive/" in rel} - keys == {
        "p/archive/atom-0123456789ab.xml"}
    assert len(old) > 2 * len(site.archive_pages() - old)  # the old pages, and the new ones
