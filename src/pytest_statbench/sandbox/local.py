"""The local sandbox backend: one warm worker subprocess per Code implementation.

The worker runs ``harness.py serve`` under the wrappers chosen by ``isolation.py``, with its own
process group, a private temporary directory (its working directory, HOME and TMPDIR), an
environment built from an allow-list and the resource limits below. Requests and replies are
JSON lines on two pipes that only the harness uses. The worker's file descriptors 1 and 2 point
at files in the private directory.

Every request has a wall-clock deadline of ``--bench-sandbox-timeout``. A worker that misses
it, dies or sends a malformed reply is killed with its whole process group (and PID namespace,
where there is one), and every later request fails at once with the same reason.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import logging
import math
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from ..measure.runner import RemoteCallError
from ..measure.timing import Sample
from . import harness
from .base import SandboxError
from .isolation import (
    Isolation,
    kill_processes,
    live_processes,
    new_sandbox_uid,
    probe_isolation,
    process_group_of,
    worker_environment,
)

if TYPE_CHECKING:
    from ..settings import Settings
    from .code import Code

logger = logging.getLogger("pytest_statbench")

HARNESS_PATH = Path(harness.__file__).resolve()

# Processes and threads one worker may run at once (RLIMIT_NPROC), where that limit can count
# the worker's processes alone; see isolation.py.
MAX_PROCESSES = 64

# Largest file the worker may write (RLIMIT_FSIZE), its captured output included.
MAX_FILE_SIZE = 64 * 1024**2

# Bytes of output kept from sys.stdout and from sys.stderr of the user code.
OUTPUT_LIMIT = 1024**2

# RLIMIT_CPU counts the CPU time of the worker's whole life, so it is a multiple of the
# per-request timeout: a backstop for a worker whose test process is gone, not a per-call limit.
CPU_LIMIT_FACTOR = 10
CPU_LIMIT_MINIMUM = 60

# Largest reply accepted from a worker, so a huge return value cannot exhaust this process.
MAX_REPLY_BYTES = 64 * 1024**2

# Bytes from the end of the worker's stderr shown when the worker dies.
STDERR_TAIL_BYTES = 1500

# How long close() waits for the killed worker before it reports it.
STOP_WAIT = 5.0

_open_runners: weakref.WeakSet[LocalRunner] = weakref.WeakSet()


def describe_isolation() -> str:
    """Return "local sandbox, network isolated" or "..., network isolation unavailable"."""
    return probe_isolation().describe()


def open_runner(
    name: str,
    code: Code,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: Settings,
) -> LocalRunner:
    """Start a worker for ``code`` and send it the code and the call's arguments.

    Does not wait for the worker: ``call_once`` receives the reply of the start request.
    """
    return LocalRunner(
        name, code, args, kwargs,
        timeout=settings.sandbox_timeout,
        memory=settings.sandbox_memory,
        isolation=probe_isolation(),
    )


class LocalRunner:
    """A worker subprocess that runs one Code implementation; see the module docstring."""

    def __init__(
        self,
        name: str,
        code: Code,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        timeout: float,
        memory: int,
        isolation: Isolation,
    ) -> None:
        self.name = name
        self.is_async = False
        self._rss_growth: int | None = None
        self.code = code
        self.isolation = isolation
        self.timeout = timeout
        self.memory = memory
        self.cpu_seconds = max(CPU_LIMIT_MINIMUM, math.ceil(CPU_LIMIT_FACTOR * timeout))
        # Notes about the run, such as a return value that JSON could not carry.
        self.notes: list[str] = []
        # The random uid the worker runs as, or None when it runs as the user of this process.
        self.uid = new_sandbox_uid() if isolation.separate_user else None
        self.directory = Path(tempfile.mkdtemp(prefix="statbench-sandbox-"))
        self.home = self.directory / "home"

        self._process: subprocess.Popen[bytes] | None = None
        # Process group of the worker, kept after it is stopped so that a check can find leftovers.
        self.process_group: int | None = None
        self._request_fd = -1
        self._reply_fd = -1
        self._pidfd = -1
        self._poller = select.poll()
        self._buffer = bytearray()
        self._next_id = 0
        self._failure: str | None = None
        self._load_error: dict[str, str] | None = None
        self._start_id = 0
        self._start_deadline = 0.0
        self._started = False
        self._closed = False
        _open_runners.add(self)

        try:
            self._spawn()
            self._start_deadline = time.monotonic() + timeout
            self._start_id = self._new_id()
            self._send(
                {
                    "id": self._start_id,
                    "op": "start",
                    "source": code.source,
                    "entry": code.entry,
                    "filename": code.filename,
                    "args": list(args),
                    "kwargs": kwargs,
                },
                self._start_deadline,
                "start",
            )
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int | None:
        """Process id of the worker command's first process (the outer wrapper, where there is
        one), which is also the worker's process group id; None once the worker is stopped."""
        return self._process.pid if self._process is not None else None

    # The runner interface.

    def call_once(self) -> Any:
        """Call the entry point once in the worker and return the JSON-decoded return value.

        A return value that JSON cannot carry comes back as its ``repr()`` string, with a
        warning in the log and in ``notes``.
        """
        __tracebackhide__ = True
        self._finish_start()
        reply = self._request({"op": "call"}, "the first call")
        self.is_async = bool(reply.get("is_async", self.is_async))
        if reply.get("value_repr"):
            note = f"implementation {self.name!r}: {reply.get('note')}"
            self.notes.append(note)
            logger.warning("%s", note)
        return reply.get("value")

    def time(self, loops: int) -> Sample:
        """Time ``loops`` calls inside the worker; the clocks are read there, around the loop."""
        __tracebackhide__ = True
        self._finish_start()
        reply = self._request({"op": "time", "loops": loops}, f"a timed loop of {loops} calls")
        wall_ns, cpu_ns = reply.get("wall_ns"), reply.get("cpu_ns")
        if _is_count(wall_ns) and _is_count(cpu_ns) and reply.get("loops") == loops:
            return Sample(wall_ns, cpu_ns, loops)
        detail = f"wall_ns={wall_ns!r}, cpu_ns={cpu_ns!r}, loops={reply.get('loops')!r}"
        raise self._fail(self._malformed(f"a timed loop of {loops} calls", detail))

    def peak_memory(self) -> int | None:
        """Return the peak bytes Python allocates during one call in the worker, or None.

        None when the call raises or the worker does not reply, because the rounds have
        recorded those failures.
        """
        try:
            self._finish_start()
            reply = self._request({"op": "memory"}, "the memory measurement")
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
        """Kill the worker and its process group, then remove its directory; idempotent."""
        if self._closed:
            return
        self._closed = True
        _open_runners.discard(self)
        self._stop_worker()
        for fd in (self._request_fd, self._reply_fd, self._pidfd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._request_fd = self._reply_fd = self._pidfd = -1
        _remove_tree(self.directory)
        logger.debug("closed the sandbox worker of %r", self.name)

    def __repr__(self) -> str:
        if self._closed:
            state = "closed"
        elif self._failure is not None:
            state = "failed"
        else:
            state = "running"
        return f"<LocalRunner {self.name!r} {self.code.qualname} pid={self.pid} {state}>"

    # Starting the worker.

    def _spawn(self) -> None:
        self._make_directories()
        request_read, self._request_fd = os.pipe()
        self._reply_fd, reply_write = os.pipe()
        os.set_blocking(self._request_fd, False)
        os.set_blocking(self._reply_fd, False)

        command = [
            *self.isolation.command_prefix(self.uid),
            # -s and -P are the parts of -I that matter here. -I would also ignore
            # PYTHONHASHSEED, and the allow-list already keeps other PYTHON* variables out.
            sys.executable, "-s", "-P", str(HARNESS_PATH), "serve",
            "--request-fd", str(request_read), "--reply-fd", str(reply_write),
            "--memory", str(self.memory),
            "--cpu-seconds", str(self.cpu_seconds),
            "--file-size", str(MAX_FILE_SIZE),
            "--output-limit", str(OUTPUT_LIMIT),
        ]
        if self.isolation.process_limit:
            command += ["--max-processes", str(MAX_PROCESSES)]

        try:
            with open(self.directory / "stdout.txt", "wb") as stdout, \
                    open(self.directory / "stderr.txt", "wb") as stderr:
                self._process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=stdout,
                    stderr=stderr,
                    pass_fds=(request_read, reply_write),
                    cwd=self.home,
                    env=worker_environment(self.home),
                    start_new_session=True,
                )
        except OSError as error:
            raise SandboxError(
                f"could not start the sandbox worker for {self.name!r}: {error}; check that "
                f"{sys.executable} can run"
            ) from error
        finally:
            os.close(request_read)
            os.close(reply_write)

        self.process_group = self._process.pid
        self._poller.register(self._reply_fd, select.POLLIN)
        try:
            self._pidfd = os.pidfd_open(self._process.pid)
        except (AttributeError, OSError):
            self._pidfd = -1  # before Linux 5.3: the process is polled every 0.1 s instead
        else:
            self._poller.register(self._pidfd, select.POLLIN)
        logger.debug("started the sandbox worker of %r as pid %d", self.name, self._process.pid)

    def _make_directories(self) -> None:
        self.home.mkdir()
        (self.home / "tmp").mkdir()
        if self.uid is not None:
            # The worker's uid can enter the top directory and owns only its home.
            self.directory.chmod(0o711)
            for path in (self.home, self.home / "tmp"):
                os.chown(path, self.uid, self.uid)
                path.chmod(0o700)

    def _finish_start(self) -> None:
        """Receive the reply to the start request; re-raise a load error of the code."""
        __tracebackhide__ = True
        if not self._started:
            self._check_running()
            reply = self._receive(self._start_id, self._start_deadline, "start")
            self._started = True
            if not reply.get("ok"):
                self._load_error = self._error_fields(reply, "start")
            elif reply.get("protocol") != harness.PROTOCOL_VERSION:
                raise self._fail(self._malformed("start", f"protocol {reply.get('protocol')!r}"))
            else:
                self.is_async = bool(reply.get("is_async"))
        if self._load_error is not None:
            # A fresh exception each time: the session adds notes to the one it receives.
            raise _remote_error(self._load_error)

    # Requests.

    def _request(self, fields: dict[str, Any], description: str) -> dict[str, Any]:
        __tracebackhide__ = True
        self._check_running()
        deadline = time.monotonic() + self.timeout
        request_id = self._new_id()
        self._send({"id": request_id, **fields}, deadline, description)
        reply = self._receive(request_id, deadline, description)
        if not reply.get("ok"):
            raise _remote_error(self._error_fields(reply, description))
        return reply

    def _error_fields(self, reply: dict[str, Any], description: str) -> dict[str, str]:
        """Return type, message and traceback of an error reply; fail on a fatal or bad one."""
        __tracebackhide__ = True
        error = reply.get("error")
        if isinstance(error, dict) and all(
            isinstance(error.get(key), str) for key in ("type", "message", "traceback")
        ):
            return {key: error[key] for key in ("type", "message", "traceback")}
        if isinstance(reply.get("fatal"), str):
            raise self._fail(
                f"sandbox worker for {self.name!r} rejected the request for {description}: "
                f"{reply['fatal']}; this is a bug in pytest-statbench"
            )
        raise self._fail(self._malformed(description, "an error reply without type and message"))

    def _check_running(self) -> None:
        __tracebackhide__ = True
        if self._closed:
            raise SandboxError(f"sandbox worker for {self.name!r} is closed")
        if self._failure is not None:
            raise SandboxError(self._failure)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _send(self, request: dict[str, Any], deadline: float, description: str) -> None:
        __tracebackhide__ = True
        data = memoryview(harness.encode_line(request))
        writer = select.poll()
        writer.register(self._request_fd, select.POLLOUT)
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._fail(self._timed_out(description))
            if not writer.poll(_poll_milliseconds(remaining)):
                continue
            try:
                written = os.write(self._request_fd, data)
            except BlockingIOError:
                continue
            except OSError as error:
                if error.errno != errno.EPIPE:
                    raise
                raise self._fail(self._died(description)) from None
            data = data[written:]

    def _receive(self, request_id: int, deadline: float, description: str) -> dict[str, Any]:
        """Wait for the reply to ``request_id`` until ``deadline``, a death or a bad reply."""
        __tracebackhide__ = True
        while True:
            line = self._take_line()
            if line is not None:
                return self._parse(line, request_id, description)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._fail(self._timed_out(description))
            if self._pidfd < 0:
                remaining = min(remaining, 0.1)
            events = self._poller.poll(_poll_milliseconds(remaining))

            pipe_open = True
            if any(fd == self._reply_fd for fd, _ in events):
                pipe_open = self._read_reply_pipe(description)
            exited = any(fd == self._pidfd for fd, _ in events) or (
                self._pidfd < 0 and self._process is not None and self._process.poll() is not None
            )
            if exited and pipe_open:
                # The reply may have been written just before the worker exited.
                pipe_open = self._read_reply_pipe(description)
            if exited or not pipe_open:
                line = self._take_line()
                if line is not None:
                    return self._parse(line, request_id, description)
                raise self._fail(self._died(description))

    def _read_reply_pipe(self, description: str) -> bool:
        """Move what the reply pipe contains into the buffer; return False at end of file."""
        __tracebackhide__ = True
        while True:
            try:
                chunk = os.read(self._reply_fd, 65536)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY_BYTES:
                raise self._fail(
                    f"sandbox worker for {self.name!r} sent a reply to {description} larger than "
                    f"{MAX_REPLY_BYTES // 1024**2} MiB and was stopped; return a smaller value "
                    f"from the entry point"
                )

    def _take_line(self) -> bytes | None:
        end = self._buffer.find(b"\n")
        if end < 0:
            return None
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line

    def _parse(self, line: bytes, request_id: int, description: str) -> dict[str, Any]:
        __tracebackhide__ = True
        try:
            reply = json.loads(line)
        except ValueError as error:
            raise self._fail(self._malformed(description, f"invalid JSON: {error}")) from None
        if not isinstance(reply, dict) or reply.get("id") != request_id:
            received_id = reply.get("id") if isinstance(reply, dict) else type(reply).__name__
            raise self._fail(
                self._malformed(description, f"id {received_id!r} instead of {request_id}")
            )
        return reply

    # Failures.

    def _fail(self, message: str) -> SandboxError:
        """Record ``message`` as the reason every later request fails, stop the worker, and
        return the error to raise."""
        self._failure = message
        logger.debug("%s", message)
        self._stop_worker()
        return SandboxError(message)

    def _timed_out(self, description: str) -> str:
        return (
            f"sandbox worker for {self.name!r} exceeded the {self.timeout:g} s request timeout "
            f"during {description} and was killed; raise --bench-sandbox-timeout or make the "
            f"call faster"
        )

    def _malformed(self, description: str, detail: str) -> str:
        return (
            f"sandbox worker for {self.name!r} sent a malformed reply to {description} "
            f"({detail}) and was stopped; the code may have written to the worker's reply pipe, "
            f"otherwise this is a bug in pytest-statbench"
        )

    def _died(self, description: str) -> str:
        returncode = None
        if self._process is not None:
            try:
                returncode = self._process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                returncode = None
        exit_description = self._describe_exit(returncode)
        message = f"sandbox worker for {self.name!r} {exit_description} during {description}"
        tail = self._stderr_tail()
        if tail:
            message += f"; the end of its stderr:\n{tail}"
        return message

    def _describe_exit(self, returncode: int | None) -> str:
        if returncode is None:
            return "closed its reply pipe without exiting and was killed"
        if self.isolation.pid_namespace and returncode > 128:
            # The harness's init in the PID namespace reports a worker killed by signal N as
            # exit status 128 + N, which os._exit(128 + N) in the code cannot be told from.
            returncode = 128 - returncode
        if returncode >= 0:
            return (
                f"exited with status {returncode} before replying; the code may have called "
                f"os._exit()"
            )
        number = -returncode
        try:
            signal_name = signal.Signals(number).name
        except ValueError:
            signal_name = f"signal {number}"
        if number == signal.SIGXCPU:
            return (
                f"used up its CPU-time limit of {self.cpu_seconds} s and was stopped by SIGXCPU; "
                f"the limit is {CPU_LIMIT_FACTOR} times --bench-sandbox-timeout, so raise that"
            )
        if number == signal.SIGKILL:
            return (
                "was killed by SIGKILL, which another process or the kernel's out-of-memory "
                "killer sent"
            )
        if number in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
            return (
                f"crashed with {signal_name}; a C extension failed, or an allocation failed "
                f"under the {self.memory // 1024**2} MiB address-space limit, which "
                f"--bench-sandbox-memory raises"
            )
        return f"was killed by {signal_name}"

    def _stderr_tail(self) -> str:
        path = self.directory / "stderr.txt"
        try:
            with open(path, "rb") as file:
                file.seek(0, os.SEEK_END)
                size = file.tell()
                file.seek(max(0, size - STDERR_TAIL_BYTES))
                data = file.read()
        except OSError:
            return ""
        return data.decode("utf-8", errors="replace").strip()

    # Stopping.

    def _stop_worker(self) -> None:
        """Kill the worker's process group and every process left of it; wait for them."""
        process = self._process
        if process is None:
            return
        self._process = None
        group = process.pid
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            logger.error(
                "sandbox worker of %r (pid %d) did not exit after SIGKILL", self.name, group
            )

        # Members of the group may still be dying here. Processes that left the group with
        # setsid() die with the PID namespace, or else the sandbox uid still finds them.
        leftovers = live_processes(process_group=group, uid=self.uid)
        if not leftovers:
            return
        escaped = [pid for pid in leftovers if process_group_of(pid) not in (None, group)]
        survivors = kill_processes(leftovers, wait=STOP_WAIT)
        if survivors:
            logger.error(
                "%d processes of the sandbox worker of %r still run after SIGKILL: %s",
                len(survivors), self.name, survivors,
            )
        elif escaped:
            logger.info(
                "killed %d processes of the sandbox worker of %r that had left its process "
                "group", len(escaped), self.name,
            )


def _remote_error(fields: dict[str, str]) -> RemoteCallError:
    """Build the exception for an error of the user code, with the worker's traceback as a note.

    pytest prints the notes of an exception, so a failed test shows the remote type and lines.
    """
    error = RemoteCallError(fields["type"], fields["message"], fields["traceback"])
    remote_traceback = fields["traceback"].rstrip() or f"{fields['type']}: {fields['message']}"
    error.add_note(f"raised in the sandbox worker:\n{remote_traceback}")
    return error


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _poll_milliseconds(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def _remove_tree(path: Path) -> None:
    """Remove a worker's directory, also where the code removed the write bits of its files."""

    def make_writable_and_retry(function: Any, failed_path: str, _error: Any) -> None:
        parent = os.path.dirname(failed_path)
        with contextlib.suppress(OSError):
            os.chmod(parent, stat.S_IRWXU)
            os.chmod(failed_path, stat.S_IRWXU)
        function(failed_path)

    try:
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=make_writable_and_retry)
        else:
            shutil.rmtree(path, onerror=make_writable_and_retry)
    except FileNotFoundError:
        pass
    except OSError as error:
        logger.warning("could not remove the sandbox directory %s: %s", path, error)


@atexit.register
def _close_open_runners() -> None:
    # A session always closes its runners; this catches runners of an interrupted process.
    for runner in list(_open_runners):
        runner.close()
