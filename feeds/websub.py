"""Tell WebSub hubs which feeds changed, so that readers subscribed through them hear at once.

One form-encoded ``POST`` per hub (``hub.mode=publish`` and one ``hub.url`` per
changed feed), with a timeout and retries; a hub that fails is reported, never
fatal: the files are already out and readers still poll.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence

from feeds.hosting import policy

TIMEOUT, ATTEMPTS, BACKOFF = 10.0, 3, 1.0  # seconds per try; tries; first pause, then doubled


def changed_feed_urls(paths: Iterable[str], base_url: str) -> list[str]:
    """The public URLs of the feeds among ``paths`` (changed files inside the published folder)."""
    return [base_url + rel for rel in sorted(paths) if policy(rel).feed]


def form_body(urls: Sequence[str]) -> bytes:
    """The publish notification's body: ``hub.mode=publish&hub.url=…&hub.url=…``."""
    return urllib.parse.urlencode([("hub.mode", "publish"), *(("hub.url", u) for u in urls)]).encode()


def _post(hub: str, body: bytes, timeout: float) -> str | None:
    """None when the hub accepted, else why not; raises _Retry for a failure worth retrying.

    The exchange runs in a thread given ``timeout`` in all: urllib's timeout bounds each
    read from the socket, so a hub sending its answer a byte at a time would otherwise
    hold the command for as long as it keeps sending. A try given up on leaves its
    thread (a daemon) to end with the connection or the process."""
    done: list[str | BaseException | None] = []

    def exchange() -> None:
        try:
            done.append(_exchange(hub, body, timeout))
        except BaseException as exc:  # handed to the caller's thread
            done.append(exc)

    worker = threading.Thread(target=exchange, name="websub", daemon=True)
    worker.start()
    worker.join(timeout)
    if not done:
        raise _Retry(f"no complete answer within {timeout:g} s")
    if isinstance(done[0], BaseException):
        raise done[0]
    return done[0]


def _exchange(hub: str, body: bytes, timeout: float) -> str | None:
    """One POST to the hub, as :func:`_post` says."""
    request = urllib.request.Request(hub, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "feeds-websub"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read(65536)
            return None
    except urllib.error.HTTPError as exc:
        why = f"HTTP {exc.code}"
        if exc.code == 429 or exc.code >= 500:
            raise _Retry(why) from None
        return why
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Retry(str(reason) or type(exc).__name__) from None
    except http.client.HTTPException as exc:  # a status line or header that is no HTTP
        raise _Retry(f"the hub's answer is not HTTP ({type(exc).__name__})") from None
    except ValueError as exc:  # a redirect to what urllib cannot parse (http://[::1)
        return f"the hub's answer cannot be followed ({exc})"


class _Retry(Exception):
    pass


def ping(hubs: Sequence[str], urls: Sequence[str]) -> list[str]:
    """Notify every hub of ``urls``; return one warning per hub that did not accept.

    Network errors, timeouts, 429 and 5xx are tried again after a pause.
    """
    if not urls:
        return []
    timeout, attempts, backoff = TIMEOUT, ATTEMPTS, BACKOFF
    body = form_body(urls)
    warnings = []
    for hub in hubs:
        why = None
        for attempt in range(attempts):
            try:
                why = _post(hub, body, timeout)
                break
            except _Retry as exc:
                why = f"{exc} (after {attempt + 1} attempt{'s' * (attempt > 0)})"
                if attempt + 1 < attempts:
                    time.sleep(backoff * 2 ** attempt)
        if why is not None:
            warnings.append(f"WebSub hub {hub} was not told of {len(urls)} changed "
                            f"feed{'s' * (len(urls) != 1)}: {why}; readers will see the change "
                            "when they next poll")
    return warnings
