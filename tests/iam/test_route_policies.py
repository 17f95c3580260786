"""Per-route permissions bound to the template, the SAM policy list, and the check against the monolith's role."""

from __future__ import annotations

import pytest

from decompose.pipeline import analyze
from tests.conftest import FIXTURES, REPO, routes_of, sam_template

RESOURCES = """
Orders:
  Type: AWS::DynamoDB::Table
  Properties:
    AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
    KeySchema: [{AttributeName: id, KeyType: HASH}]
    BillingMode: PAY_PER_REQUEST
Uploads:
  Type: AWS::S3::Bucket
  Properties:
    BucketName: !Sub "${AWS::StackName}-uploads"
Events:
  Type: AWS::SNS::Topic
Jobs:
  Type: AWS::SQS::Queue
"""

APP = """
import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
S3 = boto3.client("s3")
SNS = boto3.client("sns")
SQS = boto3.client("sqs")

def lambda_handler(event, context):
    if "Records" in event:
        for record in event["Records"]:
            if record["eventSource"] == "aws:sqs":
                on_job(record)
            elif record["eventSource"] == "aws:s3":
                on_upload(record)
        return None
    if event["httpMethod"] == "GET" and event["path"] == "/orders":
        return list_orders()
    if event["httpMethod"] == "POST" and event["path"] == "/orders":
        return create_order(event)
    if event["httpMethod"] == "GET" and event["path"] == "/mystery":
        return mystery(event)

def list_orders():
    return TABLE.query(IndexName="byStatus", KeyConditionExpression="x")

def create_order(event):
    TABLE.put_item(Item={"id": "1"})
    SNS.publish(TopicArn=os.environ["EVENTS_TOPIC"], Message="created")

def on_upload(record):
    bucket = record["s3"]["bucket"]["name"]
    body = S3.get_object(Bucket=bucket, Key=record["s3"]["object"]["key"])["Body"].read()
    S3.put_object(Bucket=os.environ["UPLOADS"], Key=f"processed/{record['s3']['object']['key']}", Body=body)

def on_job(record):
    SQS.delete_message(QueueUrl=os.environ["JOBS_URL"], ReceiptHandle=record["receiptHandle"])
    TABLE.delete_item(Key={"id": "1"})

def mystery(event):
    return S3.list_objects_v2(Bucket=event["queryStringParameters"]["bucket"])
"""

EVENTS = """
ListOrders:
  Type: Api
  Properties: {Path: /orders, Method: get}
CreateOrder:
  Type: Api
  Properties: {Path: /orders, Method: post}
Mystery:
  Type: Api
  Properties: {Path: /mystery, Method: get}
Upload:
  Type: S3
  Properties:
    Bucket: !Ref Uploads
    Events: s3:ObjectCreated:*
JobQueued:
  Type: SQS
  Properties:
    Queue: !GetAtt Jobs.Arn
"""


def _template(policies: str) -> str:
    template = sam_template(EVENTS, extra_resources=RESOURCES)
    environment = (
        "      Environment:\n        Variables:\n"
        "          ORDERS_TABLE: !Ref Orders\n"
        "          EVENTS_TOPIC: !Ref Events\n"
        '          UPLOADS: !Sub "${AWS::StackName}-uploads"\n'
        "          JOBS_URL: !Ref Jobs\n"
    )
    return template.replace("      Events:\n", environment + policies + "      Events:\n", 1)


BROAD = (
    "      Policies:\n"
    "        - DynamoDBCrudPolicy: {TableName: !Ref Orders}\n"
    "        - SNSPublishMessagePolicy: {TopicName: !GetAtt Events.TopicName}\n"
    "        - S3CrudPolicy: {BucketName: !Sub '${AWS::StackName}-uploads'}\n"
)


def _permissions(report, route: str) -> set[tuple[str, str, str]]:
    return {(p.action, p.resource, p.via) for p in routes_of(report)[route].permissions}


def test_environment_variables_bind_to_template_resources(analyze_app) -> None:
    """env ORDERS_TABLE -> !Ref Orders: the permission names the table, and the index the query uses."""
    report = analyze_app({"app.py": APP}, template=_template(BROAD))
    assert _permissions(report, "GET /orders") == {
        ("dynamodb:Query", "Orders/index/byStatus", "env ORDERS_TABLE -> !Ref Orders")
    }
    policies = routes_of(report)["GET /orders"].policies
    assert policies == (
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:Query"],
                    "Resource": {"Fn::Sub": "${Orders.Arn}/index/byStatus"},
                }
            ],
        },
    )


def test_exact_sam_templates_only(analyze_app) -> None:
    """sns:Publish on one topic is SNSPublishMessagePolicy; one DynamoDB write stays an inline statement."""
    policies = routes_of(analyze_app({"app.py": APP}, template=_template(BROAD)))["POST /orders"].policies
    assert {"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["Events", "TopicName"]}}} in policies
    statements = [s for p in policies if "Statement" in p for s in p["Statement"]]
    assert statements == [
        {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": {"Fn::GetAtt": ["Orders", "Arn"]}}
    ]
    assert not any("DynamoDBCrudPolicy" in p or "DynamoDBWritePolicy" in p for p in policies)


def test_event_values_bind_to_the_trigger_and_key_prefixes_narrow_objects(analyze_app) -> None:
    """The S3 record's bucket is the trigger's bucket; an f-string key prefix narrows the object ARN."""
    report = analyze_app({"app.py": APP}, template=_template(BROAD))
    assert _permissions(report, "S3 Uploads") == {
        ("s3:GetObject", "Uploads/*", "event s3.bucket.name -> trigger Uploads"),
        ("s3:PutObject", "Uploads/processed/*", "env UPLOADS -> !Sub '${AWS::StackName}-uploads'"),
    }


def test_what_sam_grants_for_the_event_source_is_not_repeated(analyze_app) -> None:
    """sqs:DeleteMessage on the function's own SQS trigger comes with SAM's poller policy: not in the list."""
    route = routes_of(analyze_app({"app.py": APP}, template=_template(BROAD)))["SQS Jobs"]
    assert ("sqs:DeleteMessage", "Jobs") in {(p.action, p.resource) for p in route.permissions}
    granted = [a for p in route.policies if "Statement" in p for s in p["Statement"] for a in s["Action"]]
    assert granted == ["dynamodb:DeleteItem"]


def test_unknowable_resource_is_star_for_that_action_only_with_a_finding(analyze_app) -> None:
    """A bucket taken from the query string cannot be bound: '*' for s3:ListBucket, and a finding says why."""
    report = analyze_app({"app.py": APP}, template=_template(BROAD))
    assert {(p.action, p.resource) for p in routes_of(report)["GET /mystery"].permissions} == {("s3:ListBucket", "*")}
    unbound = [(f.rule, str(f.location), f.route) for f in report.findings if f.rule == "unbound-resource"]
    assert unbound == [("unbound-resource", "src/app.py:41", "GET /mystery")]


def test_an_action_the_monolith_lacks_is_a_finding_not_a_grant(analyze_app) -> None:
    """With only a DynamoDB read policy, the write routes are reported as beyond the monolith's role."""
    narrow = "      Policies:\n        - DynamoDBReadPolicy: {TableName: !Ref Orders}\n"
    report = analyze_app({"app.py": APP}, template=_template(narrow))
    beyond = {(f.route, f.message.split(" ")[0]) for f in report.findings if f.rule == "beyond-monolith-role"}
    assert ("POST /orders", "dynamodb:PutItem") in beyond
    assert ("POST /orders", "sns:Publish") in beyond
    assert ("GET /orders", "dynamodb:Query") not in beyond
    assert "dynamodb:PutItem" in {p.action for p in routes_of(report)["POST /orders"].permissions}


def test_a_template_policy_on_a_different_resource_than_the_code_uses_is_a_finding(analyze_app) -> None:
    """The role grants the action, but on another resource: the finding names both, so the mismatch is visible."""
    other = (
        "      Policies:\n        - DynamoDBCrudPolicy: {TableName: !Ref Orders}\n"
        "        - SQSSendMessagePolicy: {QueueName: !GetAtt Jobs.QueueName}\n"
        "        - Statement: [{Effect: Allow, Action: sns:Publish, Resource: !Ref Legacy}]\n"
    )
    template = _template(other) + "  Legacy:\n    Type: AWS::SNS::Topic\n"
    report = analyze_app({"app.py": APP}, template=template)
    (finding,) = [
        f
        for f in report.findings
        if f.rule == "beyond-monolith-role" and f.message.startswith("sns:Publish") and f.route == "POST /orders"
    ]
    assert "on Events is not granted" in finding.message
    assert "its role grants sns:Publish on Legacy, a different resource than the code uses" in finding.message


def test_missing_environment_variable_is_reported(analyze_app) -> None:
    """A variable the code reads but the function does not set is an unbound resource with the reason."""
    template = _template(BROAD).replace("          EVENTS_TOPIC: !Ref Events\n", "")
    report = analyze_app({"app.py": APP}, template=template)
    messages = [f.message for f in report.findings if f.rule == "unbound-resource" and f.route == "POST /orders"]
    assert messages == [
        "sns:Publish: environment variable EVENTS_TOPIC is not set on ApiFunction; granted on '*' for this action only"
    ]


ENCRYPTED = "      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: !Ref DataKey}\n"
KEY = "  DataKey:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy: {Version: '2012-10-17', Statement: []}\n"


def test_kms_only_for_customer_managed_keys(analyze_app) -> None:
    """A table encrypted with the template's own key adds kms:Decrypt on it; default encryption adds nothing."""
    billing = "BillingMode: PAY_PER_REQUEST\n"
    template = _template(BROAD).replace(billing, billing + ENCRYPTED, 1) + KEY
    report = analyze_app({"app.py": APP}, template=template)
    assert {(p.action, p.resource) for p in routes_of(report)["GET /orders"].permissions} == {
        ("dynamodb:Query", "Orders/index/byStatus"),
        ("kms:Decrypt", "DataKey"),
    }
    plain = analyze_app({"app.py": APP}, template=_template(BROAD))
    assert {p.action for p in routes_of(plain)["GET /orders"].permissions} == {"dynamodb:Query"}


@pytest.mark.parametrize(
    "app", ["sample_monolith", *(f"tests/fixtures/{p.name}" for p in sorted(FIXTURES.iterdir()) if p.is_dir())]
)
def test_every_policy_is_bound_and_within_the_monolith_role(app: str) -> None:
    """On the sample and every fixture, no permission is unbound and none exceeds the monolith's own role."""
    report = analyze(REPO / app)
    assert [f for f in report.findings if f.rule in ("unbound-resource", "beyond-monolith-role")] == []
    permissions = [p for function in report.functions for route in function.routes for p in route.permissions]
    assert permissions
    assert all(p.resource != "*" or p.via == "the action takes no resource" for p in permissions)


INLINE = """
import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])

def lambda_handler(event, context):
    if event["httpMethod"] == "GET" and event["path"] == "/orders":
        return TABLE.get_item(Key={"id": "1"})
"""


def test_inline_route_keeps_its_calls_and_if_environment_binds_every_branch(analyze_app) -> None:
    """A route served inline by the handler still gets its calls; `!If` in the environment binds both tables."""
    template = _template(BROAD).replace(
        "          ORDERS_TABLE: !Ref Orders\n", "          ORDERS_TABLE: !If [IsProd, !Ref Orders, !Ref Archive]\n"
    )
    template = template.replace("Resources:\n", "Conditions:\n  IsProd: !Equals [a, b]\nResources:\n", 1)
    template += "  Archive:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n"
    report = analyze_app({"app.py": INLINE}, template=template)
    assert {(p.action, p.resource) for p in routes_of(report)["GET /orders"].permissions} == {
        ("dynamodb:GetItem", "Orders"),
        ("dynamodb:GetItem", "Archive"),
    }


ROLE = """  ShopRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: []}
      Policies:
        - PolicyName: read
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - {Effect: Allow, Action: dynamodb:Query, Resource: !Sub '${Orders.Arn}/index/*'}
"""


def test_an_explicit_role_of_the_template_is_the_monolith_role(analyze_app) -> None:
    """With `Role: !GetAtt ShopRole.Arn`, the role's own statements are what routes are compared with."""
    template = _template("      Role: !GetAtt ShopRole.Arn\n") + ROLE
    report = analyze_app({"app.py": APP}, template=template)
    beyond = {(f.route, f.message.split(" ")[0]) for f in report.findings if f.rule == "beyond-monolith-role"}
    assert ("POST /orders", "dynamodb:PutItem") in beyond
    assert not any(route == "GET /orders" for route, _ in beyond)


ATTACHED = """  WritePolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: write
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: !GetAtt Orders.Arn}
      Roles: [!Ref ShopRole]
  PublishPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Action: sns:Publish, Resource: !Ref Events}
      Roles: [!Ref ApiFunctionRole]
"""


@pytest.mark.parametrize(
    ("role", "route", "granted"),
    [
        pytest.param("      Role: !GetAtt ShopRole.Arn\n", "POST /orders", "dynamodb:PutItem", id="explicit-role"),
        pytest.param("", "POST /orders", "sns:Publish", id="the-role-sam-builds"),
    ],
)
def test_policies_attached_to_the_role_from_outside_count(analyze_app, role: str, route: str, granted: str) -> None:
    """`AWS::IAM::Policy`/`ManagedPolicy` resources naming the role in `Roles:` grant what they say to it."""
    template = _template(role) + ROLE + ATTACHED
    report = analyze_app({"app.py": APP}, template=template)
    beyond = {(f.route, f.message.split(" ")[0]) for f in report.findings if f.rule == "beyond-monolith-role"}
    assert (route, granted) not in beyond
    assert (route, "sns:Publish" if granted != "sns:Publish" else "dynamodb:PutItem") in beyond


CALLER_BEHALF = """
import os
import boto3

rekognition = boto3.client("rekognition")
rds = boto3.client("rds-data")

def lambda_handler(event, context):
    if event["path"] == "/labels":
        return labels(event["queryStringParameters"]["key"])
    if event["path"] == "/schools":
        return schools()

def labels(key):
    image = {"S3Object": {"Bucket": os.environ["PHOTOS"], "Name": f"photos/{key}"}}
    return rekognition.detect_labels(Image=image, MinConfidence=50.0)

def schools():
    return rds.execute_statement(
        resourceArn=os.environ["CLUSTER_ARN"], secretArn=os.environ["SECRET_ARN"], sql="select * from school"
    )
"""

CALLER_BEHALF_RESOURCES = """
Photos:
  Type: AWS::S3::Bucket
DbSecret:
  Type: AWS::SecretsManager::Secret
"""


def test_permissions_a_service_needs_on_the_callers_behalf(analyze_app) -> None:
    """Rekognition reads the S3 object the request names, the RDS Data API the secret: both bound, with their call."""
    template = sam_template(
        "Labels:\n  Type: Api\n  Properties: {Path: /labels, Method: any}\n"
        "Schools:\n  Type: Api\n  Properties: {Path: /schools, Method: any}\n",
        extra_resources=CALLER_BEHALF_RESOURCES,
    ).replace(
        "      Events:\n",
        "      Environment:\n        Variables:\n          PHOTOS: !Ref Photos\n          SECRET_ARN: !Ref DbSecret\n"
        "          CLUSTER_ARN: arn:aws:rds:us-east-1:111122223333:cluster:schools\n      Events:\n",
        1,
    )
    routes = routes_of(analyze_app({"app.py": CALLER_BEHALF}, template=template))
    labels = {(p.action, p.resource, str(p.location)) for p in routes["ANY /labels"].permissions}
    assert ("s3:GetObject", "Photos/photos/*", "src/app.py:15") in labels
    assert ("rekognition:DetectLabels", "*", "src/app.py:15") in labels
    schools = {(p.action, p.resource) for p in routes["ANY /schools"].permissions}
    assert ("secretsmanager:GetSecretValue", "DbSecret") in schools


STRUCTURES = """
import os
import boto3

ddb = boto3.client("dynamodb")
events = boto3.client("events")

def lambda_handler(event, context):
    if event["path"] == "/batch":
        return batch()
    if event["path"] == "/publish":
        return publish()
    if event["path"] == "/transfer":
        return transfer()

def batch():
    requests = {os.environ["ORDERS"]: [{"PutRequest": {"Item": {}}}]}
    return ddb.batch_write_item(RequestItems=requests)

def publish():
    return events.put_events(Entries=[{"EventBusName": os.environ["BUS"], "Source": "shop", "Detail": "{}"}])

def transfer():
    return ddb.transact_write_items(
        TransactItems=[
            {"Update": {"TableName": os.environ["ORDERS"], "Key": {}, "UpdateExpression": "SET a = :a"}},
            {"Put": {"TableName": os.environ["LEDGER"], "Item": {}}},
        ]
    )
"""

STRUCTURE_RESOURCES = """
Orders:
  Type: AWS::DynamoDB::Table
Ledger:
  Type: AWS::DynamoDB::Table
Bus:
  Type: AWS::Events::EventBus
  Properties: {Name: shop}
"""


def test_resources_named_inside_request_structures_are_bound_each_with_its_item_action(analyze_app) -> None:
    """RequestItems keys, Entries[].EventBusName and each TransactItems entry name their own resource and action."""
    events = "".join(
        f"{name}:\n  Type: Api\n  Properties: {{Path: /{name.lower()}, Method: any}}\n"
        for name in ("Batch", "Publish", "Transfer")
    )
    template = sam_template(events, extra_resources=STRUCTURE_RESOURCES).replace(
        "      Events:\n",
        "      Environment:\n        Variables:\n          ORDERS: !Ref Orders\n          LEDGER: !Ref Ledger\n"
        "          BUS: !Ref Bus\n      Events:\n",
        1,
    )
    routes = routes_of(analyze_app({"app.py": STRUCTURES}, template=template))
    granted = {rid: {(p.action, p.resource) for p in r.permissions} for rid, r in routes.items()}
    assert granted["ANY /batch"] == {("dynamodb:BatchWriteItem", "Orders")}
    assert granted["ANY /publish"] == {("events:PutEvents", "Bus")}
    assert granted["ANY /transfer"] == {("dynamodb:UpdateItem", "Orders"), ("dynamodb:PutItem", "Ledger")}


HANDED_OVER = {
    "table": """
    import boto3

    dynamo = boto3.resource("dynamodb").Table("items")

    operations = {
        "POST": lambda dynamo, x: dynamo.put_item(**x),
        "GET": lambda dynamo, x: dynamo.get_item(**x),
    }

    def lambda_handler(event, context):
        payload = event["body"]
        return operations[event["httpMethod"]](dynamo, payload)
    """,
    "if-chain": """
    import os
    import boto3

    table = boto3.resource("dynamodb").Table("items")
    management = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["WS"])

    def lambda_handler(event, context):
        if event["httpMethod"] == "POST" and event["path"] == "/items":
            return create(table, management, event)
        if event["httpMethod"] == "GET" and event["path"] == "/items":
            return read(table, event)

    def create(tbl, mgmt, event):
        tbl.put_item(Item={"id": event["body"]})
        mgmt.post_to_connection(ConnectionId="c", Data=b"created")

    def read(tbl, event):
        return tbl.get_item(Key={"id": event["id"]})
    """,
}


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("table", {"POST /{proxy+}": {"PutItem"}, "GET /{proxy+}": {"GetItem"}}),
        ("if-chain", {"POST /items": {"PutItem", "PostToConnection"}, "GET /items": {"GetItem"}}),
    ],
)
def test_values_the_dispatcher_hands_to_the_entry(analyze_app, style: str, expected: dict[str, set[str]]) -> None:
    """A client or table the dispatcher passes as an argument is what the entry's parameter holds (a lambda's
    parameter shadowing the module client included): the entry's calls on it are in its policy."""
    routes = routes_of(analyze_app({"app.py": HANDED_OVER[style]}, handler="app.lambda_handler"))
    assert {rid: {c.operation for c in r.calls} for rid, r in routes.items()} == expected
