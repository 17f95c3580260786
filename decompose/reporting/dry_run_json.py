"""The JSON view of the dry-run report: the report value field by field, described by the shipped JSON Schema.

Every dataclass of `domain.report` becomes an object with one key per field (tuples become arrays), plus the
few derived values a consumer would otherwise recompute (`PackageSize.total_bytes` and `missing`,
`ImportTiming.median_ms`, `SeverityCounts.total`). The schema is `decompose/reporting/data/dry_run.schema.json`
(`schema()` reads it); `tests/reporting/test_dry_run_json.py` validates real reports against it and checks that
it names every field of the model, so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from importlib import resources
from typing import Any

from decompose.domain.report import DryRunReport, ImportTiming, PackageSize, SeverityCounts

SCHEMA = "dry_run.schema.json"
DERIVED: dict[type, tuple[str, ...]] = {
    PackageSize: ("total_bytes", "missing"),
    ImportTiming: ("median_ms",),
    SeverityCounts: ("total",),
}


def to_document(report: DryRunReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    document = _convert(report)
    if not isinstance(document, dict):
        raise TypeError("a report converts to an object")
    return document


def render_json_report(report: DryRunReport) -> str:
    return json.dumps(to_document(report), indent=2, ensure_ascii=False) + "\n"


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the document (draft 2020-12)."""
    text = resources.files("decompose.reporting.data").joinpath(SCHEMA).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _convert(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in DERIVED.get(type(value), ()):
            out[name] = _convert(getattr(value, name))
        return out
    if isinstance(value, list | tuple):
        return [_convert(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _convert(v) for k, v in value.items()}
    if isinstance(value, str):
        return str(value)
    return value
