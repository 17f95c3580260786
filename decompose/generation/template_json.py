"""The strangler edit of a JSON template: parse, edit, dump, only when the dump keeps the file's layout.

JSON has no comments, and a file written by `json.dumps(..., indent=N)` (what most tools emit) dumps back to
itself, so parse-edit-dump shows only the real changes there. Any other layout (hand-aligned, compact,
trailing spaces) would be reformatted as a whole, so it is refused, and so are duplicate keys. The edit is
the YAML splice's (`decompose.generation.template`): the same resource, property order, moved events,
explicit events behind greedy ones, checks and `Metadata.Decompose` marker, in long-form intrinsics.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from decompose.domain.model import FunctionSpec, Location, TriggerEvent
from decompose.domain.plan import GENERATED_MARKER, SHIM, Companion, FunctionDraft, Plan
from decompose.generation import template as yaml_edit
from decompose.loading.template import mentions, referenced_id


def edit_json(text: str, path: str, plan: Plan, monolith: FunctionSpec, drafts: Sequence[FunctionDraft]) -> str:
    """`text` (a JSON template at `path`) with `drafts` split from `monolith`; see the module docstring."""
    data = _load(text, path)
    indent, ascii_only = _layout(text, data, path)
    edit = _JsonEdit(data, path, monolith)
    edit.run(drafts)
    out = json.dumps(data, indent=indent, ensure_ascii=ascii_only)
    return out + "\n" if text.endswith("\n") else out


def _error(message: str, path: str) -> yaml_edit.TemplateEditError:
    return yaml_edit.TemplateEditError(message, Location(path, 1))


def _load(text: str, path: str) -> dict[str, Any]:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                raise _error(f"cannot edit safely: a duplicated key {key!r}", path)
            seen[key] = value
        return seen

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise yaml_edit.TemplateEditError(f"not a JSON template: {exc.msg}", Location(path, exc.lineno)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise _error("cannot edit safely: the template has no Resources object", path)
    return data


def _layout(text: str, data: Any, path: str) -> tuple[int | None, bool]:
    """The `json.dumps` arguments that reproduce `text` exactly; else the edit would reformat the file."""
    match = re.search(r"\n( +)\S", text)
    indent = len(match.group(1)) if match else None
    for ascii_only in (True, False):
        dumped = json.dumps(data, indent=indent, ensure_ascii=ascii_only)
        if dumped == text.removesuffix("\n"):
            return indent, ascii_only
    raise _error(
        "cannot edit safely: this JSON layout is not what json.dumps writes, so the edit would reformat the whole "
        "file; reformat it with `python -m json.tool --indent 2` first, or convert it to YAML",
        path,
    )


class _JsonEdit:
    def __init__(self, data: dict[str, Any], path: str, monolith: FunctionSpec) -> None:
        self.data = data
        self.path = path
        self.spec = monolith
        self.monolith_id = monolith.logical_id or ""

    def run(self, drafts: Sequence[FunctionDraft]) -> None:
        resources: dict[str, Any] = self.data["Resources"]
        monolith = resources.get(self.monolith_id)
        if not isinstance(monolith, dict) or not isinstance(monolith.get("Properties"), dict):
            raise _error(f"the monolith {self.monolith_id} is not a resource with Properties", self.path)
        props = monolith["Properties"]
        events: dict[str, Any] = props.get("Events") or {}
        marked = {k: _of(v) for k, v in resources.items() if _split_from(v) == self.monolith_id}
        generated = [k for k, of in marked.items() if not of]
        built: dict[str, dict[str, Any]] = {}
        moved: dict[str, str] = {}
        for draft in drafts:
            logical_id = draft.plan.logical_id
            for name in (logical_id, *(c.logical_id for c in draft.companions)):
                if not re.fullmatch(r"[A-Za-z0-9]{1,255}", name):
                    raise _error(f"{name!r} is not a CloudFormation logical id (letters and digits only)", self.path)
                ours = name in generated if name == logical_id else marked.get(name) == logical_id
                if name in resources and not ours:
                    raise _error(f"logical id {name} already names a resource decompose did not generate", self.path)
            held = dict(((resources.get(logical_id) or {}).get("Properties") or {}).get("Events") or {})
            own = dict(held)
            for name in draft.events:
                if name in held:
                    continue
                own.update(self._take(draft, name, events, own, moved))
            self._check(draft, own, events, resources)
            built[logical_id] = self._resource(draft, monolith, own)
            for companion in draft.companions:
                built[companion.logical_id] = self._companion(draft, companion)
        for name in moved:
            del events[name]
        if moved and not events:
            del props["Events"]
        drafted = {d.plan.logical_id for d in drafts}
        stale = {k for k, of in marked.items() if of in drafted and k not in built}
        kept = {k: v for k, v in resources.items() if k not in stale}
        self.data["Resources"] = _placed(kept, built, self.monolith_id, [k for k in marked if k in kept])

    def _companion(self, draft: FunctionDraft, companion: Companion) -> dict[str, Any]:
        resource = dict(companion.resource)
        marker = {
            "SplitFrom": self.monolith_id,
            "Of": draft.plan.logical_id,
            "Generated": f"{GENERATED_MARKER}: {companion.summary}; decompose apply rewrites this resource",
        }
        return {"Type": resource.pop("Type"), "Metadata": {yaml_edit.MARKER_KEY: marker}, **resource}

    def _take(
        self, draft: FunctionDraft, name: str, events: dict[str, Any], own: Mapping[str, Any], moved: dict[str, str]
    ) -> dict[str, Any]:
        logical_id = draft.plan.logical_id
        if name not in events:
            resource = self.data["Resources"].get(name)
            if isinstance(resource, dict) and resource.get("Type") == "AWS::ApiGatewayV2::Route":
                raise _error(
                    f"{logical_id}: WebSocket route {name} is an AWS::ApiGatewayV2::Route, not a SAM event; moving it "
                    "to a new function is not supported yet",
                    self.path,
                )
            raise _error(f"{logical_id}: event {name} is not an event of {self.monolith_id}", self.path)
        trigger = next((e for e in self.spec.events if e.name == name), None)
        route = f"{trigger.method or 'ANY'} {trigger.path}" if trigger and trigger.is_http else None
        greedy = trigger is not None and trigger.is_http and (trigger.path or "{proxy+}").endswith("{proxy+}")
        if greedy and route not in draft.plan.routes:
            assert trigger is not None
            return dict(self._explicit(draft, events[name], trigger, own, set(events) | set(own)))
        if name in moved:
            raise _error(f"event {name} is drafted for both {moved[name]} and {logical_id}", self.path)
        moved[name] = logical_id
        return {name: events[name]}

    def _explicit(
        self,
        draft: FunctionDraft,
        event: Mapping[str, Any],
        trigger: TriggerEvent,
        own: Mapping[str, Any],
        taken: set[str],
    ) -> list[tuple[str, dict[str, Any]]]:
        exact = {f"{e.method or 'ANY'} {e.path}" for e in self.spec.events if e.is_http} | yaml_edit.http_routes(own)
        out = []
        for route in draft.plan.routes:
            method, _, path = route.partition(" ")
            if not path.startswith("/") or route in exact or not trigger.covers(path):
                continue
            exact.add(route)
            props = {k: v for k, v in (event.get("Properties") or {}).items() if k not in ("Path", "Method")}
            props |= {"Path": path, "Method": method.lower() if trigger.type == "Api" else method}
            name = yaml_edit._event_name(route, taken)
            taken.add(name)
            out.append((name, {"Type": trigger.type, "Properties": props}))
        return out

    def _check(
        self, draft: FunctionDraft, own: Mapping[str, Any], events: Mapping[str, Any], resources: Mapping[str, Any]
    ) -> None:
        logical_id = draft.plan.logical_id
        alarms, pre_traffic = yaml_edit.resolved_hooks(draft)
        ours = {c.logical_id for c in draft.companions}
        for hook in [*alarms, *([pre_traffic] if pre_traffic else [])]:
            if hook not in resources and hook not in ours:
                raise _error(f"{logical_id}: {hook} (alarm or hook) is not a resource of the template", self.path)
        for name, event in own.items():
            props = event.get("Properties") if isinstance(event, Mapping) else None
            if not isinstance(props, Mapping):
                continue
            bucket = referenced_id(props.get("Bucket")) if event.get("Type") == "S3" else None
            if bucket in resources and bucket in mentions(list(draft.policies)):
                raise _error(
                    f"{logical_id}: its policies name bucket {bucket} by Ref/GetAtt, but the bucket's notification "
                    f"configuration depends on {logical_id} (S3 event {name}): a circular dependency",
                    self.path,
                )
            api = referenced_id(props.get("RestApiId") or props.get("ApiId"))
            definition = (resources.get(api) or {}).get("Properties") if api else None
            if isinstance(definition, Mapping) and (
                "DefinitionUri" in definition or self.monolith_id in mentions(definition.get("DefinitionBody"))
            ):
                raise _error(
                    f"{logical_id}: API {api} defines its own OpenAPI integrations: moving event {name} would not "
                    "move its integration",
                    self.path,
                )

    def _resource(self, draft: FunctionDraft, monolith: Mapping[str, Any], events: dict[str, Any]) -> dict[str, Any]:
        function = draft.plan
        props = monolith["Properties"]
        routes = ", ".join(function.routes)
        resource: dict[str, Any] = {"Type": yaml_edit.SERVERLESS_FUNCTION}
        for attribute in yaml_edit.RESOURCE_ATTRIBUTES:
            if attribute in monolith:
                resource[attribute] = monolith[attribute]
        metadata: dict[str, Any] = {"BuildMethod": draft.build_method} if draft.build_method else {}
        if not draft.build_method and draft.phase == SHIM:
            metadata.update(self._monolith_build(monolith))
        metadata[yaml_edit.MARKER_KEY] = {
            "SplitFrom": self.monolith_id,
            "Phase": draft.phase,
            "Routes": list(function.routes),
            "Generated": f"{GENERATED_MARKER}: decompose apply rewrites this resource",
        }
        resource["Metadata"] = metadata
        description = f"{routes} (split from {self.monolith_id} by decompose)"
        if len(description) > yaml_edit.DESCRIPTION_LIMIT:
            description = description[: yaml_edit.DESCRIPTION_LIMIT - 3] + "..."
        out: dict[str, Any] = {"Description": description}
        for key in yaml_edit.INHERITED:
            field = yaml_edit._OVERRIDES.get(key)
            override = getattr(function, field) if field else None
            if key == "RecursiveLoop":
                override = draft.recursive_loop
            if override is not None:
                out[key] = list(override) if isinstance(override, tuple) else override
            elif key in props:
                out[key] = props[key]
        out["Handler"] = draft.handler
        variables = (props.get("Environment") or {}).get("Variables")
        if isinstance(variables, dict):
            wanted = {k: v for k, v in variables.items() if k in set(draft.environment)}
            if wanted:
                out["Environment"] = {"Variables": wanted}
        if draft.policies:
            out["Policies"] = list(draft.policies)
        deployment = function.deployment
        alarms, pre_traffic = yaml_edit.resolved_hooks(draft)
        preference: dict[str, Any] = {"Type": deployment.type}
        if alarms:
            preference["Alarms"] = [{"Ref": a} for a in alarms]
        if pre_traffic:
            preference["Hooks"] = {"PreTraffic": {"Ref": pre_traffic}}
        out["AutoPublishAlias"] = deployment.alias
        out["AutoPublishAliasAllProperties"] = True
        out["DeploymentPreference"] = preference
        if events:
            out["Events"] = events
        resource["Properties"] = out
        return resource

    def _monolith_build(self, monolith: Mapping[str, Any]) -> dict[str, Any]:
        """The monolith's own build settings, which a shim keeps (see the YAML edit)."""
        metadata = monolith.get("Metadata")
        if not isinstance(metadata, Mapping):
            return {}
        if metadata.get("BuildMethod") == "makefile":
            raise _error(
                f"{self.monolith_id} builds with a Makefile of its own: a shim would need a build target in it; "
                "split it with `apply --phase extract`, or build the monolith with SAM's Python builder",
                self.path,
            )
        return {k: metadata[k] for k in ("BuildMethod", "BuildProperties") if k in metadata}


def _of(resource: Any) -> str:
    """The function a companion resource was generated for (`Metadata.Decompose.Of`), "" for a function."""
    marker = ((resource or {}).get("Metadata") or {}).get(yaml_edit.MARKER_KEY) if isinstance(resource, dict) else None
    return str(marker.get("Of") or "") if isinstance(marker, dict) else ""


def _split_from(resource: Any) -> str | None:
    marker = ((resource or {}).get("Metadata") or {}).get(yaml_edit.MARKER_KEY) if isinstance(resource, dict) else None
    return marker.get("SplitFrom") if isinstance(marker, dict) else None


def _placed(
    resources: dict[str, Any], built: dict[str, dict[str, Any]], monolith: str, marked: list[str]
) -> dict[str, Any]:
    """Resources in their order: generated ones replaced in place, new functions after the monolith's last
    generated resource, each new companion right after its function."""
    anchor = marked[-1] if marked else monolith
    new = [k for k in built if k not in resources]
    owner = {k: _of(built[k]) for k in new}
    out: dict[str, Any] = {}

    def companions_of(function: str) -> None:
        for key in new:
            if owner[key] == function and key not in out:
                out[key] = built[key]

    for key, value in resources.items():
        out[key] = built.get(key, value)
        companions_of(key)
        if key == anchor:
            for function in (k for k in new if not owner[k]):
                out[function] = built[function]
                companions_of(function)
    return out
