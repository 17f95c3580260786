"""Projects for the verify tests: an app copied into a fresh git repository, planned and applied.

`split_copy` does what a user does before `decompose verify`: commit the monolith, `decompose plan`, mark
routes for extraction (every route apply can move, by default), put routes that must share a function into
one (as a user edits the plan: a Flask `MethodView`'s methods), `decompose apply`. The applied change is left
uncommitted, so the baseline verify finds is `HEAD`, the monolith before the split.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner
from ruamel.yaml import YAML

from decompose.cli import main
from decompose.pipeline import analyze

IGNORED = shutil.ignore_patterns(".pytest_cache", "__pycache__", ".aws-sam", "expected.json", ".ropeproject")


def git(root: Path, *args: str) -> str:
    """Run git in `root` with a throwaway identity; its stdout."""
    command = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def cli(*args: str) -> tuple[int, str]:
    """`decompose ARGS` through click's runner: exit code and output."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def movable_routes(app: Path) -> tuple[str, ...]:
    """The monolith's routes `apply` can move: a template event, no dynamic dispatch, no WebSocket route."""
    report = analyze(app, iam=False)
    monolith = max(report.functions, key=lambda f: len(f.routes))
    dynamic = {f.route for f in report.findings if f.rule == "unresolved-dynamic"}  # rope cannot move those
    return tuple(
        r.id
        for r in monolith.routes
        if r.trigger.event is not None
        and r.id not in dynamic
        and r.trigger.type != "WebSocket"  # an AWS::ApiGatewayV2::Route, not a SAM event: apply cannot move it yet
    )


def split_copy(
    app: Path, into: Path, routes: tuple[str, ...] | None = None, together: tuple[tuple[str, ...], ...] = ()
) -> Path:
    """`app` copied to `into`, committed, planned and applied (every movable route, or only `routes`); each
    group of `together` is one function (the plan's function of its first route takes the others' routes)."""
    root = into / app.name
    shutil.copytree(app, root, ignore=IGNORED)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the monolith")
    extract = [a for route in routes or movable_routes(root) for a in ("--extract", route)]
    code, output = cli("plan", str(root), *extract)
    if together:  # `plan` reports the routes it put in separate functions as problems: merged, they are none
        merge_functions(root / "decompose.yaml", together)
        code, output = cli("plan", str(root), "--check")
    assert code == 0, output
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the plan")
    code, output = cli("apply", str(root))
    assert code == 0, output
    return root


def merge_functions(plan_path: Path, together: tuple[tuple[str, ...], ...]) -> None:
    """Edit the plan as a user would: the routes of each group move into the function of its first route."""
    yaml = YAML()
    plan = yaml.load(plan_path.read_text(encoding="utf-8"))
    functions = plan["functions"]
    for group in together:
        owners = [next(f for f in functions if route in f["routes"]) for route in group]
        for other in owners[1:]:
            if other is not owners[0]:
                owners[0]["routes"].extend(r for r in other["routes"] if r not in owners[0]["routes"])
                functions.remove(other)
    with plan_path.open("w", encoding="utf-8") as stream:
        yaml.dump(plan, stream)
