"""A pool worker killed while it is sending its chunk's results back (SIGKILL or SIGTERM
from an operator, the kernel's OOM killer): the pool's thread in the build has read the
message's header and waits for the rest, which never comes, and every other worker
waits for the queue's lock the dead one held. The build must still end, exit 5 with the
worker-died message, rather than hang for ever.

Found by breaker9 (SIGTERM to a cold build's pool worker at a random moment, 150
issues): the build hung (main thread in ``Future.result`` from
``parallel_queue``/``EarlyPrepare.parse_each``, the pool's thread in
``Connection._recv``, the other worker in ``SemLock.__enter__`` of ``SimpleQueue.put``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_build import all_files, build
from test_worker_killed import MESSAGE, corpus_project

ROOT = Path(__file__).resolve().parent.parent

# The console script, with the first worker that sends a result back writing its header
# and half its payload, then killed (as the kernel would kill it mid-write).
KILLING_MID_SEND = """
import os, signal, sys
from multiprocessing import connection
from feeds import loader
loader.PARALLEL_MIN_FILES = 2
parent = os.getpid()
flag = sys.argv.pop(1)
send = connection.Connection._send_bytes

def send_half_then_die(self, buf):
    if os.getpid() != parent:
        try:
            os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return send(self, buf)
        data = bytes(buf)
        self._send(len(data).to_bytes(4, "big") + data[:len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    return send(self, buf)

connection.Connection._send_bytes = send_half_then_die
from feeds.__main__ import entry
entry()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return corpus_project(tmp_path / "site")


@pytest.mark.parametrize("command", [("build", "--quiet"), ("check",)])
def test_a_worker_killed_while_sending_is_exit_5_not_a_hang(project: Path,
                                                            command: tuple[str, ...]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    flag = project.parent / "killed-one"
    try:
        done = subprocess.run([sys.executable, "-c", KILLING_MID_SEND, str(flag), *command],
                              cwd=project, env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"feeds {' '.join(command)} hung after a worker was killed mid-send")
    assert flag.exists()  # a worker was killed
    assert (done.returncode, done.stderr.splitlines()[-1:]) == (5, [MESSAGE.rstrip("\n")])
    assert "Traceback" not in done.stderr
    if command[0] == "build":
        assert not (project / "output").exists() or all_files(project / "output") == {}
        code, _, err = build(project, "--quiet")
        assert code == 0, err
