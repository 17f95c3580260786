"""A small SAM app for the planning tests: four routes over two modules, a table and a bucket."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_app

APP = """
import re

import orders
import uploads

ORDER = re.compile(r"/orders/(?P<id>[^/]+)")


def lambda_handler(event, context):
    if "Records" in event:
        for record in event["Records"]:
            if record.get("eventSource") == "aws:s3":
                uploads.handle(record)
        return None
    method, path = event["httpMethod"], event["path"]
    if method == "GET" and path == "/orders":
        return orders.list_orders()
    if method == "POST" and path == "/orders":
        return orders.create_order(event)
    if method == "GET" and (match := ORDER.fullmatch(path)):
        return orders.get_order(match["id"])
    return {"statusCode": 404}
"""

ORDERS = """
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def list_orders():
    return TABLE.scan()["Items"]


def create_order(event):
    TABLE.put_item(Item={"id": event["body"]})


def get_order(order_id):
    return TABLE.get_item(Key={"id": order_id})
"""

UPLOADS = """
import boto3


def handle(record):
    s3 = boto3.client("s3")
    s3.get_object(Bucket=record["s3"]["bucket"]["name"], Key=record["s3"]["object"]["key"])
"""

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
Globals:
  Function:
    Runtime: python3.12
    MemorySize: 256
Resources:
  ShopFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.lambda_handler
      Timeout: 20
      Environment:
        Variables:
          ORDERS_TABLE: !Ref OrdersTable
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref OrdersTable
        - S3ReadPolicy:
            BucketName: uploads-bucket-name
      Events:
        ListOrders:
          Type: Api
          Properties: {Path: /orders, Method: get}
        CreateOrder:
          Type: Api
          Properties: {Path: /orders, Method: post}
        GetOrder:
          Type: Api
          Properties:
            Path: /orders/{id}
            Method: get
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref UploadsBucket
            Events: s3:ObjectCreated:*
  OrdersTable:
    Type: AWS::Serverless::SimpleTable
  UploadsBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: uploads-bucket-name
  GetOrderFunctionRole:
    Type: AWS::SNS::Topic
  ErrorsAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: Errors
      Namespace: AWS/Lambda
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanThreshold
"""

ROUTES = ("GET /orders", "GET /orders/{id}", "POST /orders", "S3 UploadsBucket")


def shop(root: Path) -> Path:
    """Write the shop app under `root` and return it."""
    return write_app(
        root,
        {"template.yaml": TEMPLATE, "src/app.py": APP, "src/orders.py": ORDERS, "src/uploads.py": UPLOADS},
    )
