"""Read a SAM / CloudFormation template into `FunctionSpec` values.

Decoding is cfn-lint's (YAML and JSON, short-form intrinsics, line numbers on every node) and Globals are
merged by aws-sam-translator's own `Globals`, so a function here has exactly the properties SAM would give it.
Every value read is first checked against cfn-lint's schemas (`shapes`): a resource of the wrong shape is
an error finding and is not read, and the readers below may trust the types they see.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cfnlint.decode import decode
from samtranslator.plugins.globals.globals import Globals, InvalidGlobalsSectionException

from decompose.domain.model import Finding, FunctionSpec, Location, Severity, TriggerEvent, plain
from decompose.errors import TemplateError
from decompose.loading.shapes import check_properties, check_resources

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
SERVERLESS_FUNCTION = "AWS::Serverless::Function"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
HTTP_EVENT_TYPES = frozenset({"Api", "HttpApi"})

logging.getLogger("cfnlint").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class LoadedTemplate:
    """A decoded template: its path (relative to the project root), the resources and the functions."""

    path: str
    resources: Mapping[str, Any]  # every resource of a valid shape (`shapes.check_resources`)
    functions: tuple[FunctionSpec, ...]
    findings: tuple[Finding, ...]
    invalid: frozenset[str] = frozenset()  # resources with a property of the wrong shape (an error finding each)
    parameters: tuple[str, ...] = ()  # logical ids of Parameters: they share one namespace with Resources


def find_template(root: Path) -> Path | None:
    """The template of a project directory, by SAM's own default names."""
    for name in TEMPLATE_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def load_template(root: Path, template_path: Path) -> LoadedTemplate:
    """Decode `template_path` and list its Python functions, Globals merged.

    Raises `TemplateError` (with file and line) when the file is not a template at all; problems with single
    functions become findings so the rest of the template is still analyzed.
    """
    rel = _relative(template_path, root)
    template, matches = decode(str(template_path))
    if matches or template is None:
        first = matches[0] if matches else None
        message = first.message.replace("{filename}", rel) if first else "empty template"
        line = first.linenumber if first else 1
        raise TemplateError(f"not a YAML/JSON template: {message}", Location(rel, line))
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateError("template has no Resources mapping", Location(rel, 1))
    try:
        globals_ = Globals(template)
    except InvalidGlobalsSectionException as exc:
        raise TemplateError(
            f"invalid Globals section: {exc.message}", Location(rel, _line(template.get("Globals")))
        ) from exc
    shapes = check_resources(template["Resources"], rel)
    findings: list[Finding] = list(shapes.findings)
    resources: dict[str, Any] = {k: v for k, v in template["Resources"].items() if str(k) not in shapes.dropped}
    invalid: set[str] = set()
    for key, resource in resources.items():
        kind = resource["Type"]
        if kind not in (SERVERLESS_FUNCTION, LAMBDA_FUNCTION):
            problems = check_properties(kind, str(key), resource.get("Properties") or {}, rel)
            findings.extend(problems)
            invalid.update(str(key) for p in problems if p.severity is Severity.ERROR)
    readable = {k: v for k, v in resources.items() if str(k) not in invalid}
    functions: list[FunctionSpec] = []
    for key, resource in resources.items():
        logical_id = str(key)
        kind = resource["Type"]
        if kind not in (SERVERLESS_FUNCTION, LAMBDA_FUNCTION):
            continue
        props = resource.get("Properties") or {}
        if kind == SERVERLESS_FUNCTION:
            try:
                props = globals_.merge(kind, dict(props), logical_id, resource.get("IgnoreGlobals"))
            except Exception as exc:
                findings.append(_template_finding(f"{logical_id}: cannot merge Globals: {exc}", rel, resource))
                continue
        problems = check_properties(kind, logical_id, props, rel)
        findings.extend(problems)
        if any(p.severity is Severity.ERROR for p in problems):
            invalid.add(logical_id)
            continue
        spec, problem = _function_spec(logical_id, kind, props, readable, rel, _line(key))
        if problem:
            findings.append(problem)
        if spec:
            functions.append(replace(spec, code_uri=_code_uri(spec.code_uri, template_path.parent)))
    if not functions and not findings:
        findings.append(
            Finding(
                "no-python-function", Severity.WARNING, "template declares no Python Lambda function", Location(rel, 1)
            )
        )
    parameters = template.get("Parameters")
    names = tuple(str(k) for k in parameters) if isinstance(parameters, dict) else ()
    return LoadedTemplate(
        rel, resources, tuple(functions), tuple(findings), invalid=frozenset(invalid), parameters=names
    )


def _function_spec(  # noqa: PLR0917 - one private call site, every argument distinct
    logical_id: str,
    kind: str,
    props: Mapping[str, Any],
    resources: Mapping[str, Any],
    rel: str,
    line: int | None,
) -> tuple[FunctionSpec | None, Finding | None]:
    runtime = props.get("Runtime")
    package_type = props.get("PackageType", "Zip")
    where = Location(rel, line)
    if package_type == "Image":
        return None, Finding(
            "unsupported-runtime",
            Severity.WARNING,
            f"{logical_id} is a container image function; only zip Python functions are analyzed",
            where,
        )
    if not isinstance(runtime, str) or not runtime.startswith("python"):
        return None, Finding(
            "unsupported-runtime", Severity.WARNING, f"{logical_id} runs {runtime!r}, not Python; skipped", where
        )
    handler = props.get("Handler")
    if isinstance(handler, str):
        handler = handler.replace("/", ".")  # `src/api/locations.handler`: Lambda's runtime imports src.api.locations
    code = props.get("CodeUri") if kind == SERVERLESS_FUNCTION else props.get("Code")
    if kind == SERVERLESS_FUNCTION and code is None and props.get("InlineCode") is None:
        code = "."  # SAM: without CodeUri the code is the template's own folder
    inline = props.get("InlineCode") is not None or (isinstance(code, Mapping) and code.get("ZipFile") is not None)
    if kind == LAMBDA_FUNCTION and isinstance(code, Mapping):
        code = code.get("S3Bucket") and f"s3://{plain_text(code.get('S3Bucket'))}/{plain_text(code.get('S3Key'))}"
    if not isinstance(handler, str) or "." not in handler:
        return None, Finding(
            "handler-not-found", Severity.ERROR, f"{logical_id} has no Handler of the form module.function", where
        )
    if not isinstance(code, str) or code.startswith("s3://"):
        if inline:
            why = "its code is inline in the template (ZipFile/InlineCode), not a folder decompose can read"
        elif isinstance(code, str) or isinstance(props.get("CodeUri"), Mapping):
            why = "its code is an artifact in S3, not a folder on disk"
        else:
            why = "it has no local code path (CodeUri/Code)"
        return None, Finding("unsupported-runtime", Severity.WARNING, f"{logical_id}: {why}; skipped", where)
    env = (props.get("Environment") or {}).get("Variables") or {}
    policies = props.get("Policies") or []
    if not isinstance(policies, list):
        policies = [policies]
    events = tuple(_events(props.get("Events") or {}))
    architectures = props.get("Architectures")
    events += tuple(_websocket_events(logical_id, resources))
    spec = FunctionSpec(
        logical_id=logical_id,
        handler=handler,
        code_uri=code,
        runtime=runtime,
        events=events,
        environment=tuple(env.items()) if isinstance(env, Mapping) else (),
        policies=tuple(policies),
        role=props.get("Role"),
        line=line,
        memory_size=plain(props.get("MemorySize")),
        timeout=plain(props.get("Timeout")),
        architectures=tuple(str(a) for a in architectures) if isinstance(architectures, list) else (),
        layers=_layers(props.get("Layers"), resources),
    )
    return spec, None


def _layers(layers: Any, resources: Mapping[str, Any]) -> tuple[str, ...]:
    """The local folders of the function's layers: `Layers: [!Ref UtilsLayer]` naming an
    `AWS::Serverless::LayerVersion` whose `ContentUri` is a folder (a layer ARN of another stack has no code
    here). Lambda puts a layer's `python/` folder on the path; a layer built by `sam build` (`Metadata:
    BuildMethod`) gets its ContentUri copied there, so that folder is the one to read then."""
    out: list[str] = []
    for layer in layers if isinstance(layers, list) else []:
        resource = resources.get(referenced_id(layer) or "")
        if not isinstance(resource, Mapping) or resource.get("Type") != "AWS::Serverless::LayerVersion":
            continue
        content = (resource.get("Properties") or {}).get("ContentUri")
        if isinstance(content, str) and not content.startswith("s3://"):
            out.append(content.rstrip("/") or ".")
    return tuple(out)


def _code_uri(code: str, folder: Path) -> str:
    """CodeUri as a normalised POSIX path relative to the template's folder (`./src/` -> `src`); an absolute
    one is made relative too (`../../opt/lib`), so that reports never carry the machine's own paths."""
    if os.path.isabs(code):
        code = os.path.relpath(code, os.path.abspath(folder))
    return Path(os.path.normpath(code)).as_posix()


def _events(events: Mapping[str, Any]) -> Iterator[TriggerEvent]:
    for event_key, event in events.items():
        if not isinstance(event, Mapping):
            continue
        name = str(event_key)
        kind = str(event.get("Type"))
        props = event.get("Properties") or {}
        line = _line(event_key)
        if kind in HTTP_EVENT_TYPES:
            method = props.get("Method")
            path = props.get("Path")
            yield TriggerEvent(
                name=name,
                type=kind,
                method=str(method).upper() if isinstance(method, str) and method.lower() != "any" else "ANY",
                path=_event_path(kind, path),
                line=line,
            )
        elif kind in ("Schedule", "ScheduleV2"):
            yield TriggerEvent(
                name, kind, source=source_name(props.get("Schedule") or props.get("ScheduleExpression")), line=line
            )
        elif kind in ("EventBridgeRule", "CloudWatchEvent"):
            pattern = props.get("Pattern") or {}
            yield TriggerEvent(name, "EventBridgeRule", source=name, pattern=_pattern(pattern), line=line)
        else:
            key = {"S3": "Bucket", "SQS": "Queue", "SNS": "Topic", "DynamoDB": "Stream", "Kinesis": "Stream"}.get(kind)
            source = source_name(props.get(key)) if key else name
            yield TriggerEvent(name, kind, source=source, line=line)


def _event_path(kind: str, path: Any) -> str | None:
    """The event's path; None only for an HttpApi event without one (`$default`). A path built with an
    intrinsic (`!Sub "/${Stage}/x"`) keeps its text: it then matches no code route literally, which the
    cross-check reports, instead of passing for a catch-all."""
    if isinstance(path, str):
        return path
    if path is None and kind == "HttpApi":
        return None
    return source_name(path) if path is not None else "/"


def _pattern(pattern: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(pattern, Mapping):
        return ()
    out = []
    for key in ("source", "detail-type"):
        values = pattern.get(key)
        if isinstance(values, list):
            out.append((key, tuple(str(v) for v in values if isinstance(v, str))))
    return tuple(out)


def _websocket_events(function_id: str, resources: Mapping[str, Any]) -> Iterator[TriggerEvent]:
    """WebSocket routes are not SAM events: find `AWS::ApiGatewayV2::Route`s whose integration targets us."""
    integrations = {
        name
        for name, res in resources.items()
        if isinstance(res, Mapping)
        and res.get("Type") == "AWS::ApiGatewayV2::Integration"
        and function_id in mentions((res.get("Properties") or {}).get("IntegrationUri"))
    }
    if not integrations:
        return
    for key, res in resources.items():
        if not isinstance(res, Mapping) or res.get("Type") != "AWS::ApiGatewayV2::Route":
            continue
        props = res.get("Properties") or {}
        if integrations & mentions(props.get("Target")):
            yield TriggerEvent(str(key), "WebSocket", source=str(props.get("RouteKey")), line=_line(key))


def mentions(value: Any) -> set[str]:
    """Every logical id an intrinsic-bearing value names (Ref, GetAtt, ${X} or ${X.Attr} in Sub)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) and inner else str(inner).split(".")[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    found |= {part.split("}")[0].split(".")[0] for part in text.split("${")[1:]}
                found |= mentions(inner)
            else:
                found |= mentions(inner)
    elif isinstance(value, list):
        for item in value:
            found |= mentions(item)
    return found


def plain_text(value: Any) -> str:
    """A template value as text: a string as is, an intrinsic by the logical id it names (or `?`)."""
    return value if isinstance(value, str) else referenced_id(value) or "?"


def referenced_id(value: Any) -> str | None:
    """The logical id a `{"Ref": X}` or `{"Fn::GetAtt": [X, attr]}` (or `"X.attr"`) names, else None."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Ref" and isinstance(inner, str):
            return inner
        if key == "Fn::GetAtt":
            return str(inner[0] if isinstance(inner, list) and inner else str(inner).split(".")[0])
    return None


def source_name(value: Any) -> str:
    """How a route id names an event source: the logical id behind Ref/GetAtt, else the literal text."""
    if isinstance(value, str):
        return value
    target = referenced_id(value)
    if target is not None:
        return target
    if isinstance(value, Mapping) and len(value) == 1 and "Fn::Sub" in value:
        inner = value["Fn::Sub"]
        return str(inner[0] if isinstance(inner, list) else inner)
    return "?"


def _template_finding(message: str, rel: str, node: Any) -> Finding:
    return Finding("template-error", Severity.ERROR, message, Location(rel, _line(node)))


def _line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
