"""SigV4-signed HTTP requests made without boto3 need the action their service checks (`iam.signing`)."""

from __future__ import annotations

import pytest

from decompose.iam.actions import catalogue_available, expand_action
from decompose.iam.signing import signing_data
from tests.conftest import routes_of

APP = """
import os
from urllib.parse import urlparse

import boto3
import requests
from aws_requests_auth.boto_utils import BotoAWSRequestsAuth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from requests_aws4auth import AWS4Auth

API_URL = os.environ["PRICING_API_URL"]
SEARCH = "es"


def lambda_handler(event, context):
    host = urlparse(API_URL).netloc
    auth = BotoAWSRequestsAuth(aws_host=host, aws_region="eu-west-1", aws_service="execute-api")
    price = requests.post(API_URL + "/pricing", json=event, auth=auth).json()
    signer = AWS4Auth("key", "secret", "eu-west-1", SEARCH)
    requests.put(os.environ["DOMAIN"] + "/orders/_doc/1", json=price, auth=signer)
    found = requests.request("GET", os.environ["DOMAIN"] + "/orders/_search", auth=signer)
    request = AWSRequest(method="POST", url=os.environ["DOMAIN"] + "/_bulk", data="{}")
    credentials = boto3.Session().get_credentials()
    SigV4Auth(credentials, "es", "eu-west-1").add_auth(request)
    return found.json()
"""


def _report(analyze_app, source: str = APP):
    return analyze_app({"app.py": source}, handler="app.lambda_handler")


def test_each_signed_request_needs_its_service_action(analyze_app) -> None:
    """execute-api:Invoke for the API, es:ESHttp<Method> per request method (a constant names the service), and
    es:ESHttp* where botocore signs a prepared request whose method the call does not show."""
    report = _report(analyze_app)
    (route,) = routes_of(report).values()
    assert {(p.action, p.resource, p.location.line) for p in route.permissions} == {
        ("execute-api:Invoke", "*", 18),
        ("es:ESHttpPut", "*", 20),
        ("es:ESHttpGet", "*", 21),
        ("es:ESHttp*", "*", 24),
    }
    unbound = {f.location.line: f.message for f in report.findings if f.rule == "unbound-resource"}
    assert "a URL from environment variable PRICING_API_URL" in unbound[18]
    assert "granted on '*' for this action only" in unbound[20]


def test_a_service_decompose_cannot_read_is_a_finding_and_an_incomplete_policy(analyze_app) -> None:
    """`aws_service=os.environ["SERVICE"]`: no action is guessed; the call site is a finding, the policy is
    marked incomplete."""
    source = APP.replace('aws_service="execute-api"', 'aws_service=os.environ["SERVICE"]')
    report = _report(analyze_app, source)
    (route,) = routes_of(report).values()
    assert "execute-api:Invoke" not in {p.action for p in route.permissions}
    unresolved = [f for f in report.findings if f.rule == "possible-aws-call-unresolved" and f.location.line == 18]
    assert len(unresolved) == 1
    assert "whose service decompose could not read" in unresolved[0].message
    assert not route.policy_complete


def test_an_unsigned_request_needs_nothing(analyze_app) -> None:
    """The same calls without `auth=` are plain HTTP: no IAM action."""
    source = (
        "import requests\n\n\ndef lambda_handler(event, context):\n    return requests.get('https://example.com')\n"
    )
    (route,) = routes_of(_report(analyze_app, source)).values()
    assert route.permissions == ()


def test_the_signing_data_cites_a_source_for_every_entry() -> None:
    data = signing_data()
    for name, signer in data["signers"].items():
        assert signer["source"], name
        index, keyword = signer["service"]
        assert isinstance(index, int), name
        assert keyword.isidentifier(), name
    for service, entry in data["services"].items():
        assert entry["source"].startswith("https://docs.aws.amazon.com/"), service


@pytest.mark.skipif(not catalogue_available(), reason="parliament's IAM catalogue is not installed")
def test_every_service_action_is_an_iam_action() -> None:
    """Each action (every method of a per-method one) exists in AWS's Service Authorization Reference."""
    for service, entry in signing_data()["services"].items():
        action = entry["action"]
        methods = (
            [m.capitalize() for m in signing_data()["methods"] if m != "options"] if "{method}" in action else [""]
        )
        for method in methods:
            name = action.replace("{method}", method)
            assert expand_action(name) == frozenset({name}), (service, name)
