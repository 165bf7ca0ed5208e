#!/usr/bin/env bash
# Publish output/ to an S3 bucket with the right content types.
# Usage: deploy/s3-sync.sh s3://my-bucket/news
# Only files whose size or mtime changed are uploaded: feeds build leaves
# unchanged files untouched. The tool's state (.feeds/) and dot files stay private.
set -euo pipefail
dest=${1:?usage: s3-sync.sh s3://bucket/prefix}
cache="public, max-age=300, must-revalidate"
sync() {  # sync <pattern> <content-type>
    aws s3 sync output/ "$dest" --exclude "*" --include "$1" --exclude ".*" --exclude "*/.*" \
        --content-type "$2" --cache-control "$cache"
}
sync "*atom.xml" "application/atom+xml"
sync "*rss.xml" "application/rss+xml"
sync "*.opml" "text/x-opml"
sync "*.html" "text/html; charset=utf-8"
