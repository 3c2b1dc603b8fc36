"""Isolation of local sandbox workers: the wrappers a worker starts under, probed once.

A worker command is built from up to three wrappers, each from util-linux, in this order:

1. ``setpriv --pdeathsig KILL --nnp``: the worker chain gets SIGKILL when the thread of the test
   process that started it ends, and no program it runs can gain privileges through set-user-ID
   bits or file capabilities.
2. ``unshare --net --pid --fork --kill-child``: a new network namespace, whose only interface is
   a loopback that is down, and a new PID namespace. The harness forks there, so that PID 1 is
   a minimal init (see ``harness._fork_from_init``). When the init dies, the kernel kills every
   process in the namespace, also those that left the worker's process group with ``setsid()``.
   A user other than root also gets a user namespace (``--map-current-user``), which the kernel
   requires for the others.
3. For root only, ``setpriv --reuid=U --regid=U`` with a random unprivileged uid U per worker,
   keeping only CAP_DAC_READ_SEARCH so that an interpreter installed under a private home
   directory (such as /root/.pyenv) can still be read. RLIMIT_NPROC does not apply to root,
   and under U it counts only the worker's own processes and threads.

The probe tries the strongest combination first and keeps the first one whose test run works.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("pytest_statbench")

# Range of the random uids of sandbox workers started by root: above the ranges that
# systemd-nspawn and most distributions hand out, below 2**31 for tools that use signed ids.
SANDBOX_UID_START = 2_000_000_000
SANDBOX_UID_COUNT = 100_000_000

# Environment variables that limit the thread pools of BLAS and OpenMP libraries.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# Variables copied from the test process into the worker's environment; every other variable,
# secrets such as E2B_API_KEY, AWS_* or GITHUB_TOKEN included, is left out.
INHERITED_VARIABLES = ("PATH", "LANG", "LC_ALL", "TZ", "PYTHONHASHSEED")

# Fallback search path of the util-linux tools, for a PATH that lacks them.
SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"

PROBE_TIMEOUT = 10.0

# Run by the probe inside a candidate wrapper: reports the namespaces it landed in and whether
# RLIMIT_NPROC stops a fork.
PROBE_SOURCE = """
import json, os, resource
info = {"net": os.readlink("/proc/self/ns/net"), "pid": os.readlink("/proc/self/ns/pid")}
resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))
try:
    child = os.fork()
except OSError:
    info["fork_limited"] = True
else:
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    info["fork_limited"] = False
print(json.dumps(info))
"""


@dataclass(frozen=True)
class Isolation:
    """The wrappers a worker is started with, and what they were found to enforce."""

    setpriv: str | None
    unshare: str | None
    namespace_options: tuple[str, ...]
    separate_user: bool
    network_isolated: bool = False
    pid_namespace: bool = False
    process_limit: bool = False

    @property
    def user_namespace(self) -> bool:
        return any(option.startswith("--map-") for option in self.namespace_options)

    def command_prefix(self, uid: int | None) -> list[str]:
        """Return the argv that goes before the interpreter of a worker running as ``uid``."""
        prefix: list[str] = []
        if self.setpriv is not None:
            prefix += [self.setpriv, "--pdeathsig", "KILL", "--nnp"]
        if self.namespace_options and self.unshare is not None:
            prefix += [self.unshare, *self.namespace_options, "--"]
        if self.separate_user and self.setpriv is not None and uid is not None:
            prefix += [
                self.setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all,+dac_read_search", "--ambient-caps=+dac_read_search",
                "--bounding-set=-all,+dac_read_search",
            ]
        return prefix

    def describe(self) -> str:
        """Return the phrase of the report header."""
        if self.network_isolated:
            return "local sandbox, network isolated"
        return "local sandbox, network isolation unavailable"


def new_sandbox_uid() -> int:
    return SANDBOX_UID_START + secrets.randbelow(SANDBOX_UID_COUNT)


def worker_environment(home: Path) -> dict[str, str]:
    """Build the worker's environment from an allow-list; nothing else of this process passes."""
    environment = {name: os.environ[name] for name in INHERITED_VARIABLES if name in os.environ}
    environment.setdefault("PATH", os.defpath)
    environment["HOME"] = str(home)
    environment["TMPDIR"] = str(home / "tmp")
    # A random sandbox uid has no passwd entry, so getpass.getuser() would fail without these.
    environment["USER"] = "sandbox"
    environment["LOGNAME"] = "sandbox"
    for name in THREAD_VARIABLES:
        environment[name] = "1"
    return environment


@functools.cache
def probe_isolation() -> Isolation:
    """Find the strongest isolation that works here; the result is cached for this process."""
    own_namespaces = _own_namespaces()
    for candidate in _candidates():
        found = _probe(candidate, own_namespaces)
        if found is not None:
            logger.info(
                "sandbox isolation: network %s, PID namespace %s, separate user %s, "
                "process limit %s",
                found.network_isolated, found.pid_namespace, found.separate_user,
                found.process_limit,
            )
            return found
    # Unreachable in practice: the last candidate has no wrapper at all.
    return Isolation(None, None, (), separate_user=False)


def _candidates() -> list[Isolation]:
    search_path = f"{os.environ.get('PATH', '')}:{SYSTEM_PATH}"
    setpriv = shutil.which("setpriv", path=search_path)
    unshare = shutil.which("unshare", path=search_path)
    is_root = os.geteuid() == 0

    namespace_sets: list[tuple[str, ...]] = []
    if unshare is not None:
        namespaces = ("--net", "--pid", "--fork", "--kill-child")
        if is_root:
            namespace_sets.append(namespaces)
        else:
            # NOTE: these two candidates were never run, because our machines all run as root.
            # The probe drops a candidate that fails, and the tests skip what it cannot show.
            namespace_sets.append(("--map-current-user", *namespaces))
            namespace_sets.append(("--map-root-user", *namespaces))
    namespace_sets.append(())
    user_choices = [True, False] if is_root and setpriv is not None else [False]

    candidates = [
        Isolation(setpriv, unshare, options, separate_user)
        for options in namespace_sets
        for separate_user in user_choices
    ]
    if setpriv is not None:
        candidates.append(Isolation(None, None, (), separate_user=False))
    return candidates


def _own_namespaces() -> dict[str, str]:
    try:
        return {kind: os.readlink(f"/proc/self/ns/{kind}") for kind in ("net", "pid")}
    except OSError:
        return {}


def _probe(candidate: Isolation, own_namespaces: dict[str, str]) -> Isolation | None:
    uid = new_sandbox_uid() if candidate.separate_user else None
    command = [*candidate.command_prefix(uid), sys.executable, "-s", "-P", "-c", PROBE_SOURCE]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            timeout=PROBE_TIMEOUT,
            cwd="/",
            env=worker_environment(Path("/nonexistent")),
            start_new_session=True,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        logger.debug("sandbox probe %s failed: %s", command[:-1], error)
        return None
    if completed.returncode != 0:
        logger.debug(
            "sandbox probe %s exited with %s: %s",
            command[:-1], completed.returncode, completed.stderr.decode(errors="replace")[-500:],
        )
        return None
    try:
        info = json.loads(completed.stdout)
    except ValueError:
        return None

    network = info.get("net") != own_namespaces.get("net")
    pid_namespace = info.get("pid") != own_namespaces.get("pid")
    if candidate.namespace_options and not (network and pid_namespace):
        # The wrapper ran but did not isolate; a weaker candidate states that honestly.
        return None
    per_worker_count = candidate.separate_user or candidate.user_namespace
    return dataclasses.replace(
        candidate,
        network_isolated=network,
        pid_namespace=pid_namespace,
        process_limit=bool(info.get("fork_limited")) and per_worker_count,
    )


# The process table.


def live_processes(*, process_group: int | None = None, uid: int | None = None) -> list[int]:
    """Return the ids of processes (zombies left out) in ``process_group`` or run by ``uid``."""
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        pid = int(entry)
        fields = _stat_fields(pid)
        if fields is None or fields[0] in (b"Z", b"X", b"x"):
            continue
        in_group = process_group is not None and int(fields[2]) == process_group
        if in_group or (uid is not None and _real_uid(pid) == uid):
            found.append(pid)
    return found


def _real_uid(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    return None


def kill_processes(pids: list[int], wait: float = 2.0) -> list[int]:
    """Send SIGKILL to ``pids`` and return those still running after ``wait`` seconds."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + wait
    remaining = pids
    while remaining and time.monotonic() < deadline:
        remaining = [pid for pid in remaining if _is_running(pid)]
        if remaining:
            time.sleep(0.01)
    return remaining


def process_group_of(pid: int) -> int | None:
    """Return the process group of a running process, or None if it is gone or a zombie."""
    fields = _stat_fields(pid)
    if fields is None or fields[0] in (b"Z", b"X", b"x"):
        return None
    return int(fields[2])


def _is_running(pid: int) -> bool:
    return process_group_of(pid) is not None


def _stat_fields(pid: int) -> list[bytes] | None:
    """Return the fields of /proc/PID/stat after the command name: state, ppid, pgrp, ..."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name in brackets may contain spaces, so fields are counted after the last ")".
    return stat[stat.rindex(b")") + 2 :].split()
