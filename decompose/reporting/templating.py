"""The jinja2 environments over the templates shipped in `decompose.templates`.

`environment()` renders Markdown and Python (no autoescape: every value goes through an explicit filter);
`html_environment()` renders HTML with autoescape on, so every value is HTML-escaped unless a template says
otherwise. Both share the loader and the filters.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2

from decompose.reporting.escaping import (
    markdown_cell,
    markdown_code,
    markdown_fence,
    markdown_text,
    visible,
    visible_code,
)
from decompose.reporting.figures import counted, human_bytes, milliseconds, share


def _load(name: str) -> str:
    return resources.files("decompose.templates").joinpath(name).read_text(encoding="utf-8")


def _filters(env: jinja2.Environment) -> jinja2.Environment:
    env.filters["md"] = markdown_cell
    env.filters["code"] = markdown_code
    env.filters["mdtext"] = markdown_text
    env.filters["fence"] = markdown_fence
    env.filters["visible"] = visible
    env.filters["visible_code"] = visible_code
    env.filters["bytes"] = human_bytes
    env.filters["ms"] = milliseconds
    env.globals["share"] = share
    env.globals["counted"] = counted
    return env


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        autoescape=False,  # Markdown and Python, not HTML: every value goes through an explicit filter
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return _filters(env)


@cache
def html_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return _filters(env)


def render(name: str, **values: object) -> str:
    return environment().get_template(name).render(**values)


def render_html(name: str, **values: object) -> str:
    return html_environment().get_template(name).render(**values)
