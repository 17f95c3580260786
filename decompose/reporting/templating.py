"""The jinja2 environment over the templates shipped in `decompose.templates`."""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2

from decompose.reporting.escaping import markdown_cell, markdown_code


def _load(name: str) -> str:
    return resources.files("decompose.templates").joinpath(name).read_text(encoding="utf-8")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        autoescape=False,  # Markdown and Python, not HTML: every value goes through an explicit filter
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_cell
    env.filters["code"] = markdown_code
    return env


def render(name: str, **values: object) -> str:
    return environment().get_template(name).render(**values)
