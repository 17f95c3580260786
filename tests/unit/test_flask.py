"""FlaskAnalyzer: a Flask app's url_map read from the source, behind serverless-wsgi, awsgi or apig-wsgi."""

from __future__ import annotations

import pytest

from tests.conftest import routes_of

HANDLER = """
import serverless_wsgi
from app import app

def handler(event, context):
    return serverless_wsgi.handle_request(app, event, context)
"""

USERS_BP = """
from flask import Blueprint

bp = Blueprint("users", __name__, url_prefix="/users")

@bp.route("/")
def list_users():
    return []

@bp.route("/<int:user_id>", methods=["GET", "PUT"])
def user(user_id):
    return {}
"""

CASES = {
    "route default GET, methods list (a listed HEAD is a route), verb decorators": (
        {
            "app.py": """
            from flask import Flask
            app = Flask(__name__)

            @app.route("/health")
            def health():
                return "ok"

            @app.route("/orders", methods=["GET", "POST", "HEAD"])
            def orders():
                return []

            @app.delete("/orders/<order_id>")
            def delete_order(order_id):
                return ""
            """,
            "handler.py": HANDLER,
        },
        "handler.handler",
        {
            "GET /health": "app.health",
            "GET /orders": "app.orders",
            "POST /orders": "app.orders",
            "HEAD /orders": "app.orders",
            "DELETE /orders/{order_id}": "app.delete_order",
        },
    ),
    "blueprint prefix, replaced by register_blueprint(url_prefix=)": (
        {
            "users.py": USERS_BP,
            "app.py": """
            from flask import Flask
            import users
            app = Flask(__name__)
            app.register_blueprint(users.bp, url_prefix="/v1/users")
            """,
            "handler.py": HANDLER,
        },
        "handler.handler",
        {
            "GET /v1/users": "users.list_users",
            "GET /v1/users/{user_id}": "users.user",
            "PUT /v1/users/{user_id}": "users.user",
        },
    ),
    "blueprint keeps its own prefix without one; an unregistered blueprint serves nothing": (
        {
            "users.py": USERS_BP,
            "admin.py": """
            from flask import Blueprint
            admin = Blueprint("admin", __name__)

            @admin.get("/admin")
            def dashboard():
                return ""
            """,
            "app.py": """
            from flask import Flask
            from users import bp
            app = Flask(__name__)
            app.register_blueprint(bp)
            """,
            "handler.py": HANDLER,
        },
        "handler.handler",
        {"GET /users": "users.list_users", "GET /users/{user_id}": "users.user", "PUT /users/{user_id}": "users.user"},
    ),
    "nested blueprints join their prefixes": (
        {
            "app.py": """
            from flask import Blueprint, Flask
            api = Blueprint("api", __name__, url_prefix="/api")
            v1 = Blueprint("v1", __name__)

            @v1.get("/ping")
            def ping():
                return "pong"

            api.register_blueprint(v1, url_prefix="/v1")
            app = Flask(__name__)
            app.register_blueprint(api)
            """,
            "handler.py": HANDLER,
        },
        "handler.handler",
        {"GET /api/v1/ping": "app.ping"},
    ),
    "converters and a greedy path converter": (
        {
            "app.py": """
            from flask import Flask
            app = Flask(__name__)

            @app.get("/files/<path:key>")
            def download(key):
                return key

            @app.get("/items/<int:item_id>/")
            def item(item_id):
                return ""
            """,
            "handler.py": HANDLER,
        },
        "handler.handler",
        {"GET /files/{key+}": "app.download", "GET /items/{item_id}": "app.item"},
    ),
    "add_url_rule with a function and with a MethodView": (
        {
            "views.py": """
            from flask.views import MethodView

            def ping():
                return "pong"

            class ItemAPI(MethodView):
                def get(self, item_id):
                    return {}

                def delete(self, item_id):
                    return ""

                def _helper(self):
                    return None
            """,
            "app.py": """
            from flask import Flask
            from views import ItemAPI, ping
            app = Flask(__name__)
            app.add_url_rule("/ping", "ping", ping)
            app.add_url_rule("/items/<item_id>", view_func=ItemAPI.as_view("item"))
            """,
            "handler.py": HANDLER,
        },
        "handler.handler",
        {
            "GET /ping": "views.ping",
            "GET /items/{item_id}": "views.ItemAPI.get",
            "DELETE /items/{item_id}": "views.ItemAPI.delete",
        },
    ),
    "app factory, blueprints registered inside it, a view nested in it": (
        {
            "users.py": USERS_BP,
            "factory.py": """
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                from users import bp
                app.register_blueprint(bp, url_prefix="/people")

                @app.route("/hello")
                def hello():
                    return "hi"

                return app
            """,
            "handler.py": """
            import serverless_wsgi
            from factory import create_app

            app = create_app()

            def handler(event, context):
                return serverless_wsgi.handle_request(app, event, context)
            """,
        },
        "handler.handler",
        {
            "GET /people": "users.list_users",
            "GET /people/{user_id}": "users.user",
            "PUT /people/{user_id}": "users.user",
            "GET /hello": "factory.create_app.hello",
        },
    ),
    "awsgi.response in the handler": (
        {
            "app.py": """
            import awsgi
            from flask import Flask
            app = Flask(__name__)

            @app.get("/")
            def index():
                return "home"

            def lambda_handler(event, context):
                return awsgi.response(app, event, context, base64_content_types={"image/png"})
            """,
        },
        "app.lambda_handler",
        {"GET /": "app.index"},
    ),
    "apig_wsgi.make_lambda_handler assigned to the handler name": (
        {
            "app.py": """
            from apig_wsgi import make_lambda_handler
            from flask import Flask
            app = Flask(__name__)

            @app.post("/jobs")
            def submit():
                return ""

            lambda_handler = make_lambda_handler(app, binary_support=True)
            """,
        },
        "app.lambda_handler",
        {"POST /jobs": "app.submit"},
    ),
    "the handler names the Flask app object itself": (
        {
            "app.py": """
            import flask
            app = flask.Flask(__name__)

            @app.get("/")
            def index():
                return "home"
            """,
        },
        "app.app",
        {"GET /": "app.index"},
    ),
    "blueprints registered by an init function the factory calls with its app": (
        {
            "views.py": """
            from flask import Blueprint
            bp = Blueprint("views", __name__)

            @bp.get("/ping")
            def ping():
                return "pong"
            """,
            "app.py": """
            from flask import Flask
            import serverless_wsgi
            from views import bp

            def init_blueprints(flask_app):
                flask_app.register_blueprint(bp, url_prefix="/api")

            def create_app():
                application = Flask(__name__)
                init_blueprints(application)
                return application

            app = create_app()

            def handler(event, context):
                return serverless_wsgi.handle_request(app, event, context)
            """,
        },
        "app.handler",
        {"GET /api/ping": "views.ping"},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_route_table(analyze_app, case) -> None:
    """Each Flask registration style gives the route ids Flask's url_map has, with the view as entry."""
    sources, handler, expected = CASES[case]
    report = analyze_app(sources, handler=handler)
    routes = routes_of(report)
    assert {rid: r.entry for rid, r in routes.items()} == expected
    assert {r.dispatch for r in routes.values()} == {"flask"}
    assert {r.trigger.type for r in routes.values()} == {"Api"}


HOOKS_APP = {
    "users.py": """
    from flask import Blueprint
    import audit

    bp = Blueprint("users", __name__, url_prefix="/users")

    @bp.before_request
    def load_user():
        return None

    @bp.get("/me")
    def me():
        return {}
    """,
    "audit.py": """
    def record(response):
        return response

    class Middleware:
        def __init__(self, wsgi_app):
            self.wsgi_app = wsgi_app

        def __call__(self, environ, start_response):
            return self.wsgi_app(environ, start_response)
    """,
    "app.py": """
    from flask import Flask
    import audit
    from users import bp

    app = Flask(__name__)
    app.register_blueprint(bp)
    app.after_request(audit.record)
    app.wsgi_app = audit.Middleware(app.wsgi_app)

    @app.errorhandler(404)
    def not_found(error):
        return "missing", 404

    @app.get("/health")
    def health():
        return "ok"
    """,
    "handler.py": HANDLER,
}


def test_hooks_join_the_reach_of_the_routes_they_run_for(analyze_app) -> None:
    """App hooks (after_request, errorhandler, wsgi middleware) reach every route; a blueprint's own
    before_request reaches only its routes; registrations themselves reach nothing."""
    routes = routes_of(analyze_app(HOOKS_APP, handler="handler.handler"))
    app_hooks = {
        "app.not_found",
        "audit.record",
        "audit.Middleware",
        "audit.Middleware.__init__",
        "audit.Middleware.__call__",
    }
    assert set(routes["GET /health"].reach.definitions) == {"app.health", *app_hooks}
    assert set(routes["GET /users/me"].reach.definitions) == {"users.me", "users.load_user", *app_hooks}


def test_a_path_converter_mid_path_is_a_finding(analyze_app) -> None:
    """API Gateway has no multi-segment parameter but the last: the route stays, with a finding."""
    sources = {
        "app.py": """
        from flask import Flask
        app = Flask(__name__)

        @app.get("/files/<path:key>/meta")
        def meta(key):
            return key
        """,
        "handler.py": HANDLER,
    }
    report = analyze_app(sources, handler="handler.handler")
    assert set(routes_of(report)) == {"GET /files/{key}/meta"}
    assert [(f.rule, str(f.location)) for f in report.findings] == [("unresolved-dispatch", "app.py:4")]
