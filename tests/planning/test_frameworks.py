"""What a framework app's split cannot do safely is a plan problem at the function's line, naming the code.

Each case is a fixture app (copied) with one edit that makes the split unsafe; `decompose plan --extract`
must list the problem, and `apply` must refuse the plan, rather than generate a function that answers
differently from the monolith.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from decompose import splitting
from decompose.errors import PlanError
from tests.conftest import FIXTURES

STARLETTE = """
from mangum import Mangum
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def health(request):
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/health", health)])
handler = Mangum(app, lifespan="off")
"""

CASES = [
    pytest.param(
        "chalice_sam",
        {
            "template.yaml": (
                "            Path: /books\n            Method: get\n",
                "            Path: /{proxy+}\n            Method: any\n",
            )
        },
        "GET /books",
        "route 'GET /books' reaches the Chalice app (src/app.py:23) only through the catch-all event ListBooks",
        id="chalice-behind-proxy",
    ),
    pytest.param(
        "flask_app",
        {},
        "GET /v1/files/{key+}",
        "GetV1FileFunction: files.views.FileAPI.get is registered together with files.views.FileAPI.put, a view "
        "of another function (src/files/views.py:23): the new function's app would serve both",
        id="one-method-view-two-functions",
    ),
    pytest.param(
        "fastapi_app",
        {"src/main.py": ('Mangum(app, lifespan="off")', 'Mangum(app, lifespan="off", api_gateway_base_path="/c")')},
        "GET /health",
        "GetHealthFunction: Mangum strips api_gateway_base_path before the app routes (src/main.py:26)",
        id="mangum-base-path",
    ),
    pytest.param(
        "flask_app",
        {"template.yaml": ("          NOTES_TABLE:", "          API_GATEWAY_BASE_PATH: notes\n          NOTES_TABLE:")},
        "GET /notes",
        "ListNotesFunction: serverless-wsgi strips API_GATEWAY_BASE_PATH (the environment of NotesWebFunction",
        id="wsgi-base-path",
    ),
    pytest.param(
        "fastapi_app",
        {"src/main.py": (None, STARLETTE)},
        "GET /health",
        "GetHealthFunction: the route at src/main.py:12 is registered in a list decompose cannot slice",
        id="starlette-routes-list",
    ),
]


def _app(tmp_path: Path, name: str, edits: dict[str, tuple[str | None, str]]) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root, ignore=shutil.ignore_patterns("__pycache__", "expected.json"))
    for rel, (old, new) in edits.items():
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old is None or old in text, (rel, old)
        path.write_text(new if old is None else text.replace(old, new, 1), encoding="utf-8")
    return root


@pytest.mark.parametrize(("app", "edits", "route", "expected"), CASES)
def test_an_unsafe_framework_split_is_a_plan_problem(
    tmp_path: Path, app: str, edits: dict[str, tuple[str | None, str]], route: str, expected: str
) -> None:
    """`plan --extract` lists the problem at the function's line (or its route's); `apply` refuses the plan."""
    root = _app(tmp_path, app, edits)
    outcome = splitting.plan(root, extract=(route,))
    messages = [p.message for p in outcome.problems]
    assert any(m.startswith(expected) for m in messages), messages
    (problem,) = [p for p in outcome.problems if p.message.startswith(expected)]
    function = next(f for f in outcome.plan.functions if route in f.routes)
    lines = {function.line, function.line_of(f"routes.{function.routes.index(route)}")}
    assert problem.location is not None
    assert problem.location.line in lines
    (root / "decompose.yaml").write_text(outcome.change_set.changes[0].after or "", encoding="utf-8")
    with pytest.raises(PlanError):
        splitting.apply(root)


def test_a_chalice_project_without_a_template_is_told_why(tmp_path: Path) -> None:
    """A Chalice project deployed by `chalice deploy` gets a one-line reason, not "no template"."""
    root = _app(tmp_path, "chalice_app", {})
    with pytest.raises(splitting.UsageError, match=r"a Chalice project deployed by `chalice deploy`"):
        splitting.plan(root)


HAND_SPLIT = """version: 1
monolith: APIHandler
functions:
  - logical_id: GetBookFunction
    extract: true
    routes:
      - GET /books/{isbn}
"""


def test_routes_of_one_view_are_planned_as_one_function(tmp_path: Path) -> None:
    """`plan` puts the routes one framework view serves (`methods=["GET", "DELETE"]`) in one function, which
    `apply` splits; a plan edited to separate them is a problem naming the view."""
    root = _app(tmp_path, "chalice_sam", {})
    outcome = splitting.plan(root, extract=("GET /books/{isbn}",))
    assert outcome.problems == ()
    (function,) = outcome.plan.extracted
    assert function.routes == ("DELETE /books/{isbn}", "GET /books/{isbn}")
    (root / "decompose.yaml").write_text(HAND_SPLIT, encoding="utf-8")
    (problem,) = splitting.check(root).problems
    assert str(problem) == (
        "decompose.yaml:7: route 'GET /books/{isbn}' is served by the same Chalice view as 'DELETE /books/{isbn}' "
        "(app.book at src/app.py:36): the new function's app would register both; put them in one function"
    )
