"""What extracting each function gains, measured: its package, IAM actions and third-party import time against
the monolith's, on real installed distributions and a real `python -X importtime`."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose import proposing
from decompose.domain.gains import Gain
from decompose.planning.gains import ImportTimer, import_names, installed_bytes
from tests.conftest import sam_template, write_app
from tests.planning.apps import shop

APP = """
import pages
import store


def lambda_handler(event, context):
    if event["path"] == "/page":
        return pages.page()
    if event["path"] == "/item":
        return store.item()
    return {"statusCode": 404}
"""

PAGES = """
import jinja2


def page():
    return jinja2.Template("<p>{{ x }}</p>").render(x=1)
"""

STORE = """
import boto3


def item():
    return boto3.client("s3").get_object(Bucket="b", Key="k")
"""

EVENTS = """
Page:
  Type: Api
  Properties: {Path: /page, Method: get}
Item:
  Type: Api
  Properties: {Path: /item, Method: get}
"""


def _gains(root: Path) -> dict[str, Gain]:
    offer = proposing.offer(proposing.survey(root), str(proposing.survey(root).candidates[0].spec.logical_id))
    return {g.routes[0]: g for g in offer.gains}


@pytest.fixture(scope="module")
def two_routes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Gain]:
    """A monolith whose page route imports jinja2 and whose item route only boto3."""
    root = write_app(
        tmp_path_factory.mktemp("gains"),
        {
            "template.yaml": sam_template(EVENTS),
            "src/app.py": APP,
            "src/pages.py": PAGES,
            "src/store.py": STORE,
            "src/requirements.txt": "jinja2\nboto3\n",
        },
    )
    return _gains(root)


def test_a_route_without_the_heavy_library_drops_it_and_its_dependencies(two_routes: dict[str, Gain]) -> None:
    """The item route leaves jinja2 and the markupsafe it requires behind; the page route keeps both."""
    item, page = two_routes["GET /item"], two_routes["GET /page"]
    assert {"jinja2", "markupsafe"} <= set(item.dropped)
    assert {"jinja2", "markupsafe"} <= set(page.own.distributions)
    assert "botocore" in item.own.distributions  # boto3's own requirement, transitively


def test_package_bytes_are_the_installed_records(two_routes: dict[str, Gain]) -> None:
    """The monolith's package is its code plus every distribution's RECORD size; a function's is smaller."""
    item = two_routes["GET /item"]
    whole = item.monolith
    assert whole.distribution_bytes == sum(installed_bytes(d) or 0 for d in whole.distributions)
    assert item.own.package_bytes is not None
    assert item.own.package_bytes < (whole.package_bytes or 0)
    assert item.package_ratio is not None
    assert 0 < item.package_ratio < 1


def test_import_time_counts_each_module_once_and_only_third_party(two_routes: dict[str, Gain]) -> None:
    """The monolith's figure is one interpreter importing both routes' libraries; each route's, its own; the
    saving is their difference (timings are not compared: a loaded machine is noisy, see bench/)."""
    item, page = two_routes["GET /item"], two_routes["GET /page"]
    assert item.own.import_ms is not None
    assert page.own.import_ms is not None
    assert item.monolith.import_ms is not None
    assert item.import_saved_ms == pytest.approx(item.monolith.import_ms - item.own.import_ms)


def test_iam_actions_against_the_monolith_role(tmp_path: Path) -> None:
    """Each shop route grants one action where the role (DynamoDBCrudPolicy and S3ReadPolicy, expanded by AWS's
    catalogue) grants many more; the code files are the modules each route reaches."""
    gains = _gains(shop(tmp_path))
    assert {g.own.actions for g in gains.values()} == {1}
    assert all((g.monolith.actions or 0) > 10 for g in gains.values())
    assert gains["S3 UploadsBucket"].own.code_files == 1
    assert gains["GET /orders"].monolith.code_files == 3


def test_a_distribution_not_installed_has_no_size_and_says_so(tmp_path: Path) -> None:
    """A requirement that is not installed here: the monolith's package bytes are None (never a guess) and
    every gain names it in `unmeasured`."""
    root = shop(tmp_path)
    (root / "src" / "requirements.txt").write_text("boto3\nnot-a-real-distribution-xyz\n", encoding="utf-8")
    gains = _gains(root)
    for gain in gains.values():
        assert gain.monolith.package_bytes is None
        assert gain.package_ratio is None
        assert (
            "not-a-real-distribution-xyz is not installed where decompose runs: its size is unknown" in gain.unmeasured
        )


def test_the_import_timer_reads_python_importtime() -> None:
    """A real interpreter's `-X importtime`: jinja2's closure holds jinja2 and markupsafe; an unknown name is None."""
    timer = ImportTimer()
    closures = timer.measure(["Jinja2", "no-such-distribution-xyz"])
    jinja = closures["jinja2"]
    assert jinja is not None
    assert {"jinja2", "markupsafe"} <= set(jinja)
    assert closures["no-such-distribution-xyz"] is None
    assert (timer.cost_ms(["jinja2"]) or 0) > 0
    assert timer.cost_ms(["jinja2", "no-such-distribution-xyz"]) is None
    assert import_names("fpdf2") in ((), ("fpdf",))


def test_a_set_of_distributions_is_imported_together_each_module_once() -> None:
    """jinja2 with markupsafe (which it imports itself) loads exactly the modules jinja2 alone loads, and the
    union with click holds both closures' modules."""
    timer = ImportTimer()
    jinja = timer.closure(["jinja2"])
    both = timer.closure(["jinja2", "markupsafe"])
    together = timer.closure(["jinja2", "click"])
    assert jinja is not None
    assert both is not None
    assert together is not None
    assert set(both) == set(jinja)
    assert {"jinja2", "click", "markupsafe"} <= set(together)
