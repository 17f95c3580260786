"""AWS calls made inside a third-party SDK's methods (`iam.libraries`, `data/sdk_libraries.json`)."""

from __future__ import annotations

from decompose.iam import models
from decompose.iam.libraries import _data, sdk_library
from tests.conftest import routes_of

APP = """
import boto3
from sagemaker.model_card import ModelCard
from sagemaker.model_card.model_card import ModelCard as CardClass
from sagemaker.session import Session

session = Session(sagemaker_client=boto3.client("sagemaker"))


class Cards:
    def __init__(self, name, sagemaker_session):
        self.name = name
        self.sagemaker_session = sagemaker_session

    def create(self):
        card = ModelCard(name=self.name, sagemaker_session=self.sagemaker_session)
        card.create()

    def rename(self, status):
        card = CardClass.load(name=self.name, sagemaker_session=self.sagemaker_session)
        card.update(model_card_status=status)

    def listed(self):
        return self.sagemaker_session.sagemaker_client.list_model_cards()


def lambda_handler(event, context):
    if event["path"] == "/cards" and event["httpMethod"] == "POST":
        return Cards(event["body"], session).create()
    if event["path"] == "/cards" and event["httpMethod"] == "PATCH":
        return Cards(event["body"], session).rename("Approved")
    if event["path"] == "/cards" and event["httpMethod"] == "GET":
        return Cards("", session).listed()
"""


def test_sdk_methods_need_the_operations_they_make_inside_the_sdk(analyze_app) -> None:
    """`ModelCard(...).create()` is CreateModelCard and the describe that reads it back, `ModelCard.load` (through
    an alias of the class) a DescribeModelCard whose card's `update` adds UpdateModelCard, and the SDK Session's
    `sagemaker_client` is the boto3 client it was given."""
    routes = routes_of(analyze_app({"app.py": APP}, handler="app.lambda_handler"))
    actions = {route_id: {p.action for p in route.permissions} for route_id, route in routes.items()}
    assert actions == {
        "POST /cards": {"sagemaker:CreateModelCard", "sagemaker:DescribeModelCard"},
        "PATCH /cards": {"sagemaker:DescribeModelCard", "sagemaker:UpdateModelCard"},
        "GET /cards": {"sagemaker:ListModelCards"},
    }
    create = next(p for p in routes["POST /cards"].permissions if p.action == "sagemaker:CreateModelCard")
    assert create.location.line == 16, "at the call site in the project: `card.create()`"


def test_a_method_of_the_same_name_on_another_object_needs_nothing(analyze_app) -> None:
    """`.create()` and `.update()` of a dict or a project object are not the SDK's."""
    source = APP.replace("card = ModelCard(name=self.name, sagemaker_session=self.sagemaker_session)", "card = {}")
    source = source.replace("card.create()", "card.update(a=1)")
    routes = routes_of(analyze_app({"app.py": source}, handler="app.lambda_handler"))
    assert routes["POST /cards"].permissions == ()


def test_every_sdk_entry_is_a_botocore_operation_with_a_source() -> None:
    for name, sdk in _data()["sdks"].items():
        assert sdk["source"].startswith("https://github.com/"), name
        for method, entry in sdk["calls"].items():
            assert entry["source"], method
            for operation in entry["operations"]:
                service, name_ = operation.split(".", 1)
                assert name_ in models.operation_names(service), operation
        for attribute, service in sdk["clients"].items():
            assert models.is_service(service), attribute
    classes, _, returns, calls = sdk_library()
    assert "sagemaker.model_card.model_card.ModelCard().create" in calls, "aliases are spelled out"
    assert set(returns.values()) <= classes
