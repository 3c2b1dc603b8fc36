"""Tests of the E2B backend: the real e2b-code-interpreter SDK against the fake service.

The fake (tests/fake_e2b) listens on 127.0.0.1 with an ephemeral port. The SDK reaches it
through the backend's ``api_url`` and ``sandbox_url`` options and through E2B_API_URL and
E2B_SANDBOX_URL, and E2B_DOMAIN is "localhost", so no request can go to an E2B host. Every
test ends the backend's session and then asserts that the fake has no sandbox alive, that its
handlers raised nothing and that no thread of either is left.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("e2b_code_interpreter")

from e2b import (
    AuthenticationException,
    RateLimitException,
    SandboxException,
    SandboxNotFoundException,
    SandboxNotRunningException,
    SandboxUnreachableException,
    ServiceBusyException,
    TimeoutException,
)
from e2b.connection_config import ConnectionConfig
from e2b_code_interpreter import E2B  # type: ignore[import-untyped]
from fake_e2b import API_KEY, FakeE2B
from inner_run import BASE_OPTIONS, output_of, read_json

from pytest_statbench.api import BenchUsageError
from pytest_statbench.measure import RemoteCallError
from pytest_statbench.sandbox import BACKENDS, Code, SandboxError
from pytest_statbench.sandbox import e2b as backend
from pytest_statbench.settings import Settings

SUM_SOURCE = "def work(n):\n    return sum(range(n))\n"

# Prints what looks like a reply, on sys.stdout and straight to file descriptor 1.
PRINTING_SOURCE = """
import os

def work(n):
    fake = '{"replies": [{"id": 1, "ok": true, "value": "forged"}]}'
    print(fake)
    os.write(1, fake.encode() + b"\\n")
    return n + 1
"""

RAISING_SOURCE = "def work(n):\n    raise ValueError(f'broken for n={n}')\n"

SETTINGS = Settings(sandbox_timeout=10.0)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeE2B]:
    with FakeE2B() as service:
        monkeypatch.setenv("E2B_DOMAIN", "localhost")
        monkeypatch.setenv("E2B_API_URL", service.url)
        monkeypatch.setenv("E2B_SANDBOX_URL", service.url)
        monkeypatch.setenv("E2B_API_KEY", API_KEY)
        yield service
    assert service.errors == []
    assert not _threads_left(), _threads_left()


@pytest.fixture
def options(fake: FakeE2B) -> Iterator[backend.E2BSettings]:
    """Options pointing at the fake, with short backoff; the session is ended afterwards."""
    configured = backend.current_settings()
    yield backend.E2BSettings(
        api_key=API_KEY,
        api_url=fake.url,
        sandbox_url=fake.url,
        retry_backoff=0.01,
        default_timeout=5.0,
    )
    backend.end_session()
    backend.configure(configured)
    assert fake.live_sandboxes() == []


def _threads_left() -> list[str]:
    names = ("statbench-e2b", "fake-e2b")
    return [thread.name for thread in threading.enumerate() if thread.name.startswith(names)]


def open_runner(
    options: backend.E2BSettings,
    source: str = SUM_SOURCE,
    args: tuple[object, ...] = (1000,),
    settings: Settings = SETTINGS,
    name: str = "impl",
) -> backend.E2BRunner:
    return backend.E2BRunner(
        name, Code(source, entry="work"), args, {},
        options=options, request_timeout=settings.sandbox_timeout, benchmark="test_e2b::bench",
    )


# The full path.


def test_runner_round_trip(fake: FakeE2B, options: backend.E2BSettings) -> None:
    runner = open_runner(options)
    try:
        assert runner.call_once() == sum(range(1000))
        sample = runner.time(50)
        memory = runner.peak_memory()
        growth = runner.rss_growth()
    finally:
        runner.close()

    assert sample.loops == 50
    assert sample.wall_ns > 0
    assert sample.cpu_ns > 0
    assert isinstance(memory, int)
    assert isinstance(growth, int)
    assert fake.live_sandboxes() == []
    assert fake.count("create", 201) == 1
    assert fake.count("kill", 204) == 1
    assert fake.count("command", 200) == 3
    assert fake.count("download", 200) == 3
    harness_uploads = [r for r in fake.requests("upload") if "harness.py" in r.path]
    assert len(harness_uploads) == 1
    assert fake.count("upload", 200) == 4
    # Every request the SDK sent reached the fake: nothing else was sent.
    assert len(fake.requests()) == 1 + 4 + 3 + 3 + 1


def test_sandbox_metadata_and_template(fake: FakeE2B, options: backend.E2BSettings) -> None:
    runner = open_runner(options, name="fast")
    try:
        runner.call_once()
        sandbox = fake.sandbox(str(runner.sandbox_id))
    finally:
        runner.close()

    assert sandbox.template == "code-interpreter-v1"
    assert sandbox.metadata == {
        "statbench_session": backend.session_tag(),
        "statbench_benchmark": "test_e2b::bench",
        "statbench_implementation": "fast",
    }
    assert sandbox.idempotency_key is not None
    assert (sandbox.end_at - sandbox.started_at).total_seconds() == options.sandbox_timeout


def test_printed_reply_is_ignored(fake: FakeE2B, options: backend.E2BSettings) -> None:
    runner = open_runner(options, source=PRINTING_SOURCE, args=(41,))
    try:
        value = runner.call_once()
    finally:
        runner.close()

    assert value == 42
    assert fake.live_sandboxes() == []


def test_code_error_is_remote_call_error(fake: FakeE2B, options: backend.E2BSettings) -> None:
    runner = open_runner(options, source=RAISING_SOURCE, args=(3,))
    try:
        with pytest.raises(RemoteCallError) as raised:
            runner.call_once()
        assert runner.peak_memory() is None
    finally:
        runner.close()

    assert raised.value.type_name == "ValueError"
    assert raised.value.message == "broken for n=3"
    assert "raise ValueError" in raised.value.traceback_text
    assert fake.live_sandboxes() == []


def test_exit_without_result(fake: FakeE2B, options: backend.E2BSettings) -> None:
    source = "import os\n\ndef work(n):\n    os.write(2, b'leaving early')\n    os._exit(0)\n"
    runner = open_runner(options, source=source)
    try:
        with pytest.raises(SandboxError) as raised:
            runner.call_once()
    finally:
        runner.close()

    assert "ended the first call without writing its result" in str(raised.value)
    assert "os._exit()" in str(raised.value)
    assert "leaving early" in str(raised.value)


def test_sdk_points_at_fake(fake: FakeE2B, options: backend.E2BSettings) -> None:
    from_options = ConnectionConfig(**backend._connection_params(options, API_KEY))
    from_environment = ConnectionConfig()

    for config in (from_options, from_environment):
        assert config.api_url == fake.url
        assert config.get_sandbox_url("any", "localhost") == fake.url
    assert fake.url.startswith("http://127.0.0.1:")


# Authentication, missing key and an unreachable service.


def test_missing_key_is_usage_error(
    fake: FakeE2B, options: backend.E2BSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("E2B_API_KEY")
    keyless = backend.E2BSettings(api_url=fake.url, sandbox_url=fake.url)

    with pytest.raises(BenchUsageError, match="set the E2B_API_KEY environment variable"):
        open_runner(keyless)
    assert fake.requests() == []


def test_rejected_key_is_not_retried(fake: FakeE2B, options: backend.E2BSettings) -> None:
    wrong_key = backend.E2BSettings(
        api_key="e2b_wrong_key", api_url=fake.url, sandbox_url=fake.url, retry_backoff=0.01
    )
    runner = open_runner(wrong_key)
    try:
        with pytest.raises(SandboxError) as raised:
            runner.call_once()
        with pytest.raises(SandboxError) as again:
            runner.time(1)
    finally:
        runner.close()

    assert "E2B rejected the API key" in str(raised.value)
    assert "set E2B_API_KEY to a valid key" in str(raised.value)
    assert "e2b_wrong_key" not in str(raised.value)
    assert str(again.value) == str(raised.value)
    assert fake.count("create") == 1
    assert fake.count("create", 401) == 1


def test_forbidden_is_not_retried(fake: FakeE2B, options: backend.E2BSettings) -> None:
    fake.fail("create", 403, message="team may not use this template")
    runner = open_runner(options)
    try:
        with pytest.raises(SandboxError, match="E2B denied the creation of a sandbox"):
            runner.call_once()
    finally:
        runner.close()

    assert fake.count("create") == 1


def test_unreachable_service_message(options: backend.E2BSettings) -> None:
    with FakeE2B() as stopped:
        url = stopped.url
    unreachable = backend.E2BSettings(api_key=API_KEY, api_url=url, sandbox_url=url)
    runner = open_runner(unreachable)
    try:
        with pytest.raises(SandboxError) as raised:
            runner.call_once()
    finally:
        runner.close()

    assert f"could not connect to the E2B service at {url}" in str(raised.value)
    assert "check the network connection" in str(raised.value)


# Retries.


@pytest.mark.parametrize("status", [429, 502, 503])
def test_busy_create_is_retried(
    fake: FakeE2B, options: backend.E2BSettings, status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.fail("create", status, times=2, retry_after="0")
    caplog.set_level(logging.WARNING, logger="pytest_statbench")
    runner = open_runner(options)
    try:
        assert runner.call_once() == sum(range(1000))
    finally:
        runner.close()

    assert fake.count("create", status) == 2
    assert fake.count("create", 201) == 1
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 2
    assert "retry 2 of 3" in retries[1]


def test_busy_upload_is_retried(fake: FakeE2B, options: backend.E2BSettings) -> None:
    fake.fail("upload", 503)
    fake.fail("upload", 429)
    runner = open_runner(options)
    try:
        assert runner.call_once() == sum(range(1000))
    finally:
        runner.close()

    assert fake.count("upload", 503) == 1
    assert fake.count("upload", 429) == 1
    assert fake.count("create") == 1


def test_busy_command_is_retried(fake: FakeE2B, options: backend.E2BSettings) -> None:
    fake.fail("command", 429)
    runner = open_runner(options)
    try:
        assert runner.call_once() == sum(range(1000))
    finally:
        runner.close()

    assert fake.count("command", 429) == 1
    assert fake.count("command", 200) == 1
    assert fake.count("create") == 1


def test_retries_run_out(fake: FakeE2B, options: backend.E2BSettings) -> None:
    fake.fail("create", 503, times=4)
    runner = open_runner(options)
    try:
        with pytest.raises(SandboxError, match="after 3 retries") as raised:
            runner.call_once()
    finally:
        runner.close()

    assert "try again later" in str(raised.value)
    assert fake.count("create", 503) == 4
    assert fake.count("create", 201) == 0


def test_retry_failed_off(fake: FakeE2B, options: backend.E2BSettings) -> None:
    fake.fail("create", 429)
    no_retries = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url, retry_failed=False
    )
    runner = open_runner(no_retries)
    try:
        with pytest.raises(SandboxError, match="after 0 retries"):
            runner.call_once()
    finally:
        runner.close()

    assert fake.count("create") == 1


# Deadlines.


def test_stalled_command_hits_deadline(fake: FakeE2B, options: backend.E2BSettings) -> None:
    fake.stall_command(30)
    runner = open_runner(options, settings=Settings(sandbox_timeout=1.0))
    try:
        started = time.monotonic()
        with pytest.raises(SandboxError) as raised:
            runner.call_once()
        elapsed = time.monotonic() - started
        # Killed by the deadline, before close().
        assert fake.live_sandboxes() == []
        assert fake.count("kill", 204) == 1
        with pytest.raises(SandboxError) as again:
            runner.time(1)
    finally:
        runner.close()

    assert "within the 1 s request timeout and was killed" in str(raised.value)
    assert "raise --bench-sandbox-timeout" in str(raised.value)
    assert 1.0 <= elapsed < 3.0
    assert str(again.value) == str(raised.value)
    assert fake.count("create") == 1


def test_stalled_create_hits_deadline(fake: FakeE2B, options: backend.E2BSettings) -> None:
    fake.delay("create", 30)
    short = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url, default_timeout=1.0
    )
    runner = open_runner(short)
    try:
        started = time.monotonic()
        with pytest.raises(SandboxError, match="did not create a sandbox for 'impl' within 1 s"):
            runner.call_once()
        elapsed = time.monotonic() - started
    finally:
        runner.close()

    # The SDK alone would wait 2 s for a request_timeout of 1 s.
    assert elapsed < 1.8


def test_stalled_download_hits_deadline(fake: FakeE2B, options: backend.E2BSettings) -> None:
    fake.delay("download", 30)
    short = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url, default_timeout=1.0
    )
    runner = open_runner(short)
    try:
        with pytest.raises(SandboxError) as raised:
            runner.call_once()
        assert fake.live_sandboxes() == []
    finally:
        runner.close()

    assert "the download of the result in E2B sandbox" in str(raised.value)
    assert "timed out after 1 s and the sandbox was killed" in str(raised.value)
    assert fake.count("kill", 204) == 1


def test_sdk_timeouts_as_documented(fake: FakeE2B, options: backend.E2BSettings) -> None:
    """The SDK behaviour that e2b.py works around, measured with e2b 2.63.0 on CPython 3.11."""

    async def measure() -> tuple[float, float]:
        client = E2B(api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url, retries=0)
        fake.delay("create", 30)
        started = time.monotonic()
        with pytest.raises(Exception, match="timed out"):
            await client.AsyncSandbox.create(request_timeout=0.5)
        create_seconds = time.monotonic() - started

        sandbox = await client.AsyncSandbox.create()
        try:
            fake.stall_command(2.0)
            started = time.monotonic()
            await sandbox.commands.run("true", timeout=0.5)
            command_seconds = time.monotonic() - started
        finally:
            await sandbox.kill()
        return create_seconds, command_seconds

    create_seconds, command_seconds = asyncio.run(measure())

    # request_timeout=0.5 gives up after twice that.
    assert 0.9 <= create_seconds < 1.5
    # timeout=0.5 does not end a command that stalls after it started.
    assert command_seconds >= 2.0


# Vanishing sandboxes.


def test_vanished_sandbox_is_replaced(
    fake: FakeE2B, options: backend.E2BSettings, caplog: pytest.LogCaptureFixture
) -> None:
    fake.vanish_during_command()
    caplog.set_level(logging.WARNING, logger="pytest_statbench")
    runner = open_runner(options)
    try:
        assert runner.call_once() == sum(range(1000))
        first_id = fake.requests("create")[0].sandbox_id
        assert runner.sandbox_id != first_id
        assert runner.time(5).loops == 5
    finally:
        runner.close()

    assert fake.count("create", 201) == 2
    assert fake.count("command", 200) == 3
    assert fake.live_sandboxes() == []
    assert any(f"{first_id} of 'impl' vanished" in r.getMessage() for r in caplog.records)


def test_vanished_twice_fails(fake: FakeE2B, options: backend.E2BSettings) -> None:
    fake.vanish_during_command(times=2)
    runner = open_runner(options)
    try:
        with pytest.raises(SandboxError, match="vanished twice during the first call"):
            runner.call_once()
    finally:
        runner.close()

    assert fake.count("create", 201) == 2
    assert fake.live_sandboxes() == []


# Cleanup, lifetime and concurrency.


def test_sweep_kills_session_sandboxes(fake: FakeE2B, options: backend.E2BSettings) -> None:
    cleanup_off = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url, cleanup_sandboxes=False
    )
    runner = open_runner(cleanup_off)
    runner.call_once()
    runner.close()
    tag = backend.session_tag()
    # With cleanup off, ending the session leaves the sandbox to its lifetime.
    backend.end_session()
    ours = str(runner.sandbox_id)
    assert fake.live_sandboxes() == [ours]
    other, _ = fake.create_sandbox({"metadata": {"statbench_session": "another"}}, None)

    killed = backend.sweep(tag, cleanup_off)

    assert killed == 1
    assert fake.live_sandboxes() == [other.sandbox_id]
    assert fake.count("list", 200) == 1
    assert not _threads_left() or _threads_left() == ["fake-e2b"]
    fake.kill_sandbox(other.sandbox_id)


def test_end_session_sweeps(fake: FakeE2B, options: backend.E2BSettings) -> None:
    backend.configure(options)
    runner = open_runner(options)
    runner.call_once()
    tag = backend.session_tag()

    backend.end_session()

    assert fake.live_sandboxes() == []
    assert fake.count("list", 200) == 1
    assert backend.session_tag() != tag


def test_lifetime_is_extended(fake: FakeE2B, options: backend.E2BSettings) -> None:
    short_lived = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url, sandbox_timeout=2
    )
    runner = open_runner(short_lived)
    try:
        runner.call_once()
        time.sleep(1.1)
        runner.time(1)
        runner.time(1)
    finally:
        runner.close()

    assert fake.count("set_timeout", 204) == 1


def test_slot_limit_rejects_extra(fake: FakeE2B, options: backend.E2BSettings) -> None:
    one_slot = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url,
        max_concurrent=1, slot_timeout=0.5,
    )
    first = open_runner(one_slot)
    second = open_runner(one_slot)
    try:
        first.call_once()
        with pytest.raises(SandboxError, match="no E2B sandbox slot was free"):
            second.call_once()
    finally:
        first.close()
        second.close()
    third = open_runner(one_slot)
    try:
        assert third.call_once() == sum(range(1000))
    finally:
        third.close()

    assert fake.peak_live == 1
    assert fake.count("create", 201) == 2


def test_slot_limit_bounds_live(fake: FakeE2B, options: backend.E2BSettings) -> None:
    two_slots = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url, max_concurrent=2
    )
    values: list[object] = []

    def measure() -> None:
        runner = open_runner(two_slots)
        try:
            values.append(runner.call_once())
        finally:
            runner.close()

    threads = [threading.Thread(target=measure) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert values == [sum(range(1000))] * 5
    assert fake.peak_live == 2
    assert fake.count("create", 201) == 5


# Error classification.


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (AuthenticationException("401: Unauthorized"), "auth"),
        (SandboxException("403: forbidden", status_code=403), "auth"),
        (RateLimitException("429: Rate limit exceeded"), "transient"),  # type: ignore[no-untyped-call]
        (ServiceBusyException("503: Service temporarily unavailable"), "transient"),
        (SandboxException("502: bad gateway", status_code=502), "transient"),
        (SandboxException("503: injected failure"), "transient"),
        (SandboxUnreachableException("could not be reached"), "transient"),
        (SandboxNotRunningException("was not found"), "vanished"),
        (SandboxNotFoundException("Sandbox x not found"), "vanished"),
        (ConnectionRefusedError("refused"), "unreachable"),
        (TimeoutException("Request timed out"), "timeout"),
        (SandboxException("500: internal error", status_code=500), "other"),
    ],
)
def test_classify_sdk_errors(error: BaseException, kind: str) -> None:
    assert backend._classify(error) == kind


# The cache.


def test_cache_hit_skips_sandbox(
    fake: FakeE2B, options: backend.E2BSettings, tmp_path: Path
) -> None:
    cached = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url,
        cache_results=True, cache_dir=tmp_path,
    )
    first = open_runner(cached)
    try:
        value = first.call_once()
        sample = first.time(10)
    finally:
        first.close()
    files = list((tmp_path / "e2b").glob("*.json"))
    assert len(files) == 1

    second = open_runner(cached)
    try:
        assert second.call_once() == value
        assert second.time(10) == sample
    finally:
        second.close()

    assert fake.count("create") == 1
    assert second.sandbox_id is None


def test_cache_miss_measures_live(
    fake: FakeE2B, options: backend.E2BSettings, tmp_path: Path
) -> None:
    cached = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url,
        cache_results=True, cache_dir=tmp_path,
    )
    first = open_runner(cached)
    try:
        first.call_once()
    finally:
        first.close()

    other_arguments = open_runner(cached, args=(7,))
    try:
        assert other_arguments.call_once() == sum(range(7))
    finally:
        other_arguments.close()
    diverging = open_runner(cached)
    try:
        diverging.call_once()
        assert diverging.time(3).loops == 3
    finally:
        diverging.close()

    assert fake.count("create", 201) == 3
    assert len(list((tmp_path / "e2b").glob("*.json"))) == 2


def test_cache_expires(fake: FakeE2B, options: backend.E2BSettings, tmp_path: Path) -> None:
    cached = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url,
        cache_results=True, cache_dir=tmp_path, cache_ttl_hours=1.0,
    )
    first = open_runner(cached)
    try:
        first.call_once()
    finally:
        first.close()
    (path,) = (tmp_path / "e2b").glob("*.json")
    document = json.loads(path.read_text())
    document["created"] -= 2 * 3600
    path.write_text(json.dumps(document))

    second = open_runner(cached)
    try:
        second.call_once()
    finally:
        second.close()

    assert fake.count("create", 201) == 2


def test_cache_needs_folder() -> None:
    with pytest.raises(BenchUsageError, match="cache_results needs cache_dir"):
        backend.E2BSettings(cache_results=True)


# The plugin, end to end.


def test_pytest_bench_runs_on_e2b(
    pytester: pytest.Pytester,
    fake: FakeE2B,
    options: backend.E2BSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(BACKENDS, "e2b", "pytest_statbench.sandbox.e2b")
    backend.configure(options)
    pytester.makepyfile(
        test_remote="""
        from pytest_statbench import compare
        from pytest_statbench.sandbox import Code

        FAST = Code("def work(n):\\n    return sum(range(10))\\n", entry="work")
        SLOW = Code("def work(n):\\n    return sum(range(n * 20))\\n", entry="work")

        @compare(fast=FAST, slow=SLOW, baseline="slow")
        def test_code(bench, impl):
            assert bench(impl, 1000) in (45, sum(range(20000)))
        """
    )

    result = pytester.runpytest(
        "-p", "no:benchmark", *BASE_OPTIONS, "--bench", "--bench-sandbox=e2b",
        "--bench-rounds=10", "--bench-min-sample-time=1ms", "--bench-warmup-time=1ms",
        "--bench-json=out.json",
    )

    assert result.ret == 0, output_of(result)
    document = read_json(pytester.path / "out.json")
    (benchmark,) = document["benchmarks"]
    names = sorted(implementation["name"] for implementation in benchmark["implementations"])
    assert names == ["fast", "slow"]
    assert fake.count("create", 201) == 2
    assert fake.count("kill", 204) == 2
    assert fake.live_sandboxes() == []
