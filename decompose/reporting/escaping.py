"""Text from the user's code, made safe for each view: a route path may hold a newline, a terminal escape,
a pipe or a backtick, and none of them may break a line, a table or a terminal.

- `visible`: control and format characters (newlines, tabs, ESC, bidi overrides, line separators) as
  Python-style escapes (`\\n`, `\\x1b`, `\\u202e`), for the text view and inside Markdown; ordinary text is
  unchanged.
- `markdown_cell`: plain Markdown table text (pipes and backslashes escaped, backticks neutralised).
- `markdown_code`: a whole code span for a table cell: backslashes stay literal (code spans do not
  process escapes), pipes are escaped (GFM splits cells before it parses spans), and the fence is longer
  than any run of backticks inside.
- `markdown_text`: prose outside code (a finding's message, a resource name) inside a line: every character
  Markdown could read as syntax there (emphasis, code, links, raw HTML, entities, table pipes, strikethrough,
  GitHub's `$` math) is backslash-escaped, which CommonMark shows as the character itself; safe in a table cell
  and in a paragraph (what is syntax only at a line's start, `#`, `-`, `1.`, never starts one here).
- `visible_code`: a diff or source text with its newlines and tabs kept and every other hidden character escaped.
- `markdown_fence`: a code fence longer than any run of backticks at the start of a line of the block, so a diff
  holding a fence cannot close it.
"""

from __future__ import annotations

import re
import unicodedata

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})


def visible(value: object, keep: str = "") -> str:
    """`value` as text with every control or format character written as an escape (but those in `keep`)."""
    text = str(value)
    if not any(unicodedata.category(c) in _HIDDEN and c not in keep for c in text):
        return text
    out = []
    for char in text:
        if unicodedata.category(char) not in _HIDDEN or char in keep:
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


def visible_code(value: object) -> str:
    """Source text or a diff, its lines and tabs kept, every other hidden character (a bidi override that would
    show a reviewer other code than runs, a terminal escape, a line separator) written as an escape."""
    return "\n".join(visible(line, keep="\t") for line in str(value).split("\n"))


_MARKDOWN_PUNCTUATION = frozenset("\\`*_[]<>|~&$")  # the rest is syntax only at a line's start, never here


def markdown_text(value: object) -> str:
    """Text shown as itself in Markdown prose or a table cell: no emphasis, link, HTML, entity or cell break."""
    return "".join("\\" + c if c in _MARKDOWN_PUNCTUATION else c for c in visible(value))


def markdown_fence(text: str, minimum: int = 3) -> str:
    """A backtick fence that no line of `text` can close."""
    longest = max((len(m.group(1)) for m in re.finditer(r"^[ ]{0,3}(`+)", text, flags=re.MULTILINE)), default=0)
    return "`" * max(minimum, longest + 1)
