"""Tests of the local sandbox with real worker processes: normal calls, and hostile code that
each test expects the sandbox to contain.

Every runner is closed by the ``sandbox`` fixture, which then fails the test if a process of
the worker (its process group, or its sandbox uid) still runs or its directory still exists.
Hostile payloads run only where the limit they test is in force. A check that depends on how
this machine isolates a worker is skipped, with the reason, where that isolation is missing.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_statbench.measure import RemoteCallError
from pytest_statbench.sandbox import Code, SandboxError, describe_isolation, local, open_runner
from pytest_statbench.sandbox.isolation import live_processes, probe_isolation
from pytest_statbench.sandbox.local import MAX_FILE_SIZE, MAX_PROCESSES, OUTPUT_LIMIT, LocalRunner
from pytest_statbench.settings import Settings

ISOLATION = probe_isolation()

needs_network_namespace = pytest.mark.skipif(
    not ISOLATION.network_isolated, reason="this machine cannot start a network namespace"
)
needs_process_limit = pytest.mark.skipif(
    not ISOLATION.process_limit,
    reason="RLIMIT_NPROC cannot count a worker's own processes here, so a fork bomb is not run",
)
needs_separate_user = pytest.mark.skipif(
    not ISOLATION.separate_user, reason="workers run as the user of the tests (not root)"
)

# Hard limit of one test of this module, beyond the sandbox's own timeouts.
TEST_TIME_LIMIT = 30.0

OpenCode = Callable[..., LocalRunner]


class TimeLimitExceeded(Exception):
    pass


@pytest.fixture(autouse=True)
def hard_time_limit() -> Iterator[None]:
    """Fail a test that runs longer than TEST_TIME_LIMIT instead of letting it hang."""

    def interrupt(signum: int, frame: Any) -> None:
        raise TimeLimitExceeded(f"the test ran longer than {TEST_TIME_LIMIT:g} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, TEST_TIME_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def sandbox() -> Iterator[OpenCode]:
    """Open runners for source text; close them all and check that nothing of them is left."""
    runners: list[LocalRunner] = []

    def open_code(
        source: str,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        entry: str = "work",
        timeout: float = 10.0,
        memory: int = 512 * 1024**2,
    ) -> LocalRunner:
        settings = Settings(sandbox_timeout=timeout, sandbox_memory=memory)
        code = Code(textwrap.dedent(source), entry=entry)
        runner = open_runner("work", code, args, kwargs or {}, settings)
        assert isinstance(runner, LocalRunner)
        runners.append(runner)
        return runner

    yield open_code

    for runner in runners:
        runner.close()
    for runner in runners:
        leftovers = live_processes(process_group=runner.process_group, uid=runner.uid)
        assert leftovers == [], f"processes of {runner!r} survived close(): {leftovers}"
        assert not runner.directory.exists(), f"{runner.directory} survived close()"


def processes_with_marker(marker: str) -> list[int]:
    """Return the ids of running processes whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in command and state not in (b"Z", b"X"):
            found.append(int(entry))
    return found


# Normal behaviour.


def test_call_once_returns_json_value(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        def work(items, scale=1):
            return {"total": sum(items) * scale, "items": items, "none": None, "ok": True}
        """,
        ((1, 2, 3),),
        {"scale": 2.5},
    )

    value = runner.call_once()

    # The tuple argument travels as a JSON array, so it comes back as a list.
    assert value == {"total": 15.0, "items": [1, 2, 3], "none": None, "ok": True}
    assert runner.is_async is False


def test_time_returns_samples(sandbox: OpenCode) -> None:
    runner = sandbox("def work(n):\n    return sum(range(n))\n", (100,))
    runner.call_once()

    sample = runner.time(1000)

    assert sample.loops == 1000
    assert 0 < sample.wall_ns < 1_000_000_000
    assert 0 < sample.cpu_ns


def test_time_measures_inside_worker(sandbox: OpenCode) -> None:
    # Sleeping costs wall time but almost no CPU time, and the round trip to the worker is
    # not part of the sample.
    runner = sandbox("import time\ndef work():\n    time.sleep(0.01)\n")
    runner.call_once()

    sample = runner.time(5)

    assert sample.wall_ns >= 50_000_000
    assert sample.wall_ns < 1_000_000_000
    assert sample.cpu_ns < sample.wall_ns / 2


def test_async_entry_point_is_awaited(sandbox: OpenCode) -> None:
    # A coroutine that is created but not awaited would take microseconds, not 5 ms.
    runner = sandbox(
        """
        import asyncio
        async def work(delay):
            await asyncio.sleep(delay)
            return "slept"
        """,
        (0.005,),
    )

    assert runner.call_once() == "slept"
    assert runner.is_async is True
    assert runner.time(4).wall_ns >= 20_000_000


def test_async_calls_share_one_loop(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        import asyncio
        LOOPS = set()
        async def work():
            LOOPS.add(id(asyncio.get_running_loop()))
            if len(LOOPS) > 1:
                raise RuntimeError(f"awaited on {len(LOOPS)} event loops")
        """
    )

    runner.call_once()
    runner.time(3)
    runner.time(3)

    assert runner.peak_memory() is not None


def test_user_exception_becomes_remote_error(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        def work(n):
            if n > 1:
                raise ValueError(f"n is {n}")
        """,
        (5,),
    )

    with pytest.raises(RemoteCallError) as raised:
        runner.call_once()

    error = raised.value
    assert error.type_name == "ValueError"
    assert error.message == "n is 5"
    assert 'File "<Code:work>", line 4, in work' in error.traceback_text
    assert 'raise ValueError(f"n is {n}")' in error.traceback_text
    assert "harness.py" not in error.traceback_text
    assert "raised in the sandbox worker:" in error.__notes__[0]


def test_exception_in_round_keeps_worker(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        CALLS = 0
        def work():
            global CALLS
            CALLS += 1
            if CALLS == 2:
                raise KeyError("second call")
            return CALLS
        """
    )
    assert runner.call_once() == 1

    with pytest.raises(RemoteCallError, match="second call"):
        runner.time(1)

    assert runner.time(1).loops == 1


def test_system_exit_is_user_error(sandbox: OpenCode) -> None:
    runner = sandbox("import sys\ndef work():\n    sys.exit(3)\n")

    with pytest.raises(RemoteCallError) as raised:
        runner.call_once()

    assert raised.value.type_name == "SystemExit"
    assert raised.value.message == "3"


def test_syntax_error_reported_on_first_call(sandbox: OpenCode) -> None:
    runner = sandbox("def work(:\n    pass\n")

    with pytest.raises(RemoteCallError) as raised:
        runner.call_once()

    assert raised.value.type_name == "SyntaxError"
    assert "<Code:work>, line 1" in raised.value.message
    # Later requests repeat the error at once, without asking the worker again.
    started = time.monotonic()
    with pytest.raises(RemoteCallError, match="invalid syntax"):
        runner.time(10)
    assert time.monotonic() - started < 0.5
    assert runner.peak_memory() is None


def test_missing_entry_point(sandbox: OpenCode) -> None:
    runner = sandbox("def other():\n    pass\n", entry="work")

    with pytest.raises(RemoteCallError) as raised:
        runner.call_once()

    assert raised.value.type_name == "AttributeError"
    assert raised.value.message == (
        "entry point 'work' not found in the code; define def work(...) at the top level of "
        "the module"
    )


def test_entry_point_not_callable(sandbox: OpenCode) -> None:
    runner = sandbox("work = 42\n")

    with pytest.raises(RemoteCallError) as raised:
        runner.call_once()

    assert raised.value.type_name == "TypeError"
    assert raised.value.message == (
        "entry point 'work' is not callable (it is of type int); define def work(...)"
    )


def test_unencodable_return_value_comes_as_repr(
    sandbox: OpenCode, caplog: pytest.LogCaptureFixture
) -> None:
    runner = sandbox("def work():\n    return {3, 1, 2}\n")

    value = runner.call_once()

    assert value == "{1, 2, 3}"
    assert runner.notes == [
        (
            "implementation 'work': the return value is of type set: {1, 2, 3}, so its repr() "
            "was returned instead"
        )
    ]
    assert "so its repr() was returned instead" in caplog.text


def test_peak_memory_measured(sandbox: OpenCode) -> None:
    runner = sandbox("def work(n):\n    return len([object() for _ in range(n)])\n", (100_000,))
    runner.call_once()

    peak = runner.peak_memory()

    # 100,000 objects of 16 bytes plus a list of 100,000 pointers take more than 2 MB.
    assert peak is not None
    assert peak > 2_000_000


def test_close_is_idempotent(sandbox: OpenCode) -> None:
    runner = sandbox("def work():\n    return 1\n")
    runner.call_once()
    group = runner.process_group
    assert group is not None

    runner.close()
    runner.close()

    with pytest.raises(ProcessLookupError):
        os.kill(group, 0)
    assert live_processes(process_group=group, uid=runner.uid) == []
    assert not runner.directory.exists()
    with pytest.raises(SandboxError, match="is closed"):
        runner.time(1)


def test_close_without_call(sandbox: OpenCode) -> None:
    runner = sandbox("def work():\n    return 1\n")

    runner.close()

    assert not runner.directory.exists()


def test_os_exit_is_sandbox_error(sandbox: OpenCode) -> None:
    runner = sandbox("import os\ndef work():\n    os._exit(7)\n")

    with pytest.raises(SandboxError) as raised:
        runner.call_once()

    assert str(raised.value).startswith(
        "sandbox worker for 'work' exited with status 7 before replying"
    )
    started = time.monotonic()
    with pytest.raises(SandboxError, match="exited with status 7"):
        runner.time(1)
    assert time.monotonic() - started < 0.5


def test_crash_shows_stderr(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        import ctypes
        def work():
            ctypes.string_at(0)
        """
    )

    with pytest.raises(SandboxError) as raised:
        runner.call_once()

    message = str(raised.value)
    assert "crashed with SIGSEGV" in message
    # faulthandler in the worker prints the Python stack of the crash to its stderr.
    assert "Fatal Python error: Segmentation fault" in message


def test_forked_copy_does_not_reply(sandbox: OpenCode) -> None:
    # The child of a bare fork() returns into the harness; it must exit instead of replying.
    runner = sandbox("import os\ndef work():\n    os.fork()\n    return os.getpid() > 0\n")

    assert runner.call_once() is True
    assert runner.time(3).loops == 3


# Hostile code.


@needs_network_namespace
def test_network_connection_refused(sandbox: OpenCode) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        runner = sandbox(
            """
            import socket
            def work(port):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=2).close()
                except OSError as error:
                    return f"refused: {error}"
                return "connected"
            """,
            (port,),
        )

        outcome = runner.call_once()

        assert outcome.startswith("refused:"), outcome
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


def test_memory_bomb_stopped(sandbox: OpenCode) -> None:
    parent_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runner = sandbox("def work():\n    return len(bytearray(1024**3))\n", memory=256 * 1024**2)

    with pytest.raises(RemoteCallError) as raised:
        runner.call_once()

    assert raised.value.type_name == "MemoryError"
    # ru_maxrss is in KiB on Linux: the test process did not take the gigabyte.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - parent_peak < 100 * 1024


def test_growing_memory_stopped(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        def work():
            chunks = []
            while True:
                chunks.append(bytearray(16 * 1024**2))
        """,
        memory=256 * 1024**2,
    )

    # A MemoryError is the usual outcome; a worker killed by the limit is acceptable too.
    with pytest.raises((RemoteCallError, SandboxError)) as raised:
        runner.call_once()

    if isinstance(raised.value, RemoteCallError):
        assert raised.value.type_name == "MemoryError"


@needs_process_limit
def test_fork_count_capped(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        import os, time
        def work():
            started = 0
            try:
                while started < 1000:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    started += 1
            except OSError as error:
                return started, error.errno
            return started, 0
        """
    )

    started, error_number = runner.call_once()

    assert error_number == 11  # EAGAIN: RLIMIT_NPROC reached
    assert started < MAX_PROCESSES
    assert len(live_processes(uid=runner.uid)) <= MAX_PROCESSES


@needs_process_limit
def test_fork_bomb_stopped(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        import os
        def work():
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """,
        timeout=2.0,
    )
    started = time.monotonic()

    with pytest.raises(SandboxError, match="exceeded the 2 s request timeout"):
        runner.call_once()

    assert time.monotonic() - started < 10
    group = runner.process_group
    runner.close()
    assert live_processes(process_group=group, uid=runner.uid) == []


def test_infinite_loop_killed_on_timeout(sandbox: OpenCode) -> None:
    runner = sandbox("def work():\n    while True:\n        pass\n", timeout=1.0)
    started = time.monotonic()

    with pytest.raises(SandboxError) as raised:
        runner.call_once()

    assert time.monotonic() - started < 5
    assert str(raised.value) == (
        "sandbox worker for 'work' exceeded the 1 s request timeout during the first call and "
        "was killed; raise --bench-sandbox-timeout or make the call faster"
    )
    # The worker is gone before close(), and every later request fails at once.
    assert live_processes(process_group=runner.process_group, uid=runner.uid) == []
    started = time.monotonic()
    with pytest.raises(SandboxError, match="exceeded the 1 s request timeout"):
        runner.time(1)
    assert time.monotonic() - started < 0.5


def test_cpu_limit_stops_worker(sandbox: OpenCode, monkeypatch: pytest.MonkeyPatch) -> None:
    # A CPU-time limit of 1 s, reached well before the 10 s request timeout.
    monkeypatch.setattr(local, "CPU_LIMIT_MINIMUM", 1)
    monkeypatch.setattr(local, "CPU_LIMIT_FACTOR", 0.1)
    runner = sandbox("def work():\n    while True:\n        pass\n", timeout=10.0)
    started = time.monotonic()

    with pytest.raises(SandboxError) as raised:
        runner.call_once()

    assert time.monotonic() - started < 8
    assert str(raised.value).startswith(
        "sandbox worker for 'work' used up its CPU-time limit of 1 s and was stopped by SIGXCPU"
    )


@pytest.mark.parametrize("new_session", [False, True], ids=["same-group", "setsid"])
def test_grandchild_ignoring_sigterm_killed(sandbox: OpenCode, new_session: bool) -> None:
    if new_session and not (ISOLATION.pid_namespace or ISOLATION.separate_user):
        pytest.skip("without a PID namespace or a sandbox uid, setsid() escapes the group kill")
    marker = f"statbench-grandchild-{uuid.uuid4().hex}"
    runner = sandbox(
        """
        import subprocess, sys
        def work(marker, new_session):
            script = (
                "import signal, time\\n"
                "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
                "time.sleep(60)  # " + marker
            )
            subprocess.Popen([sys.executable, "-c", script], start_new_session=new_session)
            return "started"
        """,
        (marker, new_session),
    )
    assert runner.call_once() == "started"
    deadline = time.monotonic() + 5
    while not processes_with_marker(marker) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert processes_with_marker(marker), "the grandchild did not start"

    runner.close()

    assert processes_with_marker(marker) == []


def test_stdout_flood_truncated(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        import os, sys
        def work():
            line = "x" * 1023 + "\\n"
            for _ in range(20_000):
                print(line, end="")
                sys.stderr.write(line)
            os.write(1, b"raw line\\n")
            return 42
        """
    )
    stdout_path = runner.directory / "stdout.txt"

    assert runner.call_once() == 42

    # 20 MiB were printed to each stream; the worker kept 1 MiB of each and a marker line.
    size = stdout_path.stat().st_size
    assert OUTPUT_LIMIT <= size < OUTPUT_LIMIT + 1024
    assert b"[pytest-statbench: output truncated]" in stdout_path.read_bytes()
    assert (runner.directory / "stderr.txt").stat().st_size < OUTPUT_LIMIT + 1024


def test_raw_output_stops_at_file_size_limit(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        import os
        def work():
            chunk = b"y" * 1024**2
            written = 0
            try:
                while written < 100 * 1024**2:
                    written += os.write(1, chunk)
            except OSError as error:
                return written, error.errno
            return written, 0
        """
    )

    written, error_number = runner.call_once()

    assert error_number == 27  # EFBIG, not a worker killed by SIGXFSZ
    assert written == MAX_FILE_SIZE
    assert runner.time(1).loops == 1


def test_secret_variables_invisible(sandbox: OpenCode, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2B_API_KEY", "secret-value")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-value")
    monkeypatch.setenv("GITHUB_TOKEN", "secret-value")
    monkeypatch.setenv("PYTHONPATH", "/nonexistent-secret-path")
    runner = sandbox("import os\ndef work():\n    return dict(os.environ)\n")

    environment = runner.call_once()

    assert "E2B_API_KEY" not in environment
    assert "AWS_SECRET_ACCESS_KEY" not in environment
    assert "GITHUB_TOKEN" not in environment
    assert "PYTHONPATH" not in environment
    assert not [name for name, value in environment.items() if "secret" in value]
    assert environment["HOME"] == str(runner.home)
    assert environment["TMPDIR"] == str(runner.home / "tmp")
    assert environment["OPENBLAS_NUM_THREADS"] == "1"


@needs_separate_user
def test_parent_environment_unreadable(sandbox: OpenCode, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2B_API_KEY", "secret-value")
    runner = sandbox(
        """
        def work(parent):
            try:
                with open(f"/proc/{parent}/environ", "rb") as file:
                    return "read " + str(len(file.read()))
            except OSError as error:
                return type(error).__name__
        """,
        (os.getpid(),),
    )

    assert runner.call_once() == "PermissionError"


def test_forged_reply_ignored(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        import os, sys
        FORGED = '{"id": 2, "ok": true, "value": "forged", "is_async": false}\\n'
        def work():
            print(FORGED, end="", flush=True)
            sys.__stdout__.write(FORGED)
            sys.__stdout__.flush()
            os.write(1, FORGED.encode())
            os.write(2, FORGED.encode())
            return "genuine"
        """
    )

    assert runner.call_once() == "genuine"
    assert runner.time(2).loops == 2
    assert b'"value": "forged"' in (runner.directory / "stdout.txt").read_bytes()


def test_writes_to_reply_pipe_detected(sandbox: OpenCode) -> None:
    # Code that finds the reply pipe can corrupt the channel; the runner must notice and stop,
    # never take the bytes for a reply.
    runner = sandbox(
        """
        import os
        def work():
            for fd in range(3, 64):
                try:
                    os.write(fd, b"not a reply\\n")
                except OSError:
                    pass
            return "done"
        """
    )

    with pytest.raises(SandboxError, match="sent a malformed reply to the first call"):
        runner.call_once()


def test_working_directory_is_private(sandbox: OpenCode) -> None:
    runner = sandbox(
        """
        import os, tempfile
        def work():
            with open("scratch.txt", "w") as file:
                file.write("inside")
            return [os.getcwd(), os.path.expanduser("~"), tempfile.gettempdir()]
        """
    )

    cwd, home, temporary = runner.call_once()

    assert cwd == str(runner.home)
    assert home == str(runner.home)
    assert temporary == str(runner.home / "tmp")
    assert (runner.home / "scratch.txt").read_text() == "inside"


@needs_separate_user
def test_files_outside_directory_not_writable(sandbox: OpenCode, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o755)
    existing = outside / "existing.txt"
    existing.write_text("original")
    existing.chmod(0o644)
    runner = sandbox(
        """
        def work(folder, existing):
            outcomes = []
            for path, mode in ((folder + "/new.txt", "w"), (existing, "a")):
                try:
                    with open(path, mode) as file:
                        file.write("changed")
                    outcomes.append("written")
                except OSError as error:
                    outcomes.append(type(error).__name__)
            return outcomes
        """,
        (str(outside), str(existing)),
    )

    assert runner.call_once() == ["PermissionError", "PermissionError"]
    assert existing.read_text() == "original"
    assert not (outside / "new.txt").exists()


@needs_separate_user
def test_other_processes_not_signalled(sandbox: OpenCode) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        runner = sandbox(
            """
            import os, signal
            def work(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError as error:
                    return type(error).__name__
                return "killed"
            """,
            (sleeper.pid,),
        )

        outcome = runner.call_once()

        assert outcome in ("PermissionError", "ProcessLookupError")
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_describe_isolation_phrase() -> None:
    expected = (
        "local sandbox, network isolated"
        if ISOLATION.network_isolated
        else "local sandbox, network isolation unavailable"
    )

    assert describe_isolation() == expected


def test_isolation_on_root_ci() -> None:
    # CI and the development machines run as root with util-linux, where every layer works;
    # a silent fall-back there would hide a broken sandbox.
    if os.geteuid() != 0:
        pytest.skip("the full isolation is expected of root only")
    if shutil.which("unshare") is None or shutil.which("setpriv") is None:
        pytest.skip("util-linux is not installed")

    assert ISOLATION.network_isolated
    assert ISOLATION.pid_namespace
    assert ISOLATION.separate_user
    assert ISOLATION.process_limit


def _processes_in(directory: str) -> list[int]:
    """Return the processes whose working directory is inside ``directory``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            working = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if working == directory or working.startswith(directory + os.sep):
            found.append(int(entry))
    return found


def test_worker_dies_with_killed_parent(tmp_path: Path) -> None:
    # A test process killed outright (SIGKILL, or SIGTERM without cleanup) runs no close();
    # the busy worker it leaves must still die, not keep running as an orphan.
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys\n"
        "from pytest_statbench.sandbox import Code, open_runner\n"
        "from pytest_statbench.settings import Settings\n"
        "code = Code('import time\\ndef work():\\n    time.sleep(100)\\n', entry='work')\n"
        "runner = open_runner('sleepy', code, (), {}, Settings(sandbox_timeout=200.0))\n"
        "print(runner.directory, flush=True)\n"
        "runner.call_once()\n"
    )
    parent = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        directory = parent.stdout.readline().strip()
        assert directory, "the parent script did not start a worker"
        deadline = time.monotonic() + 10
        while not _processes_in(directory) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_in(directory), "no worker process runs in the sandbox directory"
        time.sleep(0.5)
    finally:
        parent.kill()
        parent.wait(timeout=10)

    deadline = time.monotonic() + 10
    while _processes_in(directory) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_in(directory) == []
    shutil.rmtree(directory, ignore_errors=True)
