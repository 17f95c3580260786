"""SAM's defaults applied as SAM applies them: no CodeUri, path-style handlers, code in S3 or inline."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose.pipeline import analyze
from tests.conftest import routes_of, write_app

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Locations:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: src/api/locations.lambda_handler
      Events:
        Get: {Type: Api, Properties: {Path: /locations, Method: get}}
  Root:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: root.handler
  InS3:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: s3://artifacts/code.zip
      Handler: app.handler
  InS3Location:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {Bucket: artifacts, Key: code.zip}
      Handler: app.handler
  Inline:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::111122223333:role/x
      Code: {ZipFile: "def handler(event, context):\\n    return 1\\n"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A template whose functions use SAM's defaults, and the code they name."""
    return write_app(
        tmp_path,
        {
            "template.yaml": TEMPLATE,
            "src/api/locations.py": "def lambda_handler(event, context):\n    return 1\n",
            "root.py": "def handler(event, context):\n    return 1\n",
        },
    )


def test_no_code_uri_is_the_template_folder_and_a_path_handler_is_a_module(project: Path) -> None:
    """No CodeUri means `.`; `src/api/locations.lambda_handler` is module `src.api.locations`, as Lambda imports it."""
    report = analyze(project)
    functions = {f.spec.logical_id: f for f in report.functions}
    assert functions["Locations"].spec.code_uri == "."
    assert routes_of(report)["GET /locations"].entry == "src.api.locations.lambda_handler"
    assert str(routes_of(report)["GET /locations"].location) == "src/api/locations.py:1"
    assert functions["Root"].routes[0].entry == "root.handler"


@pytest.mark.parametrize(
    ("function", "why"),
    [
        ("InS3", "InS3: its code is an artifact in S3"),
        ("InS3Location", "InS3Location: its code is an artifact in S3"),
        ("Inline", "Inline: its code is inline in the template"),
    ],
)
def test_code_in_s3_or_inline_is_reported_the_same_with_or_without_function(
    project: Path, function: str, why: str
) -> None:
    """A function whose code is not on disk is one finding, whether the whole template or only it is analyzed."""
    for report in (analyze(project), analyze(project, function=function)):
        messages = [f.message for f in report.findings if f.rule == "unsupported-runtime"]
        assert any(m.startswith(why) for m in messages), messages
