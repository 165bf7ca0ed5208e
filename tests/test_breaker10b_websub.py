"""A WebSub hub that redirects to a URL urllib cannot parse, after a build that
succeeded: the sibling of a hub whose answer is not HTTP (test_breaker10_websub).

Found by breaker10b on main (08d5463): a hub answering ``302`` with ``Location:
http://[::1`` made ``websub.ping`` raise ``ValueError: Invalid IPv6 URL`` (urllib's
redirect handler parses the location; a ValueError is neither an OSError nor an
HTTPException), and ``feeds build`` exit 70 after the files were out. Now the usual
warning, not tried again (the same answer would come back).
"""

from __future__ import annotations

from pathlib import Path

from conftest import run_main
from test_breaker10_websub import BadHub, bad_hub, ping_within  # noqa: F401
from test_websub import project

REDIRECT = b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n"
WHY = "the hub's answer cannot be followed (Invalid IPv6 URL)"


def test_a_hub_redirecting_to_a_broken_url_is_a_warning(bad_hub: type[BadHub]) -> None:  # noqa: F811
    hub = bad_hub(REDIRECT)
    assert ping_within(hub.url, 10) == [
        f"WebSub hub {hub.url} was not told of 1 changed feed: {WHY}; readers will see the "
        "change when they next poll"]
    assert hub.requests == 1


def test_a_build_with_such_a_hub_exits_0_with_a_warning(
        tmp_path: Path, bad_hub: type[BadHub]) -> None:  # noqa: F811
    hub = bad_hub(REDIRECT)
    project(tmp_path, [hub.url])
    code, out, err = run_main("build", "--quiet", "--issues", str(tmp_path / "issues"),
                              "--output", str(tmp_path / "output"),
                              "--config", str(tmp_path / "feeds.toml"))
    assert (code, out) == (0, "")
    assert err == (f"feeds: warning: WebSub hub {hub.url} was not told of 18 changed feeds: "
                   f"{WHY}; readers will see the change when they next poll\n")
