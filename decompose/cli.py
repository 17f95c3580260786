"""The command line: parses arguments, runs a use case, renders, and maps errors to exit codes.

Exit codes: 0 success, 1 the analysis found errors in the input (or could not read it, or writing failed and
was rolled back), 2 usage errors and invalid plans, 3 the writer refused (a dirty git tree, a file decompose
did not generate). `--debug` re-raises instead of printing a one-line error.
"""

from __future__ import annotations

from pathlib import Path

import click

from decompose import __version__, splitting
from decompose.changes.writer import write
from decompose.domain.plan import ChangeSet
from decompose.errors import DecomposeError, PlanError
from decompose.pipeline import analyze
from decompose.planning.build import GROUPS
from decompose.reporting.json_report import render_json
from decompose.reporting.markdown_report import render_markdown
from decompose.reporting.text_report import render_text

RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}


@click.group()
@click.version_option(__version__, prog_name="decompose")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Split a monolithic AWS Lambda into one function per route, strangler-fig style."""
    ctx.obj = {"debug": debug}


@main.command(name="analyze")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--function", "function", metavar="LOGICAL_ID", help="Only this function of the template.")
@click.option("--handler", metavar="MODULE.FUNCTION", help="Analyze the code under PATH alone, with this handler.")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True)
@click.option("--no-iam", is_flag=True, help="Skip the least-privilege IAM stage: routes and reach only (faster).")
@click.pass_context
def analyze_command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context, path: Path, function: str | None, handler: str | None, fmt: str, no_iam: bool
) -> None:
    """Find every route of the Lambda monolith at PATH and the code each one reaches.

    PATH is a SAM project directory (with template.yaml) or a template file. Nothing is written.
    """
    if handler is not None and (handler.count(".") < 1 or not all(p.isidentifier() for p in handler.split("."))):
        raise click.BadParameter("expected module.function, e.g. app.lambda_handler", param_hint="--handler")
    try:
        report = analyze(path, function=function, handler=handler, iam=not no_iam)
    except DecomposeError as error:
        if ctx.obj["debug"]:
            raise
        click.echo(f"decompose: error: {error}", err=True)
        ctx.exit(error.exit_code)
    click.echo(RENDERERS[fmt](report), nl=False)
    if report.has_errors:
        ctx.exit(1)


@main.command(name="plan")
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
    try:
        if check:
            outcome = splitting.check(path, plan_file=output)
            _problems(ctx, outcome.problems)
            extracted = len(outcome.plan.extracted)
            shown = outcome.plan.path
            click.echo(f"{shown}: ok: {len(outcome.plan.functions)} function(s), {extracted} to extract")
            return
        result = splitting.plan(path, output=output, function=function, group=group, extract=extract)
        write(result.change_set, result.write_root, force=True)
    except DecomposeError as error:
        _fail(ctx, error)
    shown = result.plan.path
    if result.change_set.empty:
        click.echo(f"{shown}: up to date ({len(result.plan.functions)} function(s) for {result.plan.monolith})")
    else:
        verb = "wrote" if result.created else "added"
        click.echo(f"{shown}: {verb} {len(result.added)} function(s) for {result.plan.monolith}")
        for function_plan in result.added:
            mark = "  extract" if function_plan.extract else ""
            click.echo(f"  {function_plan.logical_id:<36} {', '.join(function_plan.routes)}{mark}")
    extracted = [f.logical_id for f in result.plan.extracted]
    if extracted:
        click.echo(f"marked for extraction: {', '.join(extracted)}")
    _problems(ctx, result.problems)
    click.echo(f"next: edit {shown}, set `extract: true` on a few functions, then `decompose apply --dry-run`")


@main.command(name="apply")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option(
    "--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False), help="[default: PATH/decompose.yaml]"
)
@click.option("--dry-run", is_flag=True, help="Print the unified diff of every change and write nothing.")
@click.option("--force", is_flag=True, help="Write even if the git tree has uncommitted changes.")
@click.pass_context
def apply_command(ctx: click.Context, path: Path, plan_file: Path | None, dry_run: bool, force: bool) -> None:
    """Extract the functions the plan marks `extract: true`: refactor, handlers, packages, template edit.

    Everything is computed on a temporary copy first; then written atomically (or, with --dry-run, shown).
    """
    try:
        outcome = splitting.apply(path, plan_file=plan_file)
        change_set = outcome.change_set
        if dry_run or change_set.empty:
            click.echo(change_set.diff(), nl=False)
        else:
            write(change_set, outcome.root, force=force, ignore={outcome.plan_file})
    except DecomposeError as error:
        _fail(ctx, error)
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


def _problems(ctx: click.Context, problems: tuple[object, ...]) -> None:
    """Print every plan problem (one line each, file:line first) and exit 2 when there is any."""
    if not problems:
        return
    for problem in problems:
        click.echo(f"decompose: error: {problem}", err=True)
    click.echo(f"decompose: {len(problems)} problem(s) in the plan; nothing was applied", err=True)
    ctx.exit(2)


def _fail(ctx: click.Context, error: DecomposeError) -> None:
    if ctx.obj["debug"]:
        raise error
    if isinstance(error, PlanError):
        _problems(ctx, error.problems)
    click.echo(f"decompose: error: {error}", err=True)
    ctx.exit(error.exit_code)


def _summary(change_set: ChangeSet) -> str:
    kinds = [c.kind for c in change_set.changes]
    words = {"create": "created", "modify": "modified", "delete": "deleted"}
    return ", ".join(f"{kinds.count(k)} file(s) {words[k]}" for k in words if k in kinds)
