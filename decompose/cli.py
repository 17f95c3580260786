"""The command line: parses arguments, runs a pipeline use case, renders, and maps errors to exit codes.

Exit codes: 0 success, 1 the analysis found errors in the input (or could not read it), 2 usage errors.
`--debug` re-raises instead of printing a one-line error.
"""

from __future__ import annotations

from pathlib import Path

import click

from decompose import __version__
from decompose.errors import DecomposeError
from decompose.pipeline import analyze
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
@click.option(
    "--layer",
    "layers",
    multiple=True,
    metavar="DIR",
    help="With --handler: a Lambda layer folder the code imports from (repeatable; a template names its own).",
)
@click.pass_context
def analyze_command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    path: Path,
    function: str | None,
    handler: str | None,
    fmt: str,
    no_iam: bool,
    layers: tuple[str, ...],
) -> None:
    """Find every route of the Lambda monolith at PATH and the code each one reaches.

    PATH is a SAM project directory (with template.yaml) or a template file. Nothing is written.
    """
    if handler is not None and (handler.count(".") < 1 or not all(p.isidentifier() for p in handler.split("."))):
        raise click.BadParameter("expected module.function, e.g. app.lambda_handler", param_hint="--handler")
    try:
        report = analyze(path, function=function, handler=handler, iam=not no_iam, layers=layers)
    except DecomposeError as error:
        if ctx.obj["debug"]:
            raise
        click.echo(f"decompose: error: {error}", err=True)
        ctx.exit(error.exit_code)
    click.echo(RENDERERS[fmt](report), nl=False)
    if report.has_errors:
        ctx.exit(1)
