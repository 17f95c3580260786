"""The architecture picture as a Mermaid flowchart, for Markdown (GitHub renders it in a pull request).

Safe by construction, whatever the route strings hold:

- node ids are the diagram's generated ids (`r1`, `f1`, `s1`, `m1`), never user text, so no route can collide
  with Mermaid's keywords (`end`, `subgraph`, `click`...) or its edge syntax (`-->`, `---o`);
- every label is a double-quoted string in which the characters Mermaid or the HTML it renders to could read
  (`"`, `#`, `&`, `<`, `>`, `` ` ``, `|`, `\\`, `;`, `%`) are written as Mermaid's numeric entity codes (`#34;`),
  which it decodes back to the character; control characters (newlines...) are shown as escapes first
  (`escaping.visible`), so a label never spans lines and never closes the Markdown fence;
- labels longer than `LABEL_CHARS` are cut (with `…`): the full text is in the report's tables.

`tests/reporting/test_mermaid.py` runs every diagram it makes, hostile routes included, through Mermaid's own
parser (`mermaid.parse`, under Node with jsdom).
"""

from __future__ import annotations

from decompose.domain.report import Diagram, DiagramNode
from decompose.reporting.escaping import visible

LABEL_CHARS = 60
_ENTITIES = frozenset('"#&<>`|\\;%')
_SHAPES = {"route": ('(["', '"])'), "function": ('["', '"]'), "resource": ('[("', '")]'), "more": ('["', '"]')}
_COLUMNS = (("routes", "Routes", ("route", "more")), ("functions", "Functions", ("function",)))


def mermaid_text(text: object, limit: int = LABEL_CHARS) -> str:
    """`text` as the inside of a Mermaid double-quoted label."""
    shown = visible(text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return "".join(f"#{ord(c)};" if c in _ENTITIES else c for c in shown)


def flowchart(diagram: Diagram) -> str:
    """The Mermaid source of `diagram`: routes, functions and resources in three columns, left to right."""
    lines = ["flowchart LR"]
    for group, title, kinds in (*_COLUMNS, ("resources", "AWS resources", ("resource",))):
        members = [n for n in diagram.nodes if n.kind in kinds]
        if not members:
            continue
        lines.append(f'  subgraph {group}["{title}"]')
        lines.extend(f"    {_node(n)}" for n in members)
        lines.append("  end")
    for edge in diagram.edges:
        label = f'|"{mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.source} -->{label} {edge.target}")
    highlighted = [n.id for n in diagram.nodes if n.highlight]
    lines.append("  classDef new fill:#e6f4ea,stroke:#1e8e3e,color:#0d3d1a")
    lines.append("  classDef resource fill:#eef3fb,stroke:#4a6fa5,color:#1b2b44")
    if highlighted:
        lines.append(f"  class {','.join(highlighted)} new")
    resources = [n.id for n in diagram.of_kind("resource")]
    if resources:
        lines.append(f"  class {','.join(resources)} resource")
    return "\n".join(lines) + "\n"


def _node(node: DiagramNode) -> str:
    opening, closing = _SHAPES[node.kind]
    label = mermaid_text(node.label)
    if node.detail:
        label += "<br/><small>" + mermaid_text(node.detail) + "</small>"
    return f"{node.id}{opening}{label}{closing}"
