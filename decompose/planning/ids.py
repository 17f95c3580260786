"""CloudFormation logical ids and module names for new functions, derived from their routes.

A logical id must match cfn-lint's resource-name schema (`^[a-zA-Z0-9]+$`, at most 255 characters:
`cfnlint/data/schemas/other/resources/configuration.json`, read here rather than copied) and be unique
among the template's Resources and Parameters (cfn-lint E3007: they share one namespace). SAM then derives
more ids from it (`<Id>Role`, `<Id>Alias<alias>`, `<Id>DeploymentGroup`...), so those must be free too.

Naming convention (deterministic, documented in the README):
- HTTP routes: a verb from the method, then the path's static segments in CamelCase; a segment followed by a
  parameter is singular (`/orders/{order_id}` -> `Order`). `GET` on a path ending in a parameter is `Get`,
  `GET` on a plural collection is `List` (`GET /orders` -> `ListOrders`), else `Get` (`GET /health`);
  `POST` is `Create` and singularises the last segment (`POST /orders` -> `CreateOrder`); `PUT` `Update`,
  `PATCH` `Patch`, `DELETE` `Delete`, `ANY` `Handle`; `/` is `Root`. Then `Function`.
- Other routes: the source, then the type (`S3 UploadsBucket` -> `UploadsBucketS3Function`,
  `Schedule rate(1 day)` -> `Rate1DayScheduleFunction`).
- Only ASCII letters and digits survive (accents are folded: `/café` -> `Cafe`); an id that would start with
  a digit gets `Route` in front; names are capped at `MAX_DERIVED` characters with a stable hash suffix,
  leaving room for SAM's derived ids. A taken id gets `2`, `3`... before `Function`.
"""

from __future__ import annotations

import hashlib
import json
import keyword
import re
import unicodedata
from collections.abc import Callable, Collection
from functools import cache
from importlib import resources as importlib_resources

from decompose.domain.plan import COMPANION_SUFFIXES

SUFFIX = "Function"
MAX_DERIVED = 64  # well under 255: SAM appends `Alias<alias>`, `DeploymentGroup`, event permissions...
SAM_DERIVED = ("Role", "DeploymentGroup", "Version")  # ids SAM adds per function (plus `Alias<alias>`)
_WORD = re.compile(r"[A-Za-z0-9]+")
_PARAM = re.compile(r"^\{.*\}$")
_VERBS = {"POST": "Create", "PUT": "Update", "PATCH": "Patch", "DELETE": "Delete", "ANY": "Handle"}


@cache
def logical_id_rule() -> tuple[re.Pattern[str], int]:
    """cfn-lint's own pattern and maximum length for a resource's logical id."""
    text = (
        importlib_resources.files("cfnlint.data.schemas.other.resources")
        .joinpath("configuration.json")
        .read_text(encoding="utf-8")
    )
    schema = json.loads(text)
    (pattern,) = schema["patternProperties"]
    return re.compile(pattern), int(schema["propertyNames"]["maxLength"])


def invalid_logical_id(value: str) -> str | None:
    """Why `value` is not a valid CloudFormation logical id, or None when it is."""
    pattern, longest = logical_id_rule()
    if not pattern.search(value):
        return f"{value!r} is not a valid logical id: only letters A-Z, a-z and digits (cfn-lint: {pattern.pattern})"
    if len(value) > longest:
        return f"logical id is {len(value)} characters long; CloudFormation allows {longest}"
    return None


def words(text: str) -> list[str]:
    """The ASCII alphanumeric words of `text`, accents folded (`Café-bar` -> `Cafe`, `bar`)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _WORD.findall(folded)


def camel(text: str) -> str:
    """`order_items` -> `OrderItems`, `UploadsBucket` stays, `rate(1 day)` -> `Rate1Day`."""
    return "".join(w[:1].upper() + w[1:] for w in words(text))


def singular(word: str) -> str:
    """An English singular for a path segment (`orders` -> `order`, `categories` -> `category`); a heuristic,
    deterministic, and only a name: a wrong guess is a rename away in the plan file."""
    lower = word.lower()
    if len(word) <= 3 or lower.endswith(("ss", "us", "is")):
        return word
    if lower.endswith("ies"):
        return word[:-3] + "y"
    if lower.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    return word[:-1] if lower.endswith("s") else word


def route_name(route_id: str) -> str:
    """The CamelCase name of a route, without the `Function` suffix (may be empty for a hostile route)."""
    kind, _, rest = route_id.partition(" ")
    if not rest.startswith("/"):
        return camel(rest) + camel(kind)
    segments = [s for s in rest.split("/") if s]
    static = [(i, s) for i, s in enumerate(segments) if not _PARAM.match(s)]
    ends_in_param = bool(segments) and bool(_PARAM.match(segments[-1]))
    parts = []
    for position, (index, segment) in enumerate(static):
        followed_by_param = index + 1 < len(segments) and _PARAM.match(segments[index + 1]) is not None
        last = position == len(static) - 1
        parts.append(singular(segment) if followed_by_param or (last and kind == "POST") else segment)
    noun = camel(" ".join(parts)) if parts else "Root"
    if not noun:  # nothing ASCII in the path (`/日本`): a stable name from the route itself
        noun = "Route" + _digest(route_id)[:6]
    method = kind.upper()
    if method == "GET":
        plural = bool(static) and not ends_in_param and singular(static[-1][1]) != static[-1][1]
        verb = "List" if plural else "Get"
    else:
        verb = _VERBS.get(method, camel(method))
    return verb + noun


def fit(name: str, seed: str) -> str:
    """`name` made a valid, bounded id stem: never empty, never starting with a digit, at most MAX_DERIVED
    characters with `Function` (a hash of `seed` keeps truncated names distinct)."""
    name = name or "Route"
    if name[0].isdigit():
        name = "Route" + name
    room = MAX_DERIVED - len(SUFFIX)
    if len(name) > room:
        digest = _digest(seed)[:8]
        name = name[: room - len(digest)] + digest
    return name


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def unique_id(stem: str, taken: Callable[[str], bool]) -> str:
    """`<stem>Function`, or `<stem>2Function`, `<stem>3Function`... the first one `taken` accepts."""
    candidate = stem + SUFFIX
    number = 2
    while taken(candidate):
        candidate = f"{stem}{number}{SUFFIX}"
        number += 1
    return candidate


def is_taken(candidate: str, used: Collection[str], alias: str = "live") -> bool:
    """Whether `candidate`, or an id SAM would derive from it, is already used in the template or plan."""
    derived = [candidate + s for s in (*SAM_DERIVED, *COMPANION_SUFFIXES)] + [f"{candidate}Alias{alias}"]
    return candidate in used or any(d in used for d in derived)


def snake(logical_id: str) -> str:
    """`GetOrderFunction` -> `get_order`: the module name of a function's code (a valid Python identifier)."""
    stem = logical_id.removesuffix(SUFFIX) or logical_id
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", stem).lower()
    name = "_".join(words(name)) or "function"
    if name[0].isdigit():
        name = "f_" + name
    return name + "_" if keyword.iskeyword(name) else name  # as generation.handlers.snake_name spells it


def default_modules(logical_id: str) -> tuple[str, str]:
    """The default dotted `module` (the routes' exclusive code) and `handler` module of a new function."""
    name = snake(logical_id)
    return f"routes.{name}", f"handlers.{name}"


def invalid_module(value: str) -> str | None:
    """Why `value` is not a dotted module name decompose can create, or None."""
    parts = value.split(".")
    if not value or not all(p.isidentifier() and p.isascii() and not keyword.iskeyword(p) for p in parts):
        return f"{value!r} is not a dotted Python module name (ASCII identifiers separated by dots)"
    return None
