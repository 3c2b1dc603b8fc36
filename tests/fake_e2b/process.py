"""The envd process service of the fake: runs commands of a sandbox as local subprocesses.

The Connect RPC protocol is served by ``ProcessWSGIApplication``, the server stub that the
e2b package generates next to the client the SDK uses (``e2b.envd.process.process_connect``,
e2b 2.63.0), so requests and streamed events have the exact wire format the SDK expects. The
fake only implements ``Start``, the call behind ``commands.run``, and ``SendSignal``.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from connectrpc.code import Code as RpcCode
from connectrpc.errors import ConnectError
from e2b.envd.process import process_connect, process_pb
from protobuf import Oneof

if TYPE_CHECKING:
    from .server import FakeE2B, FakeSandbox

# Bytes read from a command's pipes at once.
READ_SIZE = 65536


class DropConnection(BaseException):
    """Raised inside a response stream to close the connection without ending the stream.

    A BaseException, because connectrpc turns every Exception of a service into a Connect error
    message, and a vanished sandbox sends no message: its connection just breaks.
    """


class ProcessService(process_connect.ProcessSync):
    """Process service that runs ``/bin/bash -c CMD`` for a ``Start`` request in a sandbox."""

    def __init__(self, fake: FakeE2B) -> None:
        self.fake = fake
        self._lock = threading.Lock()
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    def start(
        self,
        request: process_pb.StartRequest,
        ctx: Any,
        /,
    ) -> Iterator[process_pb.StartResponse]:
        sandbox = self.fake.sandbox_of_request(ctx.request_headers.get("e2b-sandbox-id"))
        config = request.process
        if config is None:
            raise ConnectError(RpcCode.INVALID_ARGUMENT, "start request without a process")

        # The SDK sends "/bin/bash -l -c CMD". Without -l, so that a login profile of this
        # machine cannot reset PATH.
        arguments = [argument for argument in config.args if argument != "-l"]
        command = [config.cmd, *arguments]
        directory = sandbox.path(config.cwd or "/home/user")
        directory.mkdir(parents=True, exist_ok=True)
        environment = {
            # The test interpreter's folder comes first, so "python3" is the interpreter that
            # runs the tests, with the same standard library as the harness expects.
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
            "HOME": str(sandbox.path("/home/user")),
            "LANG": "C.UTF-8",
            **dict(config.envs or {}),
        }

        # The command comes from the backend under test.
        process = subprocess.Popen(
            command,
            cwd=directory,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        with self._lock:
            self._processes[process.pid] = process
        sandbox.processes.add(process)

        try:
            yield _start_event(process.pid)
            fault = self.fake.take_command_fault()
            if fault is not None and fault.kind == "stall":
                # The command hangs without output until the sandbox is killed or the stall
                # ends.
                sandbox.killed.wait(fault.seconds)
                if not sandbox.alive:
                    raise DropConnection
            if fault is not None and fault.kind == "vanish":
                self.fake.kill_sandbox(sandbox.sandbox_id)
                raise DropConnection

            yield from _stream_output(process, sandbox)
            exit_code = process.wait()
            yield _end_event(exit_code)
        finally:
            _kill(process)
            sandbox.processes.discard(process)
            with self._lock:
                self._processes.pop(process.pid, None)

    def send_signal(
        self,
        request: process_pb.SendSignalRequest,
        ctx: Any,
        /,
    ) -> process_pb.SendSignalResponse:
        self.fake.sandbox_of_request(ctx.request_headers.get("e2b-sandbox-id"))
        selector = request.process.selector if request.process is not None else None
        process = None
        if selector is not None and selector.field == "pid" and isinstance(selector.value, int):
            with self._lock:
                process = self._processes.get(selector.value)
        if process is None:
            raise ConnectError(RpcCode.NOT_FOUND, "process not found")
        _kill(process)
        return process_pb.SendSignalResponse()


def _stream_output(
    process: subprocess.Popen[bytes], sandbox: FakeSandbox
) -> Iterator[process_pb.StartResponse]:
    """Yield the command's output as data events until both pipes close."""
    assert process.stdout is not None and process.stderr is not None
    streams = {process.stdout.fileno(): "stdout", process.stderr.fileno(): "stderr"}
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        while streams:
            if not sandbox.alive:
                raise DropConnection
            for key, _ in selector.select(timeout=0.1):
                chunk = os.read(key.fd, READ_SIZE)
                if not chunk:
                    selector.unregister(key.fd)
                    del streams[key.fd]
                    continue
                yield _data_event(streams[key.fd], chunk)


# One function per event kind, because the Oneof of each kind is a type of its own.


def _start_event(pid: int) -> process_pb.StartResponse:
    start: Oneof[Literal["start"], process_pb.ProcessEvent.StartEvent] = Oneof(
        "start", process_pb.ProcessEvent.StartEvent(pid=pid)
    )
    return process_pb.StartResponse(event=process_pb.ProcessEvent(event=start))


def _data_event(stream: str, chunk: bytes) -> process_pb.StartResponse:
    if stream == "stdout":
        stdout: Oneof[Literal["stdout"], bytes] = Oneof("stdout", chunk)
        payload = process_pb.ProcessEvent.DataEvent(output=stdout)
    else:
        stderr: Oneof[Literal["stderr"], bytes] = Oneof("stderr", chunk)
        payload = process_pb.ProcessEvent.DataEvent(output=stderr)
    data: Oneof[Literal["data"], process_pb.ProcessEvent.DataEvent] = Oneof("data", payload)
    return process_pb.StartResponse(event=process_pb.ProcessEvent(event=data))


def _end_event(exit_code: int) -> process_pb.StartResponse:
    end: Oneof[Literal["end"], process_pb.ProcessEvent.EndEvent] = Oneof(
        "end",
        process_pb.ProcessEvent.EndEvent(
            exit_code=exit_code, exited=True, status=f"exit status {exit_code}"
        ),
    )
    return process_pb.StartResponse(event=process_pb.ProcessEvent(event=end))


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, 9)
        except ProcessLookupError:
            pass
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()
