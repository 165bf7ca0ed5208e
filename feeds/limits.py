"""What one issue file may cost: the documented limits on its size and shape.

The parser checks them before any Markdown or YAML is read, so that a small
hostile file cannot make ``feeds check`` run for minutes or take gigabytes:
markdown-it-py spends up to some 15 µs and a token on every markup character.
Kept free of imports: the sources module reads files no further than the limit.
"""

from __future__ import annotations

MAX_FILE_BYTES = 256 * 1024
MAX_LINES = 5_000
MAX_LINE_CHARS = 10_000
MAX_MARKUP = 20_000
MARKUP_CHARS = "*_`[]<>!&\\"
MAX_FRONT_MATTER_CHARS = 4_096
YEARS = range(1900, 3000)
MAX_ISSUE_NUMBER = 9_999
MAX_ARTICLE_NUMBER = 9_999
MAX_SECTIONS = 50  # per issue: each section is a feed (three formats, archives, a page)


def stamp() -> str:
    """The limits as text: a cached parse is valid only under the same limits."""
    return (f"{MAX_FILE_BYTES}/{MAX_LINES}/{MAX_LINE_CHARS}/{MAX_MARKUP}/{MARKUP_CHARS}/"
            f"{MAX_FRONT_MATTER_CHARS}/{YEARS.start}-{YEARS.stop - 1}/{MAX_ISSUE_NUMBER}/"
            f"{MAX_ARTICLE_NUMBER}/{MAX_SECTIONS}")
