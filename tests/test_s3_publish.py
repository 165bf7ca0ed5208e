"""`feeds publish` against a real S3 API on loopback: moto's server, reached over HTTP by boto3."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from conftest import SEED, damage_on_disk
from moto import settings as moto_settings
from moto.server import ThreadedMotoServer
from test_build import BASE, CONFIG, SECOND, all_files, build, write_project
from test_websub import Hub, form, serve_hub

import feeds.publish
from feeds.cli import cli
from feeds.hosting import policy

SHORT = "public, max-age=300, must-revalidate"
TYPES = {"atom.xml": "application/atom+xml", "rss.xml": "application/rss+xml",
         "feed.json": "application/feed+json",
         "feeds.opml": "text/x-opml", "index.html": "text/html; charset=utf-8",
         "sitemap.xml": "application/xml", "style.css": "text/css; charset=utf-8"}
THIRD = """# 云计算技术动态 2024 年第三十一期

## 存储系统

**1.** **对象存储的一致性**

https://example.com/s3-consistency

**摘要:** 强一致的列举。
"""


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedMotoServer]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    yield moto
    moto.stop()


def endpoint(moto: ThreadedMotoServer) -> str:
    host, port = moto.get_host_and_port()
    return f"http://{host}:{port}"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")


class Bucket:
    """A fresh bucket, the project that publishes into it, and every request the tool makes."""

    def __init__(self, root: Path, url: str, name: str) -> None:
        self.root, self.url, self.name = root, url, name
        self.client = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        self.client.create_bucket(Bucket=name)
        self.requests: list[str] = []
        self.puts: list[str] = []
        self.after_put: list[Any] = []
        config = CONFIG + f'\n[publish]\nendpoint_url = "{url}"\nregion = "us-east-1"\n'
        write_project(root, {"2024-07-20-29.md": SEED.read_bytes(), "2024-07-27-30.md": SECOND},
                      config)

    def hook(self, client: Any) -> Any:
        """Record the tool's requests and run ``after_put`` after each upload it makes."""

        def sent(request: Any, **_: Any) -> None:
            self.requests.append(f"{request.method} {request.url.split('?')[0]}")

        def before_put(params: dict, context: dict, **_: Any) -> None:
            context["key"] = params["Key"]

        def after_put(context: dict, **_: Any) -> None:
            self.puts.append(context["key"])
            for check in self.after_put:
                check(context["key"])

        client.meta.events.register("before-send.s3", sent)
        client.meta.events.register("before-parameter-build.s3.PutObject", before_put)
        client.meta.events.register("after-call.s3.PutObject", after_put)
        return client

    def publish(self, *extra: str, target: str = "s3://{name}/site") -> tuple[int, str, str]:
        self.requests.clear()
        self.puts.clear()
        result = CliRunner().invoke(cli, ["publish", target.format(name=self.name), "--output",
                                          str(self.root / "output"), "--config",
                                          str(self.root / "feeds.toml"), *extra])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    def objects(self, prefix: str = "") -> dict[str, bytes]:
        listed = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix).get("Contents", [])
        return {o["Key"]: self.client.get_object(Bucket=self.name, Key=o["Key"])["Body"].read()
                for o in listed}


@pytest.fixture
def bucket(request: pytest.FixtureRequest, tmp_path: Path, server: ThreadedMotoServer, env: None,
           monkeypatch: pytest.MonkeyPatch) -> Bucket:
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:50].strip("-")
    made = Bucket(tmp_path, endpoint(server), name)
    real = feeds.publish.make_client
    monkeypatch.setattr(feeds.publish, "make_client", lambda conn: made.hook(real(conn)))
    code, _, err = build(tmp_path)
    assert code == 0, err
    return made


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_objects_bytes_headers_and_metadata_as_stored(bucket: Bucket) -> None:
    code, out, err = bucket.publish()
    assert code == 0, err
    files = all_files(bucket.root / "output")
    size = sum(len(b) for b in files.values())
    assert len(files) == 33
    assert re.fullmatch(rf"(uploaded s3://{bucket.name}/site/\S+\n){{33}}"
                        rf"33 uploaded, 0 deleted, {size / 1000:.1f} kB, \d+\.\d s\n", out), out
    stored = bucket.objects()
    assert set(stored) == {f"site/{rel}" for rel in files} | {"site/.feeds-publish.json"}
    for rel, data in files.items():
        head = bucket.client.head_object(Bucket=bucket.name, Key=f"site/{rel}")
        assert stored[f"site/{rel}"] == data
        name = rel.rsplit("/", 1)[-1]
        assert head["ContentType"] == TYPES.get(name, TYPES["index.html"] if name.endswith(".html") else ""), rel
        assert head["CacheControl"] == SHORT
        assert head["Metadata"] == {"feeds-sha256": sha(data)}
    manifest = json.loads(stored["site/.feeds-publish.json"])["objects"]
    assert {rel: m["sha256"] for rel, m in manifest.items()} == {rel: sha(d) for rel, d in files.items()}
    assert bucket.client.head_object(Bucket=bucket.name, Key="site/.feeds-publish.json")[
        "CacheControl"] == "no-store"


def test_a_second_publish_uploads_nothing_in_two_requests(bucket: Bucket) -> None:
    assert bucket.publish()[0] == 0
    code, out, err = bucket.publish()
    assert code == 0, err
    assert re.fullmatch(r"0 uploaded, 0 deleted, 0 B, \d+\.\d s\n", out), out
    assert bucket.requests == [f"GET {bucket.url}/{bucket.name}/site/.feeds-publish.json",
                               f"GET {bucket.url}/{bucket.name}"]
    code, out, _ = bucket.publish("--dry-run")
    assert (code, out) == (0, "dry run: 0 to upload, 0 to delete, 0 B\n")
    assert bucket.publish("-q") == (0, "", "")


def test_a_change_uploads_exactly_the_changed_objects(bucket: Bucket) -> None:
    """A same-length edit (size and mtime blind) and a new issue: exactly the files whose
    bytes changed are uploaded, and nothing else, in the tiers' order."""
    assert bucket.publish()[0] == 0
    out_dir = bucket.root / "output"
    before = all_files(out_dir)
    issue = bucket.root / "issues" / "2024-07-27-30.md"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("一致性协议综述", "一致性协议概述"), encoding="utf-8")
    assert build(bucket.root)[0] == 0
    after = all_files(out_dir)
    edited = sorted(rel for rel in after if after[rel] != before[rel])
    assert all(len(after[rel]) == len(before[rel]) for rel in edited)
    code, out, err = bucket.publish()
    assert code == 0, err
    assert sorted(bucket.puts) == sorted([f"site/{rel}" for rel in edited] + ["site/.feeds-publish.json"])
    assert bucket.puts[-1] == "site/.feeds-publish.json"
    assert out.splitlines()[-1].startswith(f"{len(edited)} uploaded, 0 deleted, ")
    (bucket.root / "issues" / "2024-08-03-31.md").write_text(THIRD, encoding="utf-8")
    assert build(bucket.root)[0] == 0
    newest = all_files(out_dir)
    changed = sorted(rel for rel in newest if newest[rel] != after.get(rel))
    code, out, err = bucket.publish()
    assert code == 0, err
    assert sorted(bucket.puts[:-1]) == [f"site/{rel}" for rel in changed]
    tiers = [policy(k.removeprefix("site/")).tier for k in bucket.puts[:-1]]
    assert tiers == sorted(tiers)
    assert bucket.puts[-3:] == ["site/index.html", "site/sitemap.xml", "site/.feeds-publish.json"]
    assert bucket.objects("site/sections/cun-chu-xi-tong/") == {
        f"site/sections/cun-chu-xi-tong/{f}": newest[f"sections/cun-chu-xi-tong/{f}"]
        for f in ("atom.xml", "feed.json", "index.html", "rss.xml")}


def test_delete_removes_only_its_own_stale_objects(bucket: Bucket) -> None:
    client, name = bucket.client, bucket.name
    assert bucket.publish()[0] == 0
    foreign = {"site/notes.txt": b"mine", "elsewhere/atom.xml": b"not yours", "site.txt": b"x",
               "site/sections/xin-lan-mu/rss.xml.bak": b"backup"}
    for key, data in foreign.items():
        client.put_object(Bucket=name, Key=key, Body=data)
    # The section 新栏目 goes away: its feeds are no longer published (the operator
    # removes them from output/, where the build keeps them).
    (bucket.root / "issues" / "2024-07-27-30.md").write_text(SECOND.split("## 新栏目")[0], encoding="utf-8")
    assert build(bucket.root)[0] == 0
    stale = bucket.root / "output" / "sections" / "xin-lan-mu"
    for feed in stale.iterdir():
        feed.unlink()
    stale.rmdir()
    # Someone replaced one of our stale objects with their own: it is theirs now.
    client.put_object(Bucket=name, Key="site/sections/xin-lan-mu/rss.xml", Body=b"theirs")
    code, out, err = bucket.publish()
    assert code == 0, err
    assert "site/sections/xin-lan-mu/atom.xml" in bucket.objects("site/sections/xin-lan-mu/")
    assert ", 0 deleted, " in out
    code, out, err = bucket.publish("--delete", "--dry-run")
    assert (code, out) == (0, f"would delete s3://{name}/site/sections/xin-lan-mu/atom.xml\n"
                              f"would delete s3://{name}/site/sections/xin-lan-mu/feed.json\n"
                              f"would delete s3://{name}/site/sections/xin-lan-mu/index.html\n"
                              "dry run: 0 to upload, 3 to delete, 0 B\n")
    assert bucket.publish("--delete", "-q") == (0, "", "")
    assert "site/sections/xin-lan-mu/atom.xml" not in bucket.objects("site/sections/xin-lan-mu/")
    client.put_object(Bucket=name, Key="site/sections/xin-lan-mu/atom.xml", Body=b"again",
                      Metadata={"feeds-sha256": "0" * 64})  # our metadata, not in our manifest
    code, out, err = bucket.publish("--delete")
    assert code == 0, err
    assert re.fullmatch(r"0 uploaded, 0 deleted, 0 B, \d+\.\d s\n", out)
    stored = bucket.objects()
    for key, data in foreign.items():
        assert stored[key] == data
    assert stored["site/sections/xin-lan-mu/rss.xml"] == b"theirs"
    assert stored["site/sections/xin-lan-mu/atom.xml"] == b"again"
    files = all_files(bucket.root / "output")
    assert set(stored) == {f"site/{rel}" for rel in files} | set(foreign) | {
        "site/.feeds-publish.json", "site/sections/xin-lan-mu/rss.xml",
        "site/sections/xin-lan-mu/atom.xml"}
    code, out, _ = bucket.publish("--delete")
    assert code == 0 and out.startswith("0 uploaded, 0 deleted, ")


LINK = re.compile(re.escape(BASE).encode() + rb'([^"<\s\\]*)')  # JSON escapes " as \"


def _page_to_feed(source: str, target: str) -> bool:
    """A page's link to a feed (autodiscovery, the feeds to subscribe to), or a feed's
    to its own page (its ``alternate`` link): pages and feeds link to each other, so one
    of the two points ahead on a first publish."""
    source = source.removeprefix("site/")
    if source.endswith(".html"):
        return policy(target).feed
    return policy(source).feed and target == posixpath.join(posixpath.dirname(source), "index.html")


def dangling(bucket: Bucket, allow: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Links from an object in the bucket to one of the site's URLs with no object."""
    stored = bucket.objects("site/")
    missing = []
    for key, data in stored.items():
        for match in LINK.finditer(data):
            rel = match.group(1).decode() or "index.html"
            if f"site/{rel}" not in stored and rel not in allow and not _page_to_feed(key, rel):
                missing.append((key, rel))
    return missing


def test_server_stopped_mid_publish_then_a_rerun_completes_and_no_link_dangles(
        tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    try:
        bucket = Bucket(tmp_path, endpoint(moto), "stopped")
        real = feeds.publish.make_client
        monkeypatch.setattr(feeds.publish, "make_client", lambda conn: bucket.hook(real(conn)))
        assert build(tmp_path)[0] == 0
        seen: list[list[tuple[str, str]]] = []
        lock = threading.Lock()
        stopped: list[bool] = []

        def check_then_stop_after_five(_: str) -> None:
            with lock:  # feeds link up to the home page, which comes last
                if stopped:
                    return
                seen.append(dangling(bucket, allow=("index.html",)))
                if len(bucket.puts) >= 5:
                    moto.stop()
                    stopped.append(True)

        bucket.after_put[:] = [check_then_stop_after_five]
        code, out, err = bucket.publish()
        assert code == 4, (out, err)
        failed = re.fullmatch(r"feeds: error: s3://stopped/site/(\S+): upload failed: .*; "
                              r"run the same command again to finish\n", err)
        assert failed, err
        first_run = list(bucket.puts)
        assert 5 <= len(first_run) < 33 and f"site/{failed.group(1)}" not in first_run, err
        moto = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        moto.start()
        there = set(bucket.objects("site/"))
        assert set(first_run) <= there and len(there) < 33
        bucket.after_put[:] = [lambda _: seen.append(dangling(bucket, allow=("index.html",)))]
        code, out, err = bucket.publish()
        assert code == 0, err
        files = all_files(tmp_path / "output")
        assert sorted(bucket.puts[:-1]) == sorted({f"site/{r}" for r in files} - there)
        assert bucket.puts[-1] == "site/.feeds-publish.json"
        assert seen and all(s == [] for s in seen), seen
        assert bucket.objects("site/") == {f"site/{r}": d for r, d in files.items()} | {
            "site/.feeds-publish.json": bucket.objects("site/.feeds-publish.json")[
                "site/.feeds-publish.json"]}
        assert dangling(bucket) == []
        # An update: now every link, the home page's included, is there at every moment.
        (tmp_path / "issues" / "2024-08-03-31.md").write_text(THIRD, encoding="utf-8")
        assert build(tmp_path)[0] == 0
        newest = all_files(tmp_path / "output")
        changed = [r for r in newest if newest[r] != files.get(r)]
        seen.clear()
        bucket.after_put[:] = [lambda _: seen.append(dangling(bucket))]
        assert bucket.publish()[0] == 0
        assert len(changed) == 16 and len(seen) == 17 and all(s == [] for s in seen), seen
        assert bucket.publish()[1].startswith("0 uploaded, 0 deleted, ")
    finally:
        moto.stop()


def test_a_missing_bucket_is_a_config_error(bucket: Bucket) -> None:
    code, out, err = bucket.publish(target="s3://no-such-bucket/site")
    assert (code, out) == (2, "")
    assert err == f"feeds: error: s3://no-such-bucket/site/: no bucket 'no-such-bucket' at {bucket.url}\n"


def test_wrong_credentials_are_a_clear_error(bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    code, out, err = bucket.publish()
    assert (code, out) == (2, "")
    assert err.startswith(f"feeds: error: s3://{bucket.name}/site/: the storage refused the credentials "
                          "(InvalidAccessKeyId: "), err
    assert err.endswith("; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile\n")


@pytest.mark.parametrize(("target", "message"), [
    ("news/site", "news/site: the target must look like s3://bucket/prefix"),
    ("s3://Bad_Bucket/x", "s3://Bad_Bucket/x: 'Bad_Bucket' is not a bucket name (3-63 lower-case "
                          "letters, digits, '.' and '-')"),
    ("s3://news/a/../b", "s3://news/a/../b: the prefix cannot hold '.' or '..'"),
])
def test_a_bad_target_is_a_usage_error(bucket: Bucket, target: str, message: str) -> None:
    assert bucket.publish(target=target) == (2, "", f"feeds: error: {message}\n")
    assert bucket.requests == []


def test_an_unreachable_endpoint_exits_4(bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = bucket.root / "feeds.toml"
    config.write_text(config.read_text().replace(bucket.url, f"http://127.0.0.1:{port}"))
    code, out, err = bucket.publish()
    assert (code, out) == (4, "")
    assert err.startswith(f"feeds: error: s3://{bucket.name}/site/: cannot read the bucket: "
                          f'Could not connect to the endpoint URL: "http://127.0.0.1:{port}/'), err


def test_build_publishes_after_a_successful_build_only(bucket: Bucket) -> None:
    target = f"s3://{bucket.name}/site"
    code, out, err = build(bucket.root, "--publish", target)
    assert code == 0, err
    assert out.splitlines()[-1].startswith("33 uploaded, 0 deleted, ")
    bad = bucket.root / "issues" / "2024-08-03-31.md"
    bad.write_text(THIRD.replace("https://example.com/s3-consistency", "ftp://x"), encoding="utf-8")
    bucket.requests.clear()
    code, out, err = build(bucket.root, "--publish", target)
    assert code == 1 and bucket.requests == []
    bad.unlink()
    config = bucket.root / "feeds.toml"
    config.write_text(config.read_text() + f'target = "{target}"\non_build = true\n')
    (bucket.root / "issues" / "2024-08-03-31.md").write_text(THIRD, encoding="utf-8")
    code, out, err = build(bucket.root)
    assert code == 0, err
    assert out.splitlines()[-1].startswith("16 uploaded, 0 deleted, ")
    assert "site/sections/cun-chu-xi-tong/atom.xml" in bucket.objects("site/sections/")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    yield from serve_hub(monkeypatch)


def test_a_publish_pings_hubs_with_the_uploaded_feeds_only(bucket: Bucket, hub: Hub) -> None:
    config = bucket.root / "feeds.toml"
    config.write_text(f'websub_hubs = ["{hub.url}/", "{hub.url}/fail"]\n' + config.read_text())
    assert build(bucket.root)[0] == 0  # the feeds now carry the hub links
    hub.posts.clear()  # websub_on_build is off: the build told nobody
    code, _, err = bucket.publish()
    assert code == 0
    feeds_now = sorted(rel for rel in all_files(bucket.root / "output")
                       if rel.endswith((".xml", ".json")) and rel != "sitemap.xml")
    assert hub.bodies("/") == [form(*feeds_now)]
    assert err == (f"feeds: warning: WebSub hub {hub.url}/fail was not told of 21 changed feeds: "
                   "HTTP 503 (after 3 attempts); readers will see the change when they next poll\n")
    hub.posts.clear()
    assert bucket.publish()[0] == 0
    assert hub.posts == []
    (bucket.root / "issues" / "2024-08-03-31.md").write_text(THIRD, encoding="utf-8")
    assert build(bucket.root)[0] == 0
    assert bucket.publish()[0] == 0
    assert hub.bodies("/") == [form(*sorted(
        f"{folder}/{name}".lstrip("/") for folder in ("", "digest", "sections/cun-chu-xi-tong")
        for name in ("atom.xml", "rss.xml", "feed.json")))]


def test_a_lost_or_garbled_manifest_costs_requests_not_uploads(bucket: Bucket) -> None:
    assert bucket.publish()[0] == 0
    for garbage in (b"\x00not json", b'{"objects": [1, 2]}', b'{"objects": {"atom.xml": {"etag": 5}}}',
                    b"[" * 100_000):
        bucket.client.put_object(Bucket=bucket.name, Key="site/.feeds-publish.json", Body=garbage)
        code, out, err = bucket.publish()
        assert code == 0, err
        assert out.startswith("0 uploaded, 0 deleted, 0 B, ")
        heads = [r for r in bucket.requests if r.startswith("HEAD ")]
        assert len(heads) == 33 and bucket.puts == ["site/.feeds-publish.json"]  # rewritten
        bucket.publish()
        assert len(bucket.requests) == 2 and bucket.puts == []


def test_only_published_files_go_up_never_dot_files_or_links(bucket: Bucket, tmp_path: Path) -> None:
    out = bucket.root / "output"
    published = all_files(out)
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (out / ".env").write_text("TOKEN=1")
    (out / "sections" / ".git").mkdir()
    (out / "sections" / ".git" / "config").write_text("x")
    (out / ".atom.xml.1234.tmp").write_text("half")
    (out / "notes.html").write_text("mine, not the build's")  # not in the state's manifest
    (out / "leak.xml").symlink_to(secret)
    (out / "linked").symlink_to(tmp_path, target_is_directory=True)
    assert bucket.publish()[0] == 0
    assert sorted(bucket.objects()) == sorted([f"site/{rel}" for rel in published]
                                              + ["site/.feeds-publish.json"])
    assert len(published) == 33


def test_publish_waits_for_a_running_build(bucket: Bucket) -> None:
    import fcntl
    import os

    fd = os.open(bucket.root / "output", os.O_RDONLY)  # a build holds the lock on the folder
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        code, out, err = bucket.publish("--wait", "0")
    finally:
        os.close(fd)
    assert (code, out) == (3, "")
    assert err.startswith(f"feeds: error: {bucket.root / 'output'}: another build still holds the lock")
    assert bucket.requests == []


def test_a_terminal_gets_a_progress_bar_and_the_summary(bucket: Bucket) -> None:
    import os
    import pty
    import subprocess
    import sys

    from conftest import ROOT

    primary, secondary = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    proc = subprocess.run([sys.executable, "-m", "feeds", "publish", f"s3://{bucket.name}/site",
                           "--output", str(bucket.root / "output"), "--config",
                           str(bucket.root / "feeds.toml")], stdout=subprocess.PIPE,
                          stderr=secondary, env=env, text=True, timeout=60)
    os.close(secondary)
    shown = b""
    try:
        while chunk := os.read(primary, 65536):
            shown += chunk
    except OSError:  # the terminal's other end is closed: all is read
        pass
    os.close(primary)
    assert proc.returncode == 0
    assert re.fullmatch(r"33 uploaded, 0 deleted, \d+\.\d kB, \d+\.\d s\n", proc.stdout)
    assert b"uploading  [####################################]  100%" in shown


def test_the_github_actions_recipe_caches_the_state_and_publishes() -> None:
    import yaml
    from conftest import ROOT

    recipe = yaml.safe_load((ROOT / "deploy" / "github-actions-s3.yml").read_text(encoding="utf-8"))
    steps = recipe["jobs"]["publish"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"].split() == [".feeds"]  # the state, beside feeds.toml
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[-1] == '.venv/bin/feeds build --publish "$FEEDS_TARGET"'
    assert steps.index(cache) < [s.get("run") for s in steps].index(runs[-1])


def test_files_feeds_did_not_write_are_named_and_never_uploaded(bucket: Bucket) -> None:
    out = bucket.root / "output"
    published = all_files(out)
    (out / "notes.txt").write_text("DB_PASSWORD=x")
    (out / "private").mkdir()
    (out / "private" / "id.pem").write_text("key")
    code, stdout, err = bucket.publish()
    assert code == 0, err
    assert err == (f"feeds: warning: {out / 'notes.txt'}: not written by feeds; not uploaded\n"
                   f"feeds: warning: {out / 'private' / 'id.pem'}: not written by feeds; "
                   "not uploaded\n")
    assert "notes" not in stdout and "private" not in stdout
    assert sorted(bucket.objects()) == sorted([f"site/{rel}" for rel in published]
                                              + ["site/.feeds-publish.json"])
    assert len(published) == 33


def test_a_file_named_not_in_utf8_in_the_output_is_named_escaped(bucket: Bucket) -> None:
    out = bucket.root / "output"
    (out / os.fsdecode(b"notes\xff.txt")).write_text("x")
    code, _, err = bucket.publish()
    assert (code, err) == (0, f"feeds: warning: {out}/notes\\xff.txt: not written by feeds; "
                              "not uploaded\n")


def test_delete_never_removes_a_copy_of_our_object_made_in_the_bucket(bucket: Bucket) -> None:
    assert bucket.publish()[0] == 0
    bucket.client.copy_object(Bucket=bucket.name, Key="site/backup/atom-2024-11.xml",
                              CopySource={"Bucket": bucket.name, "Key": "site/atom.xml"})
    head = bucket.client.head_object(Bucket=bucket.name, Key="site/backup/atom-2024-11.xml")
    assert "feeds-sha256" in head["Metadata"]  # the copy carries our metadata
    code, out, err = bucket.publish("--delete")
    assert code == 0, err
    assert re.fullmatch(r"0 uploaded, 0 deleted, 0 B, \d+\.\d s\n", out)
    assert bucket.objects("site/backup/") == {
        "site/backup/atom-2024-11.xml": bucket.objects("site/atom.xml")["site/atom.xml"]}


def test_an_empty_or_missing_output_folder_publishes_and_deletes_nothing(bucket: Bucket) -> None:
    assert bucket.publish()[0] == 0
    before = bucket.objects()
    out = bucket.root / "output"
    for path in sorted(out.rglob("*"), reverse=True):
        if ".feeds" not in path.parts:
            path.unlink() if path.is_file() else path.rmdir()
    assert bucket.publish("--delete") == (
        2, "", f"feeds: error: {out}: nothing to publish; run 'feeds build' first\n")
    shutil.rmtree(out)
    assert bucket.publish("--delete")[0] == 2
    assert bucket.requests == [] and bucket.objects() == before


def test_every_link_points_to_an_earlier_tier(bucket: Bucket) -> None:
    """The order does not hang on timing: inside a tier uploads run in parallel, so each
    file links only to files of earlier tiers (or itself, or up to the home page, or a
    page up to a feed)."""
    (bucket.root / "issues" / "2024-08-03-31.md").write_text(THIRD, encoding="utf-8")
    assert build(bucket.root)[0] == 0
    files = all_files(bucket.root / "output")
    links = 0
    for rel, data in files.items():
        for match in LINK.finditer(data):
            target = match.group(1).decode() or "index.html"
            assert target in files, (rel, target)
            if target not in (rel, "index.html") and not _page_to_feed(rel, target):
                links += 1
                assert policy(target).tier < policy(rel).tier, (rel, target)
    assert links > 50


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


SLOW_DOWN = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"


def throttle(bucket: Bucket, key: str, times: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answer the first ``times`` uploads of ``key`` with 503 SlowDown, as S3 does when throttling."""
    from botocore.awsrequest import AWSResponse

    answered: list[str] = []
    real = feeds.publish.make_client

    def refuse(request: Any, **_: Any) -> AWSResponse | None:
        if request.method == "PUT" and request.url.split("?")[0].endswith(f"/{key}") \
                and len(answered) < times:
            answered.append(request.url)
            return AWSResponse(request.url, 503, {}, _Raw(SLOW_DOWN))
        return None

    def client(conn: feeds.publish.Connection) -> Any:
        made = bucket.hook(real(conn))
        made.meta.events.register("before-send.s3", refuse)
        return made

    monkeypatch.setattr(feeds.publish, "make_client", client)
    return answered


def test_throttling_is_retried(bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> None:
    answered = throttle(bucket, "site/rss.xml", 1, monkeypatch)
    code, out, err = bucket.publish()
    assert code == 0, err
    assert len(answered) == 1 and out.splitlines()[-1].startswith("33 uploaded, 0 deleted, ")
    assert bucket.objects("site/rss.xml")["site/rss.xml"] == (bucket.root / "output" / "rss.xml").read_bytes()


def test_throttling_that_lasts_exits_4_naming_the_key(bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> None:
    answered = throttle(bucket, "site/rss.xml", 99, monkeypatch)
    code, out, err = bucket.publish()
    assert len(answered) == 2  # AWS_MAX_ATTEMPTS=2 in these tests; 5 by default
    assert code == 4
    assert all(line.startswith("uploaded ") for line in out.splitlines())
    assert f"uploaded s3://{bucket.name}/site/rss.xml" not in out.splitlines()
    assert err == (f"feeds: error: s3://{bucket.name}/site/rss.xml: upload failed: SlowDown: Please reduce "
                   "your request rate.; run the same command again to finish\n")
    stored = bucket.objects("site/")
    assert "site/rss.xml" not in stored and "site/index.html" not in stored  # later tiers never started
    assert "site/atom.xml" in stored


@pytest.mark.parametrize(("table", "damage", "known"), [
    ("published", "UPDATE published SET digest = 'x', size = -1", True),
    ("builds", "UPDATE builds SET files = x'00', warnings = x'00'", True),
    ("published", "UPDATE published SET path = NULL, ino = 'x'", False),  # on the disk
    ("builds", "UPDATE builds SET files = 'x', feeds = 'x'", True)])
def test_a_damaged_store_changes_no_dry_run(bucket: Bucket, table: str, damage: str,
                                            known: bool) -> None:
    """publish reads the manifest and the last build's file list from the store: a row
    of the wrong type or shape there is not known (the files are compared with the
    bucket as they are); a manifest that names no file says to build first (exit 2),
    and the build mends it. Never an internal error."""
    want = bucket.publish("--dry-run", "--delete")
    assert want[0] == 0 and want[1].endswith("dry run: 33 to upload, 0 to delete, 181.0 kB\n")
    database = bucket.root / ".feeds" / "state.sqlite"
    db = sqlite3.connect(database, isolation_level=None)
    try:
        db.execute(damage)
    except sqlite3.IntegrityError:  # refused: the table is STRICT
        damage_on_disk(db, table, damage)
    finally:
        db.close()
    if not known:
        assert bucket.publish("--dry-run", "--delete") == (
            2, "", f"feeds: error: {bucket.root / 'output'}: nothing to publish; run 'feeds "
            "build' first\n")
        assert build(bucket.root)[0] == 0
    assert bucket.publish("--dry-run", "--delete") == want
