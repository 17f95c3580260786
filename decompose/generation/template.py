"""The strangler edit of the user's SAM template: new functions added, the monolith loses exactly their events.

`edit_template(text, path, plan, monolith, drafts)` returns the new template text; it never writes. The edit
is a **splice**, so a pull request shows only the lines that really change:

- ruamel.yaml (round trip) only parses and locates: the line and column of every key (`.lc`), the tags, the
  flow/block style of each collection. No full dump, because a dump re-indents sequences and reflows text.
- Each new `AWS::Serverless::Function` is rendered as text and inserted after the monolith (after the
  functions decompose already added for it). Its events are the monolith's event entries **moved verbatim**
  (comments, quoting and tags kept, re-indented as a block); its environment entries are copied verbatim from
  the monolith's own `Environment.Variables` (only the names its package reads; Globals stay in Globals);
  the monolith's own `CodeUri`, `Runtime`, `MemorySize`, `Timeout`, `Architectures` and the other settings in
  `INHERITED` are copied verbatim unless the plan overrides them. New values (Handler, `Policies` from
  analyze, `AutoPublishAlias` + `DeploymentPreference`, `Metadata: BuildMethod`) are rendered by ruamel with
  the template's own indentation and CloudFormation short-form tags (`!Ref`, `!GetAtt A.Arn`, `!Sub`).
- The monolith's `Events` lose exactly the moved entries, by deleting their lines (with the comment lines
  directly above each entry); an `Events:` left empty is removed.

Routes and catch-alls: an event that names exactly one of the function's routes moves. A greedy event that
only *covers* a function's route (`/{proxy+}`, `/admin/{proxy+}`, HttpApi `$default`) stays with the monolith,
which keeps serving everything else, and the function gets an explicit event for that route on the same API
(its `RestApiId`/`ApiId`, `PayloadFormatVersion` and other properties copied), because the most specific route
wins (strangler-and-dispatch.md §3a). No catch-all is ever added: the monolith keeps one only where it already
had one. Payload versions survive because events move verbatim.

Idempotency: each generated function carries `Metadata.Decompose.SplitFrom: <monolith>` and a comment with
`GENERATED_MARKER`. A function already there is re-rendered from the draft, keeping the events it already
holds, and replaced only if its text differs: the same drafts give the same template. Any other resource
with a drafted logical id is a collision (`TemplateEditError`, with its line).

What the splice refuses, with `TemplateEditError` saying why and where: text that is not one YAML document,
duplicate keys, anchors or aliases in the monolith's resource, a flow-style `Resources`, monolith, its
`Properties` or `Events` mapping, an event the monolith does not have, a WebSocket route (an
`AWS::ApiGatewayV2::Route`, not a SAM event), an event on an API whose own OpenAPI definition wires the
monolith (`DefinitionUri`, or a `DefinitionBody` naming it: the integration would not move), a moved S3
event whose function's policies name the bucket by `!Ref`/`!GetAtt` (the bucket's notification
configuration depends on the function: a circular dependency). Windows line ends and a missing final
newline are kept. JSON templates go to `decompose.generation.template_json` (parse, edit, dump, when the dump
keeps the file's layout).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.tag import Tag

from decompose.domain.model import FunctionSpec, Location
from decompose.domain.plan import GENERATED_MARKER, SHIM, Companion, FunctionDraft, Plan
from decompose.errors import TemplateError
from decompose.loading.template import mentions, referenced_id

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
MARKER_KEY = "Decompose"  # Metadata.Decompose.SplitFrom names the monolith a generated function came from
INHERITED = (
    "CodeUri",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Architectures",
    "Layers",
    "VpcConfig",
    "Tracing",
    "KmsKeyArn",
    "FileSystemConfigs",
    "EphemeralStorage",
    "PermissionsBoundary",
    "LoggingConfig",
    "RuntimeManagementConfig",
    "DeadLetterQueue",
    "EventInvokeConfig",
    "Tags",
    "RecursiveLoop",
)  # the monolith's own settings a split function keeps (not FunctionName, Role, concurrency, URLs)
RESOURCE_ATTRIBUTES = ("Condition", "DependsOn")
_OVERRIDES = {"Runtime": "runtime", "MemorySize": "memory_size", "Timeout": "timeout", "Architectures": "architectures"}
_HTTP = ("Api", "HttpApi")
DESCRIPTION_LIMIT = 256


class TemplateEditError(TemplateError):
    """The template cannot be edited safely by the splice, or the drafts do not fit it."""


def edit_template(text: str, path: str, plan: Plan, monolith: FunctionSpec, drafts: Sequence[FunctionDraft]) -> str:
    """The template `text` (at `path`, relative to the project root) with `drafts` split from `monolith`."""
    if text.lstrip().startswith("{"):
        from decompose.generation.template_json import edit_json  # noqa: PLC0415 - it builds on this module

        return edit_json(text, path, plan, monolith, drafts)
    return _YamlEdit(text, path, plan, monolith, drafts).run()


# ------------------------------------------------------------------------------------------- values
def short_form(value: Any) -> Any:
    """A JSON-able CloudFormation value as ruamel nodes with short-form tags (`!Ref X`, `!GetAtt A.B`)."""
    if isinstance(value, Mapping):
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
                return _tagged(key, inner)
        out = CommentedMap()
        for key, inner in value.items():
            out[str(key)] = short_form(inner)
        return out
    if isinstance(value, list | tuple):
        return CommentedSeq([short_form(v) for v in value])
    return value


def _tagged(key: str, inner: Any) -> Any:
    tag = "!" + key.removeprefix("Fn::")
    if key == "Fn::GetAtt" and isinstance(inner, list) and len(inner) == 2 and all(isinstance(i, str) for i in inner):
        return TaggedScalar(f"{inner[0]}.{inner[1]}", tag=tag)
    if isinstance(inner, str):
        return TaggedScalar(inner, tag=tag)
    node = short_form(inner)
    if isinstance(node, CommentedSeq | CommentedMap):
        node.yaml_set_ctag(Tag(suffix=tag))
        return node
    long_form = CommentedMap()
    long_form[key] = node  # a number or boolean under an intrinsic: the long form says it plainly
    return long_form


def plain_value(node: Any) -> Any:
    """A ruamel round-trip node as JSON-able CloudFormation (short-form tags in their long form)."""
    tag = _tag_of(node)
    if isinstance(node, TaggedScalar) or (tag and isinstance(node, CommentedMap | CommentedSeq)):
        name = tag.removeprefix("!")
        key = "Ref" if name == "Ref" else f"Fn::{name}"
        inner = node.value if isinstance(node, TaggedScalar) else _untagged(node)
        if key == "Fn::GetAtt" and isinstance(inner, str):
            return {key: inner.split(".", 1)}
        return {key: inner}
    return _untagged(node)


def _untagged(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): plain_value(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain_value(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _tag_of(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag)
    return value if isinstance(value, str) and value.startswith("!") else None


# ------------------------------------------------------------------------------------------- text spans
@dataclass(frozen=True)
class Span:
    """Lines [start, end] (0-based, inclusive) of one mapping entry, leading comment lines included."""

    start: int
    key_line: int
    end: int
    column: int


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def entry_span(lines: Sequence[str], key_line: int, column: int) -> Span:
    """The entry whose key sits at (`key_line`, `column`): every following line indented deeper, and the
    comment lines directly above it at its own column (those describe it)."""
    end = key_line
    for index in range(key_line + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        indent = _indent(line)
        if indent == column and re.match(r"-(\s|$)", line[indent:]):
            end = index  # an indentless block sequence (`Key:` then `- item` at the key's column) is its value
            continue
        if indent <= column:
            if _is_comment(line):
                continue
            break
        end = index
    start = key_line
    while start > 0 and _is_comment(lines[start - 1]) and _indent(lines[start - 1]) == column:
        start -= 1
    return Span(start, key_line, end, column)


def _reindent(lines: Sequence[str], delta: int) -> list[str]:
    """Shift a block by `delta` columns (blank lines stay blank)."""
    out = []
    for line in lines:
        body = line.rstrip("\n")
        if not body.strip():
            out.append("\n")
        elif delta >= 0:
            out.append(" " * delta + body + "\n")
        else:
            if _indent(body) < -delta:
                raise TemplateError("a block cannot be re-indented (a line is less indented than its key)")
            out.append(body[-delta:] + "\n")
    return out


# ------------------------------------------------------------------------------------------- the YAML edit
@dataclass
class _Style:
    resource: int  # column of resource keys
    mapping: int  # indentation step of mappings
    offset: int  # column of a sequence dash relative to its parent key


@dataclass
class _Edit:
    start: int  # first line replaced (0-based)
    end: int  # last line replaced, inclusive; start - 1 for a pure insertion before `start`
    lines: list[str]


class _YamlEdit:
    def __init__(
        self, text: str, path: str, plan: Plan, monolith: FunctionSpec, drafts: Sequence[FunctionDraft]
    ) -> None:
        self.crlf = "\r\n" in text  # edited with \n, written back with the file's own line ends
        text = text.replace("\r\n", "\n") if self.crlf else text
        self.text = text
        self.path = path
        self.plan = plan
        self.spec = monolith
        self.drafts = drafts
        self.lines = text.splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
        self.data = self._load()
        self.monolith_id = monolith.logical_id or ""

    # -------------------------------------------------------------------------------------- checks
    def _error(self, message: str, line: int | None = None) -> TemplateEditError:
        return TemplateEditError(message, Location(self.path, None if line is None else line + 1))

    def _load(self) -> CommentedMap:
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True  # values copied into rendered nodes keep their quoting
        try:
            documents = list(yaml.load_all(self.text))
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            reason = "a duplicated key" if "duplicate" in str(exc.problem or "").lower() else (exc.problem or "")
            raise self._error(f"cannot edit safely: {reason}".rstrip(": "), mark.line if mark else None) from exc
        except YAMLError as exc:
            raise self._error(f"not a YAML template: {exc}") from exc
        if len(documents) != 1 or not isinstance(documents[0], CommentedMap):
            raise self._error("cannot edit safely: the template is not exactly one YAML mapping")
        data = documents[0]
        resources = data.get("Resources")
        if not isinstance(resources, CommentedMap) or resources.fa.flow_style():
            raise self._error("cannot edit safely: Resources is not a block mapping", _key_line(data, "Resources"))
        return data

    def _check_monolith(self) -> tuple[CommentedMap, CommentedMap, Span]:
        resources = self.data["Resources"]
        if self.monolith_id not in resources:
            raise self._error(f"the monolith {self.monolith_id} is not a resource of the template")
        resource = resources[self.monolith_id]
        line, column = resources.lc.key(self.monolith_id)
        span = entry_span(self.lines, line, column)
        if not isinstance(resource, CommentedMap) or resource.fa.flow_style():
            raise self._error(f"cannot edit safely: {self.monolith_id} is not a block mapping", line)
        props = resource.get("Properties")
        if not isinstance(props, CommentedMap) or props.fa.flow_style():
            raise self._error(f"cannot edit safely: {self.monolith_id}.Properties is not a block mapping", line)
        events = props.get("Events")
        if events is not None and (not isinstance(events, CommentedMap) or events.fa.flow_style()):
            raise self._error(
                f"cannot edit safely: {self.monolith_id}.Properties.Events is not a block mapping",
                _key_line(props, "Events"),
            )
        for event_line in self._anchors():
            if span.start <= event_line <= span.end:
                raise self._error(
                    f"cannot edit safely: {self.monolith_id} uses a YAML anchor or alias (the moved text would "
                    "break it); expand it first",
                    event_line,
                )
        return resource, props, span

    def _anchors(self) -> Iterator[int]:
        for event in YAML(typ="rt").parse(self.text):
            if getattr(event, "anchor", None) is not None or type(event).__name__ == "AliasEvent":
                yield event.start_mark.line

    # -------------------------------------------------------------------------------------- the run
    def run(self) -> str:
        resource, props, mono_span = self._check_monolith()
        self.style = self._style(resource, props)
        resources = self.data["Resources"]
        events = props.get("Events") or CommentedMap()
        generated = self._generated()
        companions = self._companions()
        edits: list[_Edit] = []
        moved: dict[str, str] = {}  # event name -> logical id taking it
        new_blocks: list[list[str]] = []
        for draft in self.drafts:
            logical_id = draft.plan.logical_id
            self._check_ids(draft, generated, companions)
            own, synthesized = self._events_of(draft, events, generated.get(logical_id))
            for name, _ in own:
                if name in events:
                    if name in moved:
                        raise self._error(f"event {name} is drafted for both {moved[name]} and {logical_id}")
                    moved[name] = logical_id
            block = self._render(draft, resource, props, own, synthesized)
            self._check_cycle(draft, own, resources)
            self._check_definitions(draft, [n for n in draft.events if n in events], events)
            fresh: list[str] = []  # companions not in the template yet: they follow the function's block
            for companion in draft.companions:
                text = self._companion(draft, companion)
                if companion.logical_id in companions:
                    span = companions[companion.logical_id][1]
                    if self.lines[span.start : span.end + 1] != text:
                        edits.append(_Edit(span.start, span.end, text))
                else:
                    fresh += ["\n", *text]
            if logical_id in generated:
                span = generated[logical_id]
                if self.lines[span.start : span.end + 1] != block or fresh:
                    edits.append(_Edit(span.start, span.end, block + fresh))
            else:
                new_blocks.append(block + fresh)
        edits.extend(self._stale_companions(companions, mono_span.end))
        edits.extend(self._event_removals(props, events, set(moved), mono_span.end))
        if new_blocks:
            ends = [s.end for s in generated.values()] + [s.end for _, s in companions.values()]
            after = max([mono_span.end, *ends])
            inserted: list[str] = []
            for block in new_blocks:
                inserted += ["\n", *block]
            following = self.lines[after + 1] if after + 1 < len(self.lines) else ""
            if following.strip() and _indent(following) >= self.style.resource:
                inserted.append("\n")  # the next resource (or the comment above it) stays apart
            edits.append(_Edit(after + 1, after, inserted))
        lines = list(self.lines)
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            lines[edit.start : edit.end + 1] = edit.lines
        out = "".join(lines)
        out = out if self.text.endswith("\n") or not self.text else out.removesuffix("\n")
        return out.replace("\n", "\r\n") if self.crlf else out

    def _style(self, resource: CommentedMap, props: CommentedMap) -> _Style:
        resources = self.data["Resources"]
        resource_column = resources.lc.key(self.monolith_id)[1]
        first = next(iter(resource))
        step = resource.lc.key(first)[1] - resource_column
        offset = step
        for key, value in props.items():
            if isinstance(value, CommentedSeq) and not value.fa.flow_style() and value:
                offset = value.lc.item(0)[1] - 2 - props.lc.key(key)[1]
                break
        return _Style(resource_column, max(step, 1), max(offset, 0))

    def _generated(self) -> dict[str, Span]:
        """Functions decompose split from this monolith earlier: logical id -> span."""
        return {key: span for key, (of, span) in self._marked().items() if not of}

    def _companions(self) -> dict[str, tuple[str, Span]]:
        """Resources decompose generated beside those functions: logical id -> (the function, span)."""
        return {key: (of, span) for key, (of, span) in self._marked().items() if of}

    def _marked(self) -> dict[str, tuple[str, Span]]:
        resources = self.data["Resources"]
        found = {}
        for key, value in resources.items():
            metadata = value.get("Metadata") if isinstance(value, Mapping) else None
            marker = metadata.get(MARKER_KEY) if isinstance(metadata, Mapping) else None
            if isinstance(marker, Mapping) and marker.get("SplitFrom") == self.monolith_id:
                line, column = resources.lc.key(key)
                found[str(key)] = (str(marker.get("Of") or ""), entry_span(self.lines, line, column))
        return found

    def _check_ids(
        self, draft: FunctionDraft, generated: Mapping[str, Span], companions: Mapping[str, tuple[str, Span]]
    ) -> None:
        """The draft's ids (its own, its companions') are valid and name no resource decompose did not generate."""
        resources = self.data["Resources"]
        logical_id = draft.plan.logical_id
        for name in (logical_id, *(c.logical_id for c in draft.companions)):
            if not re.fullmatch(r"[A-Za-z0-9]{1,255}", name):
                raise self._error(f"{name!r} is not a CloudFormation logical id (letters and digits only)")
            ours = name in generated if name == logical_id else name in companions and companions[name][0] == logical_id
            if name in resources and not ours:
                raise self._error(
                    f"logical id {name} already names a resource decompose did not generate",
                    resources.lc.key(name)[0],
                )

    def _stale_companions(self, companions: Mapping[str, tuple[str, Span]], last: int) -> list[_Edit]:
        """Removals of the companions of drafted functions that their drafts no longer have (an errors alarm
        once the plan names its own, a hook when `replay` goes back to none, both when a function goes back to
        its shim), each with the blank line before it."""
        wanted = {c.logical_id for d in self.drafts for c in d.companions}
        drafted = {d.plan.logical_id for d in self.drafts}
        edits = []
        for key, (of, span) in companions.items():
            if of in drafted and key not in wanted:
                start = span.start
                while start > 0 and not self.lines[start - 1].strip():
                    start -= 1
                edits.append(_Edit(start, span.end, []))
        return edits

    def _companion(self, draft: FunctionDraft, companion: Companion) -> list[str]:
        """A companion resource as text: its marker comment, `Metadata.Decompose` (`SplitFrom`, `Of`), the rest
        in short-form tags (the short intrinsics `!Select`/`!Split`/`!Join` on one line)."""
        rc = self.style.resource
        comment = _comment_text(f"{GENERATED_MARKER} from {self.monolith_id}: {companion.summary}")
        body = CommentedMap()
        resource = dict(companion.resource)
        body["Type"] = resource.pop("Type")
        marker = CommentedMap()
        marker["SplitFrom"] = self.monolith_id
        marker["Of"] = draft.plan.logical_id
        metadata = CommentedMap()
        metadata[MARKER_KEY] = marker
        body["Metadata"] = metadata
        for key, value in resource.items():
            body[key] = _flow_short_intrinsics(short_form(value))
        return [
            f"{' ' * rc}# {comment}\n",
            f"{' ' * rc}{companion.logical_id}:\n",
            *self._dump(body, rc + self.style.mapping),
        ]

    # -------------------------------------------------------------------------------------- events
    def _events_of(
        self, draft: FunctionDraft, events: CommentedMap, existing: Span | None
    ) -> tuple[list[tuple[str, list[str]]], list[tuple[str, CommentedMap]]]:
        """(events moved or kept verbatim: name -> text lines at column 0, events to synthesize)."""
        logical_id = draft.plan.logical_id
        own: list[tuple[str, list[str]]] = []
        synthesized: list[tuple[str, CommentedMap]] = []
        held = self._held_events(logical_id) if existing is not None else {}
        own.extend(held.items())
        routes = set(draft.plan.routes)
        for name in draft.events:
            if name in held:
                continue
            if name not in events:
                websocket = self.data["Resources"].get(name)
                if isinstance(websocket, Mapping) and websocket.get("Type") == "AWS::ApiGatewayV2::Route":
                    raise self._error(
                        f"{logical_id}: WebSocket route {name} is an AWS::ApiGatewayV2::Route, not a SAM event; "
                        "moving it to a new function is not supported yet",
                        self.data["Resources"].lc.key(name)[0],
                    )
                raise self._error(f"{logical_id}: event {name} is not an event of {self.monolith_id}")
            event = events[name]
            trigger = next((e for e in self.spec.events if e.name == name), None)
            route = f"{trigger.method or 'ANY'} {trigger.path}" if trigger and trigger.is_http else None
            greedy = trigger is not None and trigger.is_http and (trigger.path or "{proxy+}").endswith("{proxy+}")
            if greedy and route not in routes:
                synthesized.extend(self._explicit_events(draft, name, event, trigger, held, events))
                continue
            line, column = events.lc.key(name)
            span = entry_span(self.lines, line, column)
            own.append((name, _reindent(self.lines[span.start : span.end + 1], -column)))
        return own, synthesized

    def _events_mapping(self, logical_id: str) -> Mapping[str, Any]:
        """The Events of a resource decompose generated earlier (empty for a new one)."""
        resource = self.data["Resources"].get(logical_id)
        props = resource.get("Properties") if isinstance(resource, Mapping) else None
        events = props.get("Events") if isinstance(props, Mapping) else None
        return events if isinstance(events, Mapping) else {}

    def _held_events(self, logical_id: str) -> dict[str, list[str]]:
        events = self._events_mapping(logical_id)
        if not isinstance(events, CommentedMap):
            return {}
        held = {}
        for name in events:
            line, column = events.lc.key(name)
            span = entry_span(self.lines, line, column)
            held[str(name)] = _reindent(self.lines[span.start : span.end + 1], -column)
        return held

    def _explicit_events(  # noqa: PLR0917 - one private call site
        self,
        draft: FunctionDraft,
        name: str,
        event: Any,
        trigger: Any,
        held: Mapping[str, list[str]],
        events: CommentedMap,
    ) -> Iterator[tuple[str, CommentedMap]]:
        """An explicit event per route of `draft` that the greedy event `name` serves and no event names."""
        exact = {f"{e.method or 'ANY'} {e.path}" for e in self.spec.events if e.is_http}
        exact |= http_routes(self._events_mapping(draft.plan.logical_id))  # explicit events it already holds
        taken = set(events) | set(held)
        for route in draft.plan.routes:
            method, _, path = route.partition(" ")
            if not path.startswith("/") or route in exact or not trigger.covers(path):
                continue
            exact.add(route)
            props = CommentedMap()
            source = event.get("Properties") if isinstance(event, Mapping) else None
            for key, value in (source or {}).items():
                if key not in ("Path", "Method"):
                    props[key] = value
            props["Path"] = path
            props["Method"] = method.lower() if trigger.type == "Api" else method
            body = CommentedMap()
            body["Type"] = trigger.type
            body["Properties"] = props
            event_name = _event_name(route, taken)
            taken.add(event_name)
            yield event_name, body

    def _event_removals(self, props: CommentedMap, events: CommentedMap, moved: set[str], last: int) -> list[_Edit]:
        if not moved:
            return []
        if moved >= set(events):
            line, column = props.lc.key("Events")
            span = entry_span(self.lines, line, column)
            return [_Edit(span.start, span.end, [])]
        edits = []
        for name in moved:
            line, column = events.lc.key(name)
            span = entry_span(self.lines, line, column)
            start, end = span.start, span.end
            if start > 0 and not self.lines[start - 1].strip():  # keep one blank line between what remains
                if end + 1 <= last and not self.lines[end + 1].strip():
                    while end + 1 <= last and not self.lines[end + 1].strip():
                        end += 1
                else:
                    while start > 0 and not self.lines[start - 1].strip():
                        start -= 1
            edits.append(_Edit(start, end, []))
        return edits

    # -------------------------------------------------------------------------------------- rendering
    def _render(
        self,
        draft: FunctionDraft,
        resource: CommentedMap,
        props: CommentedMap,
        own: list[tuple[str, list[str]]],
        synthesized: list[tuple[str, CommentedMap]],
    ) -> list[str]:
        style = self.style
        rc, step = style.resource, style.mapping
        pc, kc = rc + step, rc + 2 * step
        function = draft.plan
        routes = ", ".join(function.routes)
        comment = _comment_text(f"{GENERATED_MARKER} from {self.monolith_id}: {routes}")
        lines = [f"{' ' * rc}# {comment}\n", f"{' ' * rc}{function.logical_id}:\n"]
        lines += [f"{' ' * pc}Type: {SERVERLESS_FUNCTION}\n"]
        for attribute in RESOURCE_ATTRIBUTES:
            if attribute in resource:
                lines += self._copy(resource, attribute, pc)
        metadata = CommentedMap()
        if draft.build_method:
            metadata["BuildMethod"] = draft.build_method
        elif draft.phase == SHIM:
            metadata.update(self._monolith_build(resource))
        marker = CommentedMap()
        marker["SplitFrom"] = self.monolith_id
        marker["Phase"] = draft.phase
        marker["Routes"] = CommentedSeq(function.routes)
        metadata[MARKER_KEY] = marker
        lines += self._dump({"Metadata": metadata}, pc)
        lines += [f"{' ' * pc}Properties:\n"]
        description = f"{routes} (split from {self.monolith_id} by decompose)"
        if len(description) > DESCRIPTION_LIMIT:
            description = description[: DESCRIPTION_LIMIT - 3] + "..."
        head = CommentedMap()
        head["Description"] = description
        lines += self._dump(head, kc)
        for key in INHERITED:
            override = getattr(function, _OVERRIDES[key]) if key in _OVERRIDES else None
            if key == "RecursiveLoop":
                override = draft.recursive_loop
            if override is not None:
                lines += self._dump({key: list(override) if isinstance(override, tuple) else override}, kc)
            elif key in props:
                lines += self._copy(props, key, kc)
        lines += self._dump({"Handler": draft.handler}, kc)
        lines += self._environment(props, draft.environment, kc)
        if draft.policies:
            lines += self._dump({"Policies": short_form(list(draft.policies))}, kc)
        lines += self._deployment(draft, kc)
        if own or synthesized:
            lines += [f"{' ' * kc}Events:\n"]
            for _, text in own:
                lines += _reindent(text, kc + step)
            for name, body in synthesized:
                lines += self._dump({name: body}, kc + step)
        return lines

    def _copy(self, mapping: CommentedMap, key: str, column: int) -> list[str]:
        line, old = mapping.lc.key(key)
        span = entry_span(self.lines, line, old)
        return _reindent(self.lines[span.start : span.end + 1], column - old)

    def _dump(self, value: Mapping[str, Any], column: int) -> list[str]:
        yaml = YAML(typ="rt")
        yaml.width = 4096
        step, offset = self.style.mapping, self.style.offset
        yaml.indent(mapping=step, sequence=offset + 2, offset=offset)
        out = io.StringIO()
        node = value if isinstance(value, CommentedMap) else CommentedMap(value)
        yaml.dump(node, out)
        return _reindent(out.getvalue().splitlines(keepends=True), column)

    def _environment(self, props: CommentedMap, names: Sequence[str], column: int) -> list[str]:
        environment = props.get("Environment")
        variables = environment.get("Variables") if isinstance(environment, Mapping) else None
        if not isinstance(variables, CommentedMap) or not names:
            return []
        wanted = [n for n in variables if n in set(names)]
        if not wanted:
            return []
        step = self.style.mapping
        lines = [f"{' ' * column}Environment:\n", f"{' ' * (column + step)}Variables:\n"]
        if variables.fa.flow_style():
            subset = CommentedMap((k, variables[k]) for k in wanted)
            return lines + self._dump(subset, column + 2 * step)
        for name in wanted:
            lines += self._copy(variables, name, column + 2 * step)
        return lines

    def _monolith_build(self, resource: CommentedMap) -> CommentedMap:
        """The monolith's own build settings (`Metadata.BuildMethod`, `BuildProperties`), which a shim keeps."""
        metadata = resource.get("Metadata")
        out = CommentedMap()
        if not isinstance(metadata, Mapping):
            return out
        if metadata.get("BuildMethod") == "makefile":
            raise self._error(
                f"{self.monolith_id} builds with a Makefile of its own: a shim would need a build target in it; "
                "split it with `apply --phase extract`, or build the monolith with SAM's Python builder",
                _key_line(resource, "Metadata"),
            )
        for key in ("BuildMethod", "BuildProperties"):
            if key in metadata:
                out[key] = metadata[key]
        return out

    def _deployment(self, draft: FunctionDraft, column: int) -> list[str]:
        deployment = draft.plan.deployment
        resources = self.data["Resources"]
        alarms, hook = resolved_hooks(draft)
        ours = {c.logical_id for c in draft.companions}
        for alarm in alarms:
            if alarm not in resources and alarm not in ours:
                raise self._error(f"{draft.plan.logical_id}: alarm {alarm} is not a resource of the template")
        if hook and hook not in resources and hook not in ours:
            raise self._error(f"{draft.plan.logical_id}: PreTraffic hook {hook} is not a resource of the template")
        preference = CommentedMap()
        preference["Type"] = deployment.type
        if alarms:
            preference["Alarms"] = CommentedSeq([TaggedScalar(a, tag="!Ref") for a in alarms])
        if hook:
            hooks = CommentedMap()
            hooks["PreTraffic"] = TaggedScalar(hook, tag="!Ref")
            preference["Hooks"] = hooks
        value = CommentedMap()
        value["AutoPublishAlias"] = deployment.alias
        value["AutoPublishAliasAllProperties"] = True
        value["DeploymentPreference"] = preference
        return self._dump(value, column)

    def _check_definitions(self, draft: FunctionDraft, names: list[str], events: CommentedMap) -> None:
        """An API whose OpenAPI definition wires the monolith itself would not follow a moved event."""
        resources = self.data["Resources"]
        for name in names:
            event = events.get(name)
            props = event.get("Properties") if isinstance(event, Mapping) else None
            if not isinstance(props, Mapping):
                continue
            api = referenced_id(plain_value(props.get("RestApiId") or props.get("ApiId")))
            definition = resources.get(api) if api else None
            definition_props = definition.get("Properties") if isinstance(definition, Mapping) else None
            if not isinstance(definition_props, Mapping):
                continue
            body = plain_value(definition_props.get("DefinitionBody"))
            if "DefinitionUri" in definition_props or self.monolith_id in mentions(body):
                where = (
                    "DefinitionUri"
                    if "DefinitionUri" in definition_props
                    else f"DefinitionBody naming {self.monolith_id}"
                )
                raise self._error(
                    f"{draft.plan.logical_id}: API {api} defines its own OpenAPI integrations ({where}): "
                    f"moving event {name} would not move its integration",
                    resources.lc.key(api)[0],
                )

    def _check_cycle(self, draft: FunctionDraft, own: list[tuple[str, list[str]]], resources: CommentedMap) -> None:
        """A moved S3 event's bucket must not be named by !Ref/!GetAtt in the function's policies."""
        events = (self.data["Resources"][self.monolith_id]["Properties"].get("Events")) or {}
        for name, _ in own:
            event = events.get(name)
            if not isinstance(event, Mapping) or event.get("Type") != "S3":
                continue
            bucket = referenced_id(plain_value((event.get("Properties") or {}).get("Bucket")))
            if bucket is None or bucket not in resources:
                continue
            if bucket in mentions(list(draft.policies)):
                raise self._error(
                    f"{draft.plan.logical_id}: its policies name bucket {bucket} by !Ref/!GetAtt, but the bucket's "
                    f"notification configuration depends on {draft.plan.logical_id} (S3 event {name}): a circular "
                    "dependency; name the bucket in the monolith's environment by its BucketName (as !Sub) instead",
                    events.lc.key(name)[0],
                )


def resolved_hooks(draft: FunctionDraft) -> tuple[tuple[str, ...], str | None]:
    """The `Alarms` and `PreTraffic` hook of a draft's DeploymentPreference: the rollout's (`draft.alarms`,
    `draft.pre_traffic`), else the plan's own."""
    deployment = draft.plan.deployment
    return draft.alarms or deployment.alarms, draft.pre_traffic or deployment.pre_traffic


_SHORT_INTRINSICS = ("!Select", "!Split", "!Join", "!GetAZs", "!Cidr")


def _flow_short_intrinsics(node: Any) -> Any:
    """`node` with its `!Select`/`!Split`/... sequences in flow style (`!Select [0, !Split [-, ...]]`)."""
    if isinstance(node, CommentedSeq):
        if _tag_of(node) in _SHORT_INTRINSICS:
            node.fa.set_flow_style()
        for item in node:
            _flow_short_intrinsics(item)
    elif isinstance(node, CommentedMap):
        for value in node.values():
            _flow_short_intrinsics(value)
    return node


def http_routes(events: Mapping[str, Any]) -> set[str]:
    """The route ids (`GET /x`) the HTTP events of an `Events` mapping name explicitly."""
    found = set()
    for event in events.values():
        props = event.get("Properties") if isinstance(event, Mapping) else None
        if not isinstance(props, Mapping) or event.get("Type") not in _HTTP:
            continue
        method, path = props.get("Method"), props.get("Path")
        if isinstance(method, str) and isinstance(path, str):
            found.add(f"{'ANY' if method.lower() == 'any' else method.upper()} {path}")
    return found


def _event_name(route: str, taken: set[str]) -> str:
    words = re.findall(r"[A-Za-z0-9]+", route)
    base = "".join(w[:1].upper() + w[1:].lower() if w.isupper() else w[:1].upper() + w[1:] for w in words)[:60]
    base = base or "Route"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}{number}", number + 1
    return name


def _comment_text(text: str) -> str:
    """Text safe on one YAML comment line."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", text)


def _key_line(mapping: Any, key: str) -> int | None:
    try:
        return mapping.lc.key(key)[0]
    except (AttributeError, KeyError, TypeError):
        return None
