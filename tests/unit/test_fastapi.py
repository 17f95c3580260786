"""FastAPIAnalyzer: FastAPI / Starlette route tables read from the source, behind Mangum."""

from __future__ import annotations

import pytest

from tests.conftest import routes_of

USERS = """
from fastapi import APIRouter

router = APIRouter(prefix="/users")

@router.get("")
def list_users():
    return []

@router.get("/{user_id}")
def get_user(user_id: str):
    return {}
"""

CASES = {
    "verb decorators, api_route with and without methods": (
        {
            "main.py": """
            from fastapi import FastAPI
            from mangum import Mangum

            app = FastAPI()

            @app.get("/items/{item_id}")
            async def read_item(item_id: int):
                return {}

            @app.api_route("/ping")
            def ping():
                return "pong"

            @app.api_route("/items", methods=["POST", "PUT"])
            def save_items():
                return []

            handler = Mangum(app)
            """,
        },
        "main.handler",
        {
            "GET /items/{item_id}": "main.read_item",
            "GET /ping": "main.ping",
            "POST /items": "main.save_items",
            "PUT /items": "main.save_items",
        },
    ),
    "router prefixes and include_router prefixes concatenate, nested": (
        {
            "users.py": USERS,
            "main.py": """
            from fastapi import APIRouter, FastAPI
            from mangum import Mangum
            import users

            api = APIRouter(prefix="/api")
            api.include_router(users.router, prefix="/v1")
            app = FastAPI()
            app.include_router(api)
            handler = Mangum(app, lifespan="off")
            """,
        },
        "main.handler",
        {"GET /api/v1/users": "users.list_users", "GET /api/v1/users/{user_id}": "users.get_user"},
    ),
    "path parameters with convertors": (
        {
            "main.py": """
            from fastapi import FastAPI
            from mangum import Mangum

            app = FastAPI()

            @app.get("/files/{file_path:path}")
            def read_file(file_path: str):
                return file_path

            @app.delete("/orders/{order_id:int}")
            def delete_order(order_id: int):
                return None

            handler = Mangum(app)
            """,
        },
        "main.handler",
        {"GET /files/{file_path+}": "main.read_file", "DELETE /orders/{order_id}": "main.delete_order"},
    ),
    "add_api_route and a Mangum call inside a handler function": (
        {
            "views.py": """
            def health():
                return "ok"

            def create(body: dict):
                return body
            """,
            "main.py": """
            import fastapi
            import mangum
            import views

            app = fastapi.FastAPI()
            app.add_api_route("/health", views.health)
            app.add_api_route("/things", views.create, methods=["POST"])

            def lambda_handler(event, context):
                asgi = mangum.Mangum(app)
                return asgi(event, context)
            """,
        },
        "main.lambda_handler",
        {"GET /health": "views.health", "POST /things": "views.create"},
    ),
    "Starlette routes lists, Mount and an HTTPEndpoint": (
        {
            "main.py": """
            from mangum import Mangum
            from starlette.applications import Starlette
            from starlette.endpoints import HTTPEndpoint
            from starlette.routing import Mount, Route

            def homepage(request):
                return None

            def user(request):
                return None

            class Notes(HTTPEndpoint):
                async def get(self, request):
                    return None

                async def post(self, request):
                    return None

            api_routes = [Route("/users/{user_id}", user, methods=["GET", "DELETE"]), Route("/notes", Notes)]
            app = Starlette(routes=[Route("/", endpoint=homepage), Mount("/api", routes=api_routes)])
            handler = Mangum(app)
            """,
        },
        "main.handler",
        {
            "GET /": "main.homepage",
            "GET /api/users/{user_id}": "main.user",
            "DELETE /api/users/{user_id}": "main.user",
            "GET /api/notes": "main.Notes.get",
            "POST /api/notes": "main.Notes.post",
        },
    ),
    "the handler names the FastAPI app, built by a factory": (
        {
            "users.py": USERS,
            "main.py": """
            from fastapi import FastAPI

            def create_app() -> FastAPI:
                application = FastAPI(title="svc")
                from users import router
                application.include_router(router)
                return application

            app = create_app()
            """,
        },
        "main.app",
        {"GET /users": "users.list_users", "GET /users/{user_id}": "users.get_user"},
    ),
    "routers included by a function the module calls with the app": (
        {
            "users.py": USERS,
            "main.py": """
            from fastapi import FastAPI
            from mangum import Mangum
            from users import router as users_router

            app = FastAPI()

            V2 = "/v2"

            def register_routes(target: FastAPI) -> None:
                target.include_router(users_router, prefix=V2)

            def register_all(application):
                register_routes(application)

            register_all(app)
            handler = Mangum(app)
            """,
        },
        "main.handler",
        {"GET /v2/users": "users.list_users", "GET /v2/users/{user_id}": "users.get_user"},
    ),
}


def test_a_prefix_decompose_cannot_read_is_a_finding(analyze_app) -> None:
    """`include_router(r, prefix=computed)` still mounts the routes, and a finding says their paths lack it."""
    report = analyze_app(
        {
            "users.py": USERS,
            "main.py": """
            import os
            from fastapi import FastAPI
            from mangum import Mangum
            from users import router

            app = FastAPI()
            app.include_router(router, prefix=os.environ["PREFIX"])
            handler = Mangum(app)
            """,
        },
        handler="main.handler",
    )
    assert set(routes_of(report)) == {"GET /users", "GET /users/{user_id}"}
    issues = [f for f in report.findings if f.rule == "unresolved-dispatch"]
    assert [(str(f.location), "os.environ['PREFIX'] is not a literal string" in f.message) for f in issues] == [
        ("main.py:7", True)
    ]


@pytest.mark.parametrize("case", sorted(CASES))
def test_route_table(analyze_app, case) -> None:
    """Each FastAPI/Starlette registration style gives the routes the framework serves, view as entry."""
    sources, handler, expected = CASES[case]
    routes = routes_of(analyze_app(sources, handler=handler))
    assert {rid: r.entry for rid, r in routes.items()} == expected
    assert {r.dispatch for r in routes.values()} == {"fastapi"}


DEPENDENCIES = {
    "auth.py": """
    from fastapi import Depends, Header

    def token(authorization: str = Header("")):
        return authorization

    def tenant():
        return "t-1"

    def admin(user=Depends(token)):
        return user

    def audit():
        return None

    async def timing(request, call_next):
        return await call_next(request)

    def warm_up():
        return None
    """,
    "admin.py": """
    from fastapi import APIRouter, Depends
    import auth

    router = APIRouter(prefix="/admin", dependencies=[Depends(auth.admin)])

    @router.post("/reindex")
    def reindex():
        return None
    """,
    "main.py": """
    from fastapi import Depends, FastAPI
    from mangum import Mangum
    import admin
    import auth

    app = FastAPI(dependencies=[Depends(auth.tenant)], on_startup=[auth.warm_up])
    app.include_router(admin.router, dependencies=[Depends(auth.audit)])
    app.middleware("http")(auth.timing)

    @app.middleware("http")
    async def add_header(request, call_next):
        return await call_next(request)

    @app.get("/me", dependencies=[Depends(auth.token)])
    def me(tenant: str = Depends(auth.tenant)):
        return tenant

    handler = Mangum(app)
    off = Mangum(app, lifespan="off")
    """,
}


def test_dependencies_middleware_and_startup_join_reach(analyze_app) -> None:
    """App, router, include_router and route dependencies, middleware and startup code reach the routes
    they run for; a router's dependencies reach only its routes."""
    routes = routes_of(analyze_app(DEPENDENCIES, handler="main.handler"))
    app_wide = {"auth.tenant", "auth.warm_up", "main.add_header"}
    assert app_wide | {"main.me", "auth.token"} <= set(routes["GET /me"].reach.definitions)
    assert "auth.admin" not in routes["GET /me"].reach.definitions
    reindex = set(routes["POST /admin/reindex"].reach.definitions)
    assert app_wide | {"admin.reindex", "auth.admin", "auth.token", "auth.audit"} <= reindex


def test_mangum_lifespan_off_leaves_startup_code_out(analyze_app) -> None:
    """With `Mangum(app, lifespan="off")` startup handlers never run, so they are in no route's reach."""
    routes = routes_of(analyze_app(DEPENDENCIES, handler="main.off"))
    assert "auth.warm_up" not in routes["GET /me"].reach.definitions
    assert "auth.tenant" in routes["GET /me"].reach.definitions
