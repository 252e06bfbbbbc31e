"""Test subprocesses end with their test (issue 24 item 17): a test that times out under pytest-timeout (CI's
``--timeout``, its signal method) leaves neither the training child that ``training.run`` streams (nor what that
child spawned) nor a server started through devtools.servers running. Checked from outside: an inner pytest run
whose tests time out, then every pid they wrote down must be gone."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]

# A child that writes its pid and its own child's pid, then sleeps: a training run that never ends.
SLEEPER = ("import os, subprocess, sys, time; "
           "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
           "open(sys.argv[1], 'a').write(f'{os.getpid()}\\n{grandchild.pid}\\n'); time.sleep(600)")

INNER = f'''
import sys, time
from pathlib import Path

import pytest

from devtools.servers import free_port, running_server
from training.steps import stream

PIDS = Path(__file__).parent / "pids.txt"


@pytest.mark.timeout(10)
def test_training_child_times_out(tmp_path):
    stream([sys.executable, "-c", {SLEEPER!r}, str(PIDS)], tmp_path / "train.log")


@pytest.mark.timeout(10)
def test_server_times_out(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with running_server(command, port=port, health_path="/", log_path=tmp_path / "server.log") as server:
        with PIDS.open("a") as pids:
            pids.write(f"{{server.process.pid}}\\n")
        time.sleep(600)
'''


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead and waiting for a parent that does not reap it, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and /proc as on Linux")
def test_children_of_a_timed_out_test_are_gone_afterwards(pytester: pytest.Pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:deepeval", "-q",
                                           "--timeout-method=signal", timeout=120)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*Timeout (>10.0s)*"])
    pids = [int(line) for line in (pytester.path / "pids.txt").read_text().split()]
    assert len(pids) == 3  # the training child, its own child, the server
    deadline = time.monotonic() + 10  # a SIGTERMed group may take a moment to go
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in pids if running(pid)] == []
