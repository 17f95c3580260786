"""Reading literal values and HTTP route strings out of the AST, shared by the strategies."""

from __future__ import annotations

import ast
import re

from decompose.analysis.dispatch.base import HTTP_METHODS


def strings(node: ast.AST | None) -> list[str] | None:
    """A string literal, or a tuple/list/set of them, as a list; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return values if len(values) == len(node.elts) else None
    return None


def split_route_key(text: str) -> tuple[str, str] | None:
    """`"GET /orders/{id}"` -> ("GET", "/orders/{id}"); None when it is not METHOD + path."""
    method, _, path = text.strip().partition(" ")
    if method.upper() in HTTP_METHODS and path.startswith("/"):
        return method.upper(), literal_path(path.strip())
    return None


_ANGLE = re.compile(r"<(?:\w+:)?(\w+)>")


def normalise_path(path: str) -> str:
    """A framework's route rule: Powertools/Flask `<id>` and `<int:id>` become API Gateway `{id}`; a
    trailing slash goes."""
    return literal_path(_ANGLE.sub(r"{\1}", path))


def literal_path(path: str) -> str:
    """A path the code compares literally: its text stays as written (`<b>` is not a parameter), only a
    trailing slash goes."""
    if len(path) > 1:
        path = path.rstrip("/")
    return path or "/"


def prefix_path(prefix: str) -> str | None:
    """`path.startswith("/admin/")` serves everything below: `/admin/{proxy+}`. An empty prefix tests
    nothing (every string starts with it): None, not a catch-all."""
    if not prefix:
        return None
    return prefix.rstrip("/") + "/{proxy+}"
