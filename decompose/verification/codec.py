"""Values as tagged JSON: how the verify runner hands requests, responses and AWS state to its parent.

A handler's response, a call's parameters and the world's state hold values JSON has no word for; each is
written as a one-key object so both runs' values compare as plain JSON and nothing is lost silently:
`{"$decimal": "49.80"}`, `{"$bytes": {"size": n, "text": "..."}}` (UTF-8 text up to `TEXT_LIMIT` bytes,
else `"sha256"`), `{"$set": [...]}` (sorted), `{"$datetime": "..."}`, `{"$object": "TypeName"}` for a value
that cannot be read without consuming it (a file or stream). `decode` turns the tags the seed and the job use
($decimal, $b64) back into Python values.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

TEXT_LIMIT = 4096


def encode(value: Any) -> Any:
    """A JSON-ready copy of `value` with the tags above (dict keys become strings)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, set | frozenset):
        return {"$set": sorted((encode(v) for v in value), key=repr)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": describe_bytes(bytes(value))}
    if hasattr(value, "value") and type(value).__name__ == "Binary":  # boto3.dynamodb.types.Binary
        return {"$bytes": describe_bytes(bytes(value.value))}
    if isinstance(value, datetime.datetime | datetime.date):
        return {"$datetime": value.isoformat()}
    return {"$object": type(value).__name__}


def describe_bytes(data: bytes) -> dict[str, Any]:
    """Bytes as their size and their text when short UTF-8, else their SHA-256."""
    described: dict[str, Any] = {"size": len(data)}
    if len(data) <= TEXT_LIMIT:
        try:
            described["text"] = data.decode("utf-8")
            return described
        except UnicodeDecodeError:
            pass
    described["sha256"] = hashlib.sha256(data).hexdigest()
    return described


def decode(value: Any) -> Any:
    """The Python value of a job's tagged JSON ($decimal -> Decimal, $b64 -> bytes); other tags stay."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$decimal"}:
            return Decimal(value["$decimal"])
        if set(value) == {"$b64"}:
            return base64.b64decode(value["$b64"])
        return {k: decode(v) for k, v in value.items()}
    return value


def b64(data: bytes) -> dict[str, str]:
    return {"$b64": base64.b64encode(data).decode("ascii")}
