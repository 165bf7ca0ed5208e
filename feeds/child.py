"""One forked child working out an answer while the build goes on, on a second core.

The look-ahead at the published files (feeds.writer), the parse of an edited issue
(feeds.ahead) and a cold build's section pages (feeds.apart) each fork one. The
child is born with the build's signals held and dies with it (see feeds.signals);
its answer is bytes written to a pipe of this process's own, read once it has
ended. Each user decides what the bytes mean and checks them: a child that fails,
is killed or answers nothing usable leaves its work to this process.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable


class Child:
    """A forked child's pid and the pipe its answer comes through (see :meth:`fork`)."""

    def __init__(self, pid: int, read: int) -> None:
        self.pid = pid
        self.read = read
        self.ended = False  # reaped: its pid is no longer its own

    @classmethod
    def fork(cls, work: Callable[[], bytes], brief: bool = False) -> Child | None:
        """Fork a child that writes ``work()`` to the pipe and exits 0 (1 if it raises);
        None if no pipe or child could be made. A ``brief`` child (its work some ms) keeps
        the signals held and is not told to die with the parent: it is done before
        either would matter, and ends once its answer is written (or writing it fails,
        the parent gone)."""
        from feeds.signals import die_with_parent, held_signals

        try:
            read, write = os.pipe()
        except OSError:
            return None
        parent = os.getpid()
        try:
            with held_signals():  # the child is born with them held: see die_with_parent
                pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return None
        if pid == 0:
            code = 1
            try:
                os.close(read)
                if not brief:
                    die_with_parent(parent)
                view = memoryview(work())
                while view:
                    view = view[os.write(write, view):]
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        return cls(pid, read)

    def answer(self) -> bytes | None:
        """Wait for the child to end: its answer, or None if it failed or was closed."""
        if self.ended:
            return None
        chunks: list[bytes] = []
        try:
            while chunk := os.read(self.read, 1 << 20):
                chunks.append(chunk)
        except OSError:
            self.close(kill=True)
            return None
        return b"".join(chunks) if self.close(kill=False) == 0 else None

    def stop(self) -> None:
        """Kill the child without waiting for it to end: reaped now if it has, else by
        :func:`reap_stopped` (a child in a system call dies only once it returns, the
        disk's say, and the caller need not wait for that)."""
        if self._let_go(kill=True):
            _stopped.append(self.pid)
            reap_stopped()

    def close(self, kill: bool = True) -> int | None:
        """Close the pipe and reap the child (killed first if ``kill``): its exit status
        (None once reaped before)."""
        if not self._let_go(kill):
            return None
        try:
            return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        except (OSError, ValueError):
            return None

    def _let_go(self, kill: bool) -> bool:
        """Close the pipe and (``kill``) kill the child, once: False if it was before."""
        if self.ended:
            return False
        self.ended = True
        with contextlib.suppress(OSError):
            os.close(self.read)
        if kill:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        return True


_stopped: list[int] = []  # children killed by Child.stop, not yet reaped


def reap_stopped() -> None:
    """Reap the children :meth:`Child.stop` killed that have ended since (not waiting
    for the others: once this process ends, they are reaped for it)."""
    for pid in list(_stopped):
        try:
            done = os.waitpid(pid, os.WNOHANG)[0]
        except OSError:
            done = pid
        if done:
            _stopped.remove(pid)
