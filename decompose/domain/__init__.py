"""The inert domain model: values only, no I/O, no third-party imports.

Everything else in decompose depends on this package; it depends on nothing but the standard library.
"""

from decompose.domain.model import (
    AnalysisReport,
    Finding,
    FunctionAnalysis,
    FunctionSpec,
    Location,
    Route,
    RouteReach,
    Severity,
    Trigger,
    TriggerEvent,
)

__all__ = [
    "AnalysisReport",
    "Finding",
    "FunctionAnalysis",
    "FunctionSpec",
    "Location",
    "Route",
    "RouteReach",
    "Severity",
    "Trigger",
    "TriggerEvent",
]
