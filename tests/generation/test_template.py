"""The strangler template edit: a splice that adds functions and moves events, and nothing else."""

from __future__ import annotations

import difflib
import io
import json
import textwrap
from pathlib import Path

import pytest
from cfnlint.decode import decode_str
from ruamel.yaml import YAML

from decompose.domain.model import FunctionSpec, plain
from decompose.domain.plan import Deployment, FunctionDraft, FunctionPlan, Plan
from decompose.generation.template import (
    MARKER_KEY,
    TemplateEditError,
    _event_name,
    edit_template,
    entry_span,
    short_form,
)
from decompose.generation.validation import transformed, validate_template
from decompose.loading.template import load_template
from decompose.pipeline import analyze
from tests.conftest import FIXTURES, REPO

SAMPLE = REPO / "sample_monolith" / "template.yaml"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": {"Fn::GetAtt": ["OrdersTable", "Arn"]}}
    ],
}


def monolith_spec(tmp_path: Path, text: str, logical_id: str) -> FunctionSpec:
    """The monolith's FunctionSpec as the loader reads `text` (written to a scratch template.yaml)."""
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return next(f for f in load_template(tmp_path, path).functions if f.logical_id == logical_id)


def draft(
    logical_id: str,
    routes: tuple[str, ...],
    events: tuple[str, ...],
    *,
    environment: tuple[str, ...] = (),
    policies: tuple[object, ...] = (POLICY,),
    **overrides: object,
) -> FunctionDraft:
    """A hand-written draft: the function's routes, the monolith events it takes over, its policies."""
    plan = FunctionPlan(logical_id, routes, extract=True, handler=f"handlers.{logical_id.lower()}", **overrides)
    handler = f"handlers.{logical_id.lower()}.lambda_handler"
    return FunctionDraft(plan, handler, "src", events, policies, environment, "makefile")


def edit(tmp_path: Path, text: str, monolith: str, *drafts: FunctionDraft) -> str:
    """Edit `text` with `drafts` split from `monolith`."""
    spec = monolith_spec(tmp_path, text, monolith)
    plan = Plan(monolith, tuple(d.plan for d in drafts))
    return edit_template(text, "template.yaml", plan, spec, list(drafts))


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of the diff between two texts."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def without_generated(text: str) -> str:
    """`text` without the resources decompose generated (each with the blank line before it)."""
    data = YAML(typ="rt").load(text)
    lines = text.splitlines(keepends=True)
    spans = []
    for key, value in data["Resources"].items():
        if MARKER_KEY in (value.get("Metadata") or {}):
            line, column = data["Resources"].lc.key(key)
            spans.append(entry_span(lines, line, column))
    for span in sorted(spans, key=lambda s: s.start, reverse=True):
        start = span.start - 1 if span.start > 0 and not lines[span.start - 1].strip() else span.start
        del lines[start : span.end + 1]
    return "".join(lines)


def assert_valid(text: str) -> None:
    errors = [f for f in validate_template(text, "template.yaml") if f.severity.value == "error"]
    assert errors == []


SAMPLE_DRAFTS = (
    draft("GetOrderFunction", ("GET /orders/{order_id}",), ("GetOrder",), environment=("ORDERS_TABLE", "LOG_LEVEL")),
    draft(
        "UploadCatalogueFunction",
        ("S3 UploadsBucket",),
        ("UploadCatalogue",),
        environment=("UPLOADS_BUCKET", "PRODUCTS_TABLE"),
        policies=(),
    ),
)


def test_sample_split_moves_events_verbatim_and_changes_nothing_else(tmp_path: Path) -> None:
    """The monolith loses exactly the moved event lines; the rest of the diff is the added functions."""
    before = SAMPLE.read_text(encoding="utf-8")
    after = edit(tmp_path, before, "MonolithFunction", *SAMPLE_DRAFTS)
    get_order = "        GetOrder:\n          Type: Api\n          Properties:\n            Path: /orders/{order_id}\n"
    upload = "        UploadCatalogue:\n          Type: S3\n          Properties:\n"
    upload += "            Bucket: !Ref UploadsBucket\n"
    expected = before.replace(get_order + "            Method: get\n", "")
    expected = expected.replace(upload + "            Events: s3:ObjectCreated:*\n", "")
    assert without_generated(after) == expected
    _, added = changed_lines(before, after)
    assert upload + "            Events: s3:ObjectCreated:*\n" in after.split("UploadCatalogueFunction:")[1]
    assert '          UPLOADS_BUCKET: !Sub "${AWS::StackName}-uploads-${AWS::AccountId}"' in added
    assert "          LOG_LEVEL: INFO" not in added  # Globals variables stay in Globals
    assert "          PAYMENTS_TABLE: !Ref PaymentsTable" not in added
    assert_valid(after)


def test_sample_split_is_deployable_as_sam_translates_it(tmp_path: Path) -> None:
    """The transform gives each new function its role, alias, deployment group and event permission."""
    after = edit(tmp_path, SAMPLE.read_text(encoding="utf-8"), "MonolithFunction", *SAMPLE_DRAFTS)
    resources = transformed(after)["Resources"]
    for name in (
        "GetOrderFunction",
        "GetOrderFunctionRole",
        "GetOrderFunctionAliaslive",
        "GetOrderFunctionDeploymentGroup",
        "GetOrderFunctionGetOrderPermissionProd",
        "UploadCatalogueFunctionUploadCataloguePermission",
        "ServerlessDeploymentApplication",
    ):
        assert name in resources, name
    policy = resources["GetOrderFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert policy["Statement"][0]["Action"] == ["dynamodb:GetItem"]
    monolith_events = {k for k in resources if k.startswith("MonolithFunction") and k.endswith("PermissionProd")}
    assert "MonolithFunctionGetOrderPermissionProd" not in monolith_events
    assert "MonolithFunctionListOrdersPermissionProd" in monolith_events


def test_second_edit_with_the_same_drafts_changes_nothing(tmp_path: Path) -> None:
    """Idempotent: the functions decompose added are recognised by their Metadata marker."""
    once = edit(tmp_path, SAMPLE.read_text(encoding="utf-8"), "MonolithFunction", *SAMPLE_DRAFTS)
    assert edit(tmp_path, once, "MonolithFunction", *SAMPLE_DRAFTS) == once


def test_three_then_two_more_equals_five_at_once(tmp_path: Path) -> None:
    """Extracting in two steps gives the same template as extracting everything at once."""
    text = SAMPLE.read_text(encoding="utf-8")
    five = (
        draft("ListProductsFunction", ("GET /products",), ("ListProducts",)),
        draft("GetProductFunction", ("GET /products/{product_id}",), ("GetProduct",)),
        draft("ListOrdersFunction", ("GET /orders",), ("ListOrders",)),
        draft("CreateOrderFunction", ("POST /orders",), ("CreateOrder",)),
        draft("GetOrderFunction", ("GET /orders/{order_id}",), ("GetOrder",)),
    )
    first = edit(tmp_path, text, "MonolithFunction", *five[:3])
    # the second run's fresh analysis no longer sees the moved events on the monolith
    rerun = [
        FunctionDraft(d.plan, d.handler, d.code_uri, (), d.policies, d.environment, d.build_method) for d in five[:3]
    ]
    second = edit(tmp_path, first, "MonolithFunction", *rerun, *five[3:])
    assert second == edit(tmp_path, text, "MonolithFunction", *five)
    assert_valid(second)


def test_comments_quotes_and_tags_move_with_an_event(tmp_path: Path) -> None:
    """The comment above a moved event and the comments and quoting inside it move verbatim."""
    text = textwrap.dedent(
        """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Api:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
              Runtime: python3.12
              Events:
                # Orders, read side
                GetOrder:
                  Type: Api
                  Properties:
                    Path: '/orders/{id}'   # quoted on purpose
                    Method: GET
                Health:
                  Type: Api
                  Properties: {Path: /health, Method: get}
        """
    )
    after = edit(tmp_path, text, "Api", draft("GetOrderFunction", ("GET /orders/{id}",), ("GetOrder",), policies=()))
    assert "        # Orders, read side\n        GetOrder:\n" in after
    assert "            Path: '/orders/{id}'   # quoted on purpose\n" in after
    assert "        Health:\n          Type: Api\n          Properties: {Path: /health, Method: get}\n" in after
    assert_valid(after)


def test_all_events_moved_removes_the_events_key(tmp_path: Path) -> None:
    """A monolith left without events loses its `Events:` key instead of keeping an empty one."""
    text = textwrap.dedent(
        """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Api:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
              Runtime: python3.12
              Events:
                Health:
                  Type: Api
                  Properties:
                    Path: /health
                    Method: get
              Timeout: 5
        """
    )
    after = edit(tmp_path, text, "Api", draft("HealthFunction", ("GET /health",), ("Health",), policies=()))
    monolith = after.split("  HealthFunction")[0]
    assert "Events" not in monolith.split("# Generated")[0]
    assert "      Timeout: 5\n" in after
    assert "      Timeout: 5\n" in after.split("HealthFunction:")[1]  # inherited
    assert_valid(after)


def test_route_behind_http_catch_all_gets_an_explicit_event_and_monolith_keeps_default(tmp_path: Path) -> None:
    """checkout is served by `$default`: the new function gets its own HttpApi route; CatchAll stays."""
    text = (FIXTURES / "http_api_v2" / "template.yaml").read_text(encoding="utf-8")
    catch_all = "        CatchAll:\n          Type: HttpApi\n"
    text = text.replace(catch_all, catch_all + '          Properties:\n            PayloadFormatVersion: "1.0"\n')
    after = edit(
        tmp_path,
        text,
        "ShopFunction",
        draft("CheckoutFunction", ("POST /carts/{cart_id}/checkout",), ("CatchAll",), policies=()),
    )
    assert without_generated(after) == text
    assert "        PostCartsCartIdCheckout:\n" in after
    block = after.split("PostCartsCartIdCheckout:")[1]
    assert block.splitlines()[1:5] == [
        "          Type: HttpApi",
        "          Properties:",
        '            PayloadFormatVersion: "1.0"',
        "            Path: /carts/{cart_id}/checkout",
    ]
    assert "      Architectures:\n        - arm64\n" in after.split("CheckoutFunction:")[1]
    resources = transformed(after)["Resources"]
    paths = resources["ServerlessHttpApi"]["Properties"]["Body"]["paths"]
    assert "post" in paths["/carts/{cart_id}/checkout"]
    assert "x-amazon-apigateway-any-method" in paths["$default"]
    assert_valid(after)


def test_route_behind_rest_proxy_keeps_the_rest_api(tmp_path: Path) -> None:
    """A route served by `/{proxy+}` on an explicit REST API gets its own event with the same RestApiId."""
    text = textwrap.dedent(
        """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          ShopApi:
            Type: AWS::Serverless::Api
            Properties:
              StageName: prod
          Api:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
              Runtime: python3.12
              Events:
                Proxy:
                  Type: Api
                  Properties:
                    RestApiId: !Ref ShopApi
                    Path: /{proxy+}
                    Method: any
                Root:
                  Type: Api
                  Properties:
                    RestApiId: !Ref ShopApi
                    Path: /
                    Method: any
        """
    )
    after = edit(tmp_path, text, "Api", draft("GetOrderFunction", ("GET /orders/{id}",), ("Proxy",), policies=()))
    assert without_generated(after) == text
    event = after.split("GetOrdersId:")[1].splitlines()[1:6]
    assert event == [
        "          Type: Api",
        "          Properties:",
        "            RestApiId: !Ref ShopApi",
        "            Path: /orders/{id}",
        "            Method: get",
    ]
    assert_valid(after)


def test_moved_http_event_keeps_its_payload_format_version(tmp_path: Path) -> None:
    """A v1-payload HttpApi event moves with its `PayloadFormatVersion: "1.0"` (the v1/v2 trap)."""
    text = textwrap.dedent(
        """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Api:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
              Runtime: python3.12
              Events:
                GetItem:
                  Type: HttpApi
                  Properties:
                    Path: /items/{id}
                    Method: GET
                    PayloadFormatVersion: "1.0"
                Rest:
                  Type: HttpApi
        """
    )
    after = edit(tmp_path, text, "Api", draft("GetItemFunction", ("GET /items/{id}",), ("GetItem",), policies=()))
    assert '            PayloadFormatVersion: "1.0"\n' in after.split("GetItemFunction:")[1]
    assert_valid(after)


def test_overrides_deployment_and_policies_are_rendered(tmp_path: Path) -> None:
    """Plan overrides replace the inherited values; alarms and hooks become !Ref; policies use short tags."""
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "  OrderEventsTopic:\n",
        "  ErrorsAlarm:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n"
        "      ComparisonOperator: GreaterThanThreshold\n"
        "      EvaluationPeriods: 1\n      Threshold: 0\n      MetricName: Errors\n      Namespace: AWS/Lambda\n"
        "      Period: 60\n      Statistic: Sum\n\n  OrderEventsTopic:\n",
    )
    deployment = Deployment("Linear10PercentEvery1Minute", "prod", ("ErrorsAlarm",), "PaymentProviderFunction")
    after = edit(
        tmp_path,
        text,
        "MonolithFunction",
        draft(
            "GetOrderFunction",
            ("GET /orders/{order_id}",),
            ("GetOrder",),
            memory_size=256,
            architectures=("arm64",),
            deployment=deployment,
        ),
    )
    block = after.split("  GetOrderFunction:\n")[1].split("\n\n")[0]
    assert "      MemorySize: 256\n" in block
    assert "      Timeout: 60\n" in block
    assert "      Architectures:\n        - arm64\n" in block
    assert "      AutoPublishAlias: prod\n" in block
    assert (
        "      DeploymentPreference:\n        Type: Linear10PercentEvery1Minute\n        Alarms:\n"
        "          - !Ref ErrorsAlarm\n        Hooks:\n          PreTraffic: !Ref PaymentProviderFunction\n"
    ) in block
    assert "Resource: !GetAtt OrdersTable.Arn" in block
    resources = transformed(after)["Resources"]
    group = resources["GetOrderFunctionDeploymentGroup"]["Properties"]
    assert group["AlarmConfiguration"]["Alarms"] == [{"Name": {"Ref": "ErrorsAlarm"}}]
    assert_valid(after)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "T"}, "!Ref T"),
        ({"Fn::GetAtt": ["T", "Arn"]}, "!GetAtt T.Arn"),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"}, "!Sub arn:${AWS::Partition}:s3:::b/*"),
        ({"Fn::If": ["Prod", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}, "!If\n- Prod\n- !Ref A\n- !Ref AWS::NoValue"),
        ({"Fn::Join": ["", ["a", {"Ref": "B"}]]}, "!Join\n- ''\n- - a\n  - !Ref B"),
    ],
)
def test_short_form_tags(value: object, expected: str) -> None:
    """JSON-able intrinsics render in CloudFormation's short form, and cfn-lint reads them back unchanged."""
    out = io.StringIO()
    YAML(typ="rt").dump({"v": short_form(value)}, out)
    assert out.getvalue().strip() == "v: " + expected
    decoded, matches = decode_str(out.getvalue())
    assert matches == []
    assert plain(decoded["v"]) == value


BAD = {
    "duplicate key": (
        "Resources:\n  Api:\n    Type: AWS::Serverless::Function\n    Type: AWS::Serverless::Function\n",
        "template.yaml:4: cannot edit safely: a duplicated key",
    ),
    "anchor": (
        "Resources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties: &props\n      CodeUri: src/\n"
        "      Handler: app.h\n      Runtime: python3.12\n      Events:\n        E:\n          Type: Api\n"
        "          Properties:\n            Path: /a\n            Method: get\n",
        "template.yaml:4: cannot edit safely: Api uses a YAML anchor or alias",
    ),
    "flow events": (
        "Resources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n"
        "      Handler: app.h\n      Runtime: python3.12\n"
        "      Events: {E: {Type: Api, Properties: {Path: /a, Method: get}}}\n",
        "template.yaml:8: cannot edit safely: Api.Properties.Events is not a block mapping",
    ),
    "json layout": (
        '{"Resources": {\n  "Api": {"Type": "AWS::Serverless::Function"}}}\n',
        "template.yaml:1: cannot edit safely: this JSON layout is not what json.dumps writes",
    ),
    "json duplicate": ('{"Resources": {}, "Resources": {}}', "template.yaml:1: cannot edit safely: a duplicated key"),
    "two documents": ("Resources: {}\n---\nResources: {}\n", "template.yaml: cannot edit safely: the template is not"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_templates_the_splice_cannot_edit_are_refused_with_a_reason(tmp_path: Path, case: str) -> None:
    """Each unsafe shape is a one-line error naming the file and line and saying why."""
    text, message = BAD[case]
    spec = FunctionSpec("Api", "app.h", "src", "python3.12")
    plan = Plan("Api", (draft("EFunction", ("GET /a",), ("E",)).plan,))
    with pytest.raises(TemplateEditError) as error:
        edit_template(text, "template.yaml", plan, spec, [draft("EFunction", ("GET /a",), ("E",))])
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("made", "message"),
    [
        (
            draft("OrdersTable", ("GET /orders/{order_id}",), ("GetOrder",)),
            "template.yaml:193: logical id OrdersTable already names a resource decompose did not generate",
        ),
        (draft("XFunction", ("GET /nope",), ("NoSuchEvent",)), "XFunction: event NoSuchEvent is not an event of"),
        (
            draft("Bad: {x}\nFunction", ("GET /orders/{order_id}",), ("GetOrder",)),
            "'Bad: {x}\\nFunction' is not a CloudFormation logical id",
        ),
        (
            draft("XFunction", ("GET /orders/{order_id}",), ("GetOrder",), deployment=Deployment(alarms=("Nope",))),
            "XFunction: alarm Nope is not a resource of the template",
        ),
    ],
)
def test_drafts_that_do_not_fit_the_template_are_refused(tmp_path: Path, made: FunctionDraft, message: str) -> None:
    """A colliding logical id, an unknown event or alarm is an error naming it."""
    with pytest.raises(TemplateEditError) as error:
        edit(tmp_path, SAMPLE.read_text(encoding="utf-8"), "MonolithFunction", made)
    assert message in str(error.value)


def test_websocket_routes_are_refused(tmp_path: Path) -> None:
    """A WebSocket route is an ApiGatewayV2::Route resource, not an event: moving it is refused, not dropped."""
    text = (FIXTURES / "event_sources" / "template.yaml").read_text(encoding="utf-8")
    made = draft("ConnectFunction", ("WebSocket $connect",), ("ConnectRoute",))
    with pytest.raises(TemplateEditError, match="WebSocket route ConnectRoute is an AWS::ApiGatewayV2::Route"):
        edit(tmp_path, text, "EventsFunction", made)


def test_s3_event_with_a_policy_naming_the_bucket_is_a_cycle(tmp_path: Path) -> None:
    """Moving an S3 event to a function whose policy !Refs the bucket would make a circular dependency."""
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${UploadsBucket.Arn}/*"}}
    policy = {"Statement": [statement]}
    made = draft("UploadFunction", ("S3 UploadsBucket",), ("UploadCatalogue",), policies=(policy,))
    with pytest.raises(TemplateEditError, match="circular dependency"):
        edit(tmp_path, SAMPLE.read_text(encoding="utf-8"), "MonolithFunction", made)


def test_an_api_wired_by_its_own_openapi_definition_is_refused(tmp_path: Path) -> None:
    """An event on an API whose DefinitionBody integrates the monolith cannot move: the integration would stay."""
    text = textwrap.dedent(
        """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          ShopApi:
            Type: AWS::Serverless::Api
            Properties:
              StageName: prod
              DefinitionBody:
                paths:
                  /orders:
                    get:
                      x-amazon-apigateway-integration:
                        type: aws_proxy
                        httpMethod: POST
                        uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/functions/${Api.Arn}/invocations"
          Api:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/
              Handler: app.handler
              Runtime: python3.12
              Events:
                ListOrders:
                  Type: Api
                  Properties:
                    RestApiId: !Ref ShopApi
                    Path: /orders
                    Method: get
        """
    )
    with pytest.raises(TemplateEditError, match="API ShopApi defines its own OpenAPI integrations"):
        edit(tmp_path, text, "Api", draft("ListOrdersFunction", ("GET /orders",), ("ListOrders",)))


FOUR_SPACES = """\
Transform: AWS::Serverless-2016-10-31
Resources:
    Api:
        Type: AWS::Serverless::Function
        Properties:
            CodeUri: src/
            Handler: app.handler
            Runtime: python3.12
            Architectures:
            - arm64
            Events:
                GetOrder:
                    Type: Api
                    Properties:
                        Path: /orders/{id}
                        Method: get

                Health:
                    Type: Api
                    Properties:
                        Path: /health
                        Method: get
    # The table below holds orders
    Table:
        Type: AWS::Serverless::SimpleTable
Outputs:
    X:
        Value: !Ref Table
"""


def test_the_template_s_own_indentation_and_sequence_style_are_kept(tmp_path: Path) -> None:
    """4-space mappings and indentless sequences: copied blocks and rendered ones follow the file's style."""
    after = edit(tmp_path, FOUR_SPACES, "Api", draft("HealthFunction", ("GET /health",), ("Health",)))
    block = after.split("    HealthFunction:\n")[1].split("\n\n")[0]
    assert "            Architectures:\n            - arm64\n" in block
    assert "            Policies:\n            - Version: '2012-10-17'\n              Statement:\n" in block
    assert "            Events:\n                Health:\n                    Type: Api\n" in block
    health = "\n                Health:\n                    Type: Api\n                    Properties:\n"
    health += "                        Path: /health\n                        Method: get\n"
    expected = FOUR_SPACES.replace("\n" + health, "\n").replace("    # The table", "\n    # The table")
    assert without_generated(after) == expected
    assert_valid(after)


def test_windows_line_ends_are_kept(tmp_path: Path) -> None:
    """A CRLF template stays CRLF everywhere, the added lines included."""
    text = FOUR_SPACES.replace("\n", "\r\n")
    after = edit(tmp_path, text, "Api", draft("HealthFunction", ("GET /health",), ("Health",)))
    assert "\n" not in after.replace("\r\n", "")
    assert "HealthFunction:\r\n" in after


def test_json_templates_are_edited_when_the_dump_keeps_their_layout(tmp_path: Path) -> None:
    """A `json.dumps(indent=2)` template: same edit as YAML, every other line unchanged, valid, idempotent."""
    data, _ = decode_str(SAMPLE.read_text(encoding="utf-8"))
    text = json.dumps(plain(data), indent=2) + "\n"
    after = edit(tmp_path, text, "MonolithFunction", *SAMPLE_DRAFTS)
    assert edit(tmp_path, after, "MonolithFunction", *SAMPLE_DRAFTS) == after
    resources = json.loads(after)["Resources"]
    assert "GetOrder" not in resources["MonolithFunction"]["Properties"]["Events"]
    assert (
        resources["GetOrderFunction"]["Properties"]["Events"]["GetOrder"]["Properties"]["Path"] == "/orders/{order_id}"
    )
    assert resources["GetOrderFunction"]["Properties"]["Environment"] == {
        "Variables": {"ORDERS_TABLE": {"Ref": "OrdersTable"}}
    }
    assert list(resources).index("GetOrderFunction") == list(resources).index("MonolithFunction") + 1
    before_data, after_data = json.loads(text), json.loads(after)
    for name in ("GetOrderFunction", "UploadCatalogueFunction"):
        del after_data["Resources"][name]
    for event in ("GetOrder", "UploadCatalogue"):
        del before_data["Resources"]["MonolithFunction"]["Properties"]["Events"][event]
    assert after_data == before_data  # nothing else changed
    assert_valid(after)


def test_a_function_in_a_loop_aws_can_stop_carries_recursive_loop_terminate(tmp_path: Path) -> None:
    """`recursive_loop` renders as the function's `RecursiveLoop`, which the SAM transform passes to Lambda."""
    made = draft("UploadFunction", ("S3 UploadsBucket",), ("UploadCatalogue",), policies=())
    made = FunctionDraft(made.plan, made.handler, made.code_uri, made.events, (), (), "makefile", "Terminate")
    after = edit(tmp_path, SAMPLE.read_text(encoding="utf-8"), "MonolithFunction", made)
    assert "      RecursiveLoop: Terminate\n" in after.split("UploadFunction:")[1]
    assert transformed(after)["Resources"]["UploadFunction"]["Properties"]["RecursiveLoop"] == "Terminate"
    assert_valid(after)


def test_no_trailing_newline_is_kept(tmp_path: Path) -> None:
    """A template without a final newline keeps that: only the real changes show."""
    text = SAMPLE.read_text(encoding="utf-8").rstrip("\n")
    after = edit(tmp_path, text, "MonolithFunction", SAMPLE_DRAFTS[0])
    assert not after.endswith("\n")
    assert after.endswith(text.splitlines()[-1])


APPS = [REPO / "sample_monolith", *sorted(p for p in FIXTURES.iterdir() if (p / "template.yaml").is_file())]


@pytest.mark.parametrize("app", APPS, ids=lambda p: p.name)
def test_every_route_of_every_app_splits_into_a_valid_template(tmp_path: Path, app: Path) -> None:
    """One function per route (WebSocket routes stay): cfn-lint and the transform pass, a re-run changes nothing."""
    report = analyze(app)
    monolith = max(report.functions, key=lambda f: len(f.routes))
    taken: set[str] = set()
    drafts = []
    for route in monolith.routes:
        if route.id.startswith(("WebSocket ", "Invoke ")) or route.trigger.event is None:
            continue
        logical_id = _event_name(route.id, taken) + "Function"
        taken.add(logical_id.removesuffix("Function"))
        environment = tuple(str(k) for k, _ in monolith.spec.environment)
        plan = FunctionPlan(logical_id, (route.id,), extract=True, handler=f"handlers.{logical_id.lower()}")
        handler = f"handlers.{logical_id.lower()}.lambda_handler"
        drafts.append(
            FunctionDraft(plan, handler, "src", (route.trigger.event,), route.policies, environment, "makefile")
        )
    text = (app / "template.yaml").read_text(encoding="utf-8")
    plan = Plan(monolith.spec.logical_id or "", tuple(d.plan for d in drafts))
    after = edit_template(text, "template.yaml", plan, monolith.spec, drafts)
    assert edit_template(after, "template.yaml", plan, monolith.spec, drafts) == after
    assert_valid(after)
    resources = transformed(after)["Resources"]
    assert all(f"{d.plan.logical_id}Aliaslive" in resources for d in drafts)
