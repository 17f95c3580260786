"""Text from the user's code, made safe for each view: a route path may hold a newline, a terminal escape,
a pipe or a backtick, and none of them may break a line, a table or a terminal.

- `visible`: control and format characters (newlines, tabs, ESC, bidi overrides, line separators) as
  Python-style escapes (`\\n`, `\\x1b`, `\\u202e`), for the text view and inside Markdown; ordinary text is
  unchanged.
- `markdown_cell`: plain Markdown table text (pipes and backslashes escaped, backticks neutralised).
- `markdown_code`: a whole code span for a table cell: backslashes stay literal (code spans do not
  process escapes), pipes are escaped (GFM splits cells before it parses spans), and the fence is longer
  than any run of backticks inside.
"""

from __future__ import annotations

import re
import unicodedata

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})


def visible(value: object) -> str:
    """`value` as text with every control or format character written as an escape."""
    text = str(value)
    if not any(unicodedata.category(c) in _HIDDEN for c in text):
        return text
    out = []
    for char in text:
        if unicodedata.category(char) not in _HIDDEN:
            out.append(char)
        elif char in _SHORT:
            out.append(_SHORT[char])
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


def markdown_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: pipes, backticks and newlines cannot break the table."""
    text = visible(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def markdown_code(value: object) -> str:
    """A code span holding `value` exactly, safe inside a Markdown table cell."""
    text = visible(value).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"
