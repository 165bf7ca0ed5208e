"""How a run stops: Ctrl-C and SIGTERM unwind it, and child processes die with it.

The command line turns SIGINT and SIGTERM into exceptions that unwind the
build like any error (temporary files removed, the lock released, children
stopped) and then exit 130 or 143. Child processes (forked workers, the slug
helper) leave signals to the parent and ask the kernel to kill them when the
parent dies, so that not even a SIGKILL of the parent leaves them running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import NoReturn

_PR_SET_PDEATHSIG = 1
_STOPPING = (signal.SIGINT, signal.SIGTERM)


class Stopped(BaseException):
    """A signal asked the run to stop. Not an Exception, so no ``except Exception``
    handler takes it for an error."""

    exit_code = 1
    reason = "stopped"


class Interrupted(Stopped):
    """Ctrl-C (SIGINT)."""

    exit_code = 130
    reason = "interrupted"


class Terminated(Stopped):
    """SIGTERM, from kill, systemd or a timeout."""

    exit_code = 143
    reason = "terminated"


_AT_STOP: list[Callable[[], None]] = []


def at_stop(hook: Callable[[], None]) -> None:
    """Call ``hook`` when a signal stops the run, just before it exits: to undo what
    other threads, which do not unwind, may have left (temporary files)."""
    _AT_STOP.append(hook)


_RECEIVED: list[Stopped] = []


def _raise(signum: int, frame: FrameType | None) -> None:
    _RECEIVED.append(Interrupted() if signum == signal.SIGINT else Terminated())
    raise _RECEIVED[-1]


def stop_on_signals() -> None:
    """In the main thread of the command: SIGINT and SIGTERM raise Interrupted and Terminated.

    A signal the caller set to be ignored (``nohup``, a background job) stays ignored.
    No stop is received yet (see :func:`received`): a run in a process that ran others
    (tests) starts anew.
    """
    _RECEIVED.clear()
    for signum in _STOPPING:
        if signal.getsignal(signum) != signal.SIG_IGN:
            signal.signal(signum, _raise)
    sys.unraisablehook = _stop_again


def _stop_again(unraisable: sys.UnraisableHookArgs, default: Callable[
        [sys.UnraisableHookArgs], object] = sys.unraisablehook) -> None:
    """A stop raised where Python cannot raise (a weakref callback, ``__del__``) is not
    printed as ignored: it is kept (:func:`received`), and the run, once it returns,
    ends as stopped (see feeds.cli.main). Raising its signal again here did not do: the
    handler raised at once, inside this hook, and the stop was lost."""
    if isinstance(unraisable.exc_value, Stopped):
        return
    default(unraisable)


def ignore_stop_signals() -> None:
    """The run is over: SIGINT and SIGTERM are ignored while the process exits."""
    for signum in _STOPPING:
        signal.signal(signum, signal.SIG_IGN)


def received() -> Stopped | None:
    """The stop a signal raised in this run, if any (see :func:`_raise`)."""
    return _RECEIVED[-1] if _RECEIVED else None


def exit_stopped(stop: Stopped) -> NoReturn:
    """Say why and exit with the signal's code, without waiting for threads.

    The run has unwound by now (temporary files removed, lock released, children
    killed), and a worker pool left behind by a signal may never finish (see
    feeds.parallel). A second signal from here on ends the process quietly.
    """
    for signum in _STOPPING:
        signal.signal(signum, signal.SIG_DFL)
    for hook in _AT_STOP:
        with contextlib.suppress(Exception):
            hook()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    with contextlib.suppress(OSError):
        os.write(2, f"feeds: {stop.reason}\n".encode())
    os._exit(stop.exit_code)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM in this thread while it forks: the children are born with
    them held, and :func:`die_with_parent` sets their actions before taking them."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _kill_me_with_parent() -> None:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)``; nothing where there is no prctl (not Linux)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def die_with_parent(parent: int) -> None:
    """In a child process: Ctrl-C is the parent's to handle (a terminal sends it to the
    whole process group), SIGTERM ends the child at once, and the death of ``parent``,
    however it dies, kills the child."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
    _kill_me_with_parent()
    if os.getppid() != parent:  # the parent died before the kernel was asked
        os._exit(1)
