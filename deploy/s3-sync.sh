#!/usr/bin/env bash
# The no-Python alternative to `feeds publish`, for a machine with only the AWS CLI.
# Usage: deploy/s3-sync.sh s3://my-bucket/news
# Weaker than `feeds publish`: `aws s3 sync` compares size and modification time
# (a same-length edit in a rebuilt folder can be missed, a fresh checkout uploads
# everything), and the order below only approximates feeds/hosting.py's tiers.
# Dot files (the tool's state) stay private.
set -euo pipefail
dest=${1:?usage: s3-sync.sh s3://bucket/prefix}
short="public, max-age=300, must-revalidate"
sync() {  # sync <pattern> <content-type> [cache-control]
    aws s3 sync output/ "$dest" --exclude "*" --include "$1" --exclude ".*" --exclude "*/.*" \
        --content-type "$2" --cache-control "${3:-$short}"
}
# what is linked before what links to it: pages and section feeds, then the rest
sync "*.css" "text/css; charset=utf-8"
sync "issues/*.html" "text/html; charset=utf-8"
sync "sections/*atom.xml" "application/atom+xml"
sync "*atom.xml" "application/atom+xml"
sync "*rss.xml" "application/rss+xml"
sync "*feed.json" "application/feed+json"
sync "*.opml" "text/x-opml"
sync "*.html" "text/html; charset=utf-8"
sync "sitemap.xml" "application/xml"
