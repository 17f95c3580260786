"""The refactor on small apps written inline: what moves where, what rope gets wrong put right, what is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from decompose.domain.plan import FunctionPlan, Plan
from decompose.errors import RefactorError
from decompose.pipeline import analyze
from decompose.refactoring import RefactorResult, refactor
from tests.conftest import sam_template, write_app

EVENTS = """
A:
  Type: Api
  Properties: {Path: /a, Method: get}
B:
  Type: Api
  Properties: {Path: /b, Method: get}
C:
  Type: Api
  Properties: {Path: /c, Method: get}
"""

APP = """
import views


def lambda_handler(event, context):
    path = event["path"]
    if path == "/a":
        return views.get_a(event)
    if path == "/b":
        return views.get_b(event)
    if path == "/c":
        return views.get_c(event)
    return {"statusCode": 404}
"""


def run(tmp_path: Path, sources: dict[str, str], extract: dict[str, str]) -> RefactorResult:
    """Write the app (sources under src/), analyze it and refactor it with one function per `extract` entry."""
    write_app(tmp_path, {"template.yaml": sam_template(EVENTS), **{f"src/{k}": v for k, v in sources.items()}})
    return again(tmp_path, extract)


def again(tmp_path: Path, extract: dict[str, str]) -> RefactorResult:
    """Refactor the app at `tmp_path` (as it is now) for `extract` (logical id -> route id)."""
    monolith = analyze(tmp_path, iam=False).functions[0]
    functions = tuple(FunctionPlan(logical_id, (route,), extract=True) for logical_id, route in extract.items())
    return refactor(tmp_path / "src", monolith, Plan("ApiFunction", functions))


def read(tmp_path: Path, path: str) -> str:
    return (tmp_path / "src" / path).read_text()


VIEWS = """
import json

import yaml


def _render(data):
    return yaml.safe_dump(data)


def _fmt(value):
    return str(value)


def get_a(event):
    return {"statusCode": 200, "body": _render({"a": _fmt(1)})}


def get_b(event):
    return {"statusCode": 200, "body": json.dumps({"b": _fmt(2)})}


def get_c(event):
    return {"statusCode": 200, "body": json.dumps({"c": 3})}
"""


def test_exclusive_code_moves_with_its_heavy_import(tmp_path: Path) -> None:
    """A route's own entry, helper and third-party import move to its module; the monolith imports them."""
    result = run(tmp_path, {"app.py": APP, "views.py": VIEWS}, {"GetAFunction": "GET /a"})
    assert result.modules == {"GetAFunction": "routes.get_a"}
    moved = read(tmp_path, "routes/get_a.py")
    assert "def get_a(" in moved
    assert "def _render(" in moved
    assert "import yaml" in moved
    assert "yaml" not in read(tmp_path, "views.py")
    assert "def _fmt(" in read(tmp_path, "views.py"), "pure shared code beside pure code stays"
    assert "from routes.get_a import get_a" in read(tmp_path, "app.py")
    assert (tmp_path / "src" / "routes" / "__init__.py").exists()
    assert read(tmp_path, "routes/get_a.py").startswith('"""The code only GetAFunction uses (GET /a)')


def test_a_second_run_moves_nothing(tmp_path: Path) -> None:
    """Refactoring the refactored tree with the same plan changes no file."""
    run(tmp_path, {"app.py": APP, "views.py": VIEWS}, {"GetAFunction": "GET /a"})
    before = {p: p.read_text() for p in (tmp_path / "src").rglob("*.py")}
    assert again(tmp_path, {"GetAFunction": "GET /a"}).moved == ()
    assert {p: p.read_text() for p in (tmp_path / "src").rglob("*.py")} == before


DB = """
import os

A_TABLE = os.environ["A_TABLE"]
B_TABLE = os.environ["B_TABLE"]


def read_a():
    return A_TABLE


def read_b():
    return B_TABLE
"""

DB_VIEWS = """
import db


def get_a(event):
    return {"statusCode": 200, "body": db.read_a()}


def get_b(event):
    return {"statusCode": 200, "body": db.read_b()}


def get_c(event):
    return {"statusCode": 200, "body": db.read_a() + "!"}
"""


def test_shared_code_beside_import_time_reads_moves_to_a_shared_module(tmp_path: Path) -> None:
    """Code two routes share, in a module that reads another route's variable at import, goes to a shared
    module, so the extracted function's package reads only its own variable."""
    result = run(tmp_path, {"app.py": APP, "views.py": DB_VIEWS, "db.py": DB}, {"GetAFunction": "GET /a"})
    shared = read(tmp_path, "db_read_a.py")
    assert "A_TABLE = os.environ" in shared
    assert "def read_a(" in shared
    assert "B_TABLE" not in shared
    assert "from db_read_a import read_a" in read(tmp_path, "routes/get_a.py")
    assert "import db\n" not in read(tmp_path, "routes/get_a.py")
    assert {m.destination for m in result.moved} == {"db_read_a", "routes.get_a"}


def test_refactored_tree_imports_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """Every module of the refactored tree imports, in a new interpreter, and the handler still answers."""
    run(
        tmp_path,
        {"app.py": APP, "views.py": DB_VIEWS, "db.py": DB},
        {"GetAFunction": "GET /a", "GetCFunction": "GET /c"},
    )
    code = (
        "import app, routes.get_a, routes.get_c, db_read_a;"
        "print([app.lambda_handler({'path': p}, None)['body'] for p in ('/a', '/b', '/c')])"
    )
    env = {**os.environ, "A_TABLE": "ta", "B_TABLE": "tb", "PYTHONPATH": str(tmp_path / "src")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['ta', 'tb', 'ta!']"


ALIAS_VIEWS = """
from helpers import fmt as format_value


def get_a(event):
    return {"statusCode": 200, "body": format_value(1)}


def get_b(event):
    return {"statusCode": 200, "body": "b"}


def get_c(event):
    return {"statusCode": 200, "body": "c"}
"""

ALIAS_USER = """
from helpers import fmt as shown


def describe():
    return shown(2)
"""


def test_aliased_import_of_a_moved_name_is_rewritten(tmp_path: Path) -> None:
    """`from m import f as g` is pointed at f's new module (rope leaves it stale)."""
    sources = {"app.py": APP, "views.py": ALIAS_VIEWS, "helpers.py": "def fmt(value):\n    return str(value)\n"}
    sources["other.py"] = ALIAS_USER
    run(tmp_path, sources, {"GetAFunction": "GET /a"})
    assert "from routes.get_a import fmt as shown" in read(tmp_path, "other.py")
    assert "def fmt(" in read(tmp_path, "routes/get_a.py")


GLOBAL_VIEWS = """
counter = 0


def get_a(event):
    global counter
    counter += 1
    return {"statusCode": 200, "body": str(counter)}


def get_b(event):
    return {"statusCode": 200, "body": str(counter)}


def get_c(event):
    return {"statusCode": 200, "body": "c"}
"""


def test_a_global_the_move_would_split_is_refused_and_the_tree_restored(tmp_path: Path) -> None:
    """A function rebinding a global that another route reads cannot move: an error with file:line, no change."""
    write_app(tmp_path, {"template.yaml": sam_template(EVENTS), "src/app.py": APP, "src/views.py": GLOBAL_VIEWS})
    before = {p: p.read_text() for p in (tmp_path / "src").rglob("*.py")}
    with pytest.raises(RefactorError) as error:
        again(tmp_path, {"GetAFunction": "GET /a"})
    assert str(error.value).startswith("src/views.py:5: cannot move get_a: it rebinds the global counter")
    assert {p: p.read_text() for p in (tmp_path / "src").rglob("*.py")} == before


EXEC_VIEWS = """
def get_a(event):
    exec(event["body"])
    return {"statusCode": 200}


def get_b(event):
    return {"statusCode": 200}


def get_c(event):
    return {"statusCode": 200}
"""


def test_exec_in_code_to_move_is_refused(tmp_path: Path) -> None:
    """Code that runs `exec` cannot be moved safely: a RefactorError names its file and line."""
    write_app(tmp_path, {"template.yaml": sam_template(EVENTS), "src/app.py": APP, "src/views.py": EXEC_VIEWS})
    with pytest.raises(RefactorError, match=r"src/views.py:2: cannot move get_a: exec\(\)"):
        again(tmp_path, {"GetAFunction": "GET /a"})
    assert not (tmp_path / "src" / "routes").exists()


ALL_VIEWS = VIEWS.replace("import json\n", 'import json\n\n__all__ = ["get_a", "get_b", "get_c"]\n', 1)


def test_dunder_all_loses_the_moved_names_and_is_not_back_imported(tmp_path: Path) -> None:
    """The source's `__all__` no longer lists what moved, and the destination does not import `__all__`."""
    run(tmp_path, {"app.py": APP, "views.py": ALL_VIEWS}, {"GetAFunction": "GET /a"})
    assert '__all__ = ["get_b", "get_c"]' in read(tmp_path, "views.py")
    assert "__all__" not in read(tmp_path, "routes/get_a.py")


DIRECT = """
import json


def _body(event):
    return json.loads(event["body"])


def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps(_body(event))}
"""


def test_a_handler_without_dispatch_is_left_in_place(tmp_path: Path) -> None:
    """A handler that serves one route directly is the route: nothing moves (found on a public app, where the
    refactor used to move the handler itself out of its module)."""
    write_app(tmp_path, {"template.yaml": sam_template(""), "src/app.py": DIRECT})
    before = read(tmp_path, "app.py")
    assert again(tmp_path, {"DirectFunction": "Invoke ApiFunction"}).moved == ()
    assert read(tmp_path, "app.py") == before


SHADOW_VIEWS = """
import boto3

s3_client = boto3.client("s3")


def get_a(event, s3_client=s3_client):
    return {"statusCode": 200, "body": str(s3_client)}


def get_b(event):
    return {"statusCode": 200, "body": str(s3_client)}


def get_c(event):
    return {"statusCode": 200}
"""


def test_a_default_naming_the_global_its_parameter_shadows_is_imported(tmp_path: Path) -> None:
    """`def f(s3_client=s3_client)` moved: the default's global is imported in the destination (rope misses
    it; found on a public app as an undefined name)."""
    run(tmp_path, {"app.py": APP, "views.py": SHADOW_VIEWS}, {"GetAFunction": "GET /a"})
    moved = read(tmp_path, "routes/get_a.py")
    assert "from views import s3_client" in moved
    done = subprocess.run(
        [sys.executable, "-c", "import routes.get_a"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "src"), "AWS_DEFAULT_REGION": "us-east-1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr


ROUTER_MAIN = """
from fastapi import FastAPI
from mangum import Mangum

from routers import images

app = FastAPI()
app.include_router(images.router, prefix="/v1")
handler = Mangum(app, lifespan="off")
"""

ROUTER_VIEWS = """
from fastapi import APIRouter

router = APIRouter(prefix="/images")


@router.get("/{sku}")
def get_image(sku: str):
    return {"sku": sku}


@router.post("/{sku}")
def put_image(sku: str):
    return {"stored": sku}
"""


def test_a_router_whose_views_all_move_goes_to_a_shared_module(tmp_path: Path) -> None:
    """Both views of a FastAPI router extracted at once: the router cannot stay in a module that would import
    them back (a cycle), so it moves to a shared module, and the monolith still serves both routes."""
    events = "Api:\n  Type: HttpApi\n"
    sources = {"main.py": ROUTER_MAIN, "routers/__init__.py": "", "routers/images.py": ROUTER_VIEWS}
    write_app(
        tmp_path,
        {"template.yaml": sam_template(events, handler="main.handler"), **{f"src/{k}": v for k, v in sources.items()}},
    )
    again(tmp_path, {"GetImageFunction": "GET /v1/images/{sku}", "CreateImageFunction": "POST /v1/images/{sku}"})
    assert "router = APIRouter" not in read(tmp_path, "routers/images.py")
    code = (
        "import main, routes.get_image, routes.create_image\n"
        "def event(method, path):\n"
        "    http = {'method': method, 'path': path, 'sourceIp': '1.1.1.1', 'protocol': 'HTTP/1.1'}\n"
        "    return {'version': '2.0', 'routeKey': '$default', 'rawPath': path, 'rawQueryString': '',\n"
        "            'headers': {}, 'requestContext': {'http': http, 'stage': '$default'}, 'isBase64Encoded': False}\n"
        "print(main.handler(event('GET', '/v1/images/a'), None)['body'],"
        " main.handler(event('POST', '/v1/images/b'), None)['body'])"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '{"sku":"a"} {"stored":"b"}'


NAMESAKE_DB = """
def get_a(key):
    return {"a": key}
"""

NAMESAKE_VIEWS = """
import db


def get_a(event):
    return {"statusCode": 200, "body": str(db.get_a("k"))}


def get_b(event):
    return {"statusCode": 200, "body": "b"}


def get_c(event):
    return {"statusCode": 200, "body": "c"}
"""


def test_two_definitions_of_one_name_never_share_a_module(tmp_path: Path) -> None:
    """`db.get_a` and `views.get_a`, both only GET /a's, do not both move to its module, where one would shadow
    the other (found on the sample: GET /payments/{payment_id}'s entry called itself); the helper goes to a
    module of its own beside its source, and the moved entry calls it there."""
    run(tmp_path, {"app.py": APP, "views.py": NAMESAKE_VIEWS, "db.py": NAMESAKE_DB}, {"GetAFunction": "GET /a"})
    moved = read(tmp_path, "routes/get_a.py")
    assert moved.count("def get_a(") == 1
    assert "db_get_a.get_a(" in moved
    assert "def get_a(key)" in read(tmp_path, "db_get_a.py")
    code = "import app; print(app.lambda_handler({'path': '/a'}, None)['body'])"
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'a': 'k'}"
