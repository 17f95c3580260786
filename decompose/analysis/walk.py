"""Every node under an AST node, in `ast.walk` order, computed once per node.

Several stages read the same definitions' trees: the definition graph collects a function's locals, the IAM
stage its assignments and calls, the completeness check and the anti-pattern rules its calls. `ast.walk`
costs about as much as parsing the code again, once per reader; `descendants` walks a node once and hands
every reader the same tuple (the order is `ast.walk`'s, so results do not change).
"""

from __future__ import annotations

import ast
import functools


@functools.lru_cache(maxsize=1 << 17)
def descendants(node: ast.AST) -> tuple[ast.AST, ...]:
    """`tuple(ast.walk(node))`, cached: `node` itself first, then everything under it, breadth first.

    The same nodes in the same order as `ast.walk` (each node's `_fields` in order, lists in order), without
    its two generators per node: about half the time."""
    out = [node]
    append = out.append
    for current in out:  # grows while it is read: breadth first, as ast.walk's queue
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, ast.AST):
                append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        append(item)
    return tuple(out)


def children(node: ast.AST) -> list[ast.AST]:
    """`list(ast.iter_child_nodes(node))`, the same nodes in the same order, without the generators."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend(item for item in value if isinstance(item, ast.AST))
    return out


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def statements(node: ast.AST) -> list[ast.stmt]:
    """Every statement under `node` (nested blocks, functions and classes included), without entering any
    expression: what a reader of statements alone (imports) needs, at a fraction of a full walk. Not in
    `ast.walk`'s order."""
    out: list[ast.stmt] = []
    todo = [node]
    while todo:
        inner = todo.pop()
        for name in _BLOCKS:
            block = getattr(inner, name, None)
            if isinstance(block, list):
                for child in block:
                    if isinstance(child, ast.stmt):
                        out.append(child)
                    todo.append(child)  # an except handler or a match case holds statements too
    return out
