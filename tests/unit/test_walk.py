"""descendants: every node under an AST node in `ast.walk` order, walked once for all its readers."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from decompose.analysis.walk import children, descendants, statements

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


REPO = Path(__file__).resolve().parents[2]
REAL_CODE = sorted(p for root in ("sample_monolith", "tests/fixtures") for p in (REPO / root).rglob("*.py"))


def test_descendants_children_and_statements_agree_with_ast_on_real_code() -> None:
    """On every Python file of the sample and the fixtures: `descendants` is `ast.walk` in its order,
    `children` is `ast.iter_child_nodes` in its order, and `statements` holds exactly the statements."""
    assert len(REAL_CODE) > 50
    for path in REAL_CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        walked = list(ast.walk(tree))
        assert list(descendants(tree)) == walked, path
        for node in walked:
            assert children(node) == list(ast.iter_child_nodes(node)), (path, node)
        expected = [n for n in walked if isinstance(n, ast.stmt)]
        assert sorted(map(id, statements(tree))) == sorted(map(id, expected)), path
