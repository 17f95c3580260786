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

from decompose import __version__, dry_run, publishing, splitting, verifying, wizard
from decompose.changes.git import FALLBACK_IDENTITY
from decompose.changes.writer import write
from decompose.domain.model import AnalysisReport, Severity
from decompose.domain.plan import PHASES, ChangeSet
from decompose.errors import DecomposeError, PlanError, UsageError
from decompose.pipeline import analyze
from decompose.planning.build import GROUPS
from decompose.reporting.dry_run import FORMATS, render_report, render_summary
from decompose.reporting.escaping import visible
from decompose.reporting.json_report import FORMAT_VERSION, render_json
from decompose.reporting.markdown_report import render_markdown
from decompose.reporting.text_report import render_text
from decompose.verification import results as verify_results
from decompose.wizard import interactive

RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}

# ------------------------------------------------------------------------------ shared by every subcommand
EXIT_OK = 0
EXIT_FINDINGS = 1  # findings at or above --fail-on, an incomplete policy under --strict, unwritable output
EXIT_USAGE = 2  # usage errors, input that cannot be analyzed at all, internal errors
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it); nothing was written
EXIT_CODES = (
    "\b\nExit codes:\n"
    "  0  success\n"
    "  1  findings at or above --fail-on (default: errors), an incomplete policy with --strict,\n"
    "     or output that could not be written\n"
    "  2  a usage error, input that cannot be analyzed at all (no such path or function, a template\n"
    "     that is not YAML/JSON), an invalid plan, a refused write (a dirty git tree without --force),\n"
    "     or an internal error\n"
    "  130  interrupted (Ctrl-C); nothing was written"
)
VERIFY_EXIT_CODES = (
    "\b\nExit codes:\n"
    "  0  every extracted route equivalent and every AWS call allowed by its function's policy\n"
    "  1  a route behaves differently, a call its policy denies, or a route that could not be verified\n"
    "  2  a usage error or input that cannot be read (no split function, no such --plan/--events, a bad seed)"
)
FAIL_LEVELS = {"error": (Severity.ERROR,), "warning": (Severity.ERROR, Severity.WARNING), "never": ()}
PROGRESS_AFTER = 1.5  # seconds before a run starts telling what it does
QUIET, NORMAL, VERBOSE = 0, 1, 2  # --quiet, the default, --verbose
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


def _set_quiet(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        _state(ctx)["verbosity"] = QUIET


def _set_verbose(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        _state(ctx)["verbosity"] = VERBOSE


def verbosity(ctx: click.Context) -> int:
    """QUIET (errors only), NORMAL, or VERBOSE (each step on a line of its own, each file written)."""
    return int(_state(ctx).get("verbosity", NORMAL))


def info(ctx: click.Context, message: str) -> None:
    """A line of stderr for people (what was done, what to do next); silent under --quiet."""
    if verbosity(ctx) > QUIET:
        click.echo(message, err=True, color=_state(ctx).get("color"))


def detail(ctx: click.Context, message: str) -> None:
    """A line of stderr only under --verbose."""
    if verbosity(ctx) >= VERBOSE:
        click.echo(message, err=True, color=_state(ctx).get("color"))


def progress_for(ctx: click.Context) -> Progress:
    """The progress display the verbosity asks for: none, a self-erasing line on a terminal, or a line per step."""
    level = verbosity(ctx)
    return Progress(enabled=level > QUIET, steps=level >= VERBOSE)


def common_options(command: F) -> F:
    """`--debug`, `--no-color`, `--quiet` and `--verbose`, for a subcommand (the group takes them too)."""
    command = click.option(
        "-v", "--verbose", is_flag=True, expose_value=False, callback=_set_verbose, help="Say each step and each file."
    )(command)
    command = click.option(
        "-q", "--quiet", is_flag=True, expose_value=False, callback=_set_quiet, help="Only errors on stderr."
    )(command)
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
        click.echo("decompose: interrupted; nothing was written", err=True)
        ctx.exit(EXIT_INTERRUPTED)
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
    """What a long run is doing, on one self-erasing stderr line: only on a terminal, only after a while.

    `enabled=False` (`--quiet`) shows nothing; `steps=True` (`--verbose`) writes each new phrase on a line of
    its own with the time since the start, terminal or not (a CI log then says where the time went).
    """

    def __init__(
        self,
        stream: IO[str] | None = None,
        after: float = PROGRESS_AFTER,
        tick: float = 0.25,
        *,
        enabled: bool = True,
        steps: bool = False,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.after = after
        self.tick = tick
        self.steps = steps and enabled
        self.active = enabled and not steps and bool(getattr(self.stream, "isatty", lambda: False)())
        self._phrase = "starting"
        self._start = time.monotonic()
        self._shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._paused = False

    def __call__(self, phrase: str) -> None:
        if self.steps and phrase != self._phrase:
            self.stream.write(f"decompose: [{time.monotonic() - self._start:5.1f} s] {phrase}\n")
            self.stream.flush()
        self._phrase = phrase
        if self._paused:
            self._paused = False
            self.resume()

    def pause(self) -> None:
        """Erase the line and stop drawing it until the next phrase (a prompt is about to take the screen)."""
        self._paused = self.active
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def resume(self) -> None:
        """Draw again after a pause (from now on, after the usual delay)."""
        if self.active and self._thread is None:
            self._stop = threading.Event()
            self._start = time.monotonic()
            self._thread = threading.Thread(target=self._run, name="decompose-progress", daemon=True)
            self._thread.start()

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
@click.group(epilog=EXIT_CODES, invoke_without_command=True)
@click.version_option(__version__, prog_name="decompose")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option("--no-color", is_flag=True, help="No ANSI colours (also: the NO_COLOR environment variable).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Say each step (with its time) and each file written.")
@click.pass_context
def main(ctx: click.Context, debug: bool, no_color: bool, quiet: bool, verbose: bool) -> None:
    """Split a monolithic AWS Lambda into one function per route, strangler-fig style.

    Without a command, on a terminal: the wizard on the current folder (`decompose wizard`).
    """
    ctx.obj = {"debug": debug, "verbosity": QUIET if quiet else VERBOSE if verbose else NORMAL}
    if no_color or os.environ.get("NO_COLOR"):
        ctx.obj["color"] = False
        ctx.color = False
    if ctx.invoked_subcommand is None:
        if interactive():
            ctx.invoke(wizard_command)
            return
        click.echo(ctx.get_help())
        ctx.exit(EXIT_USAGE)


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
    with guarded(ctx, fmt), progress_for(ctx) as progress:
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
    info(ctx, f"next: edit {shown}, set `extract: true` on a few functions, then `decompose apply --dry-run`")


@main.command(name="apply", epilog=EXIT_CODES)
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False), help="[default: PATH/decompose.yaml]"
)
@click.option("--dry-run", is_flag=True, help="Print the unified diff of every change and write nothing.")
@click.option("--force", is_flag=True, help="Write even if the git tree has uncommitted changes.")
@click.option(
    "--phase",
    type=click.Choice(PHASES),
    help="shim: run the monolith's own code in each new function; extract: its own code (recorded in the plan) "
    "[default: each function's recorded phase, else the plan's `phase`]",
)
@common_options
@click.pass_context
def apply_command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context, path: Path, plan_file: Path | None, dry_run: bool, force: bool, phase: str | None
) -> None:
    """Extract the functions the plan marks `extract: true`: refactor, handlers, packages, template edit.

    Each goes in its phase: a shim runs the monolith's own handler and package (only the route, its events
    and its role move); extract switches it to its own handler and package under its DeploymentPreference.
    Everything is computed on a temporary copy first; then written atomically (or, with --dry-run, shown).
    """
    with guarded(ctx), progress_for(ctx) as progress:
        progress("computing the change set")
        outcome = splitting.apply(path, plan_file=plan_file, phase=phase)
        change_set = outcome.change_set
        if not dry_run and not change_set.empty:
            progress("writing")
            write(change_set, outcome.root, force=force, ignore={outcome.plan_file})
    if dry_run or change_set.empty:
        emit(ctx, change_set.diff())
    for finding in change_set.findings:
        where = f"{finding.location}: " if finding.location else ""
        click.echo(f"{finding.severity.value}: {where}{finding.rule}: {finding.message}", err=True)
    extracted = ", ".join(f"{name} ({phase})" for name, phase in outcome.phases) or "none"
    if change_set.empty:
        click.echo(f"nothing to do: the project already is the plan's result (extracted: {extracted})", err=True)
    elif dry_run:
        click.echo(f"dry run: {_summary(change_set)} for {extracted}; nothing was written", err=True)
    else:
        click.echo(f"applied: {_summary(change_set)} for {extracted}", err=True)


def pr_options(command: F) -> F:
    """The pull-request options `pr` and `wizard` share."""
    for option in reversed(
        [
            click.option("--branch", metavar="NAME", help="The new branch [default: decompose/extract-<functions>]."),
            click.option(
                "--base", metavar="BRANCH", help="The branch it starts from [default: the remote's HEAD, main]."
            ),
            click.option("--push", is_flag=True, default=None, help="Push the branch to --remote."),
            click.option(
                "--open",
                "open_pr",
                is_flag=True,
                default=None,
                help="Push, then `gh pr create` (or print the exact command when gh is missing or logged out).",
            ),
            click.option("--remote", default="origin", show_default=True, help="The remote --push pushes to."),
            click.option(
                "--body-file",
                type=click.Path(path_type=Path, dir_okay=False),
                help="Where the body goes [default: <git dir>/decompose/<branch>.md, outside the working tree].",
            ),
        ]
    ):
        command = option(command)
    return command


@main.command(name="pr", epilog=EXIT_CODES)
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False), help="[default: PATH/decompose.yaml]"
)
@pr_options
@common_options
@click.pass_context
def pr_command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    path: Path,
    plan_file: Path | None,
    branch: str | None,
    base: str | None,
    push: bool | None,
    open_pr: bool | None,
    remote: str,
    body_file: Path | None,
) -> None:
    """Make a branch from --base holding the plan's change set as a few reviewable commits, and its PR body.

    The commits are built in a temporary git worktree: your current branch, index and working tree are never
    touched. Refuses uncommitted changes under PATH (the plan file aside) and a branch that exists.
    """
    with guarded(ctx), progress_for(ctx) as progress:
        request = publishing.pull_request(
            path, plan_file=plan_file, branch=branch, base=base, body_file=body_file, progress=progress
        )
        _show_request(ctx, request)
        _publish(ctx, request, push=bool(push), open_pr=bool(open_pr), remote=remote)


def _show_request(ctx: click.Context, request: publishing.PullRequest) -> None:
    click.echo(
        f"branch {request.branch} from {request.base} ({request.base_sha[:12]}), {len(request.commits)} commits:"
    )
    for commit in request.commits:
        click.echo(f"  {commit.sha[:12]}  {commit.subject}")
        for path in commit.paths:
            detail(ctx, f"                {path}")
    click.echo(f"pull request body: {request.body_path}")
    if request.fallback_identity:
        info(ctx, f"git knows no user.name/user.email here: committed as {' '.join(FALLBACK_IDENTITY)}")
    if request.reused:
        detail(ctx, "the change set computed before was committed as it was (the base is checked out and clean)")


def _publish(ctx: click.Context, request: publishing.PullRequest, *, push: bool, open_pr: bool, remote: str) -> None:
    """--push and --open: push the branch, then open the pull request with gh, or say how."""
    command = publishing.shell_command(publishing.open_command(request))
    if push or open_pr:
        report = publishing.push(request, remote)
        detail(ctx, report.strip())
        click.echo(f"pushed {request.branch} to {remote}")
    else:
        info(ctx, f"next: git push --set-upstream {remote} {request.branch}, then: {command}")
        return
    if not open_pr:
        info(ctx, f"next: {command}")
        return
    if publishing.gh_ready():
        click.echo(f"opened {publishing.open_pull_request(request)}")
        return
    click.echo("gh (the GitHub CLI) is not installed or not logged in; to open the pull request, run:")
    click.echo(f"  {command}")
    click.echo(f"(the body is in {request.body_path})")


@main.command(name="wizard", epilog=EXIT_CODES)
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False), help="[default: PATH/decompose.yaml]"
)
@click.option("--function", "function", metavar="LOGICAL_ID", help="The monolith (asked when several could be).")
@click.option("--group", type=click.Choice(GROUPS), help="route, module or resources (asked when there is no plan).")
@click.option("--extract", multiple=True, metavar="ROUTE_OR_ID", help="A function (or a route's) to extract now.")
@click.option("--name", "names", multiple=True, metavar="OLD=NEW", help="Rename a function (OLD: its id or a route).")
@click.option("--deployment", metavar="TYPE", help="The CodeDeploy configuration, e.g. Canary10Percent5Minutes.")
@click.option("--alarm", "alarms", multiple=True, metavar="LOGICAL_ID", help="An alarm that rolls a deployment back.")
@click.option("--no-alarms", is_flag=True, help="No alarm (instead of asking).")
@click.option("--then", "then", type=click.Choice(wizard.ACTIONS), help="pr, apply or save [--yes: save].")
@click.option("--force", is_flag=True, help="apply: write even if the git tree has uncommitted changes.")
@click.option("-y", "--yes", is_flag=True, help="Take the default of every choice no flag makes (no prompt).")
@pr_options
@common_options
@click.pass_context
def wizard_command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    path: Path = Path(),
    plan_file: Path | None = None,
    function: str | None = None,
    group: str | None = None,
    extract: tuple[str, ...] = (),
    names: tuple[str, ...] = (),
    deployment: str | None = None,
    alarms: tuple[str, ...] = (),
    no_alarms: bool = False,
    then: str | None = None,
    force: bool = False,
    yes: bool = False,
    branch: str | None = None,
    base: str | None = None,
    push: bool | None = None,
    open_pr: bool | None = None,
    remote: str = "origin",
    body_file: Path | None = None,
) -> None:
    """Walk through the split: the routes and what extracting each gains, names, deployment, policies, the
    dry run, then apply, open a pull request, or save the plan.

    Every choice has a flag; with --yes the rest take their defaults and nothing is asked. Ctrl-C at any
    point writes nothing.
    """
    with guarded(ctx):
        if not yes and not interactive():
            raise UsageError("the wizard asks on a terminal; to run it unattended pass --yes (and flags)")
        renames = tuple(_pair(n) for n in names)
        choices = wizard.Choices(
            function=function,
            group=group,
            extract=extract,
            names=renames,
            deployment=deployment,
            alarms=alarms if alarms or no_alarms else (() if yes else None),
            then=then or ("save" if yes else None),
            branch=branch,
            base=base,
            push=push,
            open=open_pr,
            remote=remote,
            body_file=body_file,
            force=force,
        )
        color = _state(ctx).get("color") is not False
        with progress_for(ctx) as progress:
            prompter: wizard.Prompter = wizard.Defaults() if yes else wizard.Questionary(color=color)
            paused = _Paused(prompter, progress)
            out = paused.echo if verbosity(ctx) > QUIET else (lambda _: None)
            guide = wizard.Wizard(paused, out, progress=progress, color=color, unattended=yes)
            result = guide.run(path, choices, plan_file=plan_file)
        _wizard_done(ctx, result, choices, yes=yes, prompter=paused)


class _Paused:
    """A prompter (and the wizard's output) that first stops the progress line, so they never overlap."""

    def __init__(self, prompter: wizard.Prompter, progress: Progress) -> None:
        self.prompter = prompter
        self.progress = progress

    def echo(self, text: str) -> None:
        self.progress.pause()
        click.echo(text)

    def select(self, message: str, options: Any, default: Any) -> Any:
        self.progress.pause()
        return self.prompter.select(message, options, default)

    def checkbox(self, message: str, options: Any, *, required: bool = True) -> list[Any]:
        self.progress.pause()
        return self.prompter.checkbox(message, options, required=required)

    def text(self, message: str, default: str, validate: Any) -> str:
        self.progress.pause()
        return self.prompter.text(message, default, validate)

    def confirm(self, message: str, default: bool) -> bool:
        self.progress.pause()
        return self.prompter.confirm(message, default)


def _pair(text: str) -> tuple[str, str]:
    old, sep, new = text.rpartition("=")
    if not sep or not old or not new:
        raise click.BadParameter(f"{text!r}: expected OLD=NEW (OLD a logical id or a route)", param_hint="--name")
    return old, new


def _wizard_done(
    ctx: click.Context, result: wizard.Result, choices: wizard.Choices, *, yes: bool, prompter: _Paused
) -> None:
    with guarded(ctx):
        if result.action in ("save", "apply") and result.written is not None:
            verb = "saved the plan" if result.action == "save" else "applied"
            count = result.written.count
            click.echo(f"{verb}: {count} file(s) written" if count else f"{verb}: nothing to write")
            for rel in (*result.written.created, *result.written.modified, *result.written.deleted):
                detail(ctx, f"  {rel}")
            if result.action == "save":
                info(ctx, "next: decompose apply --dry-run, or decompose pr")
            return
        request = result.request
        if request is None:
            return
        _show_request(ctx, request)
        push, open_pr = choices.push, choices.open
        if not yes and interactive() and (push is None or open_pr is None):
            remotes = publishing.Repository(request.repository).remotes()
            if remotes and choices.remote in remotes:
                if open_pr is None:
                    open_pr = prompter.confirm(f"Push to {choices.remote} and open the pull request?", False)
                if not open_pr and push is None:
                    push = prompter.confirm(f"Push {request.branch} to {choices.remote}?", False)
        _publish(ctx, request, push=bool(push), open_pr=bool(open_pr), remote=choices.remote)


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
    with guarded(ctx, "json" if fmt == "json" else "text"), progress_for(ctx) as progress:
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
    with guarded(ctx, fmt), progress_for(ctx) as progress:
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
