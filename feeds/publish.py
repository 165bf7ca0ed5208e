"""Copy a folder to S3-compatible object storage: only what changed, in a safe order.

What changed is told by SHA-256, never by size or time: every object the tool
uploads carries its hash in its metadata (``x-amz-meta-feeds-sha256``), and a
manifest object (``<prefix>.feeds-publish.json``) records hash, ETag and headers
of each, so that a publish with nothing changed costs two requests (the
manifest and a listing). An object whose listed ETag differs from the
manifest's (changed by someone else, or uploaded by a run that was cut short)
is asked for its metadata instead. Uploads go tier by tier (``hosting``), and
inside a tier new objects before changed ones, so what is linked arrives
before what links to it; deletions, only of the tool's own objects (in its manifest with
the same ETag: metadata travels with a copy, so it proves nothing), never of a
content-named one nor of one that an object staying links to, come last.
It knows object storage and the hosting table, nothing of feeds or Markdown.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feeds.hosting import Policy, content_named, policy

Links = Callable[[str, bytes, Collection[str]], set[str]]  # a file → which of those it links to

MANIFEST = ".feeds-publish.json"
MANIFEST_LIMIT = 64 << 20  # a larger "manifest" is not ours: read no more than this
SHA_KEY = "feeds-sha256"
EXIT_USAGE, EXIT_WRITE = 2, 4
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken",
               "ExpiredToken", "AuthorizationHeaderMalformed", "InvalidClientTokenId", "403"}


class PublishError(Exception):
    """Publishing stopped; ``code`` is the exit code (2 settings, 4 could not write)."""

    def __init__(self, message: str, code: int = EXIT_WRITE) -> None:
        super().__init__(message)
        self.code = code


class NotS3Answer(ValueError):
    """An answer that lacks what every S3 answer holds (an upload's or a listing's ETag):
    the endpoint is some other web server. A ValueError, as botocore raises for an answer
    it cannot parse (a date it cannot read), so that one ``except`` takes both."""


def _etag(answer: dict[str, Any]) -> str:
    etag = answer.get("ETag")
    if not isinstance(etag, str):
        raise NotS3Answer("no ETag in it: is endpoint_url an S3 API?")
    return etag


def _s3_failures() -> tuple[type[Exception], ...]:
    """What a call of the S3 API raises when it fails: botocore's errors, and a
    ValueError for an answer that is not S3's (:class:`NotS3Answer`, or one botocore
    cannot parse). (botocore imported here, as it is needed: not by every command.)"""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, ValueError)


@dataclass(frozen=True)
class Target:
    """Where to publish: ``s3://bucket/prefix``; the prefix is empty or ends with '/'."""

    bucket: str
    prefix: str

    def key(self, rel: str) -> str:
        return self.prefix + rel

    def url(self, rel: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{rel}"


def parse_target(text: str) -> Target:
    """``s3://bucket[/prefix]`` as a Target; PublishError (exit 2) for anything else."""
    if not text.startswith("s3://"):
        raise PublishError(f"{text}: the target must look like s3://bucket/prefix", EXIT_USAGE)
    bucket, _, prefix = text[5:].partition("/")
    if not _BUCKET_RE.fullmatch(bucket):
        raise PublishError(f"{text}: {bucket!r} is not a bucket name (3-63 lower-case letters, "
                           "digits, '.' and '-')", EXIT_USAGE)
    parts = [p for p in prefix.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise PublishError(f"{text}: the prefix cannot hold '.' or '..'", EXIT_USAGE)
    return Target(bucket, "".join(p + "/" for p in parts))


@dataclass(frozen=True)
class Connection:
    """How to reach the storage; None means boto3's usual sources (AWS_* variables, profiles)."""

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    attempts: int = 5


@dataclass(frozen=True)
class Upload:
    """One file to upload, with the headers the hosting table gives it."""

    rel: str
    path: Path
    size: int
    sha256: str
    policy: Policy
    new: bool  # no object at the key yet: goes before changed objects of its tier


@dataclass(frozen=True)
class Plan:
    """What a publish will do, worked out from the bucket's manifest and listing."""

    uploads: tuple[Upload, ...]
    deletes: tuple[str, ...]
    kept: dict[str, dict[str, str]]  # manifest records of the objects left as they are
    manifest_current: bool  # the bucket's manifest already says what ``kept`` says
    requests: int
    seconds: float
    linked: dict[str, str] = field(default_factory=dict)  # kept for a link: path → one linking it


@dataclass(frozen=True)
class Report:
    """What a publish did."""

    uploaded: tuple[str, ...]
    deleted: tuple[str, ...]
    bytes: int
    seconds: float  # comparing with the bucket, uploading and deleting
    requests: int


def make_client(conn: Connection) -> Any:
    """A boto3 S3 client fit for S3-compatible services: checksums only where S3 requires
    them (B2, R2 and MinIO reject boto3's default ones), standard retries with backoff."""
    import boto3
    from botocore.config import Config as BotoConfig
    from botocore.exceptions import BotoCoreError

    config = BotoConfig(request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        retries={"mode": "standard", "total_max_attempts": conn.attempts},
                        connect_timeout=10, read_timeout=60, max_pool_connections=16)
    try:
        session = boto3.session.Session(profile_name=conn.profile)
        return session.client("s3", endpoint_url=conn.endpoint_url, region_name=conn.region,
                              config=config)
    except (BotoCoreError, ValueError) as exc:
        raise PublishError(f"[publish]: {exc}", EXIT_USAGE) from None


def _record(sha: str, etag: str, pol: Policy) -> dict[str, str]:
    return {"sha256": sha, "etag": etag, "content_type": pol.content_type,
            "cache_control": pol.cache_control}


def _reason(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{err.get('Code') or status}: {err.get('Message') or 'refused'}"
    if isinstance(exc, ValueError):
        return f"the endpoint's answer is not S3's ({exc})"
    return str(exc) or type(exc).__name__


def _settings_error(exc: Exception, target: Target, conn: Connection) -> PublishError:
    """A failure of the first requests, as a message saying what to fix."""
    from botocore.exceptions import ClientError, NoCredentialsError, ProfileNotFound

    where = target.url()
    if isinstance(exc, NoCredentialsError):
        return PublishError(f"{where}: no credentials: set AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY, or a profile in [publish]", EXIT_USAGE)
    if isinstance(exc, ProfileNotFound):
        return PublishError(f"{where}: {exc}", EXIT_USAGE)
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "NoSuchBucket":
            at = f" at {conn.endpoint_url}" if conn.endpoint_url else ""
            return PublishError(f"{where}: no bucket {target.bucket!r}{at}", EXIT_USAGE)
        if code in _AUTH_CODES:
            return PublishError(f"{where}: the storage refused the credentials ({_reason(exc)}); "
                                "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile",
                                EXIT_USAGE)
    return PublishError(f"{where}: cannot read the bucket: {_reason(exc)}")


def _read_manifest(client: Any, target: Target) -> dict[str, dict[str, str]]:
    """The manifest's records by path; empty when there is none or it is not ours to read
    (then each object is asked for its metadata instead)."""
    try:
        answer = client.get_object(Bucket=target.bucket, Key=target.key(MANIFEST))
    except client.exceptions.NoSuchKey:
        return {}
    if answer.get("ContentLength", 0) > MANIFEST_LIMIT:
        return {}
    body = answer["Body"].read()
    try:
        objects = json.loads(body).get("objects", {})
    except (ValueError, AttributeError, RecursionError):  # too deep: not ours either
        return {}
    if not isinstance(objects, dict):
        return {}
    return {k: v for k, v in objects.items()
            if isinstance(v, dict) and all(isinstance(x, str) for x in v.values())}


def _list(client: Any, target: Target) -> tuple[dict[str, str], int]:
    """Every object under the prefix as path → ETag, and the number of requests it took."""
    listed: dict[str, str] = {}
    requests = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket,
                                                                 Prefix=target.prefix):
        requests += 1
        for obj in page.get("Contents", []):
            listed[str(obj.get("Key", ""))[len(target.prefix):]] = _etag(obj)
    return listed, requests


def _metadata(client: Any, target: Target, rel: str) -> dict[str, str]:
    head = client.head_object(Bucket=target.bucket, Key=target.key(rel))
    return {"sha256": head.get("Metadata", {}).get(SHA_KEY, ""), "etag": _etag(head),
            "content_type": head.get("ContentType", ""),
            "cache_control": head.get("CacheControl", "")}


def plan(files: Sequence[tuple[str, Path]], target: Target, client: Any, delete: bool,
         conn: Connection = Connection(), stale: Collection[str] = (),
         links: Links | None = None) -> Plan:
    """Compare ``files`` (path in the bucket under the prefix, local path) with the bucket.

    With ``delete``, objects the tool uploaded and no file stands for, and ``stale``
    files (no longer built), are deleted (or not uploaded) unless content-named (never
    deleted) or linked by an object that stays (``links`` reads a file's links; without
    it nothing is kept for its links). Raises PublishError."""
    s3_failed = _s3_failures()

    started = time.perf_counter()
    try:
        manifest = _read_manifest(client, target)
        listed, requests = _list(client, target)
    except s3_failed as exc:
        raise _settings_error(exc, target, conn) from None
    requests += 1
    dropped: set[str] = set()
    linked_from: dict[str, str] = {}
    if delete:
        dropped = {rel for rel in stale if not content_named(rel)}
        dropped |= {rel for rel, etag in listed.items()
                    if rel != MANIFEST and not content_named(rel)
                    and manifest.get(rel, {}).get("etag") == etag}  # metadata is copied too
        dropped -= {rel for rel, _ in files if rel not in stale}
        if dropped and links is not None:
            linked_from, more = _linked(files, dropped, listed, manifest, target, client, links)
            dropped -= set(linked_from)
            requests += more
    uploads: list[Upload] = []
    kept: dict[str, dict[str, str]] = {}
    local = set()
    for rel, path in files:
        if rel in dropped:
            continue
        local.add(rel)
        try:
            with path.open("rb") as handle:
                sha, size = hashlib.file_digest(handle, "sha256").hexdigest(), handle.tell()
        except OSError as exc:
            raise PublishError(f"{path}: cannot read: {exc.strerror}", EXIT_WRITE) from None
        pol = policy(rel)
        want = _record(sha, listed.get(rel, ""), pol)
        if rel in listed:
            have = manifest.get(rel)
            if have is None or have.get("etag") != listed[rel]:
                try:
                    have = _metadata(client, target, rel)
                except s3_failed as exc:
                    raise PublishError(f"{target.url(rel)}: cannot read: {_reason(exc)}") from None
                requests += 1
            if have == want:
                kept[rel] = want
                continue
        uploads.append(Upload(rel, path, size, sha, pol, rel not in listed))
    deletes = sorted(rel for rel in dropped if rel in listed)
    for rel, record in manifest.items():  # keep owning what stays in the bucket
        if rel not in local and rel not in deletes and listed.get(rel) == record.get("etag"):
            kept[rel] = record
    uploads.sort(key=lambda u: (u.policy.tier, not u.new, u.rel))
    return Plan(tuple(uploads), tuple(deletes), kept, kept == manifest, requests,
                time.perf_counter() - started, linked_from)


def _linked(files: Sequence[tuple[str, Path]], dropped: set[str], listed: dict[str, str],
            manifest: dict[str, dict[str, str]], target: Target, client: Any,
            links: Links) -> tuple[dict[str, str], int]:
    """Which of ``dropped`` an object that stays links to, however indirectly (through
    another of them, kept for that), each with one object linking to it; and the
    requests it took. What stays: the files, and the tool's objects no file stands for
    that are not dropped (old archive pages: read from the bucket)."""
    s3_failed = _s3_failures()

    paths = dict(files)
    requests = 0

    def read(rel: str) -> bytes:
        nonlocal requests
        if rel in paths:
            try:
                return paths[rel].read_bytes()
            except OSError as exc:
                raise PublishError(f"{paths[rel]}: cannot read: {exc.strerror}") from None
        try:
            answer = client.get_object(Bucket=target.bucket, Key=target.key(rel))
            requests += 1
            return bytes(answer["Body"].read(MANIFEST_LIMIT))
        except s3_failed as exc:
            raise PublishError(f"{target.url(rel)}: cannot read: {_reason(exc)}") from None

    left = set(dropped)
    found: dict[str, str] = {}
    ours = {rel for rel, etag in listed.items() if manifest.get(rel, {}).get("etag") == etag}
    # archive pages first (they are what names a feed no longer built), then the other
    # files, and only then what must be read from the bucket
    todo = sorted((set(paths) | (ours - {MANIFEST})) - dropped,
                  key=lambda rel: (rel not in paths, not content_named(rel), rel))
    while todo and left:
        reached = []
        for rel in todo:
            if not left:
                break
            for target_rel in sorted(links(rel, read(rel), left)):
                found[target_rel] = rel
                left.discard(target_rel)
                reached.append(target_rel)
        todo = [rel for rel in reached if rel in paths or rel in listed]
    return found, requests


def _put(client: Any, target: Target, upload: Upload) -> dict[str, str]:
    """Stream one file up (memory stays small however large the feed); the caller holds
    the build lock, so its bytes are those hashed in :func:`plan`."""
    s3_failed = _s3_failures()

    try:
        with upload.path.open("rb") as body:
            answer = client.put_object(Bucket=target.bucket, Key=target.key(upload.rel),
                                       Body=body, ContentLength=upload.size,
                                       ContentType=upload.policy.content_type,
                                       CacheControl=upload.policy.cache_control,
                                       Metadata={SHA_KEY: upload.sha256})
        etag = _etag(answer)
    except OSError as exc:
        raise PublishError(f"{upload.path}: cannot read: {exc.strerror}") from None
    except s3_failed as exc:
        raise PublishError(f"{target.url(upload.rel)}: upload failed: {_reason(exc)}") from None
    return _record(upload.sha256, etag, upload.policy)


def _write_manifest(client: Any, target: Target, records: dict[str, dict[str, str]]) -> None:
    s3_failed = _s3_failures()

    body = json.dumps({"version": 1, "objects": dict(sorted(records.items()))}, indent=1,
                      sort_keys=True).encode()
    try:
        client.put_object(Bucket=target.bucket, Key=target.key(MANIFEST), Body=body,
                          ContentType="application/json", CacheControl="no-store")
    except s3_failed as exc:
        raise PublishError(f"{target.url(MANIFEST)}: upload failed: {_reason(exc)}") from None


def run(the_plan: Plan, target: Target, client: Any,
        progress: Callable[[Upload], None] = lambda u: None, workers: int = 8) -> Report:
    """Upload tier by tier (each group in parallel, the next only once it is all in),
    then delete, then write the manifest. Raises PublishError naming the key."""
    s3_failed = _s3_failures()

    started = time.perf_counter()
    records = dict(the_plan.kept)
    requests = 0
    groups: dict[tuple[int, bool], list[Upload]] = {}
    for upload in the_plan.uploads:
        groups.setdefault((upload.policy.tier, not upload.new), []).append(upload)
    pool = ThreadPoolExecutor(workers)
    try:
        for group in groups.values():
            futures = {pool.submit(_put, client, target, u): u for u in group}
            failed: list[BaseException] = []
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                error = future.exception()
                if error is None:
                    records[futures[future].rel] = future.result()
                    requests += 1
                    progress(futures[future])
                elif not failed:
                    failed.append(error)
                    for other in futures:
                        other.cancel()
            if failed:
                _try_write_manifest(client, target, records)
                raise failed[0]
    finally:  # on a failure or Ctrl-C, start no more uploads
        pool.shutdown(wait=True, cancel_futures=True)
    for rel in the_plan.deletes:
        try:
            client.delete_object(Bucket=target.bucket, Key=target.key(rel))
        except s3_failed as exc:
            raise PublishError(f"{target.url(rel)}: delete failed: {_reason(exc)}") from None
        requests += 1
        records.pop(rel, None)
    if the_plan.uploads or the_plan.deletes or not the_plan.manifest_current:
        _write_manifest(client, target, records)
        requests += 1
    return Report(tuple(u.rel for u in the_plan.uploads), the_plan.deletes,
                  sum(u.size for u in the_plan.uploads),
                  the_plan.seconds + time.perf_counter() - started,
                  the_plan.requests + requests)


def _try_write_manifest(client: Any, target: Target, records: dict[str, dict[str, str]]) -> None:
    """Record what did get uploaded before a failure, so that a rerun skips it; a failure
    here changes nothing (the rerun asks each object for its metadata instead)."""
    with contextlib.suppress(PublishError):
        _write_manifest(client, target, records)


def attempts_from_env(default: int = 5) -> int:
    """Attempts per request: ``AWS_MAX_ATTEMPTS`` as boto3 reads it, else ``default``."""
    try:
        return max(1, int(os.environ.get("AWS_MAX_ATTEMPTS", default)))
    except ValueError:
        return default


def human_size(n: int) -> str:
    """Bytes as a short decimal figure: 512 B, 12.3 kB, 1.3 MB."""
    if n < 1000:
        return f"{n} B"
    size, unit = float(n), "B"
    for unit in ("kB", "MB", "GB"):  # noqa: B007 (the unit the loop stops at is the answer)
        size /= 1000
        if size < 999.95:
            break
    return f"{size:.1f} {unit}"
