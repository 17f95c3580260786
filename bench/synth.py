"""Synthetic monolithic Lambda apps (AWS SAM) of any size, for benchmarking `decompose analyze`.

`generate(root, routes, modules, helpers, lines_per_route)` writes a SAM project shaped like a typical
team's monolith:

    template.yaml               one function, `CodeUri: src/`, one explicit `Api` event per route
    src/requirements.txt        boto3
    src/app.py                  the handler: a module-level dispatch dict (`"GET /x": mod.fn`) for half the
                                routes, then a hand-written if/elif chain on method + path (grouped by
                                service prefix, a few regex path parameters) for the other half
    src/svc_<k>/routes_<j>.py   the route functions, `modules` modules spread over packages
    src/common/...              shared helpers that call each other, repository classes over module-level
                                DynamoDB tables, module-level boto3 clients and response builders

Every route calls its repository, 2-4 shared helpers and a chain of private filler functions that bring
the project to about `routes * lines_per_route` lines. The output is deterministic for given arguments
(one seeded `random.Random`), and every file is checked with `compile()`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20240611
MODULES_PER_PACKAGE = 4
HELPERS_PER_MODULE = 8
RESOURCES = (
    "orders",
    "items",
    "carts",
    "invoices",
    "payments",
    "customers",
    "shipments",
    "coupons",
    "reviews",
    "stock",
    "refunds",
    "returns",
    "addresses",
    "wishlists",
    "tickets",
    "vendors",
)
# (method, path suffix) of the routes of one resource; literal words only, so they never look like an id.
ACTIONS = (
    ("GET", ""),
    ("POST", ""),
    ("GET", "/search"),
    ("POST", "/import"),
    ("GET", "/export"),
    ("PUT", "/settings"),
    ("GET", "/stats"),
    ("DELETE", "/cache"),
    ("POST", "/bulk"),
    ("GET", "/summary"),
    ("PATCH", "/flags"),
    ("GET", "/audit"),
)
FIELDS = ("amount", "quantity", "weight", "rating", "priority", "discount", "score", "balance")
LABELS = ("status", "region", "channel", "currency", "category", "owner", "tier", "source")
CLIENTS = ("s3", "sqs", "sns", "events")
REGEX_EVERY = 25  # one if-chain route in this many takes a regex path parameter


@dataclass
class RouteSpec:
    """One generated route: its trigger, where its function lives and how the router reaches it."""

    index: int
    method: str
    path: str
    package: str
    module: str
    function: str
    resource: str
    style: str  # "table" or "if"
    param: str | None = None  # regex path parameter name, if any

    @property
    def alias(self) -> str:
        """The name app.py imports the route module under."""
        return f"{self.package}_{self.module}"

    @property
    def prefix(self) -> str:
        """The service's URL prefix, e.g. `/svc-3/`."""
        return f"/{self.package.replace('_', '-')}/"


@dataclass
class Layout:
    """Everything the file writers need to agree on."""

    routes: list[RouteSpec]
    modules: list[tuple[str, str, str]]  # (package, module, resource)
    helpers: list[tuple[int, str]]  # (helper module index, function name), in call order
    repositories: list[str]
    files: dict[str, str] = field(default_factory=dict)


def generate(root: Path, routes: int, modules: int, helpers: int, lines_per_route: int) -> dict[str, int]:
    """Write the synthetic SAM app under `root`; return its size (`routes`, `files`, `lines`)."""
    rng = random.Random(f"{SEED}-{routes}-{modules}-{helpers}-{lines_per_route}")
    layout = _layout(rng, routes, max(1, modules), max(2, helpers))
    layout.files["src/common/__init__.py"] = '"""Code shared by every route."""\n'
    layout.files["src/common/responses.py"] = _responses_module()
    layout.files["src/common/clients.py"] = _clients_module()
    layout.files["src/common/repository.py"] = _repository_module(layout.repositories)
    _helper_modules(rng, layout)
    _route_modules(rng, layout, lines_per_route)
    layout.files["src/app.py"] = _app_module(layout)
    layout.files["src/requirements.txt"] = "boto3>=1.34\n"
    layout.files["template.yaml"] = _template(layout)
    lines = 0
    for relative, text in layout.files.items():
        if relative.endswith(".py"):
            compile(text, relative, "exec")
            lines += text.count("\n")
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return {"routes": len(layout.routes), "files": len(layout.files), "lines": lines}


def packages_of(root: Path) -> list[str]:
    """The top-level packages under `root/src` (what an import-graph tool is pointed at)."""
    return sorted(p.name for p in (root / "src").iterdir() if (p / "__init__.py").is_file())


# --------------------------------------------------------------------------------------------- layout
def _layout(rng: random.Random, routes: int, modules: int, helpers: int) -> Layout:
    module_list = [
        (f"svc_{j // MODULES_PER_PACKAGE}", f"routes_{j % MODULES_PER_PACKAGE}", _resource_name(j))
        for j in range(modules)
    ]
    specs: list[RouteSpec] = []
    per_module: dict[int, int] = {}
    if_count = 0
    with_param: set[int] = set()
    for index in range(routes):
        j = index * modules // routes
        package, module, resource = module_list[j]
        slot = per_module.get(j, 0)
        per_module[j] = slot + 1
        style = "if" if index % 4 in (0, 1) else "table"
        method, suffix = _action(slot)
        param = None
        if style == "if":
            if_count += 1
            if if_count % REGEX_EVERY == 1 and j not in with_param:
                with_param.add(j)
                param = f"{resource.rstrip('s')}_id"
                method, suffix = "GET", f"/{{{param}}}"
        path = f"/{package.replace('_', '-')}/{resource}{suffix}"
        name = _function_name(method, resource, suffix, param)
        specs.append(RouteSpec(index, method, path, package, module, name, resource, style, param))
    helper_list = [(i // HELPERS_PER_MODULE, f"{rng.choice(_VERBS)}_{rng.choice(LABELS)}_{i}") for i in range(helpers)]
    repositories = [f"{r.title().replace('_', '')}Repository" for r in RESOURCES[: max(3, min(16, modules // 4))]]
    return Layout(specs, module_list, helper_list, repositories)


def _resource_name(j: int) -> str:
    base = RESOURCES[j % len(RESOURCES)]
    return base if j < len(RESOURCES) else f"{base}{j // len(RESOURCES)}"


def _action(slot: int) -> tuple[str, str]:
    if slot < len(ACTIONS):
        return ACTIONS[slot]
    method, suffix = ACTIONS[slot % len(ACTIONS)]
    return method, f"{suffix or '/all'}/v{slot // len(ACTIONS) + 1}"


def _function_name(method: str, resource: str, suffix: str, param: str | None) -> str:
    verb = {"GET": "get", "POST": "create", "PUT": "replace", "DELETE": "delete", "PATCH": "update"}[method]
    if param is not None:
        return f"{verb}_{resource}_by_id"
    tail = suffix.strip("/").replace("/", "_")
    return f"{verb}_{resource}_{tail}" if tail else f"{verb}_{resource}"


_VERBS = ("normalise", "validate", "enrich", "format", "merge", "score", "tag", "summarise", "redact", "rank")


# ---------------------------------------------------------------------------------------------- common
def _responses_module() -> str:
    return '''"""API Gateway (REST, payload 1.0) proxy responses."""

import json
from decimal import Decimal

HEADERS = {"Content-Type": "application/json"}


def json_response(status, body):
    return {
        "statusCode": status,
        "headers": HEADERS,
        "body": "" if body is None else json.dumps(body, default=_encode),
    }


def bad_request(message):
    return json_response(400, {"message": message})


def not_found(path):
    return json_response(404, {"message": f"no route for {path}"})


def _encode(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
'''


def _clients_module() -> str:
    lines = ['"""Module-level AWS clients, created once per container."""', "", "import boto3", ""]
    lines += [f'{name.upper()} = boto3.client("{name}")' for name in CLIENTS]
    return "\n".join(lines) + "\n"


def _repository_module(classes: list[str]) -> str:
    out = ['"""DynamoDB persistence, one repository per table."""', "", "import os", "", "import boto3"]
    out += ["from boto3.dynamodb.conditions import Key", "", 'DYNAMODB = boto3.resource("dynamodb")']
    for name in classes:
        table = name.removesuffix("Repository").upper()
        out.append(f'{table}_TABLE = DYNAMODB.Table(os.environ["{table}_TABLE"])')
    for name in classes:
        table = name.removesuffix("Repository").upper()
        out += ["", "", f"class {name}:", f'    """Reads and writes {table.lower()} items."""', ""]
        out += _repository_methods(f"{table}_TABLE")
    return "\n".join(out) + "\n"


def _repository_methods(table: str) -> list[str]:
    body = f'''    def __init__(self, table=None):
        self._table = table or {table}

    def get(self, item_id):
        response = self._table.get_item(Key={{"pk": self._key(item_id)}})
        return response.get("Item")

    def put(self, item):
        self._table.put_item(Item={{**item, "pk": self._key(item["id"])}})
        return item

    def query(self, status="open", limit=50):
        response = self._table.query(
            IndexName="by-status",
            KeyConditionExpression=Key("status").eq(status),
            Limit=limit,
        )
        return response["Items"]

    def delete(self, item_id):
        self._table.delete_item(Key={{"pk": self._key(item_id)}})

    def _key(self, item_id):
        return f"{table.removesuffix("_TABLE")}#{{item_id}}"'''
    return body.split("\n")


def _helper_modules(rng: random.Random, layout: Layout) -> None:
    by_module: dict[int, list[str]] = {}
    for position, (module, name) in enumerate(layout.helpers):
        callees = [layout.helpers[rng.randrange(position)] for _ in range(rng.randint(1, 2))] if position else []
        by_module.setdefault(module, []).append(_helper_function(rng, name, module, callees))
    for module, functions in by_module.items():
        imports = sorted({m for m, _ in layout.helpers if m < module and _calls_module(functions, m)})
        header = [f'"""Shared helpers, part {module}."""', "", "import logging", "import re"]
        if imports:
            header += ["", "from common import " + ", ".join(f"helpers_{m}" for m in imports)]
        header += ["", "logger = logging.getLogger(__name__)", 'WORD = re.compile(r"[a-z0-9]+")']
        layout.files[f"src/common/helpers_{module}.py"] = "\n".join(header) + "\n\n\n" + "\n\n\n".join(functions) + "\n"


def _calls_module(functions: list[str], module: int) -> bool:
    return any(f"helpers_{module}." in text for text in functions)


def _helper_function(rng: random.Random, name: str, module: int, callees: list[tuple[int, str]]) -> str:
    label, number = rng.choice(LABELS), rng.choice(FIELDS)
    calls = [(callee if m == module else f"helpers_{m}.{callee}") for m, callee in callees]
    lines = [
        f"def {name}(record):",
        f'    """{name.split("_", maxsplit=1)[0].title()} the {label} of one record."""',
        "    if not isinstance(record, dict):",
        "        return {}",
        f'    value = str(record.get("{label}", "")).strip().lower()',
        "    words = WORD.findall(value)",
        f'    result = {{**record, "{label}": "-".join(words) or None}}',
        f'    if "{number}" in record:',
        f'        result["{number}"] = round(float(record["{number}"]) * {rng.randint(2, 9)} / 10, 2)',
    ]
    lines += [f"    result = {call}(result)" for call in calls]
    lines += [f'    logger.debug("{name} %s", sorted(result))', "    return result"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- routes
def _route_modules(rng: random.Random, layout: Layout, lines_per_route: int) -> None:
    grouped: dict[tuple[str, str], list[RouteSpec]] = {}
    for spec in layout.routes:
        grouped.setdefault((spec.package, spec.module), []).append(spec)
    for package in sorted({p for p, _, _ in layout.modules}):
        layout.files[f"src/{package}/__init__.py"] = f'"""Routes under /{package.replace("_", "-")}/."""\n'
    for package, module, resource in layout.modules:
        specs = grouped.get((package, module), [])
        layout.files[f"src/{package}/{module}.py"] = _route_module(rng, layout, resource, specs, lines_per_route)


def _route_module(
    rng: random.Random, layout: Layout, resource: str, specs: list[RouteSpec], lines_per_route: int
) -> str:
    repository = rng.choice(layout.repositories)
    blocks: list[str] = []
    used: set[int] = set()
    for spec in specs:
        chosen = rng.sample(layout.helpers, k=min(len(layout.helpers), rng.randint(2, 4)))
        used.update(m for m, _ in chosen)
        blocks.append(_route_block(rng, spec, repository, chosen, lines_per_route))
    header = [
        f'"""Routes of /{resource}."""',
        "",
        "import json",
        "import logging",
        "",
        "from common import " + ", ".join(["clients", *(f"helpers_{m}" for m in sorted(used))]),
        f"from common.repository import {repository}",
        "from common.responses import bad_request, json_response",
        "",
        "logger = logging.getLogger(__name__)",
        f"PAGE_SIZE = {rng.choice((10, 20, 25, 50, 100))}",
        f'BUCKET = "{resource}-exports"',
    ]
    return "\n".join(header) + "\n\n\n" + "\n\n\n".join(blocks) + "\n"


def _route_block(
    rng: random.Random, spec: RouteSpec, repository: str, helpers: list[tuple[int, str]], lines_per_route: int
) -> str:
    params = f"event, {spec.param}" if spec.param else "event"
    key = spec.param or 'body.get("id") or params.get("id")'
    first = f"_{spec.function}_step_0"
    body = [
        f"def {spec.function}({params}):",
        f'    """{spec.method} {spec.path}."""',
        '    params = event.get("queryStringParameters") or {}',
        "    try:",
        '        body = json.loads(event.get("body") or "{}")',
        "    except ValueError:",
        '        return bad_request("body is not JSON")',
        f"    repo = {repository}()",
        f"    record = repo.get({key}) or {{}}",
        '    records = repo.query(status=params.get("status", "open"), limit=PAGE_SIZE)',
    ]
    body += [f"    record = helpers_{m}.{name}(record)" for m, name in helpers]
    if rng.random() < 0.3:
        client = rng.choice(CLIENTS)
        body.append(f"    clients.{client.upper()}.tag_resource(ResourceArn=BUCKET, Tags=[])")
    body += [
        f"    result = {first}(records, {{**params, **body}})",
        f'    logger.info("{spec.function} returned %d records", len(result.get("items", [])))',
        f'    return json_response({201 if spec.method == "POST" else 200}, {{"record": record, **result}})',
    ]
    parts = ["\n".join(body)]
    budget = lines_per_route - len(body) - 2
    step = 0
    while budget > 0:
        last = budget <= 22
        following = None if last else f"_{spec.function}_step_{step + 1}"
        text = _filler(rng, f"_{spec.function}_step_{step}", spec.resource, following)
        parts.append(text)
        budget -= text.count("\n") + 3
        step += 1
    if step == 0:
        parts.append(_filler(rng, first, spec.resource, None))
    return "\n\n\n".join(parts)


def _filler(rng: random.Random, name: str, resource: str, following: str | None) -> str:
    """A private function of ordinary-looking business logic; it calls `following` if given."""
    number, label = rng.choice(FIELDS), rng.choice(LABELS)
    tail = (
        f'    return {following}(selected, {{**options, "totals": totals}})'
        if following
        else '    return {"items": selected, "totals": totals}'
    )
    variant = rng.randrange(3)
    if variant == 0:
        middle = [
            "    for record in records[:limit]:",
            f'        score = float(record.get("{number}", 0) or 0) * {rng.randint(1, 9)}',
            "        if score < threshold:",
            "            continue",
            '        entry = {"id": record.get("id"), "score": round(score, 2)}',
            f'        if record.get("{label}"):',
            f'            entry["{label}"] = str(record["{label}"]).strip().lower()',
            "        selected.append(entry)",
        ]
    elif variant == 1:
        middle = [
            "    buckets = {}",
            "    for record in records[:limit]:",
            f'        key = str(record.get("{label}") or "unknown")',
            "        buckets.setdefault(key, []).append(record)",
            "    for key, group in sorted(buckets.items()):",
            f'        total = sum(float(r.get("{number}", 0) or 0) for r in group)',
            "        if total >= threshold:",
            '            selected.append({"key": key, "count": len(group), "total": round(total, 2)})',
        ]
    else:
        middle = [
            f'    wanted = {{v.strip() for v in str(options.get("{label}", "")).split(",") if v.strip()}}',
            "    for position, record in enumerate(records[:limit]):",
            f'        if wanted and record.get("{label}") not in wanted:',
            "            continue",
            f'        value = record.get("{number}")',
            "        if value is None or float(value) < threshold:",
            "            continue",
            '        selected.append({"position": position, "id": record.get("id"), "value": value})',
        ]
    lines = [
        f"def {name}(records, options):",
        f'    """Select and reshape {resource} records for the response."""',
        f'    limit = int(options.get("limit", {rng.choice((10, 20, 50, 100))}))',
        f"    threshold = {rng.randint(0, 500) / 10}",
        "    selected = []",
        *middle,
        "    totals = {",
        '        "count": len(selected),',
        f'        "label": "{label}",',
        '        "truncated": len(records) > limit,',
        "    }",
        tail,
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------- app
def _app_module(layout: Layout) -> str:
    aliases = sorted({(s.package, s.module) for s in layout.routes})
    lines = ['"""Shop API: every REST API route lands in this one function."""', "", "import re", ""]
    lines += ["from common.responses import not_found"]
    lines += [f"from {p} import {m} as {p}_{m}" for p, m in aliases]
    regex = [s for s in layout.routes if s.param]
    lines.append("")
    for spec in regex:
        pattern = spec.path.replace(f"{{{spec.param}}}", f"(?P<{spec.param}>[0-9]+)")
        lines.append(f'{_pattern_name(spec)} = re.compile(r"^{pattern}$")')
    lines += ["", "ROUTES = {"]
    lines += [f'    "{s.method} {s.path}": {s.alias}.{s.function},' for s in layout.routes if s.style == "table"]
    lines += ["}", "", ""]
    lines += [
        "def lambda_handler(event, context):",
        '    method = event.get("httpMethod")',
        '    path = event.get("path") or "/"',
        '    route = ROUTES.get(f"{method} {path}")',
        "    if route is not None:",
        "        return route(event)",
    ]
    lines += _if_chain([s for s in layout.routes if s.style == "if"])
    lines.append("    return not_found(path)")
    return "\n".join(lines) + "\n"


def _pattern_name(spec: RouteSpec) -> str:
    return f"{spec.resource.upper()}_{spec.package.upper()}_ID"


def _if_chain(specs: list[RouteSpec]) -> list[str]:
    by_prefix: dict[str, list[RouteSpec]] = {}
    for spec in specs:
        by_prefix.setdefault(spec.prefix, []).append(spec)
    out: list[str] = []
    for number, (prefix, group) in enumerate(by_prefix.items()):
        out.append(f'    {"if" if number == 0 else "elif"} path.startswith("{prefix}"):')
        for spec in group:
            if spec.param:
                out.append(f"        {spec.param}_match = {_pattern_name(spec)}.match(path)")
        out += _service_chain(group)
    return out


def _service_chain(group: list[RouteSpec]) -> list[str]:
    by_path: dict[str, list[RouteSpec]] = {}
    for spec in group:
        by_path.setdefault(spec.path, []).append(spec)
    out: list[str] = []
    for number, (path, same) in enumerate(by_path.items()):
        keyword = "if" if number == 0 else "elif"
        first = same[0]
        if first.param:
            call = f'{first.alias}.{first.function}(event, {first.param}_match["{first.param}"])'
            out += [
                f'        {keyword} {first.param}_match and method == "{first.method}":',
                f"            return {call}",
            ]
            continue
        if len(same) == 1:
            out += [f'        {keyword} path == "{path}" and method == "{first.method}":']
            out.append(f"            return {first.alias}.{first.function}(event)")
            continue
        out.append(f'        {keyword} path == "{path}":')
        for inner, spec in enumerate(same):
            out.append(f'            {"if" if inner == 0 else "elif"} method == "{spec.method}":')
            out.append(f"                return {spec.alias}.{spec.function}(event)")
    return out


# -------------------------------------------------------------------------------------------- template
def _template(layout: Layout) -> str:
    out = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        "Transform: AWS::Serverless-2016-10-31",
        "Description: Synthetic shop monolith - one Lambda behind a REST API (payload 1.0)",
        "",
        "Resources:",
        "  ApiFunction:",
        "    Type: AWS::Serverless::Function",
        "    Properties:",
        "      CodeUri: src/",
        "      Handler: app.lambda_handler",
        "      Runtime: python3.12",
        "      Environment:",
        "        Variables:",
    ]
    tables = [r.removesuffix("Repository") for r in layout.repositories]
    out += [f"          {t.upper()}_TABLE: !Ref {t}Table" for t in tables]
    out += ["      Policies:"]
    for t in tables:
        out += ["        - DynamoDBCrudPolicy:", f"            TableName: !Ref {t}Table"]
    out += ["      Events:"]
    for spec in layout.routes:
        out += [
            f"        Route{spec.index}:",
            "          Type: Api",
            "          Properties:",
            f"            Path: {spec.path}",
            f"            Method: {spec.method}",
        ]
    for t in tables:
        out += ["", f"  {t}Table:", "    Type: AWS::Serverless::SimpleTable", "    Properties:"]
        out += ["      PrimaryKey:", "        Name: pk", "        Type: String"]
    return "\n".join(out) + "\n"
