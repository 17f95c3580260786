"""A Chalice project's `.chalice/config.json` and `.chalice/policy-<stage>.json`: its stand-in for a template.

A Chalice project has no SAM template: `chalice deploy` builds the functions from the app's decorators
and their settings from `.chalice/config.json`. This module reads the settings for one stage (`dev`,
Chalice's default, when the config has it; else its only stage) and one function, with Chalice's own
lookup order (`chalice/config.py`, `Config._chain_lookup` / `_chain_merge`, checked against the installed
chalice in the tests):

- scalar settings (`lambda_memory_size`, `lambda_timeout`, `iam_policy_file`, `autogen_policy`,
  `manage_iam_role`, `iam_role_arn`): the stage's `lambda_functions.<name>`, then the stage, then the
  top-level `lambda_functions.<name>`, then the top level;
- `environment_variables`: merged, top level < stage < stage's `lambda_functions.<name>`.

The role's policy, for the comparison with the monolith: with `autogen_policy: false` it is the file
`.chalice/<iam_policy_file>` (default `policy-<stage>.json`), read as an IAM policy document; with
`autogen_policy` (Chalice's default) Chalice writes it at deploy time from its own scan of `app.py`, and
with `manage_iam_role: false` the role is `iam_role_arn`: in both cases there is nothing to compare with,
which the report says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from decompose.domain.model import Location
from decompose.errors import TemplateError

CONFIG = Path(".chalice") / "config.json"
DEFAULT_STAGE = "dev"


@dataclass(frozen=True)
class ChaliceConfig:
    """The decoded `.chalice/config.json` and the stage decompose reads."""

    path: str  # relative to the project root (POSIX)
    root: Path
    data: Mapping[str, Any]
    stage: str

    @property
    def app_name(self) -> str:
        return str(self.data.get("app_name") or "app")


@dataclass(frozen=True)
class FunctionSettings:
    """What Chalice gives one of its functions: environment, size, and its role's policy if it can be read."""

    environment: tuple[tuple[str, Any], ...]
    memory_size: int | None
    timeout: int | None
    policies: tuple[Any, ...]  # the policy document(s) of the role, when decompose can read them
    role: str | None  # set when the role's policy is not in the project (autogen, or a role ARN)
    problem: str | None  # why the policy cannot be compared, for the report


def find_chalice_config(root: Path) -> Path | None:
    candidate = root / CONFIG
    return candidate if candidate.is_file() else None


def load_chalice_config(root: Path) -> ChaliceConfig:
    """Decode `.chalice/config.json`; a file that is not a JSON object is a `TemplateError` with its line."""
    path = root / CONFIG
    rel = CONFIG.as_posix()
    data = _read_json(path, rel)
    if not isinstance(data, dict):
        raise TemplateError("not a Chalice config: the top level is not a JSON object", Location(rel, 1))
    stages = data.get("stages") if isinstance(data.get("stages"), dict) else {}
    stage = DEFAULT_STAGE if DEFAULT_STAGE in stages or not stages else next(iter(stages))
    return ChaliceConfig(rel, root, data, stage)


def function_settings(config: ChaliceConfig, function: str) -> FunctionSettings:
    """The settings of one Chalice function (`api_handler` for the REST API) in the config's stage."""
    lookup = _Lookup(config.data, config.stage, function)
    environment = lookup.merged("environment_variables")
    memory = lookup.scalar("lambda_memory_size")
    timeout = lookup.scalar("lambda_timeout")
    policies: tuple[Any, ...] = ()
    role = problem = None
    if lookup.scalar("manage_iam_role") is False:
        role = str(lookup.scalar("iam_role_arn") or "an existing role")
        problem = f"the role is {role} (manage_iam_role: false), outside the project"
    elif lookup.scalar("autogen_policy") is False:
        name = str(lookup.scalar("iam_policy_file") or f"policy-{config.stage}.json")
        rel = (Path(".chalice") / name).as_posix()
        file = config.root / rel
        if file.is_file():
            policies = (_read_json(file, rel),)
        else:
            role = rel
            problem = f"{rel} (autogen_policy: false) does not exist"
    else:
        role = "chalice autogen_policy"
        problem = "Chalice generates the role's policy at deploy time (autogen_policy)"
    return FunctionSettings(
        tuple(sorted(environment.items())),
        memory if isinstance(memory, int) else None,
        timeout if isinstance(timeout, int) else None,
        policies,
        role,
        problem,
    )


class _Lookup:
    """Chalice's search order for one stage and function (see the module docstring)."""

    def __init__(self, data: Mapping[str, Any], stage: str, function: str) -> None:
        stages = _mapping(data.get("stages"))
        self._stage = _mapping(stages.get(stage))
        self._stage_function = _mapping(_mapping(self._stage.get("lambda_functions")).get(function))
        self._function = _mapping(_mapping(data.get("lambda_functions")).get(function))
        self._top = data

    def scalar(self, name: str) -> Any:
        for source in (self._stage_function, self._stage, self._function, self._top):
            if source.get(name) is not None:
                return source[name]
        return None

    def merged(self, name: str) -> dict[str, Any]:
        final: dict[str, Any] = {}
        for source in (self._top, self._stage, self._stage_function):
            value = source.get(name)
            if isinstance(value, Mapping):
                final.update(value)
        return final


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _read_json(path: Path, rel: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise TemplateError(f"not UTF-8 ({exc.reason})", Location(rel, 1)) from exc
    except json.JSONDecodeError as exc:
        raise TemplateError(f"not JSON: {exc.msg}", Location(rel, exc.lineno)) from exc
