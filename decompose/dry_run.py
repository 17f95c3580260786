"""The dry-run use case: everything `decompose apply` would do and what it buys, as one report value.

    check + apply (computed, not written)   splitting.apply: the plan, the change set, each new function's
                                            re-analysis, package and draft
    analyze the project as it is            pipeline.analyze (IAM on): routes, permissions, findings "before"
    the change set's result, in a copy      changes.Workspace: a scratch copy of the project brought to the
                                            change set's result; analyzed again: findings "after"
    measure                                 measuring.sizes: each package's bytes (its files, the installed
                                            distributions' RECORDs); measuring.imports: each handler's cold
                                            import in a fresh interpreter, median of `import_runs`
    verification                            loading.verify_result: the `decompose verify` result, if given
    assemble                                reporting.assembly: the `DryRunReport`

Nothing here writes the user's tree or prints; the CLI renders the report (Markdown, HTML or JSON) and hands
`-o FILE` to `changes.writer`. Other views reuse `build_report` as is (the pull request's body is its Markdown).
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from pathlib import Path

from decompose import __version__, splitting
from decompose.changes.workspace import Workspace
from decompose.domain.model import FunctionSpec, Location
from decompose.domain.plan import GENERATED_MARKER, ChangeSet, FileChange, FunctionPackage
from decompose.domain.report import DryRunReport, ImportTiming, MeasuredOn, Verification
from decompose.errors import WriteRefusedError
from decompose.loading.template import load_template
from decompose.loading.verify_result import read_verification
from decompose.measuring.imports import ImportTarget, function_environment, time_imports
from decompose.measuring.sizes import package_size, requirement_lines
from decompose.pipeline import analyze
from decompose.reporting.assembly import AFTER, BEFORE, Facts, assemble

IMPORT_RUNS = 5
METHOD = (
    "package bytes: the package's files plus its distributions' RECORD sizes in this environment (no .pyc); "
    "cold import: CPU time of importing the handler module in a fresh python -I -B, median of the runs"
)

Progress = Callable[[str], None]


def build_report(
    path: Path,
    *,
    plan_file: Path | None = None,
    verification: Path | None = None,
    import_runs: int = IMPORT_RUNS,
    progress: Progress | None = None,
    outcome: splitting.ApplyOutcome | None = None,
) -> DryRunReport:
    """The dry-run report of the plan at `plan_file` (default `PATH/decompose.yaml`); writes nothing.

    `verification` is a `decompose verify --format json` result file; `import_runs` 0 skips the import timing;
    `outcome` is an `apply` already computed for the same plan (the wizard has one), else it is computed here.
    Raises what `splitting.apply` raises (`PlanError` with every problem, a `DecomposeError` with file:line).
    """
    say = progress or (lambda _: None)
    project = splitting.Project.at(path)
    verified = read_verification(verification, project.display(verification)) if verification else Verification()
    say("computing the change set")
    applied = outcome or splitting.apply(path, plan_file=plan_file)
    say("analyzing the project")
    before = analyze(project.template, iam=True)
    template_rel = project.display(project.template)
    before_template = load_template(project.root, project.template)
    monolith = next(s for s in before_template.functions if s.logical_id == applied.plan.monolith)
    code_uri = monolith.code_uri.rstrip("/") or "."
    with Workspace(project.root) as ws:
        before_code = ws.export("before", code_uri)
        ws.apply_changes(applied.change_set)
        say("analyzing the result")
        after = analyze(ws.root / template_rel, iam=True)
        after_template = load_template(ws.root, ws.root / template_rel)
        after_code = ws.export("after", code_uri)
        folders = {p.logical_id: ws.export(f"package{i}", code_uri, p.files) for i, p in enumerate(applied.packages)}
        requirements = requirement_lines(_requirements_file(project.root, code_uri))
        sizes = {
            BEFORE: package_size(before_code, None, requirements),
            AFTER: package_size(after_code, None, requirements),
        }
        sizes |= {p.logical_id: package_size(folders[p.logical_id], p.files, p.distributions) for p in applied.packages}
        say("timing cold imports")
        imports = _imports(applied.packages, folders, before_code, after_code, monolith, applied, import_runs)
    facts = Facts(
        generator=f"{GENERATED_MARKER} {__version__} (decompose dry-run)",
        project=project.root.resolve().name,
        plan=applied.plan,
        plan_file=applied.plan_file,
        before=before,
        after=after,
        before_template=before_template,
        after_template=after_template,
        change_set=applied.change_set,
        functions=applied.functions,
        packages=applied.packages,
        drafts=applied.drafts,
        sizes=sizes,
        imports=imports,
        verification=verified,
        measured=MeasuredOn(
            python=f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
            platform=f"{platform.system()} {platform.machine()}",
            import_runs=max(import_runs, 0),
            method=METHOD,
        ),
    )
    return assemble(facts)


def report_file(output: Path, text: str) -> tuple[ChangeSet, Path]:
    """The change set that writes a rendered report to `output`, and the folder it is relative to: the writer
    replaces a report decompose wrote before (it carries the marker) and refuses any other existing file."""
    before = None
    if output.exists():
        try:
            with output.open(encoding="utf-8", newline="") as handle:
                before = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise WriteRefusedError(
                f"cannot read the existing file to replace it: {error}", Location(str(output))
            ) from error
    change = FileChange(output.name, before, text, "report", generated=True)
    return ChangeSet((change,)), output.parent if str(output.parent) else Path(".")


def _imports(  # noqa: PLR0917 - one private call site
    packages: tuple[FunctionPackage, ...],
    folders: dict[str, Path],
    before_code: Path,
    after_code: Path,
    monolith: FunctionSpec,
    applied: splitting.ApplyOutcome,
    runs: int,
) -> dict[str, ImportTiming]:
    """Every handler's cold import: the monolith's before and after, each new function's in its own package.
    Each runs with the monolith's variables (the new functions' are a subset of them)."""
    handlers = {d.plan.logical_id: d.handler.rpartition(".")[0] for d in applied.drafts}
    module = monolith.handler_module
    targets = [
        ImportTarget(BEFORE, before_code, module, function_environment(monolith.environment, applied.plan.monolith)),
        *(
            ImportTarget(
                p.logical_id,
                folders[p.logical_id],
                handlers[p.logical_id],
                function_environment(monolith.environment, p.logical_id),
            )
            for p in packages
        ),
        ImportTarget(AFTER, after_code, module, function_environment(monolith.environment, applied.plan.monolith)),
    ]
    return time_imports(targets, runs)


def _requirements_file(root: Path, code_uri: str) -> Path | None:
    """The requirements file SAM's builder installs for the monolith: at its CodeUri, else at the project root."""
    for candidate in (root / code_uri / "requirements.txt", root / "requirements.txt"):
        if candidate.is_file():
            return candidate
    return None
