"""Worker side of every sandbox: load a Code implementation, call it, time it, reply in JSON.

This one file runs inside every backend as ``python harness.py MODE ...`` and imports only the
standard library, so a backend can upload it to a machine that has nothing else installed.

Modes:

- ``serve --request-fd N --reply-fd M``: read requests as JSON lines from file descriptor N
  and write one JSON line per request to file descriptor M. The parent passes both pipes to
  the worker. User output never reaches them, because ``sys.stdout`` and ``sys.stderr`` are
  replaced by size-capped writers over file descriptors 1 and 2, which point at files.
- ``batch --request FILE --result-dir DIR --token TOKEN``: for backends without pipes. Read
  ``{"requests": [...]}`` from FILE, handle the requests in order in this process, and write
  ``{"replies": [...]}`` to ``DIR/result-TOKEN.json`` (atomically, through a temporary file).
  File descriptors 1 and 2 are redirected to ``DIR/stdout-TOKEN.txt`` and
  ``DIR/stderr-TOKEN.txt`` first.

Requests are ``{"id": ..., "op": ...}`` with the operations ``start`` (source, entry,
filename, args, kwargs), ``call``, ``time`` (loops), ``memory`` and ``exit``. Every reply
carries the request's id and either ``"ok": true`` with the result, ``"ok": false`` with an
``error`` (an exception raised by the user code: type, message, traceback) or ``"ok": false``
with ``fatal`` (a broken request, which is a bug of the caller).

Code running in the worker shares this interpreter, so it can reach the reply channel or the
clocks if it tries. The channel protects the replies against output, not against code that
sets out to forge its own measurements.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import gc
import inspect
import io
import itertools
import json
import linecache
import os
import re
import reprlib
import resource
import signal
import sys
import time
import traceback
import tracemalloc
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

PROTOCOL_VERSION = 1

# Name under which the user code's module is registered in sys.modules, so that pickle,
# dataclasses and typing can find the module of the classes it defines.
CODE_MODULE_NAME = "__statbench_code__"

# Bytes of user output kept per stream through sys.stdout and sys.stderr. The rest is dropped,
# so a print loop cannot fill the disk. Raw writes to file descriptors 1 and 2 bypass this cap,
# and the file-size limit bounds them instead.
DEFAULT_OUTPUT_LIMIT = 1024 * 1024

# Written once, where a stream's output starts being dropped.
TRUNCATION_MARKER = b"\n[pytest-statbench: output truncated]\n"

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

HARNESS_FILE = os.path.abspath(__file__)

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")

_short_repr = reprlib.Repr()
_short_repr.maxstring = 60
_short_repr.maxother = 60


class RequestError(Exception):
    """A request that the harness cannot handle: a bug of the caller, not of the user code."""


# JSON values.


def json_problem(value: Any) -> str | None:
    """Return why ``value`` cannot travel as JSON unchanged, or None when it can.

    Allowed are None, bool, int, float, str, lists, tuples (which arrive as lists) and dicts
    with str keys. ``json.dumps`` would silently turn int keys into strings, so those are
    rejected here.
    """
    try:
        return _json_problem(value, "", set())
    except RecursionError:
        return "is nested too deeply to encode as JSON"


def _json_problem(value: Any, path: str, active: set[int]) -> str | None:
    if value is None or isinstance(value, (bool, int, float, str)):
        return None
    if isinstance(value, (list, tuple, dict)):
        if id(value) in active:
            return _located("contains a reference to itself", path)
        active.add(id(value))
        try:
            if isinstance(value, dict):
                for key, item in value.items():
                    if not isinstance(key, str):
                        return _located(
                            f"has the {type(key).__name__} key {_short_repr.repr(key)}; "
                            f"JSON keys are strings",
                            path,
                        )
                    problem = _json_problem(item, f"{path}[{key!r}]", active)
                    if problem is not None:
                        return problem
            else:
                for index, item in enumerate(value):
                    problem = _json_problem(item, f"{path}[{index}]", active)
                    if problem is not None:
                        return problem
        finally:
            active.discard(id(value))
        return None
    return _located(f"is of type {type(value).__qualname__}: {_safe_repr(value)}", path)


def _located(problem: str, path: str) -> str:
    return f"{problem} (at {path})" if path else problem


def _safe_repr(value: Any) -> str:
    try:
        return _short_repr.repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ of user code must not break a reply
        return f"<{type(value).__qualname__} object>"


def encode_line(record: dict[str, Any]) -> bytes:
    """Encode one record as a JSON line; ASCII escapes guarantee no raw newline inside it."""
    return json.dumps(record, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"


# User output.


class CappedOutput(io.RawIOBase):
    """A writer to a file descriptor that keeps the first ``limit`` bytes and drops the rest."""

    def __init__(self, fd: int, limit: int) -> None:
        super().__init__()
        self._fd = fd
        self._limit = limit
        self.kept_bytes = 0
        self.dropped_bytes = 0

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, data: Any) -> int:
        size = len(data)
        to_write = bytes(data[: max(0, self._limit - self.kept_bytes)])
        self.kept_bytes += len(to_write)
        if len(to_write) < size:
            first_drop = self.dropped_bytes == 0
            self.dropped_bytes += size - len(to_write)
            if first_drop:
                to_write += TRUNCATION_MARKER
        if to_write:
            _write_all(self._fd, to_write, ignore_errors=True)
        return size


def _capture_output(limit: int) -> None:
    """Replace sys.stdout and sys.stderr with capped writers over file descriptors 1 and 2."""
    for fd, stream_name in ((1, "stdout"), (2, "stderr")):
        raw = CappedOutput(fd, limit)
        stream = io.TextIOWrapper(
            io.BufferedWriter(raw), encoding="utf-8", errors="backslashreplace",
            line_buffering=True,
        )
        setattr(sys, stream_name, stream)


def _flush_user_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        # User code may have replaced or closed the stream; its output is not worth a failure.
        with contextlib.suppress(Exception):
            stream.flush()


def _write_all(fd: int, data: bytes, *, ignore_errors: bool = False) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except OSError:
            if ignore_errors:
                return
            raise
        view = view[written:]


# Limits.


def apply_limits(
    *,
    memory: int | None,
    cpu_seconds: int | None,
    max_processes: int | None,
    file_size: int | None,
) -> None:
    """Lower the resource limits of this process before any user code runs.

    A limit above the current hard limit is clamped to it, because an unprivileged process can
    only lower hard limits.
    """
    # Writes past the file-size limit then fail with EFBIG instead of killing the worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _lower_limit(resource.RLIMIT_CORE, 0, 0)
    if memory:
        _lower_limit(resource.RLIMIT_AS, memory, memory)
    if cpu_seconds:
        # SIGXCPU at the soft limit ends the worker with a signal the parent can name. If the
        # code ignores SIGXCPU, the kernel sends SIGKILL at the hard limit.
        _lower_limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 5)
    if max_processes:
        _lower_limit(resource.RLIMIT_NPROC, max_processes, max_processes)
    if file_size:
        _lower_limit(resource.RLIMIT_FSIZE, file_size, file_size)


def _lower_limit(kind: int, soft: int, hard: int) -> None:
    _, current_hard = resource.getrlimit(kind)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


# The worker.


class Worker:
    """State of one worker: the loaded entry point, its arguments and its event loop."""

    def __init__(self) -> None:
        self.entry: Any = None
        self.args: list[Any] = []
        self.kwargs: dict[str, Any] = {}
        self.is_async = False
        self.filename = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        # A process that user code forks returns into the request loop as a copy of the worker.
        # It must exit before it replies, or the parent would read two replies to one request.
        self.owner_pid = os.getpid()

    def handle(self, request: Any) -> dict[str, Any]:
        """Handle one request and return its reply; user exceptions become error replies."""
        request_id = request.get("id") if isinstance(request, dict) else None
        try:
            if not isinstance(request, dict):
                raise RequestError(f"a request is a JSON object, got {type(request).__name__}")
            operation = request.get("op")
            if operation == "start":
                result = self.start(request)
            elif operation == "call":
                result = self.call()
            elif operation == "time":
                result = self.time(request.get("loops"))
            elif operation == "memory":
                result = self.memory()
            else:
                raise RequestError(f"unknown operation {operation!r}")
        except RequestError as error:
            return {"id": request_id, "ok": False, "fatal": str(error)}
        except BaseException as error:  # noqa: BLE001 - user code may raise anything
            return {"id": request_id, "ok": False, "error": self.describe_error(error)}
        return {"id": request_id, "ok": True, **result}

    def start(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.entry is not None:
            raise RequestError("the code is already loaded; start is sent once per worker")
        source = request.get("source")
        entry_name = request.get("entry")
        filename = request.get("filename") or "<code>"
        args = request.get("args", [])
        kwargs = request.get("kwargs", {})
        if not isinstance(source, str) or not isinstance(entry_name, str):
            raise RequestError("start needs the source and the entry name as strings")
        if not isinstance(filename, str) or not isinstance(args, list):
            raise RequestError("start needs filename as a string and args as a list")
        if not isinstance(kwargs, dict):
            raise RequestError("start needs kwargs as an object")
        self.filename = filename

        module = types.ModuleType(CODE_MODULE_NAME)
        module.__file__ = filename
        sys.modules[CODE_MODULE_NAME] = module
        # Tracebacks show the lines of the code that ran, also for source given as a string.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        compiled = compile(source, filename, "exec", dont_inherit=True)
        exec(compiled, module.__dict__)  # noqa: S102 - running the user's code is the purpose

        entry = module.__dict__.get(entry_name)
        if entry is None:
            raise AttributeError(
                f"entry point {entry_name!r} not found in the code; define "
                f"def {entry_name}(...) at the top level of the module"
            )
        if not callable(entry):
            raise TypeError(
                f"entry point {entry_name!r} is not callable (it is of type "
                f"{type(entry).__name__}); define def {entry_name}(...)"
            )
        self.entry = entry
        self.args = args
        self.kwargs = kwargs
        self.is_async = inspect.iscoroutinefunction(entry)
        return {"protocol": PROTOCOL_VERSION, "is_async": self.is_async}

    def call(self) -> dict[str, Any]:
        entry = self._loaded_entry()
        value = entry(*self.args, **self.kwargs)
        if inspect.isawaitable(value):
            self.is_async = True
            value = self._event_loop().run_until_complete(_await(value))
        reply: dict[str, Any] = {"is_async": self.is_async}
        problem = json_problem(value)
        if problem is None:
            reply["value"] = value
        else:
            reply["value"] = _safe_full_repr(value)
            reply["value_repr"] = True
            reply["note"] = f"the return value {problem}, so its repr() was returned instead"
        return reply

    def time(self, loops: Any) -> dict[str, Any]:
        entry = self._loaded_entry()
        if not isinstance(loops, int) or isinstance(loops, bool) or loops < 1:
            raise RequestError(f"time needs loops as a positive integer, got {loops!r}")
        # The rounds collect young garbage in the test process once per round. This is the same
        # collection for the worker's heap, outside the timed loop.
        gc.collect(1)
        if self.is_async:
            wall_ns, cpu_ns = self._event_loop().run_until_complete(
                _time_async(entry, self.args, self.kwargs, loops)
            )
        else:
            wall_ns, cpu_ns = _time_sync(entry, self.args, self.kwargs, loops)
        return {"wall_ns": wall_ns, "cpu_ns": cpu_ns, "loops": loops}

    def memory(self) -> dict[str, Any]:
        """Measure the peak bytes Python allocates during one call, as the in-process runner does.

        Returns ``"peak": null`` when the call raises; the rounds have recorded that failure.
        """
        entry = self._loaded_entry()
        already_tracing = tracemalloc.is_tracing()
        if not already_tracing:
            tracemalloc.start()
        try:
            gc.collect()
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            if self.is_async:
                self._event_loop().run_until_complete(_time_async(entry, self.args, self.kwargs, 1))
            else:
                _time_sync(entry, self.args, self.kwargs, 1)
            _, peak = tracemalloc.get_traced_memory()
        except Exception:  # noqa: BLE001 - user code may raise anything
            return {"peak": None, "rss_growth": None}
        finally:
            if not already_tracing:
                tracemalloc.stop()
        return {"peak": max(0, peak - before), "rss_growth": self._rss_growth(entry)}

    def _rss_growth(self, entry: Any) -> int | None:
        """Measure how much the resident set grows during one more call, from /proc."""
        gc.collect()
        before = _resident_set_size()
        if before is None:
            return None
        try:
            if self.is_async:
                self._event_loop().run_until_complete(_time_async(entry, self.args, self.kwargs, 1))
            else:
                _time_sync(entry, self.args, self.kwargs, 1)
        except Exception:  # noqa: BLE001 - user code may raise anything
            return None
        after = _resident_set_size()
        return None if after is None else max(0, after - before)

    def describe_error(self, error: BaseException) -> dict[str, str]:
        """Describe an exception of the user code: type name, message and traceback text."""
        try:
            message = str(error)
        except Exception:  # noqa: BLE001 - a broken __str__ must not break the reply
            message = f"<{type(error).__qualname__} with a message that could not be shown>"
        try:
            text = "".join(traceback.format_exception(type(error), error, self._user_frames(error)))
        except Exception:  # noqa: BLE001 - formatting must not break the reply
            text = ""
        return {"type": type(error).__qualname__, "message": message, "traceback": text}

    def _user_frames(self, error: BaseException) -> types.TracebackType | None:
        """Skip the harness and asyncio frames before the first frame of the user code."""
        first = error.__traceback__
        tb = first
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.filename:
                return tb
            tb = tb.tb_next
        while first is not None and first.tb_frame.f_code.co_filename == HARNESS_FILE:
            first = first.tb_next
        return first

    def _loaded_entry(self) -> Any:
        if self.entry is None:
            raise RequestError("no code is loaded; send a start request first")
        return self.entry

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        # One loop for the worker's whole life, as the in-process runner uses one loop per
        # benchmark.
        if self.loop is None:
            import asyncio  # imported here: it takes about 40 ms, and most code is not async

            self.loop = asyncio.new_event_loop()
        return self.loop


def _safe_full_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ of user code must not break a reply
        return f"<{type(value).__qualname__} object>"


async def _await(awaitable: Any) -> Any:
    return await awaitable


# These two loops mirror _time_sync and _time_async of pytest_statbench/measure/timing.py, with
# one difference: CPU time is read from the calling thread's clock (thread_time_ns), not the
# process clock. A finite RLIMIT_CPU makes Linux serve the process clock from a total that is
# updated only at scheduler ticks, so process_time_ns reported about 10 us for 1 ms of CPU work
# in a worker. The thread clock stays exact.
# NOTE: CPU time that user code spends in other threads is therefore not counted.


def _time_sync(
    function: Any, args: list[Any], kwargs: dict[str, Any], loops: int
) -> tuple[int, int]:
    repeat = itertools.repeat(None, loops)
    cpu_start = time.thread_time_ns()
    start = time.perf_counter_ns()
    for _ in repeat:
        function(*args, **kwargs)
    end = time.perf_counter_ns()
    cpu_end = time.thread_time_ns()
    return end - start, cpu_end - cpu_start


async def _time_async(
    function: Any, args: list[Any], kwargs: dict[str, Any], loops: int
) -> tuple[int, int]:
    repeat = itertools.repeat(None, loops)
    cpu_start = time.thread_time_ns()
    start = time.perf_counter_ns()
    for _ in repeat:
        await function(*args, **kwargs)
    end = time.perf_counter_ns()
    cpu_end = time.thread_time_ns()
    return end - start, cpu_end - cpu_start


# Modes.


def serve(worker: Worker, request_fd: int, reply_fd: int) -> int:
    """Handle requests from ``request_fd`` and reply on ``reply_fd`` until end of input or exit."""
    # Processes that the user code starts with exec must not inherit the channel.
    os.set_inheritable(request_fd, False)
    os.set_inheritable(reply_fd, False)
    requests = open(request_fd, "rb", closefd=True)  # noqa: SIM115 - open for the worker's life
    for line in requests:
        try:
            request = json.loads(line)
        except ValueError as error:
            reply: dict[str, Any] = {"id": None, "ok": False, "fatal": f"invalid JSON: {error}"}
        else:
            if isinstance(request, dict) and request.get("op") == "exit":
                return 0
            reply = worker.handle(request)
        if os.getpid() != worker.owner_pid:
            os._exit(0)
        _flush_user_output()
        _write_all(reply_fd, _encode_reply(reply))
    return 0


def batch(worker: Worker, request_path: str, result_dir: str, token: str) -> int:
    """Handle the requests of one file and write the replies to ``result-TOKEN.json``."""
    with open(request_path, encoding="utf-8") as file:
        document = json.load(file)
    requests = document.get("requests") if isinstance(document, dict) else None
    if not isinstance(requests, list):
        raise SystemExit(f"{request_path}: expected an object with a list 'requests'")

    replies = []
    for request in requests:
        if isinstance(request, dict) and request.get("op") == "exit":
            break
        reply = worker.handle(request)
        if os.getpid() != worker.owner_pid:
            os._exit(0)
        replies.append(json.loads(_encode_reply(reply)))
    _flush_user_output()

    final_path = os.path.join(result_dir, f"result-{token}.json")
    temporary_path = os.path.join(result_dir, f".result-{token}.tmp")
    with open(temporary_path, "w", encoding="ascii") as file:
        json.dump({"replies": replies}, file, ensure_ascii=True)
    os.replace(temporary_path, final_path)
    return 0


def _encode_reply(reply: dict[str, Any]) -> bytes:
    try:
        return encode_line(reply)
    except (TypeError, ValueError, RecursionError) as error:
        # A value that passed json_problem always encodes, so this is a bug of the harness;
        # the caller still receives a record it can parse.
        return encode_line(
            {"id": reply.get("id"), "ok": False, "fatal": f"reply could not be encoded: {error}"}
        )


def _die_with_parent() -> None:
    """Ask Linux to send SIGKILL to this process when its parent exits (PR_SET_PDEATHSIG)."""
    import ctypes

    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 is PR_SET_PDEATHSIG.
    except (OSError, AttributeError):
        return
    # The parent may have exited before the signal was armed; then it will never come.
    if os.getppid() != parent:
        os._exit(1)


def _fork_from_init(channel_fds: tuple[int, ...]) -> None:
    """Leave PID 1 of a PID namespace to a minimal init and continue as its child.

    The kernel drops signals whose action is the default, SIGXCPU included, when they are sent
    to PID 1 of a namespace, and orphans of the user code would become zombies of the worker.
    The init reaps every process and exits when the worker does: with the worker's exit status,
    or with 128 plus the signal number that killed the worker. The kernel then kills whatever
    else runs in the namespace.
    """
    worker = os.fork()
    if worker == 0:
        return
    for fd in channel_fds:
        os.close(fd)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == worker:
            if os.WIFSIGNALED(status):
                os._exit(128 + os.WTERMSIG(status))
            os._exit(os.waitstatus_to_exitcode(status))


def _redirect_output(result_dir: str, token: str) -> None:
    for fd, stream_name in ((1, "stdout"), (2, "stderr")):
        path = os.path.join(result_dir, f"{stream_name}-{token}.txt")
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)


def _parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="harness.py", description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    serve_parser = modes.add_parser("serve", help="handle requests on two pipes")
    serve_parser.add_argument("--request-fd", type=int, required=True)
    serve_parser.add_argument("--reply-fd", type=int, required=True)
    batch_parser = modes.add_parser("batch", help="handle the requests of one file")
    batch_parser.add_argument("--request", required=True, help="path of the request file")
    batch_parser.add_argument("--result-dir", required=True, help="folder of the result file")
    batch_parser.add_argument("--token", required=True, help="random token in the result name")
    for mode_parser in (serve_parser, batch_parser):
        mode_parser.add_argument("--memory", type=int, help="address-space limit in bytes")
        mode_parser.add_argument("--cpu-seconds", type=int, help="CPU-time limit in seconds")
        mode_parser.add_argument("--max-processes", type=int, help="process and thread limit")
        mode_parser.add_argument("--file-size", type=int, help="file-size limit in bytes")
        mode_parser.add_argument(
            "--output-limit", type=int, default=DEFAULT_OUTPUT_LIMIT,
            help="bytes of user output kept per stream",
        )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = _parse_arguments(sys.argv[1:] if argv is None else argv)
    if options.mode == "batch":
        if not TOKEN_PATTERN.fullmatch(options.token):
            raise SystemExit("--token must be 16 to 128 letters, digits, '-' or '_'")
        _redirect_output(options.result_dir, options.token)

    if os.getpid() == 1:
        # The death signal that the launcher set is cleared when the worker changes its uid,
        # so PID 1 of the namespace sets its own: when the launcher dies with the test
        # process, PID 1 dies, and the kernel then kills every process in the namespace.
        _die_with_parent()
        channel = (options.request_fd, options.reply_fd) if options.mode == "serve" else ()
        _fork_from_init(channel)

    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    apply_limits(
        memory=options.memory,
        cpu_seconds=options.cpu_seconds,
        max_processes=options.max_processes,
        file_size=options.file_size,
    )
    # A crash in C code prints the Python stack to the captured stderr, which the parent
    # shows when the worker dies.
    faulthandler.enable(file=2, all_threads=True)
    _capture_output(options.output_limit)
    sys.argv = ["<statbench code>"]

    worker = Worker()
    if options.mode == "serve":
        status = serve(worker, options.request_fd, options.reply_fd)
    else:
        status = batch(worker, options.request, options.result_dir, options.token)
    # os._exit, because a normal exit would wait for threads that the user code left running.
    _flush_user_output()
    os._exit(status)


def _resident_set_size() -> int | None:
    """Return this process's resident set size in bytes, or None without /proc."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            fields = statm.read().split()
    except OSError:
        return None
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


if __name__ == "__main__":
    sys.exit(main())

