"""A fake E2B service on 127.0.0.1: the control-plane API and envd of every sandbox in one server.

It serves the requests that e2b 2.63.0 sends for the calls the backend makes:

- control plane: ``POST /v2/sandboxes`` (create, with ``Idempotency-Key``), ``GET /v2/sandboxes``
  (list, filtered by metadata), ``POST /sandboxes/{id}/timeout`` (new lifetime) and
  ``DELETE /sandboxes/{id}`` (kill), each checked against ``X-API-KEY``;
- envd, addressed by the ``E2b-Sandbox-Id`` header and checked against ``X-Access-Token``:
  ``GET /health``, ``POST /files`` (multipart upload), ``GET /files`` (download) and the Connect
  RPC ``/process.Process/Start`` and ``/process.Process/SendSignal``.

A sandbox is a temporary folder: its absolute paths map into the folder, and its commands run
as local subprocesses (see process.py). Requests for a sandbox that is gone get the 502 "was
not found" response that the SDK turns into ``SandboxNotRunningException``.

Tests inject faults per route (an HTTP status, a stall or a vanishing sandbox) and read back
the requests the fake received and the sandboxes still alive.
"""

from __future__ import annotations

import collections
import email.parser
import email.policy
import io
import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from e2b.envd.process import process_connect

from .process import DropConnection, ProcessService

API_KEY = "e2b_test_key"

# envd version the fake reports: at least 0.4.0, so the SDK sends no default user, and the
# multipart upload is used for bytes whatever the version.
ENVD_VERSION = "0.6.4"

# Seconds a connection may stay idle before its handler thread closes it.
IDLE_TIMEOUT = 30.0

ROUTES = (
    "create", "list", "set_timeout", "kill", "health", "upload", "download", "command", "signal",
)


@dataclass
class Fault:
    """A planned failure of the next request on one route."""

    kind: str  # "status", "delay", "stall" or "vanish"
    status: int = 0
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class RequestRecord:
    route: str
    method: str
    path: str
    status: int
    sandbox_id: str | None
    # Seconds from reading the request to writing the response (the whole stream for commands).
    seconds: float


@dataclass
class FakeSandbox:
    sandbox_id: str
    template: str
    metadata: dict[str, str]
    root: Path
    access_token: str
    started_at: datetime
    end_at: datetime
    idempotency_key: str | None
    alive: bool = True
    killed: threading.Event = field(default_factory=threading.Event)
    processes: set[subprocess.Popen[bytes]] = field(default_factory=set)

    def path(self, sandbox_path: str) -> Path:
        """Map an absolute path inside the sandbox to the fake's folder for it."""
        relative = Path(sandbox_path.lstrip("/"))
        if ".." in relative.parts:
            raise ValueError(f"path {sandbox_path!r} leaves the sandbox")
        return self.root / relative


class FakeE2B:
    """The fake service, used as a context manager or through ``start()`` and ``stop()``."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self._lock = threading.Lock()
        self._sandboxes: dict[str, FakeSandbox] = {}
        self._faults: dict[str, collections.deque[Fault]] = collections.defaultdict(
            collections.deque
        )
        self._records: list[RequestRecord] = []
        self._directory = Path(tempfile.mkdtemp(prefix="fake-e2b-"))
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._process_app = process_connect.ProcessWSGIApplication(ProcessService(self))
        self.stopping = threading.Event()
        # Errors of request handlers other than a client hanging up. Tests assert there are none.
        self.errors: list[str] = []
        self.created = 0
        self.killed = 0
        # Highest number of sandboxes alive at once.
        self.peak_live = 0

    # Lifetime of the server.

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="fake-e2b", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Kill every sandbox, close every connection and join every thread of the server."""
        self.stopping.set()
        with self._lock:
            sandboxes = list(self._sandboxes.values())
        for sandbox in sandboxes:
            self._end(sandbox)
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        shutil.rmtree(self._directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # What tests inject and inspect.

    def fail(
        self,
        route: str,
        status: int,
        *,
        times: int = 1,
        message: str = "injected failure",
        retry_after: str | None = None,
    ) -> None:
        """Respond to the next ``times`` requests on ``route`` with ``status``."""
        assert route in ROUTES, route
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        for _ in range(times):
            self._faults[route].append(Fault("status", status, message, headers))

    def stall_command(self, seconds: float, *, times: int = 1) -> None:
        """Make the next commands hang after they start, for ``seconds`` or until killed."""
        for _ in range(times):
            self._faults["command"].append(Fault("stall", seconds=seconds))

    def delay(self, route: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next ``times`` requests on ``route`` for ``seconds`` before responding."""
        assert route in ROUTES, route
        for _ in range(times):
            self._faults[route].append(Fault("delay", seconds=seconds))

    def vanish_during_command(self, *, times: int = 1) -> None:
        """Kill the sandbox of each of the next ``times`` commands while the command runs."""
        for _ in range(times):
            self._faults["command"].append(Fault("vanish"))

    def live_sandboxes(self) -> list[str]:
        with self._lock:
            self._expire_locked()
            return [sandbox_id for sandbox_id, box in self._sandboxes.items() if box.alive]

    def sandbox(self, sandbox_id: str) -> FakeSandbox:
        with self._lock:
            return self._sandboxes[sandbox_id]

    def requests(self, route: str | None = None) -> list[RequestRecord]:
        with self._lock:
            return [record for record in self._records if route in (None, record.route)]

    def clear_records(self) -> None:
        with self._lock:
            self._records.clear()

    def phase_seconds(self) -> dict[str, list[float]]:
        """Return the handling seconds of request uploads, commands and result downloads."""
        phases: dict[str, list[float]] = {"upload": [], "command": [], "download": []}
        for record in self.requests():
            if record.route in phases and "harness.py" not in record.path:
                phases[record.route].append(record.seconds)
        return phases

    def count(self, route: str, status: int | None = None) -> int:
        return sum(
            1 for record in self.requests(route) if status in (None, record.status)
        )

    def kill_sandbox(self, sandbox_id: str) -> bool:
        with self._lock:
            sandbox = self._sandboxes.get(sandbox_id)
            if sandbox is None or not sandbox.alive:
                return False
        self._end(sandbox)
        return True

    # Used by the request handler and the process service.

    def take_fault(self, route: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(route)
            if queue and queue[0].kind in ("status", "delay"):
                return queue.popleft()
            return None

    def take_command_fault(self) -> Fault | None:
        with self._lock:
            queue = self._faults.get("command")
            if queue and queue[0].kind in ("stall", "vanish"):
                return queue.popleft()
            return None

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def sandbox_of_request(self, sandbox_id: str | None) -> FakeSandbox:
        """Return the live sandbox named by a request, or raise ``SandboxGone``."""
        with self._lock:
            self._expire_locked()
            sandbox = self._sandboxes.get(sandbox_id or "")
            if sandbox is None or not sandbox.alive:
                raise SandboxGone(sandbox_id or "")
            return sandbox

    def create_sandbox(
        self, body: dict[str, Any], idempotency_key: str | None
    ) -> tuple[FakeSandbox, bool]:
        """Create a sandbox, or return the one made earlier with the same idempotency key."""
        with self._lock:
            if idempotency_key is not None:
                for sandbox in self._sandboxes.values():
                    if sandbox.idempotency_key == idempotency_key:
                        return sandbox, False
            sandbox_id = "fake" + secrets.token_hex(8)
            root = self._directory / sandbox_id
            (root / "home" / "user").mkdir(parents=True)
            now = datetime.now(UTC)
            lifetime = body.get("timeout", 300)
            sandbox = FakeSandbox(
                sandbox_id=sandbox_id,
                template=str(body.get("templateID", "base")),
                metadata=dict(body.get("metadata") or {}),
                root=root,
                access_token=secrets.token_hex(16),
                started_at=now,
                end_at=now + timedelta(seconds=lifetime),
                idempotency_key=idempotency_key,
            )
            self._sandboxes[sandbox_id] = sandbox
            self.created += 1
            live = sum(1 for box in self._sandboxes.values() if box.alive)
            self.peak_live = max(self.peak_live, live)
            return sandbox, True

    def set_lifetime(self, sandbox_id: str, seconds: int) -> bool:
        with self._lock:
            self._expire_locked()
            sandbox = self._sandboxes.get(sandbox_id)
            if sandbox is None or not sandbox.alive:
                return False
            sandbox.end_at = datetime.now(UTC) + timedelta(seconds=seconds)
            return True

    def list_sandboxes(self, metadata: dict[str, str]) -> list[FakeSandbox]:
        with self._lock:
            self._expire_locked()
            return [
                sandbox for sandbox in self._sandboxes.values()
                if sandbox.alive
                and all(sandbox.metadata.get(key) == value for key, value in metadata.items())
            ]

    def process_app(self) -> process_connect.ProcessWSGIApplication:
        return self._process_app

    def _expire_locked(self) -> None:
        now = datetime.now(UTC)
        for sandbox in self._sandboxes.values():
            if sandbox.alive and sandbox.end_at <= now:
                sandbox.alive = False
                sandbox.killed.set()

    def _end(self, sandbox: FakeSandbox) -> None:
        with self._lock:
            if sandbox.alive:
                self.killed += 1
            sandbox.alive = False
            sandbox.killed.set()
            processes = list(sandbox.processes)
        for process in processes:
            if process.poll() is None:
                process.kill()


class SandboxGone(Exception):
    """A request named a sandbox that does not exist or was killed."""

    def __init__(self, sandbox_id: str) -> None:
        super().__init__(sandbox_id)
        self.sandbox_id = sandbox_id


class _Server(ThreadingHTTPServer):
    # Handler threads are joined by server_close(), so a stopped fake leaves none behind.
    daemon_threads = False
    block_on_close = True
    fake: FakeE2B

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up, as the backend's deadlines do, and keep other errors."""
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError)):
            return
        self.fake.errors.append(repr(error))
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Wake handler threads that wait on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    # Streamed events are small writes, and with Nagle's algorithm each could wait for the
    # client's delayed acknowledgement (about 40 ms on Linux).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # Routing.

    def _dispatch(self) -> None:
        self.started = time.perf_counter()
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        self.query = urllib.parse.parse_qs(url.query)
        self.body = self._read_body()
        route, sandbox_id, handler = self._route(url.path)
        self.route = route
        self.sandbox_id = sandbox_id
        if handler is None:
            self._send_json(404, {"code": 404, "message": f"no route for {self.command} {url.path}"})
            return
        control_plane = route in ("create", "list", "set_timeout", "kill")
        if control_plane and self.headers.get("X-API-KEY") != fake.api_key:
            self._send_json(401, {"code": 401, "message": "Invalid API key"})
            return
        fault = fake.take_fault(route)
        if fault is not None and fault.kind == "delay":
            # Ends early when the fake stops, so no handler thread outlives it, and then the
            # request is dropped unanswered.
            if fake.stopping.wait(fault.seconds):
                self.close_connection = True
                return
        elif fault is not None:
            self._send_json(fault.status, {"code": fault.status, "message": fault.message},
                            fault.headers)
            return
        handler()

    def _route(self, path: str) -> tuple[str, str | None, Any]:
        parts = [part for part in path.split("/") if part]
        method = self.command
        if parts == ["v2", "sandboxes"]:
            return ("create", None, self._create) if method == "POST" else ("list", None, self._list)
        if len(parts) == 2 and parts[0] == "sandboxes" and method == "DELETE":
            return "kill", parts[1], self._kill
        if len(parts) == 3 and parts[0] == "sandboxes" and parts[2] == "timeout":
            return "set_timeout", parts[1], self._set_timeout
        sandbox_id = self.headers.get("E2b-Sandbox-Id")
        if parts == ["health"]:
            return "health", sandbox_id, self._envd(self._health)
        if parts == ["files"]:
            if method == "POST":
                return "upload", sandbox_id, self._envd(self._upload)
            return "download", sandbox_id, self._envd(self._download)
        if parts == ["process.Process", "Start"]:
            return "command", sandbox_id, self._envd(self._rpc)
        if parts == ["process.Process", "SendSignal"]:
            return "signal", sandbox_id, self._envd(self._rpc)
        return "unknown", sandbox_id, None

    # Control plane.

    def _create(self) -> None:
        fake = self.server.fake
        body = json.loads(self.body or b"{}")
        sandbox, _ = fake.create_sandbox(body, self.headers.get("Idempotency-Key"))
        self.sandbox_id = sandbox.sandbox_id
        self._send_json(201, {
            "templateID": sandbox.template,
            "sandboxID": sandbox.sandbox_id,
            "clientID": "fakeclient",
            "envdVersion": ENVD_VERSION,
            "envdAccessToken": sandbox.access_token,
        })

    def _list(self) -> None:
        fake = self.server.fake
        metadata: dict[str, str] = {}
        # The SDK quotes each key and value, then url-encodes the pairs into one parameter.
        for encoded in self.query.get("metadata", []):
            for key, value in urllib.parse.parse_qsl(encoded):
                metadata[urllib.parse.unquote(key)] = urllib.parse.unquote(value)
        listed = [
            {
                "templateID": sandbox.template,
                "sandboxID": sandbox.sandbox_id,
                "clientID": "fakeclient",
                "startedAt": sandbox.started_at.isoformat(),
                "endAt": sandbox.end_at.isoformat(),
                "cpuCount": 2,
                "memoryMB": 512,
                "diskSizeMB": 1024,
                "state": "running",
                "envdVersion": ENVD_VERSION,
                "metadata": sandbox.metadata,
            }
            for sandbox in fake.list_sandboxes(metadata)
        ]
        self._send_json(200, listed)

    def _kill(self) -> None:
        assert self.sandbox_id is not None
        if self.server.fake.kill_sandbox(self.sandbox_id):
            self._send_empty(204)
        else:
            self._send_json(404, {"code": 404, "message": f"sandbox {self.sandbox_id} not found"})

    def _set_timeout(self) -> None:
        assert self.sandbox_id is not None
        seconds = int(json.loads(self.body or b"{}").get("timeout", 0))
        if self.server.fake.set_lifetime(self.sandbox_id, seconds):
            self._send_empty(204)
        else:
            self._send_json(404, {"code": 404, "message": f"sandbox {self.sandbox_id} not found"})

    # envd.

    def _envd(self, handler: Any) -> Any:
        def checked() -> None:
            fake = self.server.fake
            try:
                sandbox = fake.sandbox_of_request(self.sandbox_id)
            except SandboxGone as gone:
                # The response of the proxy in front of envd for a sandbox that is gone.
                self._send_json(502, {
                    "code": 502,
                    "message": f"The sandbox {gone.sandbox_id} was not found",
                })
                return
            if self.headers.get("X-Access-Token") != sandbox.access_token:
                self._send_json(401, {"code": 401, "message": "invalid access token"})
                return
            handler(sandbox)

        return checked

    def _health(self, sandbox: FakeSandbox) -> None:
        self._send_empty(204)

    def _upload(self, sandbox: FakeSandbox) -> None:
        written = []
        for path, data in _multipart_files(self.headers.get("Content-Type", ""), self.body):
            target = sandbox.path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append({"name": target.name, "type": "file", "path": path})
        if not written:
            self._send_json(400, {"code": 400, "message": "no file in the upload"})
            return
        self._send_json(200, written)

    def _download(self, sandbox: FakeSandbox) -> None:
        path = self.query.get("path", [""])[0]
        target = sandbox.path(path)
        if not target.is_file():
            self._send_json(404, {"code": 404, "message": f"path '{path}' does not exist"})
            return
        data = target.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self._record(200)

    def _rpc(self, sandbox: FakeSandbox) -> None:
        """Call the Connect WSGI application and stream its response with chunked encoding."""
        url = urllib.parse.urlsplit(self.path)
        environ = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query,
            "SERVER_PROTOCOL": self.request_version,
            "CONTENT_LENGTH": str(len(self.body)),
            "wsgi.input": io.BytesIO(self.body),
            "wsgi.url_scheme": "http",
            "REMOTE_ADDR": self.client_address[0],
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
        ) -> Callable[[bytes], object]:
            started["status"] = status
            started["headers"] = headers
            return self.wfile.write

        body = self.server.fake.process_app()(environ, start_response)
        status = int(started["status"].split()[0])
        self.send_response(status)
        for name, value in started["headers"]:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in body:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
        except DropConnection:
            # The sandbox is gone: break the connection without ending the chunked body.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            self._record(status)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # Reading and writing.

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    # Trailer lines end with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(
        self, status: int, value: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, header in (headers or {}).items():
            self.send_header(name, header)
        self.end_headers()
        self.wfile.write(data)
        self._record(status)

    def _send_empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self._record(status)

    def _record(self, status: int) -> None:
        seconds = time.perf_counter() - self.started
        self.server.fake.record(
            RequestRecord(self.route, self.command, self.path, status, self.sandbox_id, seconds)
        )


def _multipart_files(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """Return (file name, data) of every part of a multipart/form-data body."""
    header = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    files = []
    for part in message.iter_parts():
        name = part.get_filename()
        payload = part.get_payload(decode=True)
        if name is not None:
            files.append((name, payload if isinstance(payload, bytes) else b""))
    return files

