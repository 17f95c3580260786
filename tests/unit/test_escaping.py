"""Route text from the user's code is made safe for each view, and ordinary text is left as it is."""

from __future__ import annotations

import pytest

from decompose.reporting.escaping import markdown_cell, markdown_code, visible

VISIBLE = [
    ("GET /orders/{id}", "GET /orders/{id}"),
    ("/a\nb", "/a\\nb"),
    ("/a\tb\r", "/a\\tb\\r"),
    ("/x\x1b[31m", "/x\\x1b[31m"),
    ("/x\u202e", "/x\\u202e"),  # a right-to-left override
    ("/line\u2028sep", "/line\\u2028sep"),
    ("/café/ü", "/café/ü"),
]


@pytest.mark.parametrize(("text", "expected"), VISIBLE)
def test_visible_escapes_control_and_format_characters_only(text, expected) -> None:
    """Newlines, tabs, terminal escapes, bidi overrides and line separators become escapes; the rest stays."""
    assert visible(text) == expected


CODE = [
    ("GET /a", "`GET /a`"),
    ("/a|b", "`/a\\|b`"),  # GFM splits the table before it reads the span: the pipe is escaped
    ("/a\\b", "`/a\\b`"),  # code spans do not read escapes: one backslash stays one
    ("/a`b", "``/a`b``"),
    ("`x", "`` `x ``"),
    ("/a\nb", "`/a\\nb`"),
]


@pytest.mark.parametrize(("text", "expected"), CODE)
def test_markdown_code_is_one_exact_code_span(text, expected) -> None:
    """The span shows the text as it is: fence longer than any backtick run, pipes escaped, nothing doubled."""
    assert markdown_code(text) == expected


def test_markdown_cell_keeps_the_table_whole() -> None:
    """Plain cell text escapes pipes and backslashes and shows a newline as an escape."""
    assert markdown_cell("a|b\\c\nd`e") == "a\\|b\\\\c\\\\nd'e"
