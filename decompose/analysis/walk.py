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
    """`tuple(ast.walk(node))`, cached: `node` itself first, then everything under it, breadth first."""
    return tuple(ast.walk(node))
