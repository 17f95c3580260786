"""The Mermaid diagrams of the Markdown report, run through Mermaid's own parser (`mermaid.parse` under Node, with
jsdom for the DOM its sanitizer needs; `tests/reporting/node/`): the sample's, the hostile project's, and one per
hostile label. Skipped, saying why, only when node or npm is not installed; the npm packages are installed from
the committed lock file on first use (`make test` does it too)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from decompose.domain.report import Diagram, DiagramEdge, DiagramNode, DryRunReport
from decompose.reporting.escaping import visible
from decompose.reporting.mermaid import LABEL_CHARS, flowchart, mermaid_text
from tests.reporting.apps import HOSTILE_ROUTE

NODE_DIR = Path(__file__).parent / "node"
LABELS = [
    HOSTILE_ROUTE,
    'GET /a"b"',
    "GET /x\ny",
    "GET /end",
    "end",
    "subgraph",
    "GET /a-->b---o c",
    "GET /a|b|",
    "GET /<b>bold</b>&amp;",
    "GET /#35;;%%{init: {}}%%",
    "GET /`md` **x** [l](u)",
    "GET /{a}/(b)/[c]",
    "GET /\\",
    "GET /\u202eevil",
    "x" * (LABEL_CHARS * 2),
]


def _parse(texts: list[str], tmp_path: Path) -> list[dict[str, object]]:
    """Mermaid's verdict on each text: `{"ok": true, "type": ...}` or `{"ok": false, "error": ...}`."""
    files = []
    for index, text in enumerate(texts):
        path = tmp_path / f"d{index}.mmd"
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        ["node", str(NODE_DIR / "parse_mermaid.mjs"), *files], capture_output=True, text=True, check=False, timeout=120
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(texts), result.stderr
    return lines


@pytest.fixture(scope="module")
def mermaid_installed() -> None:
    """Node and the pinned mermaid + jsdom (installed with `npm ci` when missing)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: Mermaid's parser runs under Node (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "mermaid").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True, timeout=600
        )


def _single(label: str) -> Diagram:
    route = DiagramNode("r1", "route", label, detail=label, highlight=True)
    function = DiagramNode("f1", "function", "F", detail=label)
    resource = DiagramNode("s1", "resource", label, detail="S3::Bucket")
    return Diagram("t", (route, function, resource), (DiagramEdge("r1", "f1"), DiagramEdge("f1", "s1", label)))


@pytest.mark.usefixtures("mermaid_installed")
def test_the_parser_rejects_a_broken_flowchart(tmp_path: Path) -> None:
    """The check is real: an unclosed label is a parse error."""
    (verdict,) = _parse(['flowchart LR\n  a["x"] --> b[y"\n'], tmp_path)
    assert verdict["ok"] is False
    assert "Parse error" in str(verdict["error"])


@pytest.mark.usefixtures("mermaid_installed")
@pytest.mark.parametrize("name", ["sample_report", "hostile_report"])
def test_the_reports_diagrams_parse(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Before and after of a real report are flowcharts Mermaid accepts."""
    report: DryRunReport = request.getfixturevalue(name)
    verdicts = _parse([flowchart(report.before), flowchart(report.after)], tmp_path)
    assert verdicts == [{"file": str(tmp_path / f"d{i}.mmd"), "ok": True, "type": "flowchart-v2"} for i in range(2)]


@pytest.mark.usefixtures("mermaid_installed")
def test_every_hostile_label_parses(tmp_path: Path) -> None:
    """A route, a detail, a resource and an edge label holding each hostile string still make a valid flowchart."""
    verdicts = _parse([flowchart(_single(label)) for label in LABELS], tmp_path)
    assert [(label, v) for label, v in zip(LABELS, verdicts, strict=True) if not v["ok"]] == []


@pytest.mark.parametrize("label", LABELS)
def test_a_label_is_one_line_without_syntax_characters(label: str) -> None:
    """The inside of a quoted label holds no quote, newline, angle bracket, backtick, pipe or backslash, and
    decoding Mermaid's entity codes gives back the visible text (cut to `LABEL_CHARS`)."""
    text = mermaid_text(label)
    assert not set(text) & set('"\n\r<>`|\\')
    shown = visible(label)
    expected = shown if len(shown) <= LABEL_CHARS else shown[: LABEL_CHARS - 1] + "…"
    assert re.sub(r"#(\d+);", lambda m: chr(int(m[1])), text) == expected
