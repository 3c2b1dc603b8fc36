"""Tests of the worker harness on its own: the batch mode, as a backend without pipes runs it,
the replies to malformed requests, and the cap on user output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_statbench.sandbox import harness
from pytest_statbench.sandbox.harness import CappedOutput, Worker

HARNESS = Path(harness.__file__)
TOKEN = "a1B2c3D4e5F6g7H8i9J0"

SOURCE = """
import sys
FORGED = '{"replies": [{"id": 2, "ok": true, "value": "forged"}]}'
def work(n):
    print(FORGED)
    print("to stderr", file=sys.stderr)
    return list(range(n))
"""


def run_batch(folder: Path, requests: list[dict[str, Any]], token: str = TOKEN) -> int:
    request_path = folder / "request.json"
    request_path.write_text(json.dumps({"requests": requests}), encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-s", "-P", str(HARNESS), "batch", "--request", str(request_path),
         "--result-dir", str(folder), "--token", token, "--memory", str(512 * 1024**2)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return completed.returncode


def test_batch_mode_replies_in_result_file(tmp_path: Path) -> None:
    requests = [
        {"id": 1, "op": "start", "source": SOURCE, "entry": "work", "filename": "<Code:work>",
         "args": [3], "kwargs": {}},
        {"id": 2, "op": "call"},
        {"id": 3, "op": "time", "loops": 10},
        {"id": 4, "op": "memory"},
    ]

    status = run_batch(tmp_path, requests)

    assert status == 0
    replies = json.loads((tmp_path / f"result-{TOKEN}.json").read_text())["replies"]
    assert [reply["id"] for reply in replies] == [1, 2, 3, 4]
    assert all(reply["ok"] for reply in replies)
    assert replies[0]["protocol"] == harness.PROTOCOL_VERSION
    assert replies[1]["value"] == [0, 1, 2]
    assert replies[2]["loops"] == 10
    assert replies[2]["wall_ns"] > 0
    assert replies[3]["peak"] >= 0
    assert replies[3]["rss_growth"] >= 0
    # The user output went to the capture files, not into the result: one print per call, from
    # the first call, 10 timed calls and the memory request's two calls (peak and resident set).
    stdout = (tmp_path / f"stdout-{TOKEN}.txt").read_text()
    assert stdout.count('"value": "forged"') == 13
    assert "to stderr" in (tmp_path / f"stderr-{TOKEN}.txt").read_text()
    assert not (tmp_path / f".result-{TOKEN}.tmp").exists()


def test_batch_mode_reports_user_error(tmp_path: Path) -> None:
    requests = [
        {"id": 1, "op": "start", "source": "def work():\n    return 1 / 0\n", "entry": "work",
         "filename": "<Code:work>", "args": [], "kwargs": {}},
        {"id": 2, "op": "call"},
        {"id": 3, "op": "exit"},
        {"id": 4, "op": "call"},
    ]

    assert run_batch(tmp_path, requests) == 0

    replies = json.loads((tmp_path / f"result-{TOKEN}.json").read_text())["replies"]
    assert len(replies) == 2
    assert replies[1]["ok"] is False
    assert replies[1]["error"]["type"] == "ZeroDivisionError"
    assert replies[1]["error"]["message"] == "division by zero"
    assert 'File "<Code:work>", line 2, in work' in replies[1]["error"]["traceback"]


@pytest.mark.parametrize("token", ["short", "has/slash-and-is-long-enough", "x" * 129])
def test_batch_mode_rejects_token(tmp_path: Path, token: str) -> None:
    status = run_batch(tmp_path, [], token=token)

    assert status != 0
    assert list(tmp_path.glob("result-*")) == []


# Malformed requests, handled in this process with harmless code.


@pytest.fixture
def started_worker() -> Worker:
    worker = Worker()
    reply = worker.handle(
        {"id": 1, "op": "start", "source": "def work():\n    return 7\n", "entry": "work",
         "filename": "<Code:work>", "args": [], "kwargs": {}}
    )
    assert reply["ok"] is True
    return worker


def test_unknown_operation_is_fatal(started_worker: Worker) -> None:
    assert started_worker.handle({"id": 5, "op": "explode"}) == {
        "id": 5, "ok": False, "fatal": "unknown operation 'explode'"
    }


def test_request_not_object_is_fatal() -> None:
    assert Worker().handle([1, 2]) == {
        "id": None, "ok": False, "fatal": "a request is a JSON object, got list"
    }


def test_call_before_start_is_fatal() -> None:
    assert Worker().handle({"id": 2, "op": "call"}) == {
        "id": 2, "ok": False, "fatal": "no code is loaded; send a start request first"
    }


def test_second_start_is_fatal(started_worker: Worker) -> None:
    reply = started_worker.handle({"id": 2, "op": "start", "source": "x = 1", "entry": "x"})

    assert reply["fatal"] == "the code is already loaded; start is sent once per worker"


@pytest.mark.parametrize("loops", [0, -1, 1.5, True, "10", None])
def test_invalid_loop_count_is_fatal(started_worker: Worker, loops: object) -> None:
    reply = started_worker.handle({"id": 3, "op": "time", "loops": loops})

    assert reply["ok"] is False
    assert reply["fatal"] == f"time needs loops as a positive integer, got {loops!r}"


def test_capped_output_keeps_limit() -> None:
    read_end, write_end = os.pipe()
    try:
        output = CappedOutput(write_end, limit=10)

        assert output.write(b"0123456") == 7
        assert output.write(b"789abc") == 6
        assert output.write(b"def") == 3

        os.close(write_end)
        written = os.read(read_end, 1000)
    finally:
        os.close(read_end)
    assert written == b"0123456789" + harness.TRUNCATION_MARKER
    assert output.kept_bytes == 10
    assert output.dropped_bytes == 6
