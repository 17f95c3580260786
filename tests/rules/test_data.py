"""The rules' data file agrees with the installed models: S3 event names are botocore's, every operation exists,
every IAM action is in AWS's catalogue, and every entry cites a source."""

from __future__ import annotations

import botocore.session

from decompose.iam import models
from decompose.iam.actions import access_level, expand_action
from decompose.rules.data import library_table, rules_data


def test_s3_event_names_are_botocore_s3_events() -> None:
    """Every S3 event the data says a write emits is in botocore's s3 `Event` enum."""
    enum = set(botocore.session.get_session().get_service_model("s3").shape_for("Event").enum)
    s3 = rules_data()["trigger_writes"]["S3"]
    names = {e for entry in s3["operations"].values() for e in entry["events"]} | set(s3["transfer_events"])
    assert names <= enum


def test_trigger_writes_are_real_operations_with_known_write_actions() -> None:
    """Each write operation exists in its service model and each action it names is a Write in the catalogue."""
    for kind, spec in rules_data()["trigger_writes"].items():
        if kind == "source":
            continue
        for operation, entry in spec["operations"].items():
            assert operation in models.operation_names(spec["service"]), (kind, operation)
            for action in entry["actions"]:
                assert access_level(action) in ("Write", "Tagging", "Permissions management"), action


def test_blocking_operations_exist() -> None:
    """The waits table names real operations and parameters."""
    for service, operations in rules_data()["waits"]["operations"].items():
        for operation, entry in operations.items():
            assert operation in models.operation_names(service)
            if "param" in entry:
                assert entry["param"] in models.input_members(service, operation)


def test_every_table_cites_its_source() -> None:
    """Every top-level table of the data file says where its facts come from."""
    data = rules_data()
    for name in ("guidance", "monolith", "loop_detection", "trigger_writes", "event_filters", "waits", "http"):
        assert data[name]["source"], name
    assert data["orchestration"]["source"]


def test_library_table_covers_aliases_of_the_constructors() -> None:
    """`requests.sessions.Session().get` is recorded like `requests.Session().get`."""
    table = library_table()
    assert "requests.sessions.Session().get" in table.functions
    assert "requests.sessions.Session" in table.constructors


def test_catalogue_expands_wildcards() -> None:
    """dynamodb:* expands to the catalogue's DynamoDB actions; a plain action is itself."""
    assert "dynamodb:GetItem" in (expand_action("dynamodb:*") or set())
    assert expand_action("s3:GetObject") == frozenset({"s3:GetObject"})
