"""A failed write to standard output or standard error: told apart from other errors.

``feeds list > /dev/full`` or ``feeds build 2>/dev/full`` is the caller's problem
with the streams, not a bug (exit 70) nor bad input (exit 1): it exits 4 like any
other write that failed, saying so on standard error if that still works. A
closed pipe (``feeds list | head -1``) is the reader having read enough: the run
exits 141, as a program killed by SIGPIPE does, and prints nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import traceback
from typing import NoReturn

EXIT_WRITE = 4
EXIT_PIPE = 128 + 13  # SIGPIPE


class StreamFailed(Exception):
    """Writing to ``name`` ("standard output" or "standard error") failed."""

    def __init__(self, name: str, error: OSError) -> None:
        super().__init__(f"cannot write to {name}: {os.strerror(error.errno or 0).lower()}")
        self.error = error


def _name(stream: object) -> str | None:
    for name, known, fd in (("standard output", sys.stdout, 1), ("standard error", sys.stderr, 2)):
        if stream is known or stream is getattr(known, "buffer", None):
            return name
        try:
            if stream is not None and stream.fileno() == fd:  # type: ignore[attr-defined]
                return name
        except (AttributeError, OSError, ValueError):
            continue
    return None


def failed_stream(exc: BaseException) -> StreamFailed | None:
    """The stream failure ``exc`` is, if click's ``echo`` raised it while writing to
    standard output or standard error; None for any other error."""
    if isinstance(exc, StreamFailed):
        return exc
    if not isinstance(exc, OSError) or exc.filename is not None:
        return None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        if code.co_name == "echo" and code.co_filename.endswith(os.path.join("click", "utils.py")):
            name = _name(frame.f_locals.get("file"))
            if name:
                return StreamFailed(name, exc)
    return None


def flush_streams() -> None:
    """Flush both streams now, so that a failure is seen here rather than ignored
    by the interpreter at exit (which would exit 120). Raises StreamFailed."""
    for name, stream in (("standard output", sys.stdout), ("standard error", sys.stderr)):
        try:
            if stream is not None:
                stream.flush()
        except OSError as exc:
            raise StreamFailed(name, exc) from None


def exit_stream_failed(failure: StreamFailed) -> NoReturn:
    """Exit 141 quietly on a closed pipe; else say what failed on standard error if it
    still works, and exit 4. Both streams then point at /dev/null, so that what is
    still buffered cannot fail again at exit."""
    code = EXIT_PIPE
    if failure.error.errno != errno.EPIPE:
        code = EXIT_WRITE
        with contextlib.suppress(OSError):
            os.write(2, f"feeds: error: {failure}\n".encode())
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
    except OSError:
        pass
    sys.exit(code)
