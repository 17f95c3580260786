"""The refactor and the generated handlers on real apps: the sample and every fixture app, copied.

For each app three routes are extracted, then two more on the result, then the same plan again: the
monolith's own tests pass (sample), every touched or generated file passes ruff and imports, each generated
handler re-analyzed as a function finds exactly its routes and reaches no other route's entry, and under moto
each generated handler answers its route's event exactly as the refactored monolith does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from decompose.pipeline import analyze
from tests.generation.replay import SAMPLE, normalised, run_fixture, run_sample
from tests.generation.split import Split, entries, reanalyze, ruff, split
from tests.iam import fixture_harness as fh

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Routes per app: three first, then two more. Routes whose reach is dynamic (`getattr(tasks, name)`) are
# refused by the refactor (tested in tests/refactoring) and left out here.
PICKS: dict[str, tuple[list[str | tuple[str, ...]], list[str | tuple[str, ...]]]] = {
    "sample_monolith": (
        ["POST /invoices", "GET /orders/{order_id}", "GET /products"],
        ["S3 UploadsBucket", "POST /payments"],
    ),
    "if_chain_v1": (
        ["GET /orders", "POST /orders", "GET /reports/{report_id}"],
        ["DELETE /items/{param1}", "GET /health"],
    ),
    "http_api_v2": (
        ["GET /items/{id}", "POST /carts", "POST /carts/{cart_id}/checkout"],
        ["GET /items", "PUT /items/{id}"],
    ),
    "match_statement": (
        ["GET /notes", "POST /notes", "DELETE /notes/{note_id}"],
        ["GET /tags", "POST /notes/{note_id}/attachments"],
    ),
    "dispatch_table": (
        ["GET /health", "POST /users", "GET /projects"],
        ["DELETE /projects/{project_id}", "PUT /settings"],
    ),
    "event_sources": (
        ["S3 UploadsBucket", "SQS JobsQueue", "WebSocket $connect"],
        ["Kinesis ClicksStream", "EventBridgeRule OrderPlacedRule"],
    ),
    "powertools": (
        ["GET /orders", "POST /orders", "GET /payments/{payment_id}"],
        ["GET /health", "POST /payments/{payment_id}/refund"],
    ),
    "flask_app": (
        ["GET /notes/{note_id}", "GET /", "POST /notes"],
        ["DELETE /notes/{note_id}", "GET /notes"],
    ),
    "fastapi_app": (
        ["GET /products/{sku}", "GET /health", "POST /v1/images/{sku}/upload-url"],
        ["PUT /products/{sku}", "GET /v1/images/{image_path+}"],
    ),
    "chalice_sam": (
        ["GET /books", ("GET /books/{isbn}", "DELETE /books/{isbn}"), "GET /reviews/{isbn}"],
        ["POST /books/{isbn}/receipt", "POST /reviews/{isbn}"],
    ),
}


def _copy(app: str, tmp_path: Path) -> Path:
    source = SAMPLE if app == "sample_monolith" else FIXTURES / app
    root = tmp_path / app
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "expected.json"))
    return root


def _check_outcome(app: str, outcome: Split) -> None:
    code_root = outcome.code_root
    touched = [code_root / h.path for h in outcome.handlers] + [code_root / c for c in outcome.result.created]
    lint = ruff(code_root)
    assert lint.returncode == 0, lint.stdout
    monolith = entries(outcome.monolith.routes)
    refactored = entries(analyze(outcome.root, iam=False).functions[0].routes)
    assert set(refactored) == set(monolith), "the monolith keeps every route"
    for handler in outcome.handlers:
        analysis = reanalyze(outcome, handler)
        assert sorted(r.id for r in analysis.routes) == sorted(handler.routes)
        own = {refactored[route_id] for route_id in handler.routes}
        others = {entry for route_id, entry in refactored.items() if route_id not in handler.routes} - own
        for route in analysis.routes:
            assert not set(route.reach.definitions) & others, (route.id, set(route.reach.definitions) & others)
            assert outcome.monolith.spec.handler_module not in route.reach.modules
    for handler in outcome.handlers:
        for route_id in handler.routes:
            original, refactored, got = _replay(app, outcome, handler.handler, route_id)
            assert normalised(refactored) == normalised(original), f"the refactored monolith changed {route_id}"
            assert normalised(got) == normalised(original), route_id
    assert all(p.exists() for p in touched)


def _replay(app: str, outcome: Split, handler: str, route_id: str) -> tuple[object, object, object]:
    """The route's response from the original app, the refactored monolith and the generated handler."""
    code_root = outcome.code_root
    pristine = (SAMPLE if app == "sample_monolith" else FIXTURES / app) / outcome.monolith.spec.code_uri
    monolith = outcome.monolith.spec.handler
    if app == "sample_monolith":
        route = next(r for r in outcome.monolith.routes if r.id == route_id)
        event = route.trigger.event or ""
        runs = ((pristine, monolith), (code_root, monolith), (code_root, handler))
        return tuple(run_sample(root, name, event) for root, name in runs)  # type: ignore[return-value]
    case = fh.Case(app, route_id)
    runs = ((pristine, monolith), (code_root, monolith), (code_root, handler))
    return tuple(run_fixture(app, root, name, case) for root, name in runs)  # type: ignore[return-value]


@pytest.mark.parametrize("app", sorted(PICKS))
def test_three_routes_then_two_more_then_nothing(app: str, tmp_path: Path) -> None:
    """Three routes extracted, then two more, each state checked; the same plan again changes nothing."""
    root = _copy(app, tmp_path)
    first, more = PICKS[app]
    outcome = split(root, first)
    assert outcome.result.moved, "the first extraction moves code"
    _check_outcome(app, outcome)
    outcome = split(root, first + more)
    _check_outcome(app, outcome)
    texts = {p: p.read_text() for p in outcome.code_root.rglob("*.py")}
    again = split(root, first + more)
    assert again.result.moved == ()
    assert {p: p.read_text() for p in outcome.code_root.rglob("*.py")} == texts


def test_sample_monolith_tests_pass_on_the_refactored_copy(tmp_path: Path) -> None:
    """The sample's own 60 moto tests pass after extracting five routes (three, then two more)."""
    root = _copy("sample_monolith", tmp_path)
    first, more = PICKS["sample_monolith"]
    split(root, first)
    outcome = split(root, first + more)
    assert (
        any(m.source == "invoices" and m.name == "create_invoice" for m in outcome.result.moved)
        or (root / "src" / "routes" / "post_invoices.py").exists()
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "60 passed" in result.stdout


ADAPTERS = {
    "aws-wsgi": "import awsgi\n\nfrom factory import create_app\n\napp = create_app()\n\n\n"
    "def lambda_handler(event, context):\n    return awsgi.response(app, event, context)\n",
    "apig-wsgi": "from apig_wsgi import make_lambda_handler\n\nfrom factory import create_app\n\napp = create_app()\n"
    "lambda_handler = make_lambda_handler(app)\n",
}

IMPORTED = {"aws-wsgi": "awsgi", "apig-wsgi": "apig_wsgi"}


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_a_flask_app_behind_each_wsgi_adapter_is_split(adapter: str, tmp_path: Path) -> None:
    """The Flask fixture behind aws-wsgi or apig-wsgi instead of serverless-wsgi: each new function serves its
    route through the same adapter and answers as the original app does."""
    pristine = _copy("flask_app", tmp_path / "pristine")
    (pristine / "src" / "app.py").write_text(ADAPTERS[adapter], encoding="utf-8")
    root = tmp_path / "split"
    shutil.copytree(pristine, root)
    routes = ["GET /notes/{note_id}", "POST /notes", "GET /"]
    outcome = split(root, routes)
    lint = ruff(outcome.code_root)
    assert lint.returncode == 0, lint.stdout
    assert len(outcome.handlers) == len(routes)
    for handler in outcome.handlers:
        assert f"import {IMPORTED[adapter]}" in handler.text or f"from {IMPORTED[adapter]} import" in handler.text
        assert sorted(r.id for r in reanalyze(outcome, handler).routes) == list(handler.routes)
        (route_id,) = handler.routes
        case = fh.Case("flask_app", route_id)
        original = run_fixture("flask_app", pristine / "src", "app.lambda_handler", case)
        got = run_fixture("flask_app", outcome.code_root, handler.handler, case)
        assert normalised(got) == normalised(original), route_id


def test_every_powertools_route_extracted(tmp_path: Path) -> None:
    """With every route extracted, a router whose views all move leaves its module: the module imports the
    views back for their registrations, so what they use (the router, a shared loader) goes to modules
    beside it instead of staying (staying was an import cycle payments -> routes.x -> payments)."""
    root = _copy("powertools", tmp_path)
    every = sorted(r.id for r in analyze(root).functions[0].routes)
    outcome = split(root, every)
    assert len(outcome.handlers) == len(every)
    _check_outcome("powertools", outcome)
    source = (outcome.code_root / "payments.py").read_text()
    assert "router = Router()" not in source


EVERY_ROUTE = {
    "chalice_sam": ["GET /books", ("GET /books/{isbn}", "DELETE /books/{isbn}"), "POST /books",
                    "POST /books/{isbn}/receipt", "GET /reviews/{isbn}", "POST /reviews/{isbn}"],
    "fastapi_app": ["GET /health", "GET /products", "GET /products/{sku}", "PUT /products/{sku}",
                    "GET /v1/images/{image_path+}", "POST /v1/images/{sku}/upload-url"],
}  # fmt: skip
HOOK = {"chalice_sam": '@app.middleware("http")', "fastapi_app": "@app.exception_handler(CatalogError)"}


@pytest.mark.parametrize("app", sorted(EVERY_ROUTE))
def test_every_route_extracted_keeps_the_apps_hooks(app: str, tmp_path: Path) -> None:
    """With every route extracted, the app's hook (a Chalice middleware, a FastAPI exception handler) is used
    by the new functions only, so the refactor moves it out of the handler module to a module of its own:
    each generated handler imports that module, as the monolith does, or its app would serve without the hook
    (found by `decompose verify`: a missing `x-request-id` header, a 500 for the handler's 404)."""
    root = _copy(app, tmp_path)
    outcome = split(root, EVERY_ROUTE[app])
    (hook_file,) = [p for p in outcome.code_root.glob("*.py") if HOOK[app] in p.read_text(encoding="utf-8")]
    hook_module = hook_file.stem
    assert hook_file.name not in {"app.py", "main.py"}  # moved out of the handler module
    for handler in outcome.handlers:
        assert f"import {hook_module}  # noqa: F401" in handler.text, handler.path
    _check_outcome(app, outcome)
