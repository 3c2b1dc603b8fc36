"""The ``statbench`` command: compare stored runs, render reports, import results, run A/B.

The command exits 0 when it ran and its gate passed, and 1 when the gate failed. It exits 2
when it could not run: after a usage error, a file that cannot be read or written, or a pytest
run of ``statbench ab`` that failed or wrote no results.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .imports import SOURCES, ImportFormatError, import_file
from .results import dumps_run, write_atomic
from .schema import RunFileError
from .settings import (
    DEFAULT_ALPHA,
    DEFAULT_MARGIN,
    DEFAULT_RESAMPLES,
    FAIL_ON,
    REFERENCES,
    new_seed,
    parse_alpha,
    parse_margin,
    parse_positive_int,
    parse_resamples,
    parse_seed,
)
from .storage import (
    DEFAULT_STORAGE_DIR,
    StorageError,
    load_run_file,
    resolve_baseline,
    save_run,
    stored_run_path,
    stored_runs,
)

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2

# pytest exit codes after which a run's results file is used: all tests passed, some failed
# (a benchmark's expectation or a session gate), or no tests were collected.
ACCEPTED_PYTEST_EXIT_CODES = (0, 1, 5)
# Lines of pytest's output shown when a run of statbench ab fails.
OUTPUT_TAIL_LINES = 30


class CommandError(Exception):
    """A step of a command failed; the message names the step, the cause and the next step."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the statbench command with argv (default: the process arguments); return the status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    pytest_args: list[str] = []
    if "--" in arguments:
        split = arguments.index("--")
        arguments, pytest_args = arguments[:split], arguments[split + 1:]
    parser = build_parser()
    try:
        options = parser.parse_args(arguments)
    except SystemExit as exit_request:
        # argparse exits 2 for a usage error and 0 after --help or --version.
        return int(exit_request.code or 0)
    if pytest_args and options.command != "ab":
        return _usage_error(
            f"only statbench ab passes arguments after -- to pytest, not statbench "
            f"{options.command}"
        )

    out = sys.stdout
    try:
        if options.command == "ab":
            return run_ab(options, pytest_args, out)
        command: Callable[[argparse.Namespace, TextIO], int] = COMMANDS[options.command]
        return command(options, out)
    except (CommandError, StorageError, RunFileError, ImportFormatError) as error:
        return _usage_error(str(error))
    except BrokenPipeError:
        # The reader of the output went away, as `statbench compare ... | head` does. Output
        # that Python flushes at exit goes to /dev/null, so no second error is printed.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_USAGE


def _usage_error(message: str) -> int:
    print(f"statbench: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _argument_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Wrap a settings parser so argparse shows its ValueError message."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the statbench command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="statbench",
        description="Compare pytest-statbench runs, render their reports, import results of "
        "other tools and compare two git revisions on one machine.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compare = commands.add_parser(
        "compare", help="compare a new run with an old one",
        description="Compare each implementation of NEW with the same implementation in OLD, "
        "benchmark by benchmark and metric by metric, and fail on regressions.",
    )
    compare.add_argument("old", metavar="OLD", help="stored run name or results file of the "
                         "old run (the baseline)")
    compare.add_argument("new", metavar="NEW", help="stored run name or results file of the "
                         "new run")
    _add_storage_option(compare)
    _add_comparison_options(compare)
    compare.add_argument("--md", metavar="PATH", help="also write the comparison as Markdown")

    report = commands.add_parser(
        "report", help="render reports of a saved run",
        description="Render the HTML, Markdown or CSV report of a saved run.",
    )
    report.add_argument("run", metavar="RUN", help="stored run name or results file")
    _add_storage_option(report)
    report.add_argument("--html", metavar="PATH", help="write the HTML report")
    report.add_argument("--md", metavar="PATH", help="write the Markdown summary")
    report.add_argument("--csv", metavar="PATH", help="write one CSV row per comparison")
    report.add_argument("--samples-csv", metavar="PATH", help="write one CSV row per sample")

    import_ = commands.add_parser(
        "import", help="import pytest-benchmark or pyperf results",
        description="Convert a pytest-benchmark or pyperf JSON file into a run. Raw samples "
        "are imported; a file with summary statistics only gives insufficient-data "
        "comparisons.",
    )
    import_.add_argument("file", metavar="FILE", help="the JSON file of the other tool")
    import_.add_argument("--from", dest="source", choices=SOURCES,
                         help="the tool that wrote FILE (default: recognised from its fields)")
    import_.add_argument("--output", "-o", required=True, metavar="RUN.json",
                         help="path of the run to write")

    save = commands.add_parser(
        "save", help="store a run under a name",
        description="Copy a results file into the storage folder as NAME.json, so that "
        "compare and report accept NAME.",
    )
    save.add_argument("run", metavar="RUN.json", help="results file written by --bench-json")
    save.add_argument("name", metavar="NAME", help="name of the stored run, such as main")
    _add_storage_option(save)

    list_ = commands.add_parser("list", help="list the stored runs")
    _add_storage_option(list_)

    ab = commands.add_parser(
        "ab", help="compare two git revisions on this machine",
        usage="statbench ab --base REV --head REV [options] [-- PYTEST_ARGS ...]",
        description="Check out both revisions as git worktrees in a temporary folder, "
        "alternate pytest --bench runs between them (base, head, base, head, ...), merge "
        "the samples of each side and compare head against base. Arguments after -- go to "
        "each pytest run, which runs in the same subfolder of the worktree as the current "
        "folder of the repository.",
    )
    ab.add_argument("--base", required=True, metavar="REV", help="the revision to compare "
                    "against, such as origin/main")
    ab.add_argument("--head", required=True, metavar="REV", help="the revision to judge, "
                    "such as HEAD")
    ab.add_argument("--runs", type=_argument_type(parse_positive_int), default=3,
                    help="pytest runs per revision, alternated (default 3)")
    ab.add_argument("--seed", type=_argument_type(parse_seed), default=None,
                    help="seed of the runs (run i gets seed + i) and of the bootstrap "
                    "(default: drawn at random and printed)")
    ab.add_argument("--prepare", metavar="COMMAND",
                    help="shell command run in each worktree before the runs, such as a build "
                    "step of a compiled extension")
    ab.add_argument("--output-dir", metavar="DIR",
                    help="write base.json, head.json, head.html and comparison.md here")
    _add_comparison_options(ab, with_seed=False)
    return parser


def _add_storage_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--storage", default=DEFAULT_STORAGE_DIR, metavar="DIR",
                        help=f"folder of the stored runs (default {DEFAULT_STORAGE_DIR})")


def _add_comparison_options(parser: argparse.ArgumentParser, *, with_seed: bool = True) -> None:
    parser.add_argument("--margin", type=_argument_type(parse_margin), default=DEFAULT_MARGIN,
                        help=f"relative margin of the verdicts, as 0.05 or 5%% "
                        f"(default {DEFAULT_MARGIN:g})")
    parser.add_argument("--alpha", type=_argument_type(parse_alpha), default=DEFAULT_ALPHA,
                        help=f"significance level; intervals are at 1 - alpha "
                        f"(default {DEFAULT_ALPHA:g})")
    parser.add_argument("--resamples", type=_argument_type(parse_resamples),
                        default=DEFAULT_RESAMPLES,
                        help=f"bootstrap resamples per interval (default {DEFAULT_RESAMPLES})")
    if with_seed:
        parser.add_argument("--seed", type=_argument_type(parse_seed), default=0,
                            help="seed of the bootstrap (default 0, so output repeats)")
    parser.add_argument("--fail-on", choices=FAIL_ON, default="regression", type=str.lower,
                        help="exit 1 on any regression (default), on any regression or "
                        "improvement (any-change), or never")
    parser.add_argument("--reference", choices=REFERENCES, default="baseline", type=str.lower,
                        help="compare time and CPU time relative to each benchmark's "
                        "baseline in the same round, which cancels a change of the machine's "
                        "speed between runs (baseline, the default), or as measured (none)")


# compare, report, import, save, list.


def command_compare(options: argparse.Namespace, out: TextIO) -> int:
    from .report.runcomparison import render_lines, render_markdown
    from .runcompare import compare_runs

    old_path = resolve_baseline(options.old, options.storage)
    new_path = resolve_baseline(options.new, options.storage)
    comparison = compare_runs(
        load_run_file(old_path),
        load_run_file(new_path),
        margin=options.margin,
        alpha=options.alpha,
        resamples=options.resamples,
        seed=options.seed,
        fail_on=options.fail_on,
        reference=options.reference,
        old_label=str(options.old),
        new_label=str(options.new),
    )
    for line in render_lines(comparison):
        print(line, file=out)
    if options.md:
        _write(options.md, render_markdown(comparison), out)
    _publish_to_github(comparison, out)
    return EXIT_OK if comparison.summary.passed else EXIT_GATE_FAILED


def command_report(options: argparse.Namespace, out: TextIO) -> int:
    targets = [
        (options.html, "--html", "pytest_statbench.report.html", "render_html"),
        (options.md, "--md", "pytest_statbench.report.markdown", "markdown_summary"),
        (options.csv, "--csv", "pytest_statbench.report.csvreport", "comparisons_csv"),
        (options.samples_csv, "--samples-csv", "pytest_statbench.report.csvreport",
         "samples_csv"),
    ]
    chosen = [target for target in targets if target[0]]
    if not chosen:
        raise CommandError(
            "statbench report writes nothing without --html, --md, --csv or --samples-csv; "
            "name at least one output file"
        )
    run = load_run_file(resolve_baseline(options.run, options.storage))
    for path, option, module, function in chosen:
        render = _report_function(module, function, option)
        try:
            text = render(run)
        except (TypeError, ValueError) as error:
            raise CommandError(f"{option} could not render {options.run}: {error}") from error
        _write(path, text, out)
    return EXIT_OK


def _report_function(module: str, function: str, option: str) -> Callable[[Any], str]:
    """Import a report renderer only when its option is given.

    A missing renderer module then stops only the commands that need it.
    """
    import importlib

    try:
        render: Callable[[Any], str] = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as error:
        raise CommandError(
            f"{option} needs {module}.{function}, which this installation of pytest-statbench "
            f"lacks ({error}). Upgrade pytest-statbench, or leave out {option}."
        ) from error
    return render


def command_import(options: argparse.Namespace, out: TextIO) -> int:
    result = import_file(options.file, options.source)
    benchmarks = result.run["benchmarks"]
    _write(options.output, dumps_run(result.run), out)
    print(f"statbench: imported {_count(len(benchmarks), 'benchmark')} from {result.source} "
          f"file {options.file}", file=out)
    for message in result.messages:
        print(f"warning: {message}", file=out)
    return EXIT_OK


def command_save(options: argparse.Namespace, out: TextIO) -> int:
    run = load_run_file(options.run)
    try:
        path = save_run(run, options.name, options.storage)
    except OSError as error:
        target = stored_run_path(options.name, options.storage)
        raise CommandError(
            f"could not write {target}: {error.strerror or error}. Choose a writable --storage "
            f"folder."
        ) from error
    print(f"statbench: saved {options.run} as {options.name!r} in {path}", file=out)
    return EXIT_OK


def command_list(options: argparse.Namespace, out: TextIO) -> int:
    names = stored_runs(options.storage)
    if not names:
        print(f"statbench: no stored runs in {options.storage}", file=out)
        return EXIT_OK
    for name in names:
        path = stored_run_path(name, options.storage)
        try:
            run = load_run_file(path)
        except RunFileError as error:
            print(f"{name}  unreadable: {error}", file=out)
            continue
        commit = (run.get("commit") or {}).get("commit") or ""
        print(f"{name}  {run.get('created', '')}  {_count(len(run['benchmarks']), 'benchmark')}  "
              f"{commit[:12]}".rstrip(), file=out)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "compare": command_compare,
    "report": command_report,
    "import": command_import,
    "save": command_save,
    "list": command_list,
}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _write(path: str, text: str, out: TextIO) -> None:
    try:
        written = write_atomic(path, text)
    except OSError as error:
        raise CommandError(
            f"could not write {path}: {error.strerror or error}. Choose a writable path."
        ) from error
    print(f"statbench: wrote {written}", file=out)


def _publish_to_github(comparison: Any, out: TextIO) -> None:
    from .github import in_github_actions, publish_comparison

    if not in_github_actions(os.environ):
        return
    try:
        done = publish_comparison(comparison, os.environ, out)
    except OSError as error:
        # The comparison is already printed; a job summary that cannot be written is reported
        # without hiding the gate's exit status.
        print(f"statbench: could not write the GitHub Actions outputs: {error}", file=sys.stderr)
        return
    for line in done:
        print(f"statbench: {line}", file=out)


# statbench ab.


@dataclass(frozen=True)
class Side:
    """One revision of an A/B run: its name, the revision given, its commit and worktree."""

    name: str
    revision: str
    commit: str
    worktree: Path


def run_ab(options: argparse.Namespace, pytest_args: list[str], out: TextIO) -> int:
    """Measure two revisions in alternating pytest runs and compare head against base."""
    from .report.runcomparison import render_lines, render_markdown
    from .runcompare import compare_runs, merge_runs

    _check_pytest_args(pytest_args)
    cwd = Path.cwd().resolve()
    repository = Path(_git(cwd, "rev-parse", "--show-toplevel", purpose="find the repository "
                           "of the current folder")).resolve()
    subfolder = cwd.relative_to(repository)
    base_commit = _commit(repository, options.base)
    head_commit = _commit(repository, options.head)
    seed = new_seed() if options.seed is None else options.seed
    print(f"statbench ab: base {options.base} ({base_commit[:12]}), head {options.head} "
          f"({head_commit[:12]}), {options.runs} runs each, seed {seed} (repeat with "
          f"--seed {seed})", file=out)

    runs: dict[str, list[dict[str, Any]]] = {"base": [], "head": []}
    with tempfile.TemporaryDirectory(prefix="statbench-ab-") as temporary:
        folder = Path(temporary)
        sides: list[Side] = []
        try:
            for name, revision, commit in (("base", options.base, base_commit),
                                           ("head", options.head, head_commit)):
                worktree = folder / name
                _git(repository, "worktree", "add", "--detach", "--quiet", str(worktree), commit,
                     purpose=f"check out {name} revision {revision}")
                sides.append(Side(name, revision, commit, worktree))
            if options.prepare:
                for side in sides:
                    _prepare(side, options.prepare)
            for index in range(options.runs):
                for side in sides:
                    runs[side.name].append(_run_pytest(
                        side, index, options.runs, seed + index, subfolder, pytest_args,
                        folder, out,
                    ))
        finally:
            for side in reversed(sides):
                _remove_worktree(repository, side.worktree)

    merged = {}
    for side in sides:
        merged[side.name] = merge_runs(runs[side.name], seed=seed)
        merged[side.name]["commit"] = {
            "commit": side.commit, "branch": None, "dirty": False, "ref": side.revision,
        }
    comparison = compare_runs(
        merged["base"],
        merged["head"],
        margin=options.margin,
        alpha=options.alpha,
        resamples=options.resamples,
        seed=seed,
        fail_on=options.fail_on,
        reference=options.reference,
        old_label=f"base {options.base}",
        new_label=f"head {options.head}",
    )
    print(file=out)
    for line in render_lines(comparison):
        print(line, file=out)
    if options.output_dir:
        _write_ab_outputs(Path(options.output_dir), merged, render_markdown(comparison), out)
    _publish_to_github(comparison, out)
    return EXIT_OK if comparison.summary.passed else EXIT_GATE_FAILED


def _check_pytest_args(pytest_args: list[str]) -> None:
    for argument in pytest_args:
        if argument == "--bench-json" or argument.startswith("--bench-json="):
            raise CommandError(
                "statbench ab sets --bench-json for each pytest run itself; remove it from the "
                "arguments after --, and use --output-dir to keep the merged runs"
            )


def _git(cwd: Path, *args: str, purpose: str) -> str:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, encoding="utf-8", errors="replace",
            check=False,
        )
    except FileNotFoundError as error:
        raise CommandError(f"could not {purpose}: git is not installed or not on PATH") from error
    if completed.returncode != 0:
        detail = completed.stderr.strip() or completed.stdout.strip()
        raise CommandError(f"could not {purpose}: git {' '.join(args)} failed: {detail}")
    return completed.stdout.strip()


def _commit(repository: Path, revision: str) -> str:
    try:
        return _git(repository, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}",
                    purpose=f"find revision {revision!r}")
    except CommandError:
        raise CommandError(
            f"revision {revision!r} is not a commit of the repository {repository}. Pass a "
            f"branch, tag or commit that git rev-parse accepts, and fetch it first if it is "
            f"remote (actions/checkout needs fetch-depth: 0)."
        ) from None


def _prepare(side: Side, command: str) -> None:
    completed = subprocess.run(
        command, shell=True, cwd=side.worktree, capture_output=True, encoding="utf-8",
        errors="replace", check=False,
    )
    if completed.returncode != 0:
        raise CommandError(
            f"--prepare failed in the {side.name} worktree ({side.revision}) with exit code "
            f"{completed.returncode}:\n{_tail(completed.stdout + completed.stderr)}"
        )


def _run_pytest(
    side: Side,
    index: int,
    total: int,
    seed: int,
    subfolder: Path,
    pytest_args: list[str],
    folder: Path,
    out: TextIO,
) -> dict[str, Any]:
    """Run pytest --bench once in a worktree and return the run it wrote."""
    json_path = folder / "runs" / f"{side.name}-{index + 1}.json"
    seed_given = any(argument.startswith("--bench-seed") for argument in pytest_args)
    seed_args = [] if seed_given else [f"--bench-seed={seed}"]
    command = [sys.executable, "-m", "pytest", "--bench", f"--bench-json={json_path}",
               *seed_args, *pytest_args]

    cwd = side.worktree / subfolder
    if not cwd.is_dir():
        raise CommandError(
            f"the folder {subfolder} does not exist at the {side.name} revision "
            f"{side.revision}; run statbench ab from a folder that both revisions have"
        )
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=cwd, env=_worktree_environment(side.worktree), capture_output=True,
        encoding="utf-8", errors="replace", check=False,
    )
    elapsed = time.monotonic() - started

    output = completed.stdout + completed.stderr
    if completed.returncode not in ACCEPTED_PYTEST_EXIT_CODES:
        raise CommandError(
            f"pytest failed in the {side.name} worktree ({side.revision}) with exit code "
            f"{completed.returncode}. Its output ends with:\n{_tail(output)}"
        )
    if not json_path.is_file():
        raise CommandError(
            f"pytest exited with code {completed.returncode} in the {side.name} worktree "
            f"({side.revision}) but wrote no results file. Check that pytest-statbench is "
            f"installed there and not disabled with -p no:statbench. Its output ends with:\n"
            f"{_tail(output)}"
        )

    outcome = _last_line(output)
    print(f"statbench ab: run {index + 1} of {total}, {side.name}: {outcome} "
          f"({elapsed:.1f} s)", file=out)
    if completed.returncode != 0:
        print(f"warning: pytest exited with code {completed.returncode} in {side.name} run "
              f"{index + 1}, because a test or a session gate of that run failed. Its samples "
              f"are still used.", file=out)
    return load_run_file(json_path)


def _worktree_environment(worktree: Path) -> dict[str, str]:
    """Return the environment of a pytest run that imports the worktree's code first.

    The project may be installed in editable mode from the main checkout. Entries of
    PYTHONPATH come before site-packages and before the import hooks of editable installs, so
    the worktree's ``src`` folder (when it has one) and its root win.
    """
    environment = dict(os.environ)
    # Each run is one half of a comparison: only the comparison goes to the GitHub job, so the
    # runs must not publish summaries, outputs or annotations of their own.
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        environment.pop(name, None)
    paths = [str(worktree / "src")] if (worktree / "src").is_dir() else []
    paths.append(str(worktree))
    if environment.get("PYTHONPATH"):
        paths.append(environment["PYTHONPATH"])
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    return environment


def _remove_worktree(repository: Path, worktree: Path) -> None:
    """Remove a worktree and its record in the repository, ignoring failures.

    Cleanup runs in a finally clause, so an error here must not hide the one that ended the run.
    """
    try:
        subprocess.run(
            ["git", "worktree", "remove", "--force", "--force", str(worktree)],
            cwd=repository, capture_output=True, check=False,
        )
    except OSError:
        pass
    if worktree.exists():
        shutil.rmtree(worktree, ignore_errors=True)
    try:
        subprocess.run(["git", "worktree", "prune"], cwd=repository, capture_output=True,
                       check=False)
    except OSError:
        pass


def _write_ab_outputs(
    folder: Path, merged: dict[str, dict[str, Any]], markdown: str, out: TextIO
) -> None:
    for name, run in merged.items():
        _write(str(folder / f"{name}.json"), dumps_run(run), out)
    _write(str(folder / "comparison.md"), markdown, out)
    try:
        render_html = _report_function("pytest_statbench.report.html", "render_html", "head.html")
    except CommandError as error:
        print(f"warning: {error}", file=out)
        return
    _write(str(folder / "head.html"), render_html(merged["head"]), out)


def _tail(output: str) -> str:
    lines = output.rstrip().splitlines()[-OUTPUT_TAIL_LINES:]
    return "\n".join(f"  {line}" for line in lines)


def _last_line(output: str) -> str:
    """Return pytest's final summary line, such as "2 passed in 3.1s", without the = rules."""
    lines = [line.strip(" =") for line in output.strip().splitlines() if line.strip(" =")]
    return lines[-1] if lines else "no output"


if __name__ == "__main__":
    sys.exit(main())
