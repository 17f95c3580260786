"""`decompose verify` on a rollout in progress: one route shimmed, another extracted, side by side.

The sample is copied into git and split as a user rolls out: `plan --extract "GET /orders/{order_id}"`,
`apply --phase shim` (committed and deployed: GetOrderFunction runs the monolith's own code and build under
its scoped policy), then `plan --extract "POST /invoices"` and a plain `apply` (GetOrderFunction keeps its
recorded shim phase, CreateInvoiceFunction is extracted). verify then runs the shim from the monolith's
own package (its CodeUri and what its requirements.txt installs, under the import guard) and the extracted
function from its make target, against the baseline monolith built the same way; the template passes
cfn-lint and the SAM transform. A shim's policy missing a statement is denied: IAM is per function, so
verify's policy proof is the shim phase's guard.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from decompose.domain.model import Severity
from decompose.generation.validation import validate_template
from tests.conftest import REPO
from tests.verification.projects import IGNORED, cli, git

SAMPLE = REPO / "sample_monolith"
SHIM, EXTRACT = "GET /orders/{order_id}", "POST /invoices"


def _verify(root: Path) -> tuple[int, dict[str, Any]]:
    code, output = cli("verify", str(root), "--format", "json")
    return code, json.loads(output[output.index("{") :])


@pytest.fixture(scope="module")
def rollout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("verify-rollout") / "sample_monolith"
    shutil.copytree(SAMPLE, root, ignore=IGNORED)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the monolith")
    for args in (("plan", str(root), "--extract", SHIM), ("apply", str(root), "--phase", "shim")):
        code, output = cli(*args)
        assert code == 0, output
        git(root, "add", "-A")
        git(root, "commit", "-qm", args[0])
    for args in (("plan", str(root), "--extract", EXTRACT), ("apply", str(root))):
        code, output = cli(*args)
        assert code == 0, output
    return root


@pytest.fixture(scope="module")
def verified(rollout: Path) -> tuple[int, dict[str, Any]]:
    return _verify(rollout)


def test_the_shim_and_the_extracted_function_are_both_equivalent(verified: tuple[int, dict[str, Any]]) -> None:
    """Both kinds of new function answer every event like the monolith, every call within their policy."""
    code, document = verified
    assert code == 0, json.dumps(document["routes"], indent=2)[:4000]
    by_function = {r["function"]: r for r in document["routes"]}
    assert set(by_function) == {"GetOrderFunction", "CreateInvoiceFunction"}
    assert {(r["status"], r["policy"]) for r in by_function.values()} == {("equivalent", "allowed")}
    assert all(sorted(e["origin"] for e in r["events"]) == ["project", "synthesized"] for r in by_function.values())


def test_each_runs_from_its_own_build(verified: tuple[int, dict[str, Any]]) -> None:
    """The shim and the monolith run from their CodeUri with what its requirements.txt installs (fpdf2 too:
    the monolith's build installs it for every route); the extracted function from its make target only."""
    packages = {p["function"]: p for p in verified[1]["packages"]}
    for shim_like in ("MonolithFunction", "GetOrderFunction"):
        assert packages[shim_like]["source"] == "CodeUri src/ as a whole, requirements.txt"
        assert "fpdf2" in packages[shim_like]["distributions"]
        assert "invoices.py" in packages[shim_like]["files"]
    assert packages["CreateInvoiceFunction"]["source"] == "make build-CreateInvoiceFunction"
    assert "orders.py" not in packages["CreateInvoiceFunction"]["files"]


def test_the_template_of_both_phases_is_valid(rollout: Path) -> None:
    """cfn-lint reports no error and the SAM transform succeeds; the shim runs the monolith's handler with no
    build of its own, the extracted function its generated handler built by the Makefile."""
    text = (rollout / "template.yaml").read_text(encoding="utf-8")
    assert [f for f in validate_template(text, "template.yaml") if f.severity is Severity.ERROR] == []
    resources = decode_str(text)[0]["Resources"]
    shim, extracted = resources["GetOrderFunction"], resources["CreateInvoiceFunction"]
    assert shim["Properties"]["Handler"] == resources["MonolithFunction"]["Properties"]["Handler"]
    assert shim["Metadata"]["Decompose"]["Phase"] == "shim"
    assert "BuildMethod" not in shim["Metadata"]
    assert extracted["Metadata"]["BuildMethod"] == "makefile"
    assert extracted["Properties"]["Handler"] == "handlers.create_invoice.lambda_handler"


def test_a_shims_missing_statement_is_denied(rollout: Path, tmp_path: Path) -> None:
    """The shim runs the monolith's code under its own scoped role: a statement removed from its policy is a
    denied call before any deploy, since CodeDeploy never canaries a role."""
    root = tmp_path / "sample_monolith"
    shutil.copytree(rollout, root, symlinks=True)
    template = root / "template.yaml"
    text = template.read_text(encoding="utf-8")
    start = text.index("\n  GetOrderFunction:")
    indent = "\n" + " " * 12
    statement = re.compile(rf"{indent}- Effect: Allow{indent}  Action:{indent}    - dynamodb:GetItem\n.*")
    found = statement.search(text, start)
    assert found is not None
    template.write_text(text[: found.start()] + text[found.end() :], encoding="utf-8")
    code, document = _verify(root)
    route = next(r for r in document["routes"] if r["function"] == "GetOrderFunction")
    assert code == 1
    assert route["policy"] == "denied"
    assert any("has no statement allowing dynamodb:GetItem" in d["message"] for d in route["denied"])
