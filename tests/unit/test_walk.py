"""descendants: every node under an AST node in `ast.walk` order, walked once for all its readers."""

from __future__ import annotations

import ast
import textwrap

from decompose.analysis.walk import descendants

SOURCE = textwrap.dedent(
    """
    def handler(event, context):
        for record in event["Records"]:
            table.put_item(Item={"id": record["id"]})
        return [x for x in event]
    """
)


def test_descendants_are_ast_walk_in_its_order_and_computed_once() -> None:
    """The tuple holds exactly what `ast.walk` yields, in the same order, and a second reader gets the same one."""
    function = ast.parse(SOURCE).body[0]
    assert list(descendants(function)) == list(ast.walk(function))
    assert descendants(function) is descendants(function)
