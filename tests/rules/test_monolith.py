"""lambda-monolith: several routes through several entries, with package and role evidence; one task fed by
several events is not a monolith."""

from __future__ import annotations

import pytest

from decompose.pipeline import analyze
from tests.conftest import REPO
from tests.rules.apps import found, run, template

RULE = "lambda-monolith"


def api(paths: list[str]) -> tuple[str, str]:
    """A handler routing GET on each path to its own function, and the template events for them."""
    code = "def handler(event, context):\n"
    events = ""
    for index, path in enumerate(paths):
        code += f"    if event['httpMethod'] == 'GET' and event['path'] == '{path}':\n        return r{index}()\n"
        events += f"E{index}:\n  Type: Api\n  Properties:\n    Path: {path}\n    Method: get\n"
    code += "".join(f"def r{index}():\n    return {index}\n" for index in range(len(paths)))
    return code, events


FOUR = api(["/a", "/b", "/c", "/d"])
TWO = api(["/a", "/b"])
MIXED_CODE = (
    "def handler(event, context):\n"
    "    if 'Records' in event:\n"
    "        for record in event['Records']:\n"
    "            if record['eventSource'] == 'aws:s3':\n"
    "                imports(record)\n"
    "        return None\n"
    "    if event['httpMethod'] == 'GET' and event['path'] == '/a':\n        return page()\n"
    "def imports(event):\n    return 1\ndef page():\n    return 2\n"
)
MIXED_EVENTS = (
    "Page:\n  Type: Api\n  Properties:\n    Path: /a\n    Method: get\n"
    "Upload:\n  Type: S3\n  Properties:\n    Bucket: !Ref Uploads\n    Events: s3:ObjectCreated:*\n"
)
QUEUES = "".join(f"Q{i}:\n  Type: SQS\n  Properties:\n    Queue: !GetAtt Queue{i}.Arn\n" for i in range(3))
QUEUE_RESOURCES = "".join(f"Queue{i}:\n  Type: AWS::SQS::Queue\n" for i in range(3))

CASES = [
    pytest.param(FOUR[0], FOUR[1], "", {("warning", "template.yaml:6", None)}, id="four-routes"),
    pytest.param(TWO[0], TWO[1], "", {("info", "template.yaml:6", None)}, id="two-routes-is-a-small-monolith"),
    pytest.param(
        MIXED_CODE,
        MIXED_EVENTS,
        "Uploads:\n  Type: AWS::S3::Bucket\n",
        {("warning", "template.yaml:6", None)},
        id="http-and-event-sources",
    ),
    pytest.param(api(["/a"])[0], api(["/a"])[1], "", set(), id="one-route"),
    pytest.param(
        "def handler(event, context):\n    return len(event['Records'])\n",
        QUEUES,
        QUEUE_RESOURCES,
        set(),
        id="one-processor-fed-by-three-queues",
    ),
]


@pytest.mark.parametrize(("code", "events", "resources", "expected"), CASES)
def test_lambda_monolith(tmp_path, code, events, resources, expected) -> None:
    """Each case yields exactly the expected monolith finding (on the function's template line)."""
    report = run(tmp_path, {"app.py": code}, template(events, resources=resources))
    assert found(report, RULE) == expected


def test_sample_evidence_counts_the_role_and_the_package() -> None:
    """sample_monolith: 14 routes; the role grants 238 IAM actions where the routes need 13; fpdf2 is one route's."""
    (finding,) = [f for f in analyze(REPO / "sample_monolith").findings if f.rule == RULE]
    assert finding.evidence[0].startswith("routes: 14 (13 Api, 1 S3)")
    assert any(line.startswith("package: 11 Python files") for line in finding.evidence)
    assert any("fpdf2" in line and "1/14 routes" in line for line in finding.evidence)
    assert any("grants 238 IAM actions" in line and "need 13" in line for line in finding.evidence)


def test_no_iam_says_the_role_was_not_compared() -> None:
    """With --no-iam the monolith is still reported; its role line says it was not compared."""
    report = analyze(REPO / "sample_monolith", iam=False)
    (finding,) = [f for f in report.findings if f.rule == RULE]
    assert "role: not compared (--no-iam)" in finding.evidence
    skipped = [f for f in report.findings if f.rule == "anti-patterns-skipped"]
    assert len(skipped) == 1
    assert "recursive-trigger" in skipped[0].message
