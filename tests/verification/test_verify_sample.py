"""`decompose verify` for real on the sample: plan + apply into a git copy, then verify through the CLI.

Two projects, each verified once (module-scoped: a run starts a fresh interpreter per variant under moto):
the sample split as `apply` leaves it, where every extracted route must be equivalent with every call
allowed; and a copy with one real defect planted in each of four functions, where verify must name each
one: a module the Makefile leaves out of a package, a changed response, a missing policy statement, and a
resource narrowed too far.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.verification.projects import cli, git, split_copy

SAMPLE = REPO / "sample_monolith"
ROUTES = ("GET /orders/{order_id}", "POST /invoices", "POST /payments", "S3 UploadsBucket")


@dataclass(frozen=True)
class Verified:
    """One verify run: the project, its exit code, its JSON document, the project's git status around it."""

    root: Path
    exit_code: int
    document: dict[str, Any]
    status_before: str
    status_after: str

    def route(self, function: str) -> dict[str, Any]:
        return next(r for r in self.document["routes"] if r["function"] == function)


def _verify(root: Path) -> Verified:
    before = git(root, "status", "--porcelain", "--untracked-files=all")
    code, output = cli("verify", str(root), "--format", "json")
    after = git(root, "status", "--porcelain", "--untracked-files=all")
    return Verified(root, code, json.loads(output[output.index("{") :]), before, after)


@pytest.fixture(scope="module")
def split_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return split_copy(SAMPLE, tmp_path_factory.mktemp("verify-sample"), ROUTES)


@pytest.fixture(scope="module")
def clean(split_sample: Path) -> Verified:
    return _verify(split_sample)


def _edit(path: Path, old: str, new: str, after: str = "") -> None:
    """Replace the first `old` (after the first `after`) in `path`; the test fails if it is not there."""
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    index = text.index(old, start)
    path.write_text(text[:index] + new + text[index + len(old) :], encoding="utf-8")


def _module_left_out(root: Path) -> None:
    _edit(root / "src" / "Makefile", "common/db_get_order.py ", "", after="build-GetOrderFunction:")


def _changed_response(root: Path) -> None:
    _edit(root / "src" / "routes" / "create_invoice.py", "201,", "200,", after="return json_response(")


def _missing_statement(root: Path) -> None:
    template = root / "template.yaml"
    text = template.read_text(encoding="utf-8")
    start = text.index("\n  CreatePaymentFunction:")
    statement = re.compile(
        r"\n            - Effect: Allow\n              Action:\n                - lambda:InvokeFunction\n.*"
    )
    found = statement.search(text, start)
    assert found is not None
    template.write_text(text[: found.start()] + text[found.end() :], encoding="utf-8")


def _narrowed(root: Path) -> None:
    _edit(root / "template.yaml", "s3:::${Name}/*", "s3:::${Name}/incoming/*", after="\n  UploadsBucketS3Function:")


DEFECTS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # function: (plant, what verify must report, a phrase of its message)
    "GetOrderFunction": (_module_left_out, "difference", "its package lacks 'common.db_get_order'"),
    "CreateInvoiceFunction": (
        _changed_response,
        "difference",
        "status 201 from the monolith, 200 from CreateInvoiceFunction",
    ),
    "CreatePaymentFunction": (_missing_statement, "denied", "policy has no statement allowing lambda:InvokeFunction"),
    "UploadsBucketS3Function": (_narrowed, "denied", "a resource narrowed too far"),
}


@pytest.fixture(scope="module")
def planted(split_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Verified:
    root = tmp_path_factory.mktemp("verify-planted") / "sample_monolith"
    shutil.copytree(split_sample, root, symlinks=True)
    for plant, _, _ in DEFECTS.values():
        plant(root)
    return _verify(root)


# ------------------------------------------------------------------------------------------ the clean split
def test_every_extracted_route_of_the_sample_is_equivalent_and_allowed(clean: Verified) -> None:
    """After `apply`, each new function answers every event like the monolith did, within its own policy."""
    assert clean.exit_code == 0, json.dumps(clean.document, indent=2)[:4000]
    assert clean.document["ok"] is True
    assert sorted(r["route"] for r in clean.document["routes"]) == sorted(ROUTES)
    assert {(r["status"], r["policy"]) for r in clean.document["routes"]} == {("equivalent", "allowed")}
    assert clean.document["summary"]["denied_calls"] == 0


def test_each_route_ran_its_recorded_event_and_a_synthesized_one(clean: Verified) -> None:
    """The sample's events reach their routes by trigger, and every route also gets a synthesized event."""
    for route in clean.document["routes"]:
        origins = sorted(e["origin"] for e in route["events"])
        assert origins == ["project", "synthesized"], route


def test_each_synthesized_http_event_says_which_body_keys_it_carries(clean: Verified) -> None:
    """The synthesized events carry the body keys the routes' code reads (through `parse_json_body` and
    `require_fields`), and the result says so; a non-HTTP event has no `input`."""
    inputs = {
        r["route"]: next(e["input"] for e in r["events"] if e["origin"] == "synthesized")
        for r in clean.document["routes"]
    }
    nothing = {"body_keys": [], "query": [], "headers": [], "context": [], "unknown": None}
    assert inputs["POST /invoices"] == {**nothing, "body_keys": ["order_id"]}
    assert inputs["POST /payments"]["body_keys"] == ["amount", "card_token", "currency", "order_id"]
    assert inputs["GET /orders/{order_id}"] == nothing
    assert inputs["S3 UploadsBucket"] is None


def test_the_baseline_is_the_monolith_before_the_split(clean: Verified) -> None:
    """The monolith compared against is HEAD's (before apply), not the refactored working tree."""
    head = git(clean.root, "rev-parse", "--short", "HEAD").strip()
    assert clean.document["baseline"] == f"git {head}"


def test_each_function_ran_with_only_its_own_package(clean: Verified) -> None:
    """The new function's files are exactly what its make target copies: another route's module is not there."""
    packages = {p["function"]: p for p in clean.document["packages"]}
    files = packages["GetOrderFunction"]["files"]
    assert "handlers/get_order.py" in files
    assert not any(f.startswith(("invoices", "payments", "uploads", "routes/create_invoice")) for f in files)
    assert packages["GetOrderFunction"]["source"] == "make build-GetOrderFunction"
    assert "fpdf2" in packages["CreateInvoiceFunction"]["distributions"]
    assert "fpdf2" not in packages["GetOrderFunction"]["distributions"]
    # the monolith ran from its own build too: the baseline's CodeUri and what its requirements.txt installs
    assert packages["MonolithFunction"]["source"] == "CodeUri src/ as a whole, requirements.txt"
    assert {"fpdf2", "boto3"} <= set(packages["MonolithFunction"]["distributions"])
    assert "flask" not in packages["MonolithFunction"]["distributions"]  # installed here, not in its build


def test_verify_writes_nothing_into_the_project(clean: Verified) -> None:
    """The project's files are as `apply` left them: verify works in a temporary folder."""
    assert clean.status_after == clean.status_before


# ----------------------------------------------------------------------------------------- planted defects
@pytest.mark.parametrize("function", sorted(DEFECTS))
def test_verify_catches_each_planted_defect_with_a_clear_message(planted: Verified, function: str) -> None:
    """A module left out, a changed response, a missing statement, a too-narrow resource: each is named."""
    _, kind, phrase = DEFECTS[function]
    route = planted.route(function)
    if kind == "difference":
        assert route["status"] == "different"
        messages = [d["message"] for d in route["differences"]]
    else:
        assert route["policy"] == "denied"
        messages = [d["message"] for d in route["denied"]]
    assert any(phrase in m for m in messages), messages


def test_a_planted_defect_fails_the_run(planted: Verified) -> None:
    """Any difference or denied call makes verify exit 1, for CI."""
    assert planted.exit_code == 1
    assert planted.document["ok"] is False
    assert planted.document["summary"]["different"] == 2
    assert planted.document["summary"]["equivalent"] == 2


def test_a_narrowed_resource_names_what_the_policy_does_allow(planted: Verified) -> None:
    """The denied call says which resource the narrowed statement still covers, and the concrete ARN asked for."""
    (denied,) = [d for d in planted.route("UploadsBucketS3Function")["denied"] if d["by"] == "evaluator"]
    assert denied["action"] == "s3:GetObject"
    assert denied["resource"] == "arn:aws:s3:::shop-monolith-uploads-123456789012/uploads/catalogue-2024-06.csv"
    assert "incoming/*" in denied["message"]


# --------------------------------------------------------------------------------------------- bad input
def test_a_project_not_split_yet_is_a_usage_error(tmp_path: Path) -> None:
    """verify before apply says what to do, in one line, exit 2."""
    root = tmp_path / "app"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".pytest_cache", "__pycache__"))
    code, output = cli("verify", str(root))
    assert code == 2
    assert "no function split by decompose" in output
    assert "run `decompose apply` first" in output
    assert "Traceback" not in output


def test_a_missing_events_folder_is_a_usage_error(split_sample: Path, tmp_path: Path) -> None:
    """--events naming no folder is refused before anything runs."""
    code, output = cli("verify", str(split_sample), "--events", str(tmp_path / "nowhere"))
    assert code == 2
    assert "no such folder" in output


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("tables: [\n", "decompose-seed.yaml:2"),
        ("tables:\n  NoSuchTable: []\n", "decompose-seed.yaml:2: NoSuchTable is not a table of the template"),
        ("buckets: {}\n", "decompose-seed.yaml:1: unknown section 'buckets'"),
    ],
)
def test_a_bad_seed_file_names_the_file_and_line(split_sample: Path, tmp_path: Path, seed: str, message: str) -> None:
    """A seed that does not read, or names what the template does not hold, is one line with file:line, exit 2."""
    events = tmp_path / "events"
    events.mkdir()
    (events / "decompose-seed.yaml").write_text(seed, encoding="utf-8")
    code, output = cli("verify", str(split_sample), "--events", str(events), "--format", "json")
    assert code == 2
    assert message in output
    assert json.loads(output[: output.rindex("}") + 1])["error"]["exit_code"] == 2
