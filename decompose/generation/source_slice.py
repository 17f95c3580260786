"""Print a sliced function in the user's own words: unchanged statements keep their source text (comments,
quotes, line breaks), only the structure around dropped branches is re-printed.

`render(source, original, pruned)` walks the pruned copy (`analysis.dispatch.slicing.prune`); a statement
whose subtree the slice left as it was is copied from `source` (with the comment lines right above it),
re-indented when it moved up a level (an `else` body whose `if` branches all went); a statement the slice
changed is re-printed from its parts, each part again copied when unchanged. The result is accepted only if it
parses to exactly the pruned tree; otherwise the caller falls back to `ast.unparse`.
"""

from __future__ import annotations

import ast
import io
import tokenize

INDENT = "    "


def render(source: str, original: ast.AST, pruned: ast.AST, *, name: str | None = None) -> str | None:
    """`pruned` (a function or statement) printed reusing `source`; None when that cannot be done exactly."""
    try:
        printer = _Printer(source, original)
        text = printer.statement(pruned, "", name=name)
        reparsed = ast.parse(text).body
    except (SyntaxError, ValueError, KeyError, TypeError, tokenize.TokenError):
        return None
    expected = pruned.name if name is None and hasattr(pruned, "name") else name
    if len(reparsed) != 1:
        return None
    if expected is not None and isinstance(pruned, ast.FunctionDef | ast.AsyncFunctionDef):
        renamed = _renamed(pruned, expected)
        return text if ast.dump(reparsed[0]) == ast.dump(renamed) else None
    return text if ast.dump(reparsed[0]) == ast.dump(pruned) else None


def _renamed(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> ast.AST:
    copy = ast.parse(ast.unparse(node)).body[0]
    copy.name = name  # type: ignore[attr-defined]
    return copy


class _Printer:
    def __init__(self, source: str, original: ast.AST) -> None:
        self.source = source
        self.lines = source.splitlines()
        self.originals = {id(n): n for n in ast.walk(original)}
        self.multiline_strings = _multiline_string_lines(source)

    # --- helpers
    def _original(self, node: ast.AST) -> ast.AST | None:
        found = self.originals.get(getattr(node, "_origin", -1))
        return found if found is not None and ast.dump(found) == ast.dump(node) else None

    def _expression(self, node: ast.AST) -> str:
        original = self._original(node)
        if original is not None:
            text = ast.get_source_segment(self.source, original)
            if text is not None:
                return f"({text})" if "\n" in text else text
        return double_quoted(ast.unparse(node))

    def _copied(self, node: ast.stmt, indent: str) -> str:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        last = node.end_lineno or node.lineno
        old_indent = self.lines[first - 1][: node.col_offset]
        if old_indent.strip():
            raise ValueError("statement does not start its line")
        start = first
        while start > 1 and self.lines[start - 2].strip().startswith("#"):
            start -= 1
        block = self.lines[start - 1 : last]
        if old_indent == indent:
            return "\n".join(block)
        if any(line in self.multiline_strings for line in range(start, last + 1)):
            raise ValueError("re-indenting a multi-line string would change it")
        out = []
        for line in block:
            if line.startswith(old_indent):
                out.append(indent + line[len(old_indent) :])
            elif not line.strip():
                out.append("")
            else:
                raise ValueError("inconsistent indentation")
        return "\n".join(out)

    # --- statements
    def block(self, body: list[ast.stmt], indent: str) -> str:
        out: list[str] = []
        previous: ast.stmt | None = None
        for stmt in body:
            text = self.statement(stmt, indent)
            if previous is not None and self._blank_before(stmt):
                out.append("")
            out.append(text)
            previous = stmt
        return "\n".join(out)

    def _blank_before(self, stmt: ast.stmt) -> bool:
        original = self.originals.get(getattr(stmt, "_origin", -1))
        if not isinstance(original, ast.stmt):
            return False
        line = min([original.lineno, *(d.lineno for d in getattr(original, "decorator_list", []))])
        while line > 1 and self.lines[line - 2].strip().startswith("#"):
            line -= 1
        return line > 1 and not self.lines[line - 2].strip()

    def statement(self, node: ast.AST, indent: str, *, name: str | None = None) -> str:
        if name is None and not (isinstance(node, ast.If) and self._was_elif(node)):
            original = self._original(node)
            if isinstance(original, ast.stmt):
                return self._copied(original, indent)
        inner = indent + INDENT
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return self._function(node, indent, name)
        if isinstance(node, ast.If):
            return self._if(node, indent, "if")
        if isinstance(node, ast.Try):
            parts = [f"{indent}try:", self.block(node.body, inner)]
            for handler in node.handlers:
                head = "except" + (f" {self._expression(handler.type)}" if handler.type else "")
                head += f" as {handler.name}" if handler.name else ""
                parts += [f"{indent}{head}:", self.block(handler.body, inner)]
            if node.orelse:
                parts += [f"{indent}else:", self.block(node.orelse, inner)]
            if node.finalbody:
                parts += [f"{indent}finally:", self.block(node.finalbody, inner)]
            return "\n".join(parts)
        if isinstance(node, ast.For | ast.AsyncFor):
            keyword = "async for" if isinstance(node, ast.AsyncFor) else "for"
            parts = [f"{indent}{keyword} {self._expression(node.target)} in {self._expression(node.iter)}:"]
            parts.append(self.block(node.body, inner))
            if node.orelse:
                parts += [f"{indent}else:", self.block(node.orelse, inner)]
            return "\n".join(parts)
        if isinstance(node, ast.While):
            parts = [f"{indent}while {self._expression(node.test)}:", self.block(node.body, inner)]
            if node.orelse:
                parts += [f"{indent}else:", self.block(node.orelse, inner)]
            return "\n".join(parts)
        if isinstance(node, ast.With | ast.AsyncWith):
            keyword = "async with" if isinstance(node, ast.AsyncWith) else "with"
            items = ", ".join(
                self._expression(i.context_expr)
                + (f" as {self._expression(i.optional_vars)}" if i.optional_vars else "")
                for i in node.items
            )
            return "\n".join([f"{indent}{keyword} {items}:", self.block(node.body, inner)])
        if isinstance(node, ast.Match):
            parts = [f"{indent}match {self._expression(node.subject)}:"]
            for case in node.cases:
                guard = f" if {self._expression(case.guard)}" if case.guard else ""
                parts += [f"{inner}case {ast.unparse(case.pattern)}{guard}:", self.block(case.body, inner + INDENT)]
            return "\n".join(parts)
        return "\n".join(indent + line for line in double_quoted(ast.unparse(node)).split("\n"))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, indent: str, name: str | None) -> str:
        original = self.originals.get(getattr(node, "_origin", -1))
        if not isinstance(original, ast.FunctionDef | ast.AsyncFunctionDef):
            raise ValueError("no original function")
        first = min([original.lineno, *(d.lineno for d in original.decorator_list)])
        header_end = original.body[0].lineno - 1
        if original.body[0].lineno == original.lineno:
            raise ValueError("one-line function")
        header = self.lines[first - 1 : header_end]
        while header and (not header[-1].strip() or header[-1].strip().startswith("#")):
            header.pop()
        text = "\n".join(header)
        if name is not None and name != original.name:
            keyword = "async def " if isinstance(original, ast.AsyncFunctionDef) else "def "
            text = text.replace(f"{keyword}{original.name}(", f"{keyword}{name}(", 1)
        return text + "\n" + self.block(node.body, indent + INDENT)

    def _if(self, node: ast.If, indent: str, keyword: str) -> str:
        parts = [f"{indent}{keyword} {self._expression(node.test)}:", self.block(node.body, indent + INDENT)]
        orelse = node.orelse
        if len(orelse) == 1 and isinstance(orelse[0], ast.If) and self._was_elif(orelse[0]):
            parts.append(self._if(orelse[0], indent, "elif"))
        elif orelse:
            parts += [f"{indent}else:", self.block(orelse, indent + INDENT)]
        return "\n".join(parts)

    def _was_elif(self, node: ast.If) -> bool:
        original = self.originals.get(getattr(node, "_origin", -1))
        if not isinstance(original, ast.If):
            return False
        return self.lines[original.lineno - 1][original.col_offset :].startswith("elif")


def _multiline_string_lines(source: str) -> set[int]:
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING and token.start[0] != token.end[0]:
            lines.update(range(token.start[0] + 1, token.end[0] + 1))
    return lines


def double_quoted(source: str) -> str:
    """`ast.unparse` writes 'single' quotes; a string that holds no double quote or backslash is rewritten
    with double quotes (what ruff format and most projects use). Nothing else changes."""
    out: list[str] = []
    last = (1, 0)
    lines = source.splitlines(keepends=True)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        text = token.string
        prefix = text[: len(text) - len(text.lstrip("rbufRBUF"))]
        body = text[len(prefix) :]
        single = body.startswith("'") and not body.startswith("'" * 3)
        if not single or '"' in body or "\\" in body:
            continue
        out.append(_between(lines, last, token.start))
        out.append(prefix + '"' + body[1:-1] + '"')
        last = token.end
    out.append(_between(lines, last, (len(lines) + 1, 0)))
    return "".join(out)


def _between(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    (row, col), (end_row, end_col) = start, end
    if row == end_row:
        return lines[row - 1][col:end_col] if row <= len(lines) else ""
    parts = [lines[row - 1][col:]] if row <= len(lines) else []
    parts += lines[row : end_row - 1]
    if end_row <= len(lines):
        parts.append(lines[end_row - 1][:end_col])
    return "".join(parts)
