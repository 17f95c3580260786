"""Printing a sliced function in the user's own words (`generation.source_slice`)."""

from __future__ import annotations

import ast
import textwrap

from decompose.analysis.dispatch.slicing import Slice, prune
from decompose.generation.source_slice import double_quoted, render

SOURCE = textwrap.dedent(
    """
    def handler(event, context):
        # normalise the path first
        path = event["path"].rstrip("/")  # trailing slashes are tolerated
        if path == "/a":
            return "a"
        elif path == "/b":
            # the b route
            return "b"
        else:
            return {
                "statusCode": 404,
            }
    """
).lstrip()


def sliced(drop: list[str]) -> str | None:
    """The handler printed with the `if` branches whose test mentions one of `drop` removed."""
    tree = ast.parse(SOURCE)
    function = tree.body[0]
    dropped = {
        id(n) for n in ast.walk(function) if isinstance(n, ast.If) and any(d in ast.unparse(n.test) for d in drop)
    }
    cut = Slice(frozenset(dropped), frozenset(), ())
    return render(SOURCE, function, prune(function, cut), name="lambda_handler")


def test_dropping_the_first_branch_turns_elif_into_if_and_keeps_comments() -> None:
    """The first branch goes, `elif` becomes `if`, comments and the wrapped literal survive as written."""
    text = sliced(["/a"])
    assert text is not None
    assert text.startswith("def lambda_handler(event, context):\n    # normalise the path first\n")
    assert '    path = event["path"].rstrip("/")  # trailing slashes are tolerated' in text
    assert '    if path == "/b":\n        # the b route\n        return "b"\n' in text
    assert '            "statusCode": 404,' in text
    assert "/a" not in text


def test_dropping_every_branch_keeps_the_else_body_dedented() -> None:
    """With both branches gone only the `else` body stays, one level up, still as written."""
    text = sliced(["/a", "/b"])
    assert text is not None
    assert text.endswith('    return {\n        "statusCode": 404,\n    }')
    assert "if " not in text


def test_double_quotes_replace_single_ones_only_where_nothing_changes() -> None:
    """Single-quoted strings without quotes or backslashes become double-quoted; the code means the same."""
    source = "x = 'a' + f'{y}' + 'it\\'s' + r'\\d'\n"
    assert double_quoted(source) == "x = \"a\" + f\"{y}\" + 'it\\'s' + r'\\d'\n"
    assert ast.dump(ast.parse(source)) == ast.dump(ast.parse(double_quoted(source)))
