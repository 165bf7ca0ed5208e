"""The ``feeds`` command's entry point, also run as ``python -m feeds``.

It makes Ctrl-C and SIGTERM raise before the command line's modules are
imported, so that a signal even while starting up ends the run with
``feeds: interrupted`` (or ``terminated``), never a traceback.
"""

import gc
import os
import sys
from typing import NoReturn

from feeds import firstlook
from feeds.signals import Stopped, exit_stopped, ignore_stop_signals, stop_on_signals


def main() -> None:
    stop_on_signals()
    # A build's issue files are found and looked at by a child while the modules load
    # (see feeds.firstlook): the build takes its answer, else it is stopped at the end.
    firstlook.begin(sys.argv[1:])
    # Loading the modules makes some hundred thousand objects and next to no garbage:
    # the collector would only walk them, over and over while they load, then at every
    # full collection of the run. So it is off while they load, and what they made is
    # left out of its walks (gc.freeze) before it is on again.
    gc.disable()
    try:
        from feeds.cli import main as run
    except Stopped as exc:
        firstlook.end(wait=False)
        exit_stopped(exc)
    gc.freeze()
    gc.enable()
    try:
        run()
    finally:
        firstlook.end(wait=False)  # (not waited for: the run is over)
        # The process ends here. Python's shutdown would otherwise walk every object
        # the run's modules hold, looking for cycles, some 20 ms of every run; they
        # are freed all the same. (Files are written and closed by now: nothing
        # waits for the collector.)
        gc.freeze()


def entry() -> NoReturn:
    """:func:`main`, then the process ends at once with its exit code. The run is over
    (files written, the lock released, children reaped): a stop signal from here on is
    ignored rather than let in while the interpreter shuts down, where it would kill the
    process by its default action or print a traceback from a thread being joined; and
    the shutdown's freeing of every object is skipped."""
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        if isinstance(stop.code, str):
            sys.stderr.write(f"{stop.code}\n")
    ignore_stop_signals()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    entry()
