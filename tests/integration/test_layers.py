"""Lambda layers: a template's `Layers:` and `--layer` folders are code the function imports, not PyPI names."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import main
from decompose.pipeline import analyze
from tests.conftest import routes_of, write_app

HANDLER = """
from shared import table_name, client

def handler(event, context):
    return client().get_item(TableName=table_name(), Key={})
"""

SHARED = """
import os
import boto3

def client():
    return boto3.client("dynamodb")

def table_name():
    return os.environ["TABLE"]
"""

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Utils:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: {content}
  Orders:
    Type: AWS::DynamoDB::Table
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: functions/
      Handler: app.handler
      Layers: [!Ref Utils, arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPython:3]
      Environment:
        Variables:
          TABLE: !Ref Orders
"""


@pytest.mark.parametrize(
    ("content", "shared_at"),
    [
        pytest.param("layers/", "layers/shared.py", id="built-by-sam-build"),
        pytest.param("layer/", "layer/python/shared.py", id="python-folder"),
    ],
)
def test_a_template_layer_is_read_with_the_function(tmp_path: Path, content: str, shared_at: str) -> None:
    """`Layers: [!Ref Utils]` puts the layer's modules beside the function's: its calls are in the policy."""
    write_app(
        tmp_path,
        {"template.yaml": TEMPLATE.format(content=content), "functions/app.py": HANDLER, shared_at: SHARED},
    )
    report = analyze(tmp_path)
    route = routes_of(report)["Invoke Fn"]
    assert {(p.action, p.resource) for p in route.permissions} == {("dynamodb:GetItem", "Orders")}
    assert "shared" in route.reach.modules
    assert not [f for f in report.findings if f.rule == "unknown-distribution"]
    assert str(next(iter(route.permissions)).location) == "functions/app.py:4"


def test_code_only_analysis_takes_layer_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--layer DIR` (a CDK app has no template to name it): the layer beside the function is read, paths `../`."""
    write_app(tmp_path, {"service/app.py": HANDLER, "layers/shared.py": SHARED})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["analyze", "service", "--handler", "app.handler", "--layer", "layers"])
    assert result.exit_code == 0, result.output
    assert "dynamodb:GetItem" in result.output
    assert "unknown-distribution" not in result.output
    without = CliRunner().invoke(main, ["analyze", "service", "--handler", "app.handler"])
    assert "unknown-distribution" in without.output
