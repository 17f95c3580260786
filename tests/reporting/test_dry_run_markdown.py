"""The Markdown view of the dry-run report, read back with a CommonMark parser (markdown-it-py, with GFM tables):
the summary comes first, each diagram is one Mermaid fence, every diff is one fence that holds it whole, every
table row has its header's cells, and a hostile route string is code, never HTML, a link or a broken table."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from decompose.domain.report import DryRunReport
from decompose.reporting.dry_run import render_markdown_report, render_summary
from decompose.reporting.escaping import visible, visible_code
from decompose.reporting.mermaid import flowchart
from tests.reporting.apps import HOSTILE_PATH, HOSTILE_ROUTE


def _tokens(text: str) -> list[Token]:
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    out = []
    stack = parser.parse(text)
    while stack:
        token = stack.pop(0)
        out.append(token)
        stack[:0] = token.children or []
    return out


def _fences(tokens: list[Token], info: str) -> list[str]:
    return [t.content for t in tokens if t.type == "fence" and t.info == info]


def _rows(tokens: list[Token]) -> list[tuple[int, int]]:
    """(cells in the table's header, cells in this row) for every body row of every table."""
    rows, header, cells, in_head = [], 0, 0, False
    for token in tokens:
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            if in_head:
                header = cells
            else:
                rows.append((header, cells))
    return rows


def test_the_summary_comes_first(sample_report: DryRunReport) -> None:
    """The title, then the headline table (one row per profile), then the architecture."""
    text = render_markdown_report(sample_report)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[:2] == ["# decompose dry run: MonolithFunction of `template.yaml`", "## Architecture"]
    summary = text[: text.index("## Architecture")]
    assert "**3 of 14 routes move to 3 new functions**" in summary
    for profile in sample_report.profiles:
        assert (
            f"| {profile.logical_id} (new) |" in summary
            or f"{profile.logical_id}** today |" in summary
            or (f"| {profile.logical_id} after |" in summary)
        )


def test_each_diagram_is_one_mermaid_fence_holding_the_flowchart(sample_report: DryRunReport) -> None:
    """Before and after are two Mermaid fences whose text is exactly the flowchart of each diagram."""
    tokens = _tokens(render_markdown_report(sample_report))
    assert _fences(tokens, "mermaid") == [flowchart(sample_report.before), flowchart(sample_report.after)]


def test_every_diff_is_one_fence_holding_it_whole(sample_report: DryRunReport) -> None:
    """Each change's unified diff (and each policy diff) is the content of one `diff` fence."""
    fences = _fences(_tokens(render_markdown_report(sample_report)), "diff")
    expected = [visible_code(f.policy_diff) for f in sample_report.functions]
    expected += [visible_code(c.diff) for c in sample_report.changes if c.diff]
    assert [f.rstrip("\n") for f in fences] == [e.rstrip("\n") for e in expected]


def test_the_pull_request_body_leaves_the_diffs_out(sample_report: DryRunReport) -> None:
    """`diffs=False` (the PR body: the commits carry them) keeps the policy diffs and drops the change set's."""
    fences = _fences(_tokens(render_markdown_report(sample_report, diffs=False)), "diff")
    assert len(fences) == len(sample_report.functions)


def test_every_table_row_has_its_headers_cells(sample_report: DryRunReport, hostile_report: DryRunReport) -> None:
    """No value splits a cell: every body row of every table has as many cells as its header."""
    for report in (sample_report, hostile_report):
        rows = _rows(_tokens(render_markdown_report(report)))
        assert rows
        assert [r for r in rows if r[0] != r[1]] == []


def test_a_hostile_route_is_code_never_html_or_markup(hostile_report: DryRunReport) -> None:
    """The route with quotes, a newline, `<script>`, backticks and Markdown is a code span of its visible text; no
    raw HTML, link or emphasis comes from it, and the text outside code never holds its `<script>`."""
    tokens = _tokens(render_markdown_report(hostile_report))
    assert visible(HOSTILE_ROUTE) in [t.content for t in tokens if t.type == "code_inline"]
    html = [t.content for t in tokens if t.type in ("html_block", "html_inline")]
    assert not [h for h in html if "<script" in h or "pwned=" in h]
    assert not [t for t in tokens if t.type in ("link_open", "image", "em_open", "s_open")]
    prose = "".join(t.content for t in tokens if t.type == "text")
    assert "<script>" not in prose


def test_the_terminal_summary_shows_each_profile(sample_report: DryRunReport, hostile_report: DryRunReport) -> None:
    """The summary printed with `-o` has one line per profile and no raw control character from a route."""
    text = render_summary(sample_report)
    assert text.startswith("dry run: 3 of 14 routes of MonolithFunction move to 3 new functions")
    for profile in sample_report.profiles:
        assert profile.logical_id in text
    hostile = render_summary(hostile_report)
    assert "\n#end" not in hostile
    assert HOSTILE_PATH not in hostile
