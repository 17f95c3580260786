"""Foundation check (issue 6 §4): does a mature inference engine resolve more AWS SDK call receivers on the
corpus than decompose's own abstract interpreter (`decompose/iam/sdk_calls.py`)?

    .venv/bin/pip install -e '.[foundation]'         # astroid, basedpyright, types-boto3 (+ the corpus' services)
    .venv/bin/python bench/bench_foundation.py        # every corpus app: a Markdown table and the total
    .venv/bin/python bench/bench_foundation.py --app chalice-todo --sites   # and every site each engine resolves

The candidates are the same for every engine: in the Python files decompose reads under each function's
CodeUri, every call `receiver.method(...)` whose method is named like something an AWS client or resource
does (a botocore client method of any service, a boto3 resource action, sub-resource or collection, the S3
transfer helpers, `paginate`/`wait`), minus the methods of Python's built-in types (`get`, `update`...). A
candidate is *resolved* when the engine says its receiver is an AWS client or resource object:

- **decompose, per route** (`analyze`): the call site is one of the SDK calls of some route (what the policies
  are built from; code that no route reaches is not looked at, by design).
- **decompose, whole program**: the same interpreter (`SdkCallFinder`) run once over every definition of the
  code tree, with no entry seeded; the receiver evaluates to a client, resource, collection, batch writer,
  paginator or waiter. This isolates the inference from the routes and reach in front of it.
- **astroid** (pylint's inference engine) with a small brain plugin written here: `boto3.client(name)`,
  `boto3.resource(name)`, `Session(...).client/resource`, botocore's `create_client` infer to an instance of a
  class synthesized from the botocore/boto3 models (client methods, `get_paginator`/`get_waiter`; resource
  actions, sub-resources such as `Table(...)`/`Bucket(...)`, collections, `batch_writer`, `meta.client`).
  Resolved: one inferred value of the receiver is such an instance.
- **basedpyright** with the `types-boto3` stubs, through its language server: resolved when "go to definition"
  on the method name lands in a `types_boto3_*` / `boto3-stubs` stub (the receiver is typed as, say,
  `S3Client` or the DynamoDB `Table`).

Times are wall seconds per app: decompose's full `analyze` (routes, reach, IAM, rules) and its interpreter
alone; astroid from a cold cache (parsing and inference); basedpyright from the server's start to the last
answer. The figures go into the README ("IAM > Foundation check").
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from botocore import xform_name

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402 - the bench folder is not a package

from decompose import pipeline  # noqa: E402
from decompose.analysis.dispatch import built_in_strategies  # noqa: E402
from decompose.analysis.graph import DefinitionGraph  # noqa: E402
from decompose.analysis.symbols import SymbolTable  # noqa: E402
from decompose.iam import models  # noqa: E402
from decompose.iam import sdk_calls as sdk  # noqa: E402
from decompose.loading.source import read_sources  # noqa: E402

Site = tuple[str, int, int, str]  # (file relative to the app folder, line, column of the call, method)
BUILTIN_METHODS = frozenset(
    name for kind in (dict, list, str, bytes, set, tuple, int, float) for name in dir(kind) if not name.startswith("_")
)
AWS_VALUES = (sdk.Client, sdk.Resource, sdk.Collection, sdk.BatchWriter, sdk.Deferred)


# --------------------------------------------------------------------------------------------- candidates
def aws_method_names() -> frozenset[str]:
    """Every method name an AWS client or boto3 resource object has (built-in type methods excluded)."""
    session = models._botocore_session()
    loader = session.get_component("data_loader")
    names: set[str] = {"paginate", "wait", "batch_writer", *sdk.TRANSFER, *sdk.RESOURCE_TRANSFER}
    for service in session.get_available_services():
        names |= {_snake(op) for op in loader.load_service_model(service, "service-2").get("operations", {})}
        model = models._resource_model(service)
        if not model:
            continue
        for definition in [model.get("service", {}), *model.get("resources", {}).values()]:
            for table in ("actions", "batchActions", "waiters"):
                names |= {_snake(n) for n in definition.get(table, {})}
            names |= {_snake(n) for n in definition.get("hasMany", {})}
            names |= set(definition.get("has", {}))
    return frozenset(names - BUILTIN_METHODS)


def _snake(name: str) -> str:
    return xform_name(name)


def candidate_sites(folder: Path, code_roots: Iterable[Path], methods: frozenset[str]) -> dict[Site, ast.Call]:
    sites: dict[Site, ast.Call] = {}
    for code_root in code_roots:
        tree = read_sources(folder, code_root)
        for module in tree.modules.values():
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods:
                    sites[(module.path, node.lineno, node.col_offset, node.func.attr)] = node
    return sites


# --------------------------------------------------------------------------------------------- decompose
@dataclass
class AppRun:
    name: str
    folder: Path
    code_roots: list[Path]
    sites: dict[Site, ast.Call]
    resolved: dict[str, set[Site]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def invoke_arguments(invoke: Sequence[str]) -> tuple[str, str | None, str | None]:
    path, handler, function = invoke[0], None, None
    rest = list(invoke[1:])
    while rest:
        flag = rest.pop(0)
        if flag == "--handler":
            handler = rest.pop(0)
        elif flag == "--function":
            function = rest.pop(0)
    return path, handler, function


def decompose_per_route(folder: Path, invoke: Sequence[str]) -> tuple[list[Path], set[tuple[str, int]], float]:
    """The code roots analyze reads, and the (file, line) of every SDK call some route makes."""
    path, handler, function = invoke_arguments(invoke)
    target = (folder / path).resolve()
    start = time.perf_counter()
    report = pipeline.analyze(target, handler=handler, function=function)
    seconds = time.perf_counter() - start
    root = target.parent if target.is_file() else target
    roots = sorted({(root / f.spec.code_uri).resolve() for f in report.functions})
    located: set[tuple[str, int]] = set()
    for analysis in report.functions:
        for route in analysis.routes:
            for call in route.calls:
                rel = _rebase(call.location.path, root, folder)
                located.add((rel, call.location.line))
    return roots, located, seconds


def _rebase(path: str, root: Path, folder: Path) -> str:
    full = (root / path).resolve()
    try:
        return full.relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path


def decompose_whole_program(folder: Path, code_root: Path) -> tuple[set[Site], float]:
    """Sites whose receiver the interpreter, run over every definition, evaluates to an AWS object."""
    start = time.perf_counter()
    sources = read_sources(folder, code_root)
    symbols = SymbolTable(sources)
    strategies = built_in_strategies()
    graph = DefinitionGraph(symbols, strategies.prepare(symbols))
    finder = sdk.SdkCallFinder(symbols, graph, list(symbols.definitions), entry="")
    finder.calls()
    resolved: set[Site] = set()
    for definition in finder.definitions:
        path = symbols.modules[definition.module].module.path
        for node in definition.nodes:
            for call in ast.walk(node):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                    continue
                if any(isinstance(v, AWS_VALUES) for v in finder.eval(call.func.value, definition)):
                    resolved.add((path, call.lineno, call.col_offset, call.func.attr))
    return resolved, time.perf_counter() - start


# ----------------------------------------------------------------------------------------------- astroid
BRAIN_PREFIX = "decompose_brain_"
FACTORIES = {
    "boto3.client": "client",
    "boto3.resource": "resource",
    "boto3.session.Session.client": "client",
    "boto3.session.Session.resource": "resource",
    "botocore.session.Session.create_client": "client",
}


def _client_source(service: str) -> str:
    methods = sorted({*models._methods(service), "generate_presigned_url", "generate_presigned_post"})
    if service == "s3":
        methods = sorted({*methods, *sdk.TRANSFER})
    lines = [
        "class Paginator:\n    def paginate(self, *a, **k):\n        return [{}]",
        "class Waiter:\n    def wait(self, *a, **k):\n        return None",
        "class Client:",
        "    def get_paginator(self, *a, **k):\n        return Paginator()",
        "    def get_waiter(self, *a, **k):\n        return Waiter()",
    ]
    lines += [f"    def {m}(self, *a, **k):\n        return {{}}" for m in methods if m.isidentifier()]
    return "\n".join(lines) + "\n"


def _resource_source(service: str) -> str | None:
    model = models._resource_model(service)
    if not model:
        return None
    out = [_client_source(service), "class Meta:\n    client = Client()"]
    kinds = {"ServiceResource": model.get("service", {}), **model.get("resources", {})}
    for kind, definition in kinds.items():
        out.append(f"class Collection_{kind}:")
        out.append(f"    def all(self, *a, **k):\n        return [{kind}()]")
        for method in ("filter", "limit", "page_size"):
            out.append(f"    def {method}(self, *a, **k):\n        return self")
        out.append(f"class {kind}:\n    meta = Meta()")
        for action, spec in definition.get("actions", {}).items():
            target = spec.get("resource", {}).get("type")
            value = f"{target}()" if target in kinds else "{}"
            out.append(f"    def {_snake(action)}(self, *a, **k):\n        return {value}")
        for name, spec in definition.get("has", {}).items():
            target = spec.get("resource", {}).get("type")
            if target in kinds:
                out.append(f"    def {name}(self, *a, **k):\n        return {target}()")
        for name, spec in definition.get("hasMany", {}).items():
            target = spec.get("resource", {}).get("type")
            if target in kinds:
                out.append(f"    {_snake(name)} = Collection_{target}()")
        out.append("    def load(self, *a, **k):\n        return None")
        out.append("    def reload(self, *a, **k):\n        return None")
        if service == "dynamodb" and kind == "Table":
            out.append("    def batch_writer(self, *a, **k):\n        return self")
        if service == "s3" and kind in ("Bucket", "Object"):
            for method in sdk.RESOURCE_TRANSFER:
                out.append(f"    def {method}(self, *a, **k):\n        return None")
    # Collection classes refer to resource classes defined after them: fine at call time.
    return "\n".join(out) + "\n"


def install_astroid_brain() -> Any:
    """Register the boto3 brain on astroid's manager; returns the manager."""
    import astroid  # noqa: PLC0415 - optional: the foundation extra
    from astroid import inference_tip, nodes  # noqa: PLC0415 - optional: the foundation extra
    from astroid.exceptions import UseInferenceDefault  # noqa: PLC0415 - optional: the foundation extra

    manager = astroid.MANAGER
    built: dict[tuple[str, str], Any] = {}

    def synthesized(kind: str, service: str) -> Any:
        key = (kind, service)
        if key not in built:
            source = _client_source(service) if kind == "client" else _resource_source(service)
            if source is None:
                built[key] = None
            else:
                module = astroid.parse(source, module_name=f"{BRAIN_PREFIX}{kind}_{service.replace('-', '_')}")
                name = "Client" if kind == "client" else "ServiceResource"
                built[key] = module[name]
        return built[key]

    def looks_like_factory(node: nodes.Call) -> bool:
        func = node.func
        name = func.attrname if isinstance(func, nodes.Attribute) else getattr(func, "name", "")
        return name in ("client", "resource", "create_client")

    def infer_factory(node: nodes.Call, context: Any = None) -> Iterator[Any]:
        kind = None
        for callee in node.func.infer(context=context):
            qname = callee.qname() if hasattr(callee, "qname") else ""
            kind = FACTORIES.get(qname)
            if kind:
                break
        if kind is None:
            raise UseInferenceDefault
        argument = (
            node.args[0] if node.args else next((k.value for k in node.keywords or [] if k.arg == "service_name"), None)
        )
        if argument is None:
            raise UseInferenceDefault
        services = set()
        for value in argument.infer(context=context):
            if isinstance(value, nodes.Const) and isinstance(value.value, str):
                services.add(value.value)
        classes = [synthesized(kind, s) for s in sorted(services) if models.is_service(s)]
        classes = [c for c in classes if c is not None]
        if not classes:
            raise UseInferenceDefault
        return iter([c.instantiate_class() for c in classes])

    manager.register_transform(nodes.Call, inference_tip(infer_factory), looks_like_factory)
    return manager


def astroid_resolved(
    folder: Path, code_roots: Sequence[Path], sites: Mapping[Site, ast.Call]
) -> tuple[set[Site], float]:
    import astroid  # noqa: PLC0415 - optional: the foundation extra
    from astroid import nodes  # noqa: PLC0415 - optional: the foundation extra

    manager = astroid.MANAGER
    wanted = {(path, line, col) for path, line, col, _ in sites}
    resolved: set[Site] = set()
    start = time.perf_counter()
    for code_root in code_roots:
        manager.clear_cache()  # a cold start per code tree; it also drops the transforms:
        install_astroid_brain()  # register the brain again
        saved = list(sys.path)
        sys.path.insert(0, str(code_root))
        try:
            for module in read_sources(folder, code_root).modules.values():
                path = module.path
                if not any(w[0] == path for w in wanted):
                    continue
                modname = module.name
                try:
                    tree = manager.ast_from_file(str(folder / path), modname=modname, source=True)
                except Exception as exc:
                    print(f"astroid: {path}: {exc}", file=sys.stderr)
                    continue
                for call in tree.nodes_of_class(nodes.Call):
                    func = call.func
                    if not isinstance(func, nodes.Attribute) or (path, call.lineno, call.col_offset) not in wanted:
                        continue
                    if _astroid_is_aws(func.expr):
                        resolved.add((path, call.lineno, call.col_offset, func.attrname))
        finally:
            sys.path[:] = saved
    return resolved, time.perf_counter() - start


def _astroid_is_aws(node: Any) -> bool:
    import astroid  # noqa: PLC0415 - optional: the foundation extra

    try:
        for value in node.infer():
            if isinstance(value, astroid.Instance) and value._proxied.root().name.startswith(BRAIN_PREFIX):
                return True
    except (astroid.InferenceError, RecursionError, StopIteration):
        return False
    except Exception:
        return False
    return False


# --------------------------------------------------------------------------------------------- basedpyright
class LanguageServer:
    """A minimal LSP client over stdio: requests and their answers, server requests answered with defaults."""

    def __init__(self, command: Sequence[str], settings: Mapping[str, Any]) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.settings = settings
        self.next_id = 0

    def _send(self, message: Mapping[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("language server exited")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def notify(self, method: str, params: Mapping[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Mapping[str, Any]) -> Any:
        self.next_id += 1
        ident = self.next_id
        self._send({"id": ident, "method": method, "params": params})
        while True:
            message = self._receive()
            if message.get("id") == ident and "method" not in message:
                return message.get("result")
            if "method" in message and "id" in message:  # a request from the server
                result: Any = None
                if message["method"] == "workspace/configuration":
                    result = [self._section(item.get("section")) for item in message["params"]["items"]]
                self._send({"id": message["id"], "result": result})

    def _section(self, section: str | None) -> Any:
        value: Any = self.settings
        for part in (section or "").split("."):
            if part:
                value = value.get(part, {}) if isinstance(value, dict) else {}
        return value

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


def _utf16_column(line: str, byte_col: int) -> int:
    prefix = line.encode()[:byte_col].decode(errors="replace")
    return len(prefix.encode("utf-16-le")) // 2


def pyright_resolved(
    folder: Path, code_roots: Sequence[Path], sites: Mapping[Site, ast.Call]
) -> tuple[set[Site], float]:
    server_path = Path(sys.executable).parent / "basedpyright-langserver"
    settings = {
        "python": {"pythonPath": sys.executable},
        "basedpyright": {
            "analysis": {
                "extraPaths": [str(r) for r in code_roots],
                "diagnosticMode": "openFilesOnly",
                "typeCheckingMode": "standard",
            }
        },
    }
    start = time.perf_counter()
    server = LanguageServer([str(server_path), "--stdio"], settings)
    resolved: set[Site] = set()
    try:
        root_uri = folder.resolve().as_uri()
        server.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root_uri,
                "workspaceFolders": [{"uri": root_uri, "name": folder.name}],
                "capabilities": {"workspace": {"configuration": True}, "textDocument": {"definition": {}}},
                "initializationOptions": {},
            },
        )
        server.notify("initialized", {})
        server.notify("workspace/didChangeConfiguration", {"settings": settings})
        by_file: dict[str, list[tuple[Site, ast.Call]]] = {}
        for site, call in sites.items():
            by_file.setdefault(site[0], []).append((site, call))
        for path, items in sorted(by_file.items()):
            file = (folder / path).resolve()
            text = file.read_text()
            lines = text.splitlines()
            uri = file.as_uri()
            server.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
            )
            for site, call in items:
                func = call.func
                assert isinstance(func, ast.Attribute)
                assert func.end_lineno is not None
                assert func.end_col_offset is not None
                line = func.end_lineno - 1
                column = _utf16_column(lines[line], func.end_col_offset - len(func.attr))
                answer = server.request(
                    "textDocument/definition",
                    {"textDocument": {"uri": uri}, "position": {"line": line, "character": column}},
                )
                if _in_stubs(answer):
                    resolved.add(site)
            server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    finally:
        server.close()
    return resolved, time.perf_counter() - start


def _in_stubs(answer: Any) -> bool:
    items = answer if isinstance(answer, list) else [answer] if answer else []
    for item in items:
        uri = item.get("uri") or item.get("targetUri") or ""
        if "types_boto3" in uri or "boto3-stubs" in uri or "mypy_boto3" in uri:
            return True
    return False


# ------------------------------------------------------------------------------------------------- driver
ENGINES = ("decompose per route", "decompose whole program", "astroid + brain", "basedpyright + types-boto3")


def run_app(
    name: str, app: Mapping[str, Any], mirror: Path, methods: frozenset[str], engines: set[str]
) -> AppRun | str:
    with tempfile.TemporaryDirectory(prefix="foundation-") as tmp:
        folder = corpus.materialize(app, mirror, Path(tmp))
        if isinstance(folder, str):
            return folder
        folder = folder.resolve()
        roots, located, seconds = decompose_per_route(folder, app["invoke"])
        sites = candidate_sites(folder, roots, methods)
        run = AppRun(name, folder, roots, sites)
        run.resolved["decompose per route"] = {s for s in sites if (s[0], s[1]) in located}
        run.seconds["decompose per route"] = seconds
        whole: set[Site] = set()
        spent = 0.0
        for root in roots:
            found, took = decompose_whole_program(folder, root)
            whole |= found
            spent += took
        run.resolved["decompose whole program"] = whole & set(sites)
        run.seconds["decompose whole program"] = spent
        if "astroid" in engines:
            found, took = astroid_resolved(folder, roots, sites)
            run.resolved["astroid + brain"] = found
            run.seconds["astroid + brain"] = took
        if "pyright" in engines:
            found, took = pyright_resolved(folder, roots, sites)
            run.resolved["basedpyright + types-boto3"] = found
            run.seconds["basedpyright + types-boto3"] = took
        return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=corpus.DEFAULT_MIRROR)
    parser.add_argument("--app", action="append", help="only this app (repeatable)")
    parser.add_argument("--engines", default="astroid,pyright", help="comma list among astroid, pyright")
    parser.add_argument("--sites", action="store_true", help="list the sites one engine resolves and another not")
    args = parser.parse_args(argv)
    apps = yaml.safe_load(corpus.CORPUS.read_text())["apps"]
    names = args.app or [a["name"] for a in apps]
    engines = set(args.engines.split(","))
    methods = aws_method_names()
    shown = [e for e in ENGINES if e.startswith("decompose") or e.split()[0].removeprefix("based") in engines]
    header = "| app | candidate sites | " + " | ".join(f"{e} (s)" for e in shown) + " |"
    print(header)
    print("|---|---:|" + "---:|" * len(shown))
    totals = dict.fromkeys(shown, 0)
    times = dict.fromkeys(shown, 0.0)
    candidates = 0
    details: list[str] = []
    for app in apps:
        if app["name"] not in names:
            continue
        print(f"foundation: {app['name']} ...", file=sys.stderr)
        run = run_app(app["name"], app, args.mirror, methods, engines)
        if isinstance(run, str):
            print(f"| {app['name']} | {run} |")
            continue
        candidates += len(run.sites)
        cells = []
        for engine in shown:
            found = run.resolved.get(engine, set())
            totals[engine] += len(found)
            times[engine] += run.seconds.get(engine, 0.0)
            cells.append(f"{len(found)} ({run.seconds.get(engine, 0.0):.1f})")
        print(f"| {run.name} | {len(run.sites)} | " + " | ".join(cells) + " |", flush=True)
        if args.sites:
            base = run.resolved["decompose whole program"]
            for engine in shown[2:]:
                for site in sorted(run.resolved.get(engine, set()) - base):
                    details.append(f"{run.name}: {engine} only: {site[0]}:{site[1]} .{site[3]}()")
                for site in sorted(base - run.resolved.get(engine, set())):
                    details.append(f"{run.name}: not {engine}: {site[0]}:{site[1]} .{site[3]}()")
    cells = [f"**{totals[e]}** ({times[e]:.1f})" for e in shown]
    print(f"| **total** | {candidates} | " + " | ".join(cells) + " |")
    if details:
        print()
        print("\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
