"""The command line: parses arguments, runs a pipeline use case, renders, and maps errors to exit codes.

Exit codes (`EXIT_CODES`, printed by every `--help`): 0 success; 1 findings at or above `--fail-on` (by
default: an error finding, such as a file that does not parse or a handler that does not exist), an
incomplete policy under `--strict`, or output that could not be written; 2 usage errors and input that
cannot be analyzed at all (no such path or function, a template that is not YAML/JSON), or an internal
error. `--debug` re-raises instead of printing a one-line error. `plan` and `apply` use the same codes: an
invalid plan (every problem listed with file:line) and a refused write (a dirty git tree without `--force`, a
file decompose did not generate) are 2; a write that failed and was rolled back is 1. Nothing is written then.

What every subcommand shares lives in the first section: `common_options` (`--debug` and `--no-color`,
accepted after the subcommand as well as before it), `report_options` (`--format`, `--fail-on`,
`--strict`), `guarded` (a `DecomposeError` or any other exception becomes one line on stderr, or with
`--format json` a JSON document on stdout, and the right exit code), `emit` (writes all of a view at once;
a full disk or a closed pipe is one line, not a traceback) and `Progress` (what a long run is doing, on
stderr, only on a terminal).
"""

from __future__ import annotations

import errno
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from decompose import __version__, dry_run, splitting, verifying
from decompose.changes.writer import write
from decompose.domain.model import AnalysisReport, Severity
from decompose.domain.plan import ChangeSet
from decompose.errors import DecomposeError, PlanError
from decompose.pipeline import analyze
from decompose.planning.build import GROUPS
from decompose.reporting.dry_run import FORMATS, render_report, render_summary
from decompose.reporting.escaping import visible
from decompose.reporting.json_report import FORMAT_VERSION, render_json
from decompose.reporting.markdown_report import render_markdown
from decompose.reporting.text_report import render_text
from decompose.verification import results as verify_results

RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}

# ------------------------------------------------------------------------------ shared by every subcommand
EXIT_OK = 0
EXIT_FINDINGS = 1  # findings at or above --fail-on, an incomplete policy under --strict, unwritable output
EXIT_USAGE = 2  # usage errors, input that cannot be analyzed at all, internal errors
EXIT_CODES = (
    "\b\nExit codes:\n"
    "  0  success\n"
    "  1  findings at or above --fail-on (default: errors), an incomplete policy with --strict,\n"
    "     or output that could not be written\n"
    "  2  a usage error, input that cannot be analyzed at all (no such path or function, a template\n"
    "     that is not YAML/JSON), an invalid plan, a refused write (a dirty git tree without --force),\n"
    "     or an internal error"
)
VERIFY_EXIT_CODES = (
    "\b\nExit codes:\n"
    "  0  every extracted route equivalent and every AWS call allowed by its function's policy\n"
    "  1  a route behaves differently, a call its policy denies, or a route that could not be verified\n"
    "  2  a usage error or input that cannot be read (no split function, no such --plan/--events, a bad seed)"
)
FAIL_LEVELS = {"error": (Severity.ERROR,), "warning": (Severity.ERROR, Severity.WARNING), "never": ()}
PROGRESS_AFTER = 1.5  # seconds before a run starts telling what it does
F = TypeVar("F", bound=Callable[..., Any])


def _state(ctx: click.Context) -> dict[str, Any]:
    """The settings shared by the group and its subcommands (`ctx.obj` of the root context)."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {"debug": False}
    return root.obj


def _set_debug(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        _state(ctx)["debug"] = True


def _set_no_color(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        _state(ctx)["color"] = False
        ctx.color = False


def common_options(command: F) -> F:
    """`--debug` and `--no-color`, for a subcommand (the group takes them too: either place works)."""
    command = click.option(
        "--no-color", is_flag=True, expose_value=False, callback=_set_no_color, help="No ANSI colours (also: NO_COLOR)."
    )(command)
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        callback=_set_debug,
        help="Show tracebacks instead of one-line errors.",
    )(command)


def report_options(command: F) -> F:
    """`--format`, `--fail-on` and `--strict`, for a subcommand that prints a report of findings."""
    command = click.option(
        "--strict",
        is_flag=True,
        help="Also exit 1 when a route's policy is incomplete (something decompose could not follow).",
    )(command)
    command = click.option(
        "--fail-on",
        type=click.Choice(list(FAIL_LEVELS)),
        default="error",
        show_default=True,
        help="Exit 1 when there are findings at this severity or above ('never': only the report).",
    )(command)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(RENDERERS)),
        default="text",
        show_default=True,
        help="text for people, json for tools (documented in the README), markdown for pull requests.",
    )(command)


def gate(report: AnalysisReport, fail_on: str, strict: bool) -> int:
    """The exit code a report earns under `--fail-on` and `--strict`."""
    levels = FAIL_LEVELS[fail_on]
    if any(f.severity in levels for f in report.findings):
        return EXIT_FINDINGS
    if strict and report.iam and report.incomplete_routes:
        return EXIT_FINDINGS
    return EXIT_OK


@contextmanager
def guarded(ctx: click.Context, fmt: str = "text") -> Iterator[None]:
    """Run a use case: its errors become one line (a JSON document with `--format json`) and an exit code."""
    try:
        yield
    except (click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except DecomposeError as error:
        if _state(ctx).get("debug"):
            raise
        line = str(error)
        if isinstance(error, PlanError) and error.problems:
            _problems(error.problems)
            line = f"{len(error.problems)} problem(s) in the plan; nothing was applied"
        _fatal(ctx, fmt, line, error.message, str(error.location) if error.location else None, error.exit_code)
    except KeyboardInterrupt:
        click.echo("decompose: interrupted", err=True)
        ctx.exit(130)
    except Exception as error:  # the last line of defence: one line, never a traceback
        if _state(ctx).get("debug"):
            raise
        text = f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback)"
        _fatal(ctx, fmt, text, text, None, EXIT_USAGE)


def _fatal(  # noqa: PLR0917 - one private call site per kind of error
    ctx: click.Context, fmt: str, line: str, message: str, location: str | None, code: int
) -> None:
    if fmt == "json":
        document = {"version": FORMAT_VERSION, "error": {"message": message, "location": location, "exit_code": code}}
        emit(ctx, json.dumps(document, indent=2) + "\n")
    click.echo(f"decompose: error: {line}", err=True)
    ctx.exit(code)


def emit(ctx: click.Context, text: str) -> None:
    """Write a whole view to stdout at once; a write that fails (a full disk, a closed pipe) is one line."""
    try:
        click.echo(text, nl=False, color=_state(ctx).get("color"))
        sys.stdout.flush()
    except OSError as error:
        _silence_stdout()
        if error.errno != errno.EPIPE:
            click.echo(f"decompose: error: cannot write the output: {error.strerror or error}", err=True)
        ctx.exit(EXIT_FINDINGS)


def _silence_stdout() -> None:
    """After a failed write, point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is no file (a test runner's buffer): nothing to flush at exit


class Progress:
    """What a long run is doing, on one self-erasing stderr line: only on a terminal, only after a while."""

    def __init__(self, stream: IO[str] | None = None, after: float = PROGRESS_AFTER, tick: float = 0.25) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.after = after
        self.tick = tick
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())
        self._phrase = "starting"
        self._start = time.monotonic()
        self._shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, phrase: str) -> None:
        self._phrase = phrase

    def __enter__(self) -> Progress:
        if self.active:
            self._thread = threading.Thread(target=self._run, name="decompose-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _run(self) -> None:
        if self._stop.wait(self.after):
            return
        last = ""
        while not self._stop.is_set():
            line = f"decompose: {self._phrase} ({time.monotonic() - self._start:.0f} s)"
            if line != last:  # redraw only when it changes
                self.stream.write(f"\r\x1b[K{line}")
                self.stream.flush()
                self._shown, last = True, line
            self._stop.wait(self.tick)


# ------------------------------------------------------------------------------------------- the commands
@click.group(epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="decompose")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option("--no-color", is_flag=True, help="No ANSI colours (also: the NO_COLOR environment variable).")
@click.pass_context
def main(ctx: click.Context, debug: bool, no_color: bool) -> None:
    """Split a monolithic AWS Lambda into one function per route, strangler-fig style."""
    ctx.obj = {"debug": debug}
    if no_color or os.environ.get("NO_COLOR"):
        ctx.obj["color"] = False
        ctx.color = False


@main.command(name="analyze", epilog=EXIT_CODES)
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--function", "function", metavar="LOGICAL_ID", help="Only this function of the template.")
@click.option("--handler", metavar="MODULE.FUNCTION", help="Analyze the code under PATH alone, with this handler.")
@click.option("--no-iam", is_flag=True, help="Skip the least-privilege IAM stage: routes and reach only (faster).")
@click.option(
    "--layer",
    "layers",
    multiple=True,
    metavar="DIR",
    help="With --handler: a Lambda layer folder the code imports from (repeatable; a template names its own).",
)
@click.option("--allow-outside", is_flag=True, help="Read code whose real path is outside PATH (CodeUri, links).")
@report_options
@common_options
@click.pass_context
def analyze_command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    path: Path,
    function: str | None,
    handler: str | None,
    no_iam: bool,
    layers: tuple[str, ...],
    allow_outside: bool,
    fmt: str,
    fail_on: str,
    strict: bool,
) -> None:
    """Find every route of the Lambda monolith at PATH, the code each one reaches and the IAM policy it needs.

    PATH is a SAM project directory (with template.yaml) or a template file. Nothing is written.
    """
    if handler is not None and (handler.count(".") < 1 or not all(p.isidentifier() for p in handler.split("."))):
        raise click.BadParameter("expected module.function, e.g. app.lambda_handler", param_hint="--handler")
    with guarded(ctx, fmt), Progress() as progress:
        report = analyze(
            path,
            function=function,
            handler=handler,
            iam=not no_iam,
            allow_outside=allow_outside,
            progress=progress,
            layers=layers,
        )
    emit(ctx, RENDERERS[fmt](report))
    ctx.exit(gate(report, fail_on, strict))


@main.command(name="plan", epilog=EXIT_CODES)
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--function", "function", metavar="LOGICAL_ID", help="The monolith to split (default: the only one).")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Plan file [default: PATH/decompose.yaml]."
)
@click.option(
    "--group",
    type=click.Choice(GROUPS),
    default="route",
    show_default=True,
    help="One function per route, per module of the routes' entries, or per set of resources they touch.",
)
@click.option("--extract", multiple=True, metavar="ROUTE_OR_ID", help="Mark a function (or a route's) for extraction.")
@click.option("--check", is_flag=True, help="Only validate the plan file: every problem with file:line, exit 2.")
@common_options
@click.pass_context
def plan_command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    path: Path,
    function: str | None,
    output: Path | None,
    group: str,
    extract: tuple[str, ...],
    check: bool,
) -> None:
    """Write (or update) the editable split plan of the monolith at PATH.

    A re-run keeps your edits and comments, adds functions for routes that are new, and reports routes the
    plan names that no longer exist.
    """
    with guarded(ctx):
        if check:
            outcome = splitting.check(path, plan_file=output)
            if outcome.problems:
                raise PlanError(outcome.problems)
            extracted = len(outcome.plan.extracted)
            shown = outcome.plan.path
            click.echo(f"{shown}: ok: {len(outcome.plan.functions)} function(s), {extracted} to extract")
            return
        result = splitting.plan(path, output=output, function=function, group=group, extract=extract)
        write(result.change_set, result.write_root, force=True)
    shown = result.plan.path
    if result.change_set.empty:
        click.echo(f"{shown}: up to date ({len(result.plan.functions)} function(s) for {result.plan.monolith})")
    else:
        verb = "wrote" if result.created else "added"
        click.echo(f"{shown}: {verb} {len(result.added)} function(s) for {result.plan.monolith}")
        for function_plan in result.added:
            mark = "  extract" if function_plan.extract else ""
            click.echo(f"  {function_plan.logical_id:<36} {', '.join(map(visible, function_plan.routes))}{mark}")
    extracted = [f.logical_id for f in result.plan.extracted]
    if extracted:
        click.echo(f"marked for extraction: {', '.join(extracted)}")
    if result.problems:
        _problems(result.problems)
        click.echo(f"decompose: {len(result.problems)} problem(s) in the plan", err=True)
        ctx.exit(EXIT_USAGE)
    click.echo(f"next: edit {shown}, set `extract: true` on a few functions, then `decompose apply --dry-run`")


@main.command(name="apply", epilog=EXIT_CODES)
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False), help="[default: PATH/decompose.yaml]"
)
@click.option("--dry-run", is_flag=True, help="Print the unified diff of every change and write nothing.")
@click.option("--force", is_flag=True, help="Write even if the git tree has uncommitted changes.")
@common_options
@click.pass_context
def apply_command(ctx: click.Context, path: Path, plan_file: Path | None, dry_run: bool, force: bool) -> None:
    """Extract the functions the plan marks `extract: true`: refactor, handlers, packages, template edit.

    Everything is computed on a temporary copy first; then written atomically (or, with --dry-run, shown).
    """
    with guarded(ctx), Progress() as progress:
        progress("computing the change set")
        outcome = splitting.apply(path, plan_file=plan_file)
        change_set = outcome.change_set
        if not dry_run and not change_set.empty:
            progress("writing")
            write(change_set, outcome.root, force=force, ignore={outcome.plan_file})
    if dry_run or change_set.empty:
        emit(ctx, change_set.diff())
    for finding in change_set.findings:
        where = f"{finding.location}: " if finding.location else ""
        click.echo(f"{finding.severity.value}: {where}{finding.rule}: {finding.message}", err=True)
    extracted = ", ".join(f.logical_id for f in outcome.plan.extracted) or "none"
    if change_set.empty:
        click.echo(f"nothing to do: the project already is the plan's result (extracted: {extracted})", err=True)
    elif dry_run:
        click.echo(f"dry run: {_summary(change_set)} for {extracted}; nothing was written", err=True)
    else:
        click.echo(f"applied: {_summary(change_set)} for {extracted}", err=True)


@main.command(name="dry-run", epilog=EXIT_CODES)
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False), help="[default: PATH/decompose.yaml]"
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="md",
    show_default=True,
    help="md for pull requests, html for a self-contained page, json for tools (schema in the package).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report here (replaces only a report decompose wrote) and print the summary; default: stdout.",
)
@click.option(
    "--verify-result",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A `decompose verify --format json` result to show (default: verification not run).",
)
@click.option(
    "--import-runs",
    type=click.IntRange(0, 50),
    default=dry_run.IMPORT_RUNS,
    show_default=True,
    help="Fresh interpreters per handler for the cold-import median; 0 skips the timing.",
)
@common_options
@click.pass_context
def dry_run_command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    path: Path,
    plan_file: Path | None,
    fmt: str,
    output: Path | None,
    verify_result: Path | None,
    import_runs: int,
) -> None:
    """Report what `decompose apply` would do for the plan at PATH and what it buys; writes nothing else.

    The report: a summary with before/after figures measured here (package bytes, cold import time, IAM actions
    and statements on `*`, findings, verification), the architecture before and after, each new function (routes,
    policy and what it no longer has, package, variables, deployment), the change set as diffs, the findings.
    Exit 1 when the verify result shown has a difference or a denied call.
    """
    with guarded(ctx, "json" if fmt == "json" else "text"), Progress() as progress:
        report = dry_run.build_report(
            path, plan_file=plan_file, verification=verify_result, import_runs=import_runs, progress=progress
        )
        text = render_report(report, fmt)
        if output is not None:
            change_set, root = dry_run.report_file(output, text)
            write(change_set, root, force=True)
    if output is None:
        emit(ctx, text)
    else:
        emit(ctx, render_summary(report))
        click.echo(f"wrote the {fmt} report to {output}", err=True)
    ctx.exit(EXIT_FINDINGS if report.verification.status == "failed" else EXIT_OK)


@main.command(name="verify", epilog=VERIFY_EXIT_CODES)
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False), help="[default: PATH/decompose.yaml]"
)
@click.option(
    "--events",
    "events_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder of recorded events (and decompose-seed.yaml) [default: PATH/events].",
)
@click.option("--baseline", metavar="REV", help="The git revision of the monolith before the split [default: found].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for CI (documented in the README).",
)
@common_options
@click.pass_context
def verify_command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context, path: Path, plan_file: Path | None, events_dir: Path | None, baseline: str | None, fmt: str
) -> None:
    """Prove that each extracted function behaves like the monolith: same events, same world, its own package.

    Runs every event of each extracted route through the monolith (as it was before the split, from git)
    and through the new function with only its own package, each in a fresh interpreter under moto, and
    compares responses, AWS calls and state; then checks every call against the function's policy.
    Nothing is written.
    """
    with guarded(ctx, fmt), Progress() as progress:
        result = verifying.verify(path, plan_file=plan_file, events=events_dir, baseline=baseline, progress=progress)
    emit(ctx, verify_results.render_json(result) if fmt == "json" else verify_results.render_text(result))
    ctx.exit(EXIT_OK if result.ok else EXIT_FINDINGS)


def _problems(problems: tuple[object, ...]) -> None:
    """Every plan problem, one line each, file:line first (the summary line follows from the caller)."""
    for problem in problems:
        click.echo(f"decompose: error: {problem}", err=True)


def _summary(change_set: ChangeSet) -> str:
    kinds = [c.kind for c in change_set.changes]
    words = {"create": "created", "modify": "modified", "delete": "deleted"}
    return ", ".join(f"{kinds.count(k)} file(s) {words[k]}" for k in words if k in kinds)
