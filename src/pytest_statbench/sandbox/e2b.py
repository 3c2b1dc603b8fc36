"""The E2B sandbox backend: each Code implementation runs in an E2B cloud sandbox of its own.

A runner creates one sandbox with the ``e2b-code-interpreter`` SDK and uploads ``harness.py`` to
it once. Each measurement (the first call, a timed loop, the memory measurement) is then one
batch: the runner uploads ``{"requests": [...]}`` as a file, runs ``python3 harness.py batch`` as a
fresh process, and downloads ``result-TOKEN.json``, whose name carries a random token. The
reply is never read from the command's output, so nothing the code prints is taken for it.

The SDK is asynchronous and the runner interface is not, so every SDK call runs on one private
event loop in a helper thread that all runners of the process share. One loop, because the
semaphore behind ``max_concurrent`` must be shared by all runners, and because a sandbox's
objects may start background tasks that must stay on the loop they started on. A call that
passes its deadline is cancelled on that loop, which the synchronous SDK could not do.

Each SDK call has a deadline of our own (``asyncio.wait_for``), because the SDK's timeouts do
not hold (e2b 2.63.0 on CPython 3.11, measured against the fake service of the tests). A
``request_timeout`` of T seconds gives up after 2T, because the pyqwest adapter under httpx
adds the read and write timeouts into one deadline. A ``commands.run`` timeout is not enforced
at all once the command has started, unless ``request_timeout`` is 0, because connectrpc arms
the stream's deadline in the task that ``asyncio.wait_for`` creates for the first event.

The SDK's own retries are turned off (``retries=0``), so that one policy, bounded by our
deadlines, decides: rate limits (429) and a busy service (502, 503, 504) are retried with
exponential backoff, a sandbox that vanished is replaced once per measurement, and an
authentication failure (401, 403) is never retried.

Every sandbox carries the metadata ``statbench_session`` (a random id of this process's
session), ``statbench_benchmark`` and ``statbench_implementation``. ``close()`` kills the
runner's sandbox, ``sweep(tag)`` kills every sandbox left with a session's tag, and
``end_session()`` does both for the current session and stops the helper thread.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import concurrent.futures
import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import random
import re
import secrets
import shlex
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from ..api import BenchUsageError
from ..measure.runner import RemoteCallError
from ..measure.timing import Sample
from . import harness
from .base import SandboxError

try:
    import httpx
    from e2b import (
        AsyncSandbox,
        AuthenticationException,
        CommandExitException,
        FileNotFoundException,
        RateLimitException,
        SandboxException,
        SandboxNotFoundException,
        SandboxNotRunningException,
        SandboxQuery,
        SandboxUnreachableException,
        ServiceBusyException,
        TimeoutException,
    )
    from e2b.connection_config import ConnectionConfig

    # e2b-code-interpreter ships no py.typed marker, but its classes subclass the typed e2b ones.
    from e2b_code_interpreter import E2B  # type: ignore[import-untyped]
    from e2b_code_interpreter import AsyncSandbox as CodeInterpreterSandbox
except ImportError as import_error:
    raise BenchUsageError(
        f"the e2b sandbox backend needs the e2b-code-interpreter package ({import_error}); "
        f"install it with pip install 'pytest-statbench[e2b]', or use --bench-sandbox=local"
    ) from import_error

if TYPE_CHECKING:
    from ..settings import Settings
    from .code import Code

logger = logging.getLogger("pytest_statbench")

T = TypeVar("T")

# Template of the code-interpreter SDK's AsyncSandbox ("code-interpreter-v1" in
# e2b-code-interpreter 2.11.5).
DEFAULT_TEMPLATE: str = CodeInterpreterSandbox.default_template

# Folder of the harness and of the request and result files inside a sandbox. "/home/user" is
# the home of the sandbox's default user.
WORK_DIRECTORY = "/home/user/statbench"
HARNESS_NAME = "harness.py"
HARNESS_SOURCE = Path(harness.__file__).read_bytes()

# Metadata keys of every sandbox the backend creates.
SESSION_KEY = "statbench_session"
BENCHMARK_KEY = "statbench_benchmark"
IMPLEMENTATION_KEY = "statbench_implementation"

# Bytes of output kept from sys.stdout and from sys.stderr of the user code.
OUTPUT_LIMIT = 1024**2

# Largest result file that is parsed. The SDK downloads a file whole, so this bounds the JSON
# decoding, not the download.
MAX_RESULT_BYTES = 64 * 1024**2

# Characters from the end of the harness's stderr shown when it fails.
STDERR_TAIL_CHARS = 1500

# Maximum wait between two retries, in seconds.
MAX_BACKOFF = 30.0

# The SDK's own command timeout is set this much past our deadline, so ours fires first.
COMMAND_TIMEOUT_SLACK = 5.0

CACHE_FORMAT = 1

# HTTP statuses that mean "try again later": rate limited, bad gateway, busy, gateway timeout.
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})

# The SDK (e2b 2.63.0) puts the status of some envd errors only in the message, as "503: ...".
STATUS_PREFIX = re.compile(r"^(\d{3}): ")


@dataclass(frozen=True)
class E2BSettings:
    """Options of the E2B backend; times are in seconds.

    ``default_timeout`` is our deadline for one SDK call (create, upload, download, kill, list).
    The harness command of a measurement has the deadline ``--bench-sandbox-timeout`` instead.
    ``sandbox_timeout`` is the lifetime the service gives a sandbox (the SDK's ``timeout``, whole
    seconds). The runner extends it while it measures, so it only ends a sandbox whose test
    process died. The connection fields are passed to the SDK, and None leaves them to its
    environment variables (E2B_API_KEY, E2B_DOMAIN).
    """

    template: str | None = None
    max_concurrent: int = 20
    slot_timeout: float = 300.0
    sandbox_timeout: int = 300
    default_timeout: float = 30.0
    retry_failed: bool = True
    max_retries: int = 3
    retry_backoff: float = 1.0
    cleanup_sandboxes: bool = True
    cache_results: bool = False
    cache_ttl_hours: float = 24.0
    cache_dir: Path | None = None
    python_command: str = "python3"
    api_key: str | None = dataclasses.field(default=None, repr=False)
    domain: str | None = None
    api_url: str | None = None
    sandbox_url: str | None = None

    def __post_init__(self) -> None:
        positive = {
            "max_concurrent": self.max_concurrent,
            "slot_timeout": self.slot_timeout,
            "sandbox_timeout": self.sandbox_timeout,
            "default_timeout": self.default_timeout,
            "cache_ttl_hours": self.cache_ttl_hours,
        }
        for field_name, value in positive.items():
            if not value > 0:
                raise BenchUsageError(f"E2BSettings.{field_name} must be positive, got {value!r}")
        if self.max_retries < 0 or self.retry_backoff < 0:
            raise BenchUsageError(
                f"E2BSettings.max_retries and retry_backoff must not be negative, got "
                f"{self.max_retries!r} and {self.retry_backoff!r}"
            )
        if self.cache_results and self.cache_dir is None:
            raise BenchUsageError(
                "E2BSettings.cache_results needs cache_dir, the folder that keeps the cached "
                "results"
            )

    @property
    def template_name(self) -> str:
        """Template the sandboxes are created from."""
        return self.template or DEFAULT_TEMPLATE


_configured = E2BSettings()


def configure(settings: E2BSettings) -> None:
    """Set the options that later runners use when the session settings carry none."""
    global _configured
    _configured = settings


def current_settings() -> E2BSettings:
    return _configured


def session_tag() -> str:
    """Return the value of ``statbench_session`` on the sandboxes of this session.

    Starts the session, and with it the helper thread, when none runs.
    """
    return _session().tag


def describe_isolation() -> str:
    """Return a phrase for the report header, such as "E2B sandbox (code-interpreter-v1)"."""
    return f"E2B sandbox ({_configured.template_name})"


def open_runner(
    name: str,
    code: Code,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: Settings,
) -> E2BRunner:
    """Start creating a sandbox for ``code``; ``call_once`` waits for it.

    The backend's options come from ``settings.e2b`` when the session settings have that field,
    otherwise from ``configure()``. Raises BenchUsageError when no API key is set.
    """
    options = getattr(settings, "e2b", None)
    if not isinstance(options, E2BSettings):
        options = _configured
    return E2BRunner(
        name, code, args, kwargs,
        options=options,
        request_timeout=settings.sandbox_timeout,
        benchmark=_current_benchmark(),
    )


def sweep(session_tag: str, settings: E2BSettings | None = None) -> int:
    """Kill every running sandbox whose ``statbench_session`` is ``session_tag``.

    Returns how many were killed. Failures are logged, not raised, because a sweep runs while
    the session ends. Without a current session it runs on a loop of its own, so it starts no
    thread.
    """
    options = settings or _configured
    with _session_lock:
        session = _current_session
    if session is None:
        return asyncio.run(_sweep(session_tag, options))
    return session.run(_sweep(session_tag, options))


def end_session() -> None:
    """Close the open runners, sweep this session's sandboxes and stop the helper thread.

    Sandboxes are left alive when ``cleanup_sandboxes`` is off; they end with their lifetime.
    A later runner starts a new session with a new tag.
    """
    global _current_session
    with _session_lock:
        session = _current_session
        _current_session = None
    if session is None:
        return
    try:
        for runner in list(session.runners):
            runner.close()
        for options in session.options_used or [_configured]:
            if options.cleanup_sandboxes and _api_key(options) is not None:
                session.run(_sweep(session.tag, options))
    finally:
        session.stop()


# The runner.


class E2BRunner:
    """One Code implementation in one E2B sandbox; see the module docstring."""

    def __init__(
        self,
        name: str,
        code: Code,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        options: E2BSettings,
        request_timeout: float,
        benchmark: str,
    ) -> None:
        self.name = name
        self.is_async = False
        self.code = code
        self.options = options
        self.request_timeout = request_timeout
        self.benchmark = benchmark
        # Notes about the run, such as a return value that JSON could not carry.
        self.notes: list[str] = []
        self.sandbox_id: str | None = None
        self._rss_growth: int | None = None

        api_key = _api_key(options)
        if api_key is None:
            raise BenchUsageError(
                "the e2b sandbox backend needs an E2B API key and found none; set the "
                "E2B_API_KEY environment variable to a key from "
                "https://e2b.dev/dashboard?tab=keys, or use --bench-sandbox=local"
            )
        self._connection = _connection_params(options, api_key)
        self._sandbox_class: type[AsyncSandbox] = E2B(**self._connection).AsyncSandbox
        self._start_request: dict[str, Any] = {
            "op": "start",
            "source": code.source,
            "entry": code.entry,
            "filename": code.filename,
            "args": list(args),
            "kwargs": kwargs,
        }
        self._sandbox: AsyncSandbox | None = None
        self._sandbox_lock: asyncio.Lock | None = None
        self._creation_task: asyncio.Task[AsyncSandbox] | None = None
        self._creation_error: BaseException | None = None
        self._holds_slot = False
        self._lifetime_set_at = 0.0
        self._failure: str | None = None
        self._closed = False

        # Cached replies, replayed while the requests match, and the record of this run.
        self._cache_path = _cache_path(options, code, args, kwargs)
        self._cache_created = time.time()
        self._replay: collections.deque[dict[str, Any]] = collections.deque()
        self._journal: list[dict[str, Any]] = []
        self._cacheable = self._cache_path is not None
        self._measured_live = False
        if self._cache_path is not None:
            cached = _load_cache(self._cache_path, options.cache_ttl_hours)
            if cached is not None:
                self._cache_created, entries = cached
                self._replay.extend(entries)
                logger.info(
                    "found %d cached E2B results for %r in %s", len(entries), name,
                    self._cache_path,
                )

        self._session = _session()
        self._session.add_runner(self)
        if not self._replay:
            self._session.call_soon(self._start_creation)

    # The runner interface.

    def call_once(self) -> Any:
        """Call the entry point once in a fresh process and return the JSON-decoded value."""
        __tracebackhide__ = True
        reply = self._measure({"op": "call"}, "the first call")
        self.is_async = bool(reply.get("is_async", self.is_async))
        if reply.get("value_repr"):
            note = f"implementation {self.name!r}: {reply.get('note')}"
            self.notes.append(note)
            logger.warning("%s", note)
        return reply.get("value")

    def time(self, loops: int) -> Sample:
        """Time ``loops`` calls in a fresh process, after one untimed call that warms it up."""
        __tracebackhide__ = True
        description = f"a timed loop of {loops} calls"
        reply = self._measure({"op": "time", "loops": loops}, description)
        wall_ns, cpu_ns = reply.get("wall_ns"), reply.get("cpu_ns")
        if _is_count(wall_ns) and _is_count(cpu_ns) and reply.get("loops") == loops:
            return Sample(wall_ns, cpu_ns, loops)
        detail = f"wall_ns={wall_ns!r}, cpu_ns={cpu_ns!r}, loops={reply.get('loops')!r}"
        raise self._fail(f"{self._who()} sent a malformed reply to {description} ({detail})")

    def peak_memory(self) -> int | None:
        """Return the peak bytes Python allocates during one call, or None.

        None when the call raises or the sandbox fails, because the rounds have recorded those
        failures.
        """
        try:
            reply = self._measure({"op": "memory"}, "the memory measurement")
        except (SandboxError, RemoteCallError) as error:
            logger.debug("no peak memory for %r: %s", self.name, error)
            return None
        growth = reply.get("rss_growth")
        self._rss_growth = growth if _is_count(growth) else None
        peak = reply.get("peak")
        return peak if _is_count(peak) else None

    def rss_growth(self) -> int | None:
        """Return the resident-set growth of one call, measured with the peak memory."""
        return self._rss_growth

    def close(self) -> None:
        """Kill the sandbox (unless ``cleanup_sandboxes`` is off) and store the cache; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._session.runners.discard(self)
        try:
            self._session.run(self._shutdown())
        except Exception:  # closing must not raise; sweep() catches a sandbox left behind
            logger.exception(
                "closing the E2B sandbox %s of %r failed", self.sandbox_id, self.name
            )
        self._store_cache()

    def __repr__(self) -> str:
        if self._closed:
            state = "closed"
        elif self._failure is not None:
            state = "failed"
        else:
            state = "open"
        return f"<E2BRunner {self.name!r} {self.code.qualname} sandbox={self.sandbox_id} {state}>"

    # Measurements.

    def _measure(self, operation: dict[str, Any], description: str) -> dict[str, Any]:
        """Return the reply to ``operation``: from the cache, or from a batch in the sandbox."""
        __tracebackhide__ = True
        if self._closed:
            raise SandboxError(f"the E2B runner of {self.name!r} is closed")
        if self._failure is not None:
            raise SandboxError(self._failure)

        if self._replay:
            entry = self._replay[0]
            if entry.get("request") == operation:
                self._replay.popleft()
                self._journal.append(entry)
                return self._check_reply(entry["replies"], description)
            logger.info(
                "the cached E2B results of %r end at %s; measuring in a sandbox from here",
                self.name, description,
            )
            self._replay.clear()

        requests: list[dict[str, Any]] = [dict(self._start_request)]
        if operation["op"] != "call":
            # A fresh process runs each batch, so one untimed call warms it up first.
            requests.append({"op": "call"})
        requests.append(dict(operation))
        for index, request in enumerate(requests, start=1):
            request["id"] = index

        try:
            replies = self._session.run(self._run_batch(requests, description))
        except SandboxError as error:
            raise self._fail(str(error)) from error.__cause__
        self._measured_live = True
        self._journal.append({"request": operation, "replies": replies})
        return self._check_reply(replies, description)

    def _check_reply(self, replies: list[dict[str, Any]], description: str) -> dict[str, Any]:
        """Return the last reply of a batch; raise the first error of the user code."""
        __tracebackhide__ = True
        for reply in replies:
            if reply.get("ok"):
                continue
            self._cacheable = False
            error = reply.get("error")
            if isinstance(error, dict) and all(
                isinstance(error.get(key), str) for key in ("type", "message", "traceback")
            ):
                raise _remote_error(error)
            if isinstance(reply.get("fatal"), str):
                raise self._fail(
                    f"the harness in {self._who()} rejected the {description} request: "
                    f"{reply['fatal']}; this is a bug in pytest-statbench"
                )
            raise self._fail(f"{self._who()} sent an error reply without type and message")
        start = replies[0]
        if start.get("protocol") != harness.PROTOCOL_VERSION:
            raise self._fail(
                f"the harness in {self._who()} speaks protocol {start.get('protocol')!r}, not "
                f"{harness.PROTOCOL_VERSION}; this is a bug in pytest-statbench"
            )
        self.is_async = bool(start.get("is_async", self.is_async))
        return replies[-1]

    def _fail(self, message: str) -> SandboxError:
        """Record ``message`` as the reason every later request fails and return the error."""
        self._failure = message
        self._cacheable = False
        return SandboxError(message)

    def _who(self) -> str:
        return f"E2B sandbox {self.sandbox_id or '(not created)'} of {self.name!r}"

    # Work on the event loop.

    def _start_creation(self) -> None:
        """Create the sandbox in the background, so a benchmark's sandboxes start together."""
        task = asyncio.ensure_future(self._ensure_sandbox())
        # The error is raised again by the next request, so the task's copy is only read here.
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._creation_task = task

    async def _run_batch(
        self, requests: list[dict[str, Any]], description: str
    ) -> list[dict[str, Any]]:
        """Run one batch; replace a sandbox that vanished once, and fail if it happens again."""
        for attempt in (1, 2):
            try:
                sandbox = await self._ensure_sandbox()
                return await self._exchange(sandbox, requests, description)
            except _DeadlineExceeded as error:
                await self._drop_sandbox(f"{error.description} timed out")
                raise SandboxError(
                    f"{error.description} in {self._who()} timed out after {error.seconds:g} s "
                    f"and the sandbox was killed; the service may be overloaded, so try again "
                    f"later or raise default_timeout"
                ) from None
            except _SandboxVanished as vanished:
                lost = self.sandbox_id
                await self._drop_sandbox(f"it vanished during {description}")
                if attempt == 2:
                    raise SandboxError(
                        f"the E2B sandbox of {self.name!r} vanished twice during {description} "
                        f"(last {lost}: {vanished.error}); the service may be deleting "
                        f"sandboxes early, so try again later or use --bench-sandbox=local"
                    ) from vanished.error
                logger.warning(
                    "E2B sandbox %s of %r vanished during %s (%s); creating a new one",
                    lost, self.name, description, vanished.error,
                )
        raise AssertionError("unreachable")

    async def _exchange(
        self, sandbox: AsyncSandbox, requests: list[dict[str, Any]], description: str
    ) -> list[dict[str, Any]]:
        """Upload the requests, run the harness on them and download its result file."""
        options = self.options
        await self._extend_lifetime(sandbox)
        # Hexadecimal, because argparse would take a token that starts with "-" for an option.
        token = secrets.token_hex(16)
        request_name = f"request-{token}.json"
        document = json.dumps({"requests": requests}, ensure_ascii=True).encode("ascii")
        await self._call(
            "the upload of the request",
            lambda: sandbox.files.write(
                f"{WORK_DIRECTORY}/{request_name}", document,
                request_timeout=options.default_timeout,
            ),
        )

        command = shlex.join([
            options.python_command, HARNESS_NAME, "batch",
            "--request", request_name, "--result-dir", ".", "--token", token,
            "--output-limit", str(OUTPUT_LIMIT),
        ])
        # A batch may run again after a transient failure, because each run is a fresh process
        # that writes a result file of its own.
        try:
            await self._call(
                description,
                lambda: sandbox.commands.run(
                    command, cwd=WORK_DIRECTORY,
                    timeout=self.request_timeout + COMMAND_TIMEOUT_SLACK,
                    request_timeout=options.default_timeout,
                ),
                deadline=self.request_timeout,
                passthrough=(CommandExitException,),
            )
        except _DeadlineExceeded:
            await self._drop_sandbox(f"it passed the deadline of {description}")
            raise SandboxError(
                f"{self._who()} did not finish {description} within the "
                f"{self.request_timeout:g} s request timeout and was killed; raise "
                f"--bench-sandbox-timeout or make the call faster"
            ) from None
        except CommandExitException as error:
            tail = await self._stderr_tail(sandbox, token, error.stderr)
            raise SandboxError(
                f"the harness in {self._who()} exited with status {error.exit_code} during "
                f"{description} before it wrote its result{tail}"
            ) from None

        try:
            data = await self._call(
                "the download of the result",
                lambda: sandbox.files.read(
                    f"{WORK_DIRECTORY}/result-{token}.json", format="bytes",
                    request_timeout=options.default_timeout,
                ),
                passthrough=(FileNotFoundException,),
            )
        except FileNotFoundException:
            tail = await self._stderr_tail(sandbox, token, "")
            raise SandboxError(
                f"the harness in {self._who()} ended {description} without writing its result; "
                f"the code may have called os._exit(){tail}"
            ) from None
        return self._parse_result(bytes(data), requests, description)

    def _parse_result(
        self, data: bytes, requests: list[dict[str, Any]], description: str
    ) -> list[dict[str, Any]]:
        if len(data) > MAX_RESULT_BYTES:
            raise SandboxError(
                f"{self._who()} returned a result of {len(data)} bytes for {description}, more "
                f"than {MAX_RESULT_BYTES // 1024**2} MiB; return a smaller value from the entry "
                f"point"
            )
        try:
            document = json.loads(data)
        except ValueError as error:
            raise SandboxError(
                f"{self._who()} wrote a result file that is not JSON for {description} "
                f"({error}); this is a bug in pytest-statbench"
            ) from None
        replies = document.get("replies") if isinstance(document, dict) else None
        expected = [request["id"] for request in requests]
        if not isinstance(replies, list) or not all(isinstance(r, dict) for r in replies):
            raise SandboxError(
                f"{self._who()} wrote a result without a list of replies for {description}; "
                f"this is a bug in pytest-statbench"
            )
        received = [reply.get("id") for reply in replies]
        if received != expected:
            raise SandboxError(
                f"{self._who()} returned the reply ids {received} for {description} instead "
                f"of {expected}; this is a bug in pytest-statbench"
            )
        return replies

    async def _stderr_tail(self, sandbox: AsyncSandbox, token: str, command_stderr: str) -> str:
        """Return "; its stderr ends with: ..." from the harness's stderr file, or ""."""
        text = command_stderr
        try:
            captured = await asyncio.wait_for(
                sandbox.files.read(
                    f"{WORK_DIRECTORY}/stderr-{token}.txt",
                    request_timeout=self.options.default_timeout,
                ),
                self.options.default_timeout,
            )
            text = f"{text}\n{captured}"
        except Exception as error:  # noqa: BLE001 - the message is complete without the tail
            logger.debug("no stderr of the harness in %s: %s", self._who(), error)
        text = text.strip()[-STDERR_TAIL_CHARS:]
        return f"; its stderr ends with:\n{text}" if text else ""

    async def _ensure_sandbox(self) -> AsyncSandbox:
        """Return the runner's sandbox, creating it and uploading the harness when needed."""
        if self._sandbox_lock is None:
            self._sandbox_lock = asyncio.Lock()
        async with self._sandbox_lock:
            if self._sandbox is not None:
                return self._sandbox
            if self._creation_error is not None:
                raise self._creation_error
            try:
                if not self._holds_slot:
                    await self._acquire_slot()
                sandbox = await self._create_sandbox()
            except SandboxError as error:
                # Kept, so the request that follows a failed background creation fails the
                # same way instead of creating again.
                self._creation_error = error
                raise
            self._sandbox = sandbox
            self.sandbox_id = sandbox.sandbox_id
            self._lifetime_set_at = time.monotonic()
            try:
                await self._call(
                    "the upload of the harness",
                    lambda: sandbox.files.write(
                        f"{WORK_DIRECTORY}/{HARNESS_NAME}", HARNESS_SOURCE,
                        request_timeout=self.options.default_timeout,
                    ),
                )
            except BaseException:
                await self._drop_sandbox("the upload of the harness failed")
                raise
            return sandbox

    async def _acquire_slot(self) -> None:
        semaphore = self._session.semaphore(self.options.max_concurrent)
        try:
            await asyncio.wait_for(semaphore.acquire(), self.options.slot_timeout)
        except TimeoutError:
            raise SandboxError(
                f"no E2B sandbox slot was free for {self.name!r} within "
                f"{self.options.slot_timeout:g} s, because {self.options.max_concurrent} "
                f"sandboxes were open; each Code implementation of a benchmark uses one, so "
                f"raise max_concurrent"
            ) from None
        self._holds_slot = True

    def _release_slot(self) -> None:
        if self._holds_slot:
            self._holds_slot = False
            self._session.semaphore(self.options.max_concurrent).release()

    async def _create_sandbox(self) -> AsyncSandbox:
        options = self.options
        metadata = {
            SESSION_KEY: self._session.tag,
            BENCHMARK_KEY: self.benchmark,
            IMPLEMENTATION_KEY: self.name,
        }
        # One key for every attempt, so a retry after a lost response cannot create a second
        # sandbox. The SDK (e2b 2.63.0) sends it as the Idempotency-Key header.
        idempotency_key = str(uuid.uuid4())
        try:
            sandbox: AsyncSandbox = await self._call(
                "the creation of a sandbox",
                lambda: self._sandbox_class.create(
                    template=options.template_name,
                    timeout=math.ceil(options.sandbox_timeout),
                    metadata=metadata,
                    idempotency_key=idempotency_key,
                    request_timeout=options.default_timeout,
                ),
            )
        except _DeadlineExceeded as error:
            # The service may still create it; sweep() finds it by its session tag.
            raise SandboxError(
                f"the E2B service did not create a sandbox for {self.name!r} within "
                f"{error.seconds:g} s; try again later, or raise default_timeout"
            ) from None
        except _SandboxVanished as vanished:
            raise SandboxError(
                f"the E2B service lost the sandbox of {self.name!r} while creating it: "
                f"{vanished.error}"
            ) from vanished.error
        logger.info(
            "created E2B sandbox %s for %r (template %s, session %s)",
            sandbox.sandbox_id, self.name, options.template_name, self._session.tag,
        )
        return sandbox

    async def _extend_lifetime(self, sandbox: AsyncSandbox) -> None:
        """Reset the sandbox's lifetime once half of it has passed."""
        lifetime = math.ceil(self.options.sandbox_timeout)
        if time.monotonic() - self._lifetime_set_at < lifetime / 2:
            return
        await self._call(
            "the extension of the sandbox lifetime",
            lambda: sandbox.set_timeout(lifetime, request_timeout=self.options.default_timeout),
        )
        self._lifetime_set_at = time.monotonic()
        logger.debug("extended the lifetime of E2B sandbox %s to %d s", sandbox.sandbox_id, lifetime)

    async def _drop_sandbox(self, reason: str) -> None:
        """Kill the current sandbox and forget it; the slot stays with the runner."""
        sandbox = self._sandbox
        self._sandbox = None
        if sandbox is not None:
            await _kill(sandbox, self.options, self._connection, reason)

    async def _shutdown(self) -> None:
        """Cancel a creation still running, then kill the sandbox and free the slot."""
        task = self._creation_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            sandbox = self._sandbox
            self._sandbox = None
            if sandbox is None:
                return
            if self.options.cleanup_sandboxes:
                await _kill(
                    sandbox, self.options, self._connection, f"the runner of {self.name!r} closed"
                )
            else:
                logger.info(
                    "left E2B sandbox %s of %r running, because cleanup_sandboxes is off; it "
                    "ends after its lifetime of %d s", sandbox.sandbox_id, self.name,
                    self.options.sandbox_timeout,
                )
        finally:
            self._release_slot()

    async def _call(
        self,
        description: str,
        operation: Callable[[], Awaitable[T]],
        *,
        deadline: float | None = None,
        passthrough: tuple[type[Exception], ...] = (),
    ) -> T:
        """Await ``operation()`` under our deadline, retrying transient failures with backoff.

        Raises SandboxError for an authentication failure, an unreachable service or a failure
        that retries did not cure, ``_SandboxVanished`` for a sandbox that is gone,
        ``_DeadlineExceeded`` when the deadline passes, and the ``passthrough`` errors as they
        are.
        """
        seconds = self.options.default_timeout if deadline is None else deadline
        return await _call_with_retries(
            self.options, self._connection, description, operation,
            deadline=seconds, subject=self._who(), passthrough=passthrough,
        )

    # The cache.

    def _store_cache(self) -> None:
        if self._cache_path is None or not self._cacheable or not self._measured_live:
            return
        document = {
            "format": CACHE_FORMAT,
            "created": self._cache_created,
            "implementation": self.name,
            "code": self.code.qualname,
            "template": self.options.template_name,
            "entries": self._journal,
        }
        try:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._cache_path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(document), encoding="utf-8")
            os.replace(temporary, self._cache_path)
        except OSError as error:
            logger.warning("could not write the E2B result cache %s: %s", self._cache_path, error)
        else:
            logger.debug("stored %d E2B results of %r", len(self._journal), self.name)


class _SandboxVanished(Exception):
    """The sandbox is gone: killed by the service, or past its lifetime."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _DeadlineExceeded(Exception):
    """Our deadline for one SDK call passed (or the SDK's own timeout fired first)."""

    def __init__(self, description: str, seconds: float) -> None:
        super().__init__(f"{description} did not finish within {seconds:g} s")
        self.description = description
        self.seconds = seconds


# SDK calls: deadlines, retries and error messages.


async def _call_with_retries(
    options: E2BSettings,
    connection: dict[str, Any],
    description: str,
    operation: Callable[[], Awaitable[T]],
    *,
    deadline: float,
    subject: str,
    passthrough: tuple[type[Exception], ...] = (),
) -> T:
    retries = options.max_retries if options.retry_failed else 0
    attempt = 0
    while True:
        try:
            return await asyncio.wait_for(operation(), deadline)
        except TimeoutError:
            raise _DeadlineExceeded(description, deadline) from None
        except passthrough:
            raise
        except Exception as error:  # sorted by _classify, then re-raised or retried
            kind = _classify(error)
            if kind == "vanished":
                raise _SandboxVanished(error) from error
            if kind == "timeout":
                raise _DeadlineExceeded(description, deadline) from error
            if kind == "transient" and attempt < retries:
                delay = _backoff(options.retry_backoff, attempt)
                attempt += 1
                logger.warning(
                    "%s failed during %s: %s; retry %d of %d in %.2f s",
                    subject, description, _one_line(error), attempt, retries, delay,
                )
                await asyncio.sleep(delay)
                continue
            raise _sandbox_error(kind, error, description, options, connection, attempt) from error


def _classify(error: BaseException) -> str:
    """Sort an SDK error into auth, vanished, transient, unreachable, timeout or other.

    The order matters: the "gone" classes of the SDK subclass its TimeoutException.
    """
    if isinstance(error, AuthenticationException):
        return "auth"
    if isinstance(error, (SandboxNotRunningException, SandboxNotFoundException)):
        return "vanished"
    if isinstance(error, (RateLimitException, ServiceBusyException, SandboxUnreachableException)):
        return "transient"
    status = _status_of(error)
    if status in (401, 403):
        return "auth"
    if status in TRANSIENT_STATUSES:
        return "transient"
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionError)):
        return "unreachable"
    if isinstance(error, (TimeoutException, httpx.TimeoutException)):
        return "timeout"
    return "other"


def _status_of(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return status
    if isinstance(error, SandboxException):
        match = STATUS_PREFIX.match(str(error))
        if match:
            return int(match.group(1))
    return None


def _sandbox_error(
    kind: str,
    error: BaseException,
    description: str,
    options: E2BSettings,
    connection: dict[str, Any],
    retries: int,
) -> SandboxError:
    """Build the message for an SDK error that the backend does not retry (any more)."""
    detail = _one_line(error)
    if kind == "auth" and _status_of(error) == 403:
        return SandboxError(
            f"E2B denied {description} (HTTP 403: {detail}); check that the team of the API "
            f"key may use the template {options.template_name!r}"
        )
    if kind == "auth":
        return SandboxError(
            f"E2B rejected the API key during {description} ({detail}); set E2B_API_KEY to a "
            f"valid key from https://e2b.dev/dashboard?tab=keys"
        )
    if kind == "unreachable":
        api_url = ConnectionConfig(**connection).api_url
        return SandboxError(
            f"could not connect to the E2B service at {api_url} during {description} "
            f"({detail}); check the network connection, a proxy, and E2B_DOMAIN"
        )
    if kind == "transient":
        return SandboxError(
            f"E2B failed during {description} after {retries} retries ({detail}); the "
            f"service is busy or rate limited, so try again later, lower max_concurrent, or "
            f"raise max_retries"
        )
    return SandboxError(f"E2B failed during {description}: {type(error).__name__}: {detail}")


def _backoff(base: float, attempt: int) -> float:
    """Return the wait before retry ``attempt + 1``: doubling from ``base``, with jitter."""
    return min(base * 2.0**attempt, MAX_BACKOFF) * random.uniform(0.5, 1.0)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


async def _kill(
    sandbox: AsyncSandbox, options: E2BSettings, connection: dict[str, Any], reason: str
) -> None:
    """Kill ``sandbox``; log a failure instead of raising it, because sweep() retries later."""
    try:
        killed = await _call_with_retries(
            options, connection, "the kill",
            lambda: sandbox.kill(request_timeout=options.default_timeout),
            deadline=options.default_timeout, subject=f"E2B sandbox {sandbox.sandbox_id}",
        )
    except (SandboxError, _SandboxVanished, _DeadlineExceeded) as error:
        logger.error(
            "could not kill E2B sandbox %s (%s): %s; sweep() at the end of the session tries "
            "again", sandbox.sandbox_id, reason, error,
        )
        return
    if killed:
        logger.info("killed E2B sandbox %s: %s", sandbox.sandbox_id, reason)
    else:
        logger.info("E2B sandbox %s was already gone: %s", sandbox.sandbox_id, reason)


async def _sweep(tag: str, options: E2BSettings) -> int:
    """Kill the sandboxes listed with ``statbench_session=tag``; return how many."""
    api_key = _api_key(options)
    if api_key is None:
        logger.warning("cannot sweep the E2B sandboxes of session %s: no API key is set", tag)
        return 0
    connection = _connection_params(options, api_key)
    sandbox_class: type[AsyncSandbox] = E2B(**connection).AsyncSandbox
    query = SandboxQuery(metadata={SESSION_KEY: tag})
    paginator = sandbox_class.list(query=query, request_timeout=options.default_timeout)
    found = []
    try:
        while paginator.has_next:
            found += await _call_with_retries(
                options, connection, "the listing of sandboxes", paginator.next_items,
                deadline=options.default_timeout, subject=f"session {tag}",
            )
    except (SandboxError, _SandboxVanished, _DeadlineExceeded) as error:
        logger.error("could not list the E2B sandboxes of session %s: %s", tag, error)
        return 0
    def killer(sandbox_id: str) -> Callable[[], Awaitable[bool]]:
        return lambda: sandbox_class.kill(sandbox_id, request_timeout=options.default_timeout)

    killed = 0
    for info in found:
        sandbox_id = info.sandbox_id
        try:
            was_running = await _call_with_retries(
                options, connection, "the kill", killer(sandbox_id),
                deadline=options.default_timeout, subject=f"E2B sandbox {sandbox_id}",
            )
        except (SandboxError, _SandboxVanished, _DeadlineExceeded) as error:
            logger.error("sweep could not kill E2B sandbox %s: %s", sandbox_id, error)
            continue
        if was_running:
            killed += 1
            logger.info("sweep killed E2B sandbox %s left by session %s", sandbox_id, tag)
    return killed


def _api_key(options: E2BSettings) -> str | None:
    return options.api_key or os.environ.get("E2B_API_KEY") or None


def _connection_params(options: E2BSettings, api_key: str) -> dict[str, Any]:
    """Return the SDK's connection options; its own retries are off, because ours decide."""
    params: dict[str, Any] = {"api_key": api_key, "retries": 0}
    for name in ("domain", "api_url", "sandbox_url"):
        value = getattr(options, name)
        if value is not None:
            params[name] = value
    return params


def _current_benchmark() -> str:
    """Return the node id of the test that pytest runs now, or "" outside a test."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    return current.rsplit(" (", 1)[0]


def _remote_error(fields: dict[str, str]) -> RemoteCallError:
    """Build the exception for an error of the user code, with the remote traceback as a note."""
    error = RemoteCallError(fields["type"], fields["message"], fields["traceback"])
    remote_traceback = fields["traceback"].rstrip() or f"{fields['type']}: {fields['message']}"
    error.add_note(f"raised in the E2B sandbox:\n{remote_traceback}")
    return error


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# The cache.


def _cache_path(
    options: E2BSettings, code: Code, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Path | None:
    """Return the cache file of this code and these arguments, or None when caching is off.

    The key covers the code, the arguments, the backend and its template, the interpreter
    command and the harness (protocol and exact text).
    """
    if not options.cache_results or options.cache_dir is None:
        return None
    key_fields = {
        "format": CACHE_FORMAT,
        "backend": "e2b",
        "template": options.template_name,
        "python": options.python_command,
        "protocol": harness.PROTOCOL_VERSION,
        "harness": hashlib.sha256(HARNESS_SOURCE).hexdigest(),
        "source": code.source,
        "entry": code.entry,
        "filename": code.filename,
        "args": list(args),
        "kwargs": kwargs,
    }
    encoded = json.dumps(key_fields, sort_keys=True, ensure_ascii=True).encode("ascii")
    return options.cache_dir / "e2b" / f"{hashlib.sha256(encoded).hexdigest()}.json"


def _load_cache(path: Path, ttl_hours: float) -> tuple[float, list[dict[str, Any]]] | None:
    """Return the creation time and entries of a cache file younger than its TTL, or None."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.warning("ignoring the unreadable E2B result cache %s: %s", path, error)
        return None
    created = document.get("created") if isinstance(document, dict) else None
    entries = document.get("entries") if isinstance(document, dict) else None
    if (
        document.get("format") != CACHE_FORMAT
        or not isinstance(created, (int, float))
        or not isinstance(entries, list)
    ):
        logger.warning("ignoring the E2B result cache %s: it has an unknown format", path)
        return None
    if time.time() - created > ttl_hours * 3600:
        logger.info("the E2B result cache %s is older than %g hours; removing it", path, ttl_hours)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return float(created), entries


# The session: one event loop thread, the slot semaphore and the session tag.


class _Session:
    """State shared by the runners of one session."""

    def __init__(self) -> None:
        self.tag = str(uuid.uuid4())
        self.runners: weakref.WeakSet[E2BRunner] = weakref.WeakSet()
        # Options of every runner, so that the sweep reaches each service they used.
        self.options_used: list[E2BSettings] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, name="statbench-e2b", daemon=True
        )
        self._semaphore: asyncio.Semaphore | None = None
        self._thread.start()
        self._ready.wait()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    def add_runner(self, runner: E2BRunner) -> None:
        self.runners.add(runner)
        if runner.options not in self.options_used:
            self.options_used.append(runner.options)

    def call_soon(self, callback: Callable[[], None]) -> None:
        self._loop.call_soon_threadsafe(callback)

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("an E2B runner was called from its own event loop thread")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the session's loop and wait for its result.

        Every SDK call inside has a deadline of its own, so the wait ends unless the SDK ignores
        the cancellation of a call.
        """
        return self.submit(coroutine).result()

    def semaphore(self, size: int) -> asyncio.Semaphore:
        # NOTE: the first runner's max_concurrent sizes the semaphore for the whole session.
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(size)
        return self._semaphore

    def stop(self) -> None:
        """Cancel the loop's remaining tasks, stop the loop and join the thread."""
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            self.run(_cancel_other_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if self._thread.is_alive():
            logger.error("the E2B event loop thread did not stop within 10 s")
            return
        self._loop.close()


async def _cancel_other_tasks() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


_session_lock = threading.Lock()
_current_session: _Session | None = None


def _session() -> _Session:
    global _current_session
    with _session_lock:
        if _current_session is None:
            _current_session = _Session()
        return _current_session


@atexit.register
def _end_session_at_exit() -> None:
    # The session calls end_session(), and this catches a process that ends without it.
    try:
        end_session()
    except Exception:  # nothing more can be done about it at exit
        logger.exception("ending the E2B session at exit failed")
