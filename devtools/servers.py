"""Real servers on loopback for the tests: start a server process and wait until it answers, or run a tiny
stdlib HTTP server in a thread.

Generic on purpose: a server is a command, its environment and a health URL (LLaMA-Factory's API server,
vLLM's OpenAI server, ...). Output goes to a log file whose tail is shown when the server fails to start,
so a broken server explains itself in the test report instead of a bare timeout.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from training.processes import start_group, stop_group

LOOPBACK = "127.0.0.1"


class ServerStartError(RuntimeError):
    """The server process exited or did not become healthy in time; the message carries its log tail."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now (also the "server down" address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def log_tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


@dataclass
class ServerProcess:
    """A server started by start_server(); stop() ends it and everything it spawned."""

    process: subprocess.Popen
    port: int
    log_path: Path
    command: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        return log_tail(self.log_path, chars)

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM the server's process group, then SIGKILL whatever is left after ``grace_s``.

        The server runs in its own session (start_group), so the group id is its pid and holds only what it
        spawned (uvicorn workers, vLLM engine processes), never the test process."""
        stop_group(self.process, grace_s)


def wait_healthy(server: ServerProcess, health_url: str, timeout_s: float, interval_s: float = 0.5) -> None:
    """Poll ``health_url`` until it answers 200; fail early, with the log tail, if the process exits."""
    deadline = time.monotonic() + timeout_s
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if not server.alive():
            raise ServerStartError(
                f"server exited with code {server.process.returncode} before {health_url} answered; "
                f"command: {server.command}\n--- log tail ---\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(health_url, timeout=interval_s + 2) as reply:
                if reply.status == 200:
                    return
                last_error = f"HTTP {reply.status}"
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(interval_s)
    server.stop()
    raise ServerStartError(
        f"{health_url} not healthy after {timeout_s:.0f}s (last: {last_error}); command: {server.command}\n"
        f"--- log tail ---\n{server.log_tail()}"
    )


def start_server(
    command: Sequence[str],
    *,
    port: int,
    health_path: str,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float = 120.0,
) -> ServerProcess:
    """Start ``command`` (which must listen on ``port``) and return once ``health_path`` answers 200.

    ``env`` is added to this process's environment. The caller owns the result and must stop() it;
    running_server() does that for you.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {})}
    with open(log_path, "wb") as log:
        process = start_group(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              env=full_env, cwd=cwd)
    server = ServerProcess(process=process, port=port, log_path=log_path, command=list(command))
    try:
        wait_healthy(server, f"{server.url}{health_path}", timeout_s)
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def running_server(command: Sequence[str], **kwargs: Any) -> Iterator[ServerProcess]:
    """start_server() as a context manager: the server is stopped however the block ends."""
    server = start_server(command, **kwargs)
    try:
        yield server
    finally:
        server.stop()


# -- tiny in-process HTTP servers (fault injection: slow, failing or odd replies) ----------------------


@dataclass
class Request:
    method: str
    path: str
    body: Any  # parsed JSON, or the raw text when the body is not JSON
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # serialised as JSON unless it is a str
    delay_s: float = 0.0  # sleep before answering (a slow server)
    drop: bool = False  # close the connection without a reply (a server that crashed on this request)
    trickle_s: float = 0.0  # send the body one byte at a time, this many seconds apart (a server stalling mid-reply)


Handler = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 resets connections when many requests arrive at once
    daemon_threads = True  # a handler still sleeping must not block shutdown

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections = 0  # connections accepted and not yet closed (keep-alive ones included)
        self._count_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._count_lock:
            self.open_connections += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self._count_lock:
            self.open_connections -= 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that closes a kept-alive connection (a cancelled call, a closed backend) resets it while the
        # handler waits for the next request: that is the client's right, not a traceback on stderr.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class LoopbackHTTPServer:
    """A real HTTP server on 127.0.0.1 in a background thread, answering every request with ``handler``.

    Records every request it received (``requests``) and the most requests it ever had in flight at once
    (``max_in_flight``), so tests can check retries and concurrency limits from the server's side.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _Server((LOOPBACK, 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="loopback-http", daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def open_connections(self) -> int:
        return self._httpd.open_connections

    def wait_connections_closed(self, timeout_s: float = 5.0) -> int:
        """Wait until clients have closed every connection; returns how many are still open."""
        deadline = time.monotonic() + timeout_s
        while self.open_connections and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.open_connections

    def __enter__(self) -> LoopbackHTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # wakes sleeping handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _enter(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: with Nagle's algorithm on, each reply stalls ~40 ms
            # on the client's delayed ACK.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                text = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
                try:
                    body: Any = json.loads(text) if text else None
                except json.JSONDecodeError:
                    body = text
                request = Request(self.command, self.path, body, {k.lower(): v for k, v in self.headers.items()})
                owner._enter(request)
                try:
                    reply = owner.handler(request)
                    if reply.delay_s and owner._closing.wait(reply.delay_s):
                        return
                    if reply.drop:
                        self.close_connection = True
                        return
                    payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                    data = payload.encode("utf-8")
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if not reply.trickle_s:
                        self.wfile.write(data)
                    for index in range(len(data) if reply.trickle_s else 0):
                        if owner._closing.wait(reply.trickle_s):
                            return
                        self.wfile.write(data[index : index + 1])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
                    pass
                finally:
                    owner._leave()

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                pass

        return _Handler


def chat_completion(content: str, logprobs: list[dict[str, Any]] | None = None, *, model: str = "entity-alignment",
                    usage: tuple[int, int] = (1, 1)) -> dict[str, Any]:
    """A chat.completion body as OpenAI-compatible servers send it (``usage``: prompt and completion tokens)."""
    choice: dict[str, Any] = {
        "index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop",
    }
    if logprobs is not None:
        choice["logprobs"] = {"content": logprobs}
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model, "choices": [choice],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }
