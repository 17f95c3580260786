"""The wizard's use cases on a real app: what it offers (blocked, already extracted, the default), names, drafts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from decompose import proposing, splitting
from decompose.changes.writer import write
from decompose.errors import UsageError
from tests.planning.apps import APP, shop

UNROUTED = APP.replace(
    '    return {"statusCode": 404}',
    '    if method == "DELETE" and path == "/orders":\n'
    "        return orders.list_orders()\n"
    '    return {"statusCode": 404}',
)


def _offer(root: Path) -> proposing.Offer:
    found = proposing.survey(root)
    return proposing.offer(found, found.suggested or "ShopFunction")


def test_a_route_without_an_event_is_offered_but_blocked(tmp_path: Path) -> None:
    """A route the code dispatches but no template event sends: shown with why, never selectable or default,
    and `--extract` naming it is a usage error carrying the reason."""
    root = shop(tmp_path)
    (root / "src" / "app.py").write_text(UNROUTED.lstrip("\n"), encoding="utf-8")
    offer = _offer(root)
    (blocked,) = offer.blocked
    assert "DELETE /orders" in next(f.routes for f in offer.plan.functions if f.logical_id == blocked)
    assert "has no event in the template" in offer.blocked[blocked]
    assert blocked not in offer.selectable
    assert blocked not in offer.default
    with pytest.raises(UsageError, match="has no event in the template"):
        offer.resolve(("DELETE /orders",))


def test_the_default_is_the_three_smallest_packages(tmp_path: Path) -> None:
    """Without marks in a plan file: the three functions with the smallest packages, ties by IAM then name."""
    offer = _offer(shop(tmp_path))
    assert offer.default == ("UploadsBucketS3Function", "CreateOrderFunction", "GetOrder2Function")


def test_an_extracted_function_stays_extracted_and_is_not_offered_again(tmp_path: Path) -> None:
    """After applying GET /orders, a second round offers the rest: the first function is `applied`, out of the
    default, and the next draft keeps it extracted beside the new choice."""
    root = shop(tmp_path)
    planned = splitting.plan(root, extract=("GET /orders",))
    write(planned.change_set, planned.write_root, force=True)
    applied = splitting.apply(root)
    write(applied.change_set, root, force=True)
    offer = _offer(root)
    assert offer.applied == frozenset({"ListOrdersFunction"})
    assert "ListOrdersFunction" not in offer.default
    assert "ListOrdersFunction" not in offer.selectable
    draft = proposing.revise(offer, extract=("CreateOrderFunction",))
    assert [f.logical_id for f in draft.plan.extracted] == ["ListOrdersFunction", "CreateOrderFunction"]
    assert draft.problems == ()
    assert (
        "renamed" in (offer.name_problem("ListOrdersFunction", "Renamed", {}) or "")
        or offer.name_problem("ListOrdersFunction", "Renamed", {})
        == "ListOrdersFunction is already in the template: rename it there, not in the wizard"
    )


@pytest.mark.parametrize(
    ("new", "renames", "problem"),
    [
        ("OrdersList", {}, None),
        ("ListOrdersFunction", {}, None),
        ("Orders-List", {}, "is not a valid logical id"),
        ("X" * 300, {}, "CloudFormation allows"),
        ("OrdersTable", {}, "OrdersTable is taken"),
        ("CreateOrderFunction", {}, "CreateOrderFunction is taken"),
        ("Taken", {"CreateOrderFunction": "Taken"}, "Taken is taken"),
    ],
)
def test_names_are_checked_as_logical_ids(
    tmp_path: Path, new: str, renames: dict[str, str], problem: str | None
) -> None:
    """A new name must be a valid, free logical id: not a resource, not another function, not another rename."""
    offer = _offer(shop(tmp_path))
    found = offer.name_problem("ListOrdersFunction", new, renames)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_a_second_function_with_the_same_routes_does_not_block_the_monolith(tmp_path: Path) -> None:
    """Another function whose code has the monolith's routes but no events: its `route-extracted` findings
    (served by the monolith itself) do not make the monolith's own routes "already served"."""
    root = shop(tmp_path)
    shutil.copytree(root / "src", root / "admin")
    template = root / "template.yaml"
    second = "  AdminFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: admin/\n"
    second += "      Handler: app.lambda_handler\n  OrdersTable:"
    template.write_text(template.read_text().replace("  OrdersTable:", second, 1))
    found = proposing.survey(root)
    assert found.suggested is None
    offer = proposing.offer(found, "ShopFunction")
    assert offer.blocked == {}
    assert len(offer.selectable) == 4
