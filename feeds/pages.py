"""The two companion files of the feeds: ``index.html`` and ``feeds.opml``."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from lxml import etree

from feeds.builder import FeedInfo, issue_label
from feeds.config import Config
from feeds.model import Issue
from feeds.urls import published_url
from feeds.xmltext import clean

_STYLE = (
    "body{font:16px/1.6 system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;"
    "max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}h3{font-size:1.05rem}"
    "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .4rem;"
    "border-bottom:1px solid #ddd;vertical-align:top}code{font-size:.85em}"
    "a{color:#0b57d0}.muted{color:#666;font-size:.9em}"
)


def _e(text: str, quote: bool = True) -> str:
    return escape(clean(text), quote=quote)


def index_html(feeds: Sequence[FeedInfo], issues: Sequence[Issue], config: Config) -> bytes:
    """A plain page listing every feed, with autodiscovery links and the latest issue."""
    title = feeds[0].title if feeds else (config.title or "Newsletter")
    head_links = "".join(
        f'<link rel="alternate" type="{f.media_type}" title="{_e(f.title)} ({f.format.upper()})"'
        f' href="{_e(f.url)}">\n' for f in feeds)
    rows = []
    for i in range(0, len(feeds), 2):
        pair = feeds[i:i + 2]
        links = " ".join(f'<a href="{_e(f.url)}">{f.format.upper()}</a>' for f in pair)
        urls = "<br>".join(f"<code>{_e(f.url)}</code>" for f in pair)
        rows.append(f"<tr><td>{_e(pair[0].title)}<br><span class=\"muted\">"
                    f"{_e(pair[0].description)}</span></td><td>{links}</td><td>{urls}</td></tr>")
    latest = ""
    if issues:
        issue = issues[-1]
        parts = [f"<h2>最新一期：{_e(issue_label(issue))}</h2>"]
        if issue.url:
            parts.append(f'<p><a href="{_e(published_url(issue.url))}">本期网页</a></p>')
        for section in issue.sections:
            parts.append(f"<h3>{_e(section.name)}</h3><ol>")
            parts.extend(f'<li><a href="{_e(published_url(a.url))}">{_e(a.title)}</a></li>'
                         for a in section.articles)
            parts.append("</ol>")
        latest = "\n".join(parts)
    page = f"""<!DOCTYPE html>
<html lang="{_e(config.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<meta name="description" content="{_e(config.description)}">
{head_links}<style>{_STYLE}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p>{_e(config.description)}</p>
<p>把本页地址粘贴到 RSS 阅读器即可找到全部订阅源；也可以导入 <a href="feeds.opml">feeds.opml</a>
一次订阅全部栏目。</p>
<h2>订阅源</h2>
<table>
<thead><tr><th>订阅源</th><th>格式</th><th>地址</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
{latest}
</body>
</html>
"""
    return page.encode("utf-8")


def opml(feeds: Sequence[FeedInfo], config: Config) -> bytes:
    """An OPML 2.0 subscription list of every feed, for importing into a reader.

    An outline's ``text`` may hold HTML (OPML 2.0), and its ``title`` is the feed's
    title, HTML in RSS: both are the text HTML-escaped, as in the feeds."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = clean(feeds[0].title if feeds else "feeds")
    newest = max((f.updated for f in feeds if f.updated), default=None)
    if newest is not None:
        etree.SubElement(head, "dateModified").text = newest.strftime("%a, %d %b %Y %H:%M:%S %z")
    body = etree.SubElement(root, "body")
    for feed in feeds:
        etree.SubElement(body, "outline", type="rss", version=feed.format.upper(),
                         text=_e(f"{feed.title} ({feed.format.upper()})", quote=False),
                         title=_e(feed.title, quote=False), xmlUrl=feed.url,
                         htmlUrl=config.base_url + "index.html")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
