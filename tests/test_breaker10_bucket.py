"""`feeds publish` when someone else changed the bucket between two runs (a console
delete, another tool's upload, a restore from backup, a lifecycle rule): the rerun
must leave every object the last build published in the bucket, byte for byte."""

from __future__ import annotations

import pytest
import test_s3_publish
from test_build import all_files
from test_s3_publish import Bucket

server, env, bucket = test_s3_publish.server, test_s3_publish.env, test_s3_publish.bucket


def published(made: Bucket) -> dict[str, bytes]:
    return {f"site/{rel}": data for rel, data in all_files(made.root / "output").items()}


def in_bucket(made: Bucket) -> dict[str, bytes]:
    got = made.objects("site/")
    got.pop("site/.feeds-publish.json")
    return got


@pytest.mark.parametrize("change", ["deleted", "overwritten", "overwritten-same-size",
                                    "metadata-lost", "manifest-deleted-and-object-deleted"])
def test_a_changed_bucket_is_put_right_by_the_next_publish(bucket: Bucket, change: str) -> None:
    """An object deleted or overwritten behind the tool's back between two publishes
    with nothing rebuilt is uploaded again (the listing shows it missing or its ETag
    other than the manifest's); nothing else is uploaded."""
    assert bucket.publish()[0] == 0
    assert in_bucket(bucket) == published(bucket)
    key = "site/rss.xml"
    good = published(bucket)[key]
    s3 = bucket.client
    if change == "deleted":
        s3.delete_object(Bucket=bucket.name, Key=key)
    elif change == "overwritten":
        s3.put_object(Bucket=bucket.name, Key=key, Body=b"<rss>defaced</rss>")
    elif change == "overwritten-same-size":
        s3.put_object(Bucket=bucket.name, Key=key, Body=good.replace(b"<title>", b"<tItle>", 1))
    elif change == "metadata-lost":  # a copy in place drops the tool's own sha256
        s3.copy_object(Bucket=bucket.name, Key=key, CopySource={"Bucket": bucket.name, "Key": key},
                       MetadataDirective="REPLACE", Metadata={}, ContentType="application/rss+xml")
    else:
        s3.delete_object(Bucket=bucket.name, Key="site/.feeds-publish.json")
        s3.delete_object(Bucket=bucket.name, Key=key)
    code, _, err = bucket.publish()
    assert (code, err) == (0, "")
    assert in_bucket(bucket) == published(bucket)
    if change != "metadata-lost":
        assert bucket.puts == [key, "site/.feeds-publish.json"], bucket.puts
    code, _, err = bucket.publish()
    assert (code, err, bucket.puts) == (0, "", [])
