"""The jinja2 environment for generated files (Makefile, Python), over the templates in `decompose.templates`.

Settings as the reference recommends for code generation: `StrictUndefined` (a missing value is an error,
not an empty string), trimmed blocks, the trailing newline kept, no autoescaping (not HTML: every value a
template writes is escaped by the module that computes it).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2


def _load(name: str) -> str:
    return resources.files("decompose.templates").joinpath(name).read_text(encoding="utf-8")


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),  # templates/ ships as decompose.templates
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(name: str, **values: object) -> str:
    return environment().get_template(name).render(**values)
