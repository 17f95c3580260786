"""`recursive-trigger`: a function writes to the resource that triggers it.

Exact from the policy binding: a write call (the data's `trigger_writes`: PutObject on S3, SendMessage on
SQS, Publish on SNS, item writes on a table with a stream event, PutRecord on Kinesis, PutEvents on a bus
whose rule targets the function) is bound by the IAM stage to a template resource; when that resource is
the one a route's event reads, the route can invoke itself (or, through several routes, a chain that comes
back to its start: every cycle of the graph "route -> routes its writes trigger" is a loop).

The event's filters are read: an S3 notification's `Events` and `Filter` (prefix/suffix rules) against the
written key (its literal, or the constant prefix/suffix of an f-string), an EventBridge rule's `Pattern`
against the entries' `Source`/`DetailType`. A write the filter excludes is not a loop (reported at info
level, so the near miss is visible); SNS `FilterPolicy` and `FilterCriteria` are not evaluated, so a write
under one is a possible loop. AWS's recursive loop detection (data: `loop_detection`) stops loops through
S3, SQS, SNS and Lambda after about 16 invocations; through DynamoDB, Kinesis or EventBridge it cannot, and
the finding says so. Routes in a loop AWS can stop are the `loop_guards` of the report: their split
functions carry `RecursiveLoop: Terminate`.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import networkx as nx

from decompose.analysis.walk import descendants
from decompose.domain.iam import Permission, SdkCall, ValueSource
from decompose.domain.model import AnalysisReport, Finding, Severity
from decompose.loading.template import referenced_id
from decompose.rules.base import Rule
from decompose.rules.code import CodeIndex
from decompose.rules.context import RouteView, RuleContext, permissions_at, resource_id
from decompose.rules.data import guidance, rules_data

DEFINITE, POSSIBLE, EXCLUDED = "definite", "possible", "excluded"
MAX_CYCLE = 4
STREAMS = frozenset({"DynamoDB", "Kinesis"})  # a handler may skip its own records in code
SELF_NAME_ENV = "AWS_LAMBDA_FUNCTION_NAME"  # a reserved runtime variable: the function's own name


@dataclass(frozen=True)
class Write:
    """One call that writes to a resource some event source reads."""

    view: RouteView
    call: SdkCall
    kind: str  # the trigger type it can fire: S3, SQS, SNS, DynamoDB, Kinesis, EventBridgeRule, Invoke
    target: str  # logical id (or literal) of the written resource
    permission: Permission | None


@dataclass(frozen=True)
class Edge:
    write: Write
    trigger: RouteView
    status: str  # DEFINITE, POSSIBLE or EXCLUDED
    why: str  # how the event's filter decided


class RecursiveTriggerRule(Rule):
    id: ClassVar[str] = "recursive-trigger"
    severity: ClassVar[Severity] = Severity.WARNING
    title: ClassVar[str] = "A function writes to the resource that triggers it"
    rationale: ClassVar[str] = (
        "When a function's output goes to the service or resource that invokes it, every invocation causes "
        "another: Lambda and the source both scale with the traffic, so the loop can consume all of the "
        "account's concurrency and bill every invocation, every request and every object written until "
        "someone stops it. AWS's recursive loop detection stops loops through S3, SQS, SNS and Lambda after "
        "about 16 invocations; loops through DynamoDB, Kinesis or EventBridge it cannot see."
    )
    fix: ClassVar[str] = (
        "Write the output to a different resource than the one that triggers the function, or filter the "
        "event so the function's own writes do not match it; keep `RecursiveLoop: Terminate` on the function."
    )
    source: ClassVar[str] = guidance("recursive-trigger")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        yield from (finding for finding, _ in analyze_loops(context, self))


def analyze_loops(context: RuleContext, rule: RecursiveTriggerRule | None = None) -> list[tuple[Finding, frozenset]]:
    """Every loop (and near miss) as a finding, with the (function, route) keys of the routes it runs through."""
    rule = rule or RecursiveTriggerRule()
    views = list(context.routes())
    edges = [edge for write in _writes(context, views) for edge in _edges(context, write, views)]
    out: list[tuple[Finding, frozenset]] = []
    graph: nx.DiGraph = nx.DiGraph()
    for edge in edges:
        if edge.status == EXCLUDED:
            if edge.write.view.key == edge.trigger.key:
                out.append((_near_miss(rule, context, edge), frozenset()))
            continue
        if edge.write.view.key == edge.trigger.key:
            out.append(_self_loop(rule, context, edge))
        else:
            graph.add_edge(edge.write.view.key, edge.trigger.key, edge=edge)
    cycles = [_rotated(cycle) for cycle in nx.simple_cycles(graph, length_bound=MAX_CYCLE)]
    for cycle in sorted(cycles, key=lambda c: [(k[0] or "", k[1]) for k in c]):
        hops = [graph.edges[a, b]["edge"] for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True)]
        out.append(_chain(rule, context, hops))
    return out


def _rotated(cycle: list) -> list:
    """The cycle starting at its smallest route key, so that a loop reads the same on every run."""
    start = cycle.index(min(cycle, key=lambda k: (k[0] or "", k[1])))
    return cycle[start:] + cycle[:start]


def loop_guards(context: RuleContext) -> tuple[tuple[str | None, str], ...]:
    """The (function, route) keys whose split functions should carry `RecursiveLoop: Terminate`."""
    keys: set[tuple[str | None, str]] = set()
    for _, guarded in analyze_loops(context):
        keys |= guarded
    return tuple(sorted(keys, key=lambda k: (k[0] or "", k[1])))


def loop_guard(report: AnalysisReport, monolith: str | None, routes: tuple[str, ...] | list[str]) -> str | None:
    """The `RecursiveLoop` value a new function taking `routes` of `monolith` should carry, or None to leave it
    out: "Terminate" when one of its routes is in a loop that AWS's recursive loop detection can stop."""
    return "Terminate" if report.needs_loop_guard(monolith, routes) else None


# ------------------------------------------------------------------------------------------------ writes
def _writes(context: RuleContext, views: list[RouteView]) -> Iterator[Write]:
    table = rules_data()["trigger_writes"]
    for view in views:
        for call in view.route.calls:
            if call.via.startswith("presign"):
                continue  # a presigned URL is used by someone else, later
            if call.service == "lambda" and call.operation in ("Invoke", "InvokeAsync"):
                yield from _invokes(view, call)
                continue
            for kind, spec in table.items():
                if not isinstance(spec, Mapping) or spec.get("service") != call.service:
                    continue
                entry = spec["operations"].get(call.operation)
                if entry is None:
                    continue
                for permission in permissions_at(view.route, call, frozenset(entry["actions"])):
                    yield Write(view, call, kind, resource_id(permission), permission)
                if kind == "EventBridgeRule" and not permissions_at(view.route, call):
                    yield Write(view, call, kind, "default", None)


def _invokes(view: RouteView, call: SdkCall) -> Iterator[Write]:
    name = call.param("FunctionName")
    if name is not None and name.kind == "env" and name.value == SELF_NAME_ENV:
        yield Write(view, call, "Invoke", view.spec.logical_id or "", None)
        return
    for permission in permissions_at(view.route, call, frozenset({"lambda:InvokeFunction", "lambda:InvokeAsync"})):
        yield Write(view, call, "Invoke", resource_id(permission), permission)


# ------------------------------------------------------------------------------------------------- edges
def _edges(context: RuleContext, write: Write, views: list[RouteView]) -> Iterator[Edge]:
    for view in views:
        trigger = view.route.trigger
        if write.kind == "Invoke":
            if write.target == view.spec.logical_id and (trigger.type == "Invoke" or view.key == write.view.key):
                yield Edge(write, view, DEFINITE, "invokes the function directly")
            continue
        if trigger.type != write.kind:
            continue
        if trigger.event is None:  # no event of this function reads the resource (or `apply` moved it away)
            continue
        if write.kind == "EventBridgeRule":
            edge = _eventbridge(context, write, view)
            if edge is not None:
                yield edge
            continue
        if trigger.source != write.target:
            continue
        if write.kind == "S3":
            yield _s3(context, write, view)
            continue
        props = context.event_properties(view)
        filters = [key for key in rules_data()["event_filters"]["conditional"].get(write.kind, []) if props.get(key)]
        if filters:
            yield Edge(write, view, POSSIBLE, f"the event's {', '.join(filters)} is not evaluated by decompose")
        else:
            yield Edge(write, view, DEFINITE, "the event has no filter")


def _s3(context: RuleContext, write: Write, view: RouteView) -> Edge:
    props = context.event_properties(view)
    entry = rules_data()["trigger_writes"]["S3"]
    written = (
        entry["transfer_events"]
        if write.call.via.startswith("transfer")
        else entry["operations"][write.call.operation]["events"]
    )
    configured = props.get("Events")
    patterns = [configured] if isinstance(configured, str) else [str(e) for e in configured or []]
    if patterns and not any(fnmatch.fnmatchcase(e, p) for e in written for p in patterns):
        return Edge(write, view, EXCLUDED, f"it emits {', '.join(written)}, the event listens to {', '.join(patterns)}")
    rules = _s3_key_rules(props)
    if not rules:
        return Edge(write, view, DEFINITE, "the notification has no key filter")
    key = write.call.param("Key")
    statuses = [_key_rule(kind, value, key) for kind, value in rules]
    shown = ", ".join(f"{kind} {value!r}" for kind, value in rules)
    if EXCLUDED in statuses:
        return Edge(write, view, EXCLUDED, f"the written key {_key_text(key)} does not match the filter {shown}")
    if all(s == DEFINITE for s in statuses):
        return Edge(write, view, DEFINITE, f"the written key {_key_text(key)} matches the filter {shown}")
    return Edge(write, view, POSSIBLE, f"the written key {_key_text(key)} may match the filter {shown}")


def _s3_key_rules(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    rules = ((props.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    out = []
    for rule in rules if isinstance(rules, list) else []:
        if isinstance(rule, Mapping) and isinstance(rule.get("Value"), str):
            out.append((str(rule.get("Name", "")).lower(), str(rule["Value"])))
    return out


def _key_rule(kind: str, value: str, key: ValueSource | None) -> str:
    """Whether a written key matches one prefix/suffix rule: DEFINITE, POSSIBLE or EXCLUDED."""
    if key is None or key.kind == "env":
        return POSSIBLE
    if key.kind == "event":
        return DEFINITE  # the key that triggered the function passed the filter already
    if key.kind == "literal":
        known = key.value.startswith(value) if kind == "prefix" else key.value.endswith(value)
        return DEFINITE if known else EXCLUDED
    end = key.prefix if kind == "prefix" else key.suffix
    if kind == "prefix":
        if end.startswith(value):
            return DEFINITE
        return POSSIBLE if value.startswith(end) else EXCLUDED
    if end.endswith(value):
        return DEFINITE
    return POSSIBLE if value.endswith(end) else EXCLUDED


def _key_text(key: ValueSource | None) -> str:
    if key is None:
        return "(not known)"
    if key.kind == "literal":
        return repr(key.value)
    if key.kind == "event":
        return f"(the event's {key.value})"
    if key.kind == "env":
        return f"(env {key.value})"
    return repr(f"{key.prefix}…{key.suffix}") if key.prefix or key.suffix else "(computed)"


def _eventbridge(context: RuleContext, write: Write, view: RouteView) -> Edge | None:
    props = context.event_properties(view)
    bus = _bus_name(props.get("EventBusName"))
    node = context.call_node(write.view, write.call)
    entries = _entries(context, write, node)
    pattern = props.get("Pattern") if isinstance(props.get("Pattern"), Mapping) else {}
    if entries is None:
        sources = pattern.get("source")
        literals = [v for v in (sources if isinstance(sources, list) else [sources]) if isinstance(v, str)]
        every = len(literals) == len(sources if isinstance(sources, list) else [sources])
        if sources is not None and every and not set(literals) & _strings(context, write.view):
            why = f"no string of its code or environment is one of the rule's sources {literals}"
            return Edge(write, view, EXCLUDED, why)
        return Edge(write, view, POSSIBLE, "the entries' Source/DetailType are not known statically")
    best: Edge | None = None
    for entry in entries:
        entry_bus = entry.get("EventBusName")
        if entry_bus is None and write.permission is not None and write.target not in ("*", "default"):
            entry_bus = write.target
        if (entry_bus or "default") != bus:
            continue
        status, why = _pattern_match(pattern, entry)
        if status == DEFINITE:
            return Edge(write, view, status, why)
        if status == POSSIBLE:
            best = Edge(write, view, status, why)
    return best


def _strings(context: RuleContext, view: RouteView) -> set[str]:
    """Every string constant of the route's reached code and every string value of its environment: an event
    source the code emits has to be one of them (unless it is computed, e.g. by concatenation)."""
    found = {str(v) for _, v in view.spec.environment if isinstance(v, str)}
    code = context.route_code(view)
    for definition in code.definitions if code else []:
        for node in definition.nodes:
            found |= code.index.fact(_string_constants, node)
    if code is not None:  # module-level constants the code names (SOURCE = "shop.orders")
        for name in view.route.reach.definitions:
            definition = code.symbols.definitions.get(name)
            value = getattr(definition.nodes[0], "value", None) if definition and definition.nodes else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(value.value)
    return found


def _string_constants(index: CodeIndex, node: ast.AST) -> frozenset[str]:
    return frozenset(n.value for n in descendants(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _bus_name(value: Any) -> str:
    if value is None:
        return "default"
    return referenced_id(value) or str(value)


def _entries(context: RuleContext, write: Write, node: ast.Call | None) -> list[dict[str, str | None]] | None:
    if node is None:
        return None
    value = next((k.value for k in node.keywords if k.arg == "Entries"), None)
    if not isinstance(value, ast.List):
        return None
    out = []
    for element in value.elts:
        if not isinstance(element, ast.Dict):
            return None
        entry: dict[str, str | None] = {}
        for key, item in zip(element.keys, element.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in ("Source", "DetailType", "EventBusName"):
                entry[str(key.value)] = context.string_value(write.view, write.call, item) or "?"
        out.append(entry)
    return out


def _pattern_match(pattern: Mapping[str, Any], entry: Mapping[str, str | None]) -> tuple[str, str]:
    status, reasons = DEFINITE, []
    for field, key in (("source", "Source"), ("detail-type", "DetailType")):
        wanted = pattern.get(field)
        if wanted is None:
            continue
        value = entry.get(key)
        options = wanted if isinstance(wanted, list) else [wanted]
        literals = [o for o in options if isinstance(o, str)]
        if value in (None, "?"):
            status = POSSIBLE
            reasons.append(f"{key} not known")
        elif value in literals:
            reasons.append(f"{key} {value!r} matches {field}")
        elif len(literals) < len(options):
            status = POSSIBLE
            reasons.append(f"{field} has content filters decompose does not evaluate")
        else:
            return EXCLUDED, f"{key} {value!r} is not in the rule's {field}"
    return status, "; ".join(reasons) or "the rule's pattern names no source or detail-type"


# ---------------------------------------------------------------------------------------------- findings
SERVICES = {"Invoke": "Lambda", "EventBridgeRule": "EventBridge"}  # trigger type -> service, as AWS names it


def _covered(kinds: list[str]) -> bool:
    return all(SERVICES.get(kind, kind) in rules_data()["loop_detection"]["services"] for kind in kinds)


def _detection(kinds: list[str]) -> str:
    data = rules_data()["loop_detection"]
    kinds = [SERVICES.get(kind, kind) for kind in kinds]
    if _covered(kinds):
        return (
            f"AWS recursive loop detection covers {', '.join(sorted(set(kinds)))}: Lambda stops the chain after"
            f" about {data['after_invocations']} invocations (unless the function sets RecursiveLoop: Allow)"
        )
    missing = sorted({k for k in kinds if k not in data["services"]})
    return f"AWS recursive loop detection does not cover {', '.join(missing)}: nothing stops this loop"


def _write_line(context: RuleContext, edge: Edge) -> str:
    write = edge.write
    permission = write.permission
    what = f"{permission.action} on {permission.resource}" if permission else f"{write.call.operation} {write.target}"
    via = f"; {permission.via}" if permission else ""
    return f"write: {what} at {write.call.location}{via}"


def _trigger_line(context: RuleContext, edge: Edge) -> str:
    view = edge.trigger
    event = view.route.trigger.event or "no event"
    return f"trigger: {view.route.id} (event {event} of {view.spec.logical_id}): {edge.why}"


def _fix(kind: str) -> str:
    fixes = {
        "S3": (
            "Write the output to another bucket, or give the uploads a prefix (e.g. `incoming/`) and add "
            "`Filter: {S3Key: {Rules: [{Name: prefix, Value: incoming/}]}}` to the event so that the output "
            "prefix is outside it."
        ),
        "SQS": "Send the result to another queue (or return it), not to the queue the function consumes.",
        "SNS": "Publish to another topic, or add a FilterPolicy that the function's own messages do not match.",
        "DynamoDB": (
            "Write to another table, or add FilterCriteria to the stream event that drops the function's own "
            "changes (e.g. on an attribute only it sets)."
        ),
        "Kinesis": "Put the records on another stream.",
        "EventBridgeRule": "Give the function's own events another Source or DetailType than the rule matches.",
        "Invoke": "Hand the continuation to a queue or a Step Functions state machine with an explicit stop.",
    }
    return fixes[kind] + " The split function carries `RecursiveLoop: Terminate`."


def _self_loop(rule: RecursiveTriggerRule, context: RuleContext, edge: Edge) -> tuple[Finding, frozenset]:
    write = edge.write
    kinds = [write.kind]
    possible = edge.status == POSSIBLE
    verb = "may invoke itself" if possible else "invokes itself"
    message = (
        f"{write.view.route.id} writes to the {write.kind} resource {write.target} that triggers it and {verb}: "
        f"{'a possible' if possible else 'an'} infinite loop"
    )
    if write.kind in STREAMS and not possible:
        message += " unless its code ignores its own changes (decompose does not read such guards)"
    evidence = [_write_line(context, edge), _trigger_line(context, edge), _detection(kinds)]
    guarded = frozenset({write.view.key}) if _covered(kinds) else frozenset()
    finding = rule.finding(
        message,
        write.call.location,
        route=write.view.route.id,
        evidence=evidence,
        fix=_fix(write.kind),
        severity=Severity.INFO if possible else None,
    )
    return finding, guarded


def _chain(rule: RecursiveTriggerRule, context: RuleContext, hops: list[Edge]) -> tuple[Finding, frozenset]:
    kinds = [hop.write.kind for hop in hops]
    possible = any(hop.status == POSSIBLE for hop in hops)
    path = " -> ".join([*(hop.write.view.route.id for hop in hops), hops[0].write.view.route.id])
    message = f"{'a possible' if possible else 'a'} recursive loop through {len(hops)} routes: {path}"
    evidence = [line for hop in hops for line in (_write_line(context, hop), _trigger_line(context, hop))]
    evidence.append(_detection(kinds))
    first = hops[0].write
    guarded = frozenset(hop.write.view.key for hop in hops) if _covered(kinds) else frozenset()
    finding = rule.finding(
        message,
        first.call.location,
        route=first.view.route.id,
        evidence=evidence,
        fix=_fix(kinds[0]),
        severity=Severity.INFO if possible else None,
    )
    return finding, guarded


def _near_miss(rule: RecursiveTriggerRule, context: RuleContext, edge: Edge) -> Finding:
    write = edge.write
    target = (
        f"{write.target}, the {write.kind} resource that triggers it,"
        if write.target != "*"
        else (f"a {write.kind} resource it does not name")
    )
    message = f"{write.view.route.id} writes to {target} but the event's filter excludes the write: not a loop"
    evidence = [_write_line(context, edge), _trigger_line(context, edge)]
    keep = "Keep the written keys outside the event's filter (a change to either can close the loop)."
    return rule.finding(
        message, write.call.location, route=write.view.route.id, evidence=evidence, fix=keep, severity=Severity.INFO
    )
