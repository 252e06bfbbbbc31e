"""Child processes that end with their caller: each starts in its own process group, and the whole group is stopped
when the caller stops waiting for it (an error, Ctrl-C, a test's timeout), so no training or server outlives the
step or test that started it. The group holds what the child spawned (torchrun's workers, a server's engine)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def stop_group(process: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM ``process``'s group, then SIGKILL it if the leader has not exited after ``grace_s``.

    Only while the leader has not been reaped: its pid, the group id, cannot have been reused by then."""
    if process.poll() is not None:
        return
    signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        signal_group(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_s)


def start_group(command: Sequence[str], **popen_kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen`` in a new session: the group id is the child's pid and holds none of ours."""
    return subprocess.Popen(list(command), start_new_session=True, **popen_kwargs)


@contextmanager
def group_process(command: Sequence[str], grace_s: float = 15.0, **popen_kwargs: Any) -> Iterator[subprocess.Popen]:
    """start_group() for the length of a block; however the block ends, the group is stopped if still running."""
    process = start_group(command, **popen_kwargs)
    try:
        yield process
    finally:
        stop_group(process, grace_s)
