"""The projects the dry-run tests report on: the sample monolith, and the planning tests' shop app with one route
whose path holds everything that could break a rendering (quotes, a newline, `<script>`, backticks, Markdown)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from decompose.cli import main
from tests.conftest import REPO
from tests.planning.apps import shop

HOSTILE_PATH = "/orders/\"q'<script>window.pwned=1</script>`x``|*_[y](z)\n#end &amp; ]]> -->"
HOSTILE_ROUTE = f"GET {HOSTILE_PATH}"
SAMPLE_ROUTES = ("GET /orders/{order_id}", "POST /orders", "S3 UploadsBucket")


def planned(root: Path, *extract: str) -> Path:
    """`decompose plan root --extract ...` through the CLI; the plan marks `extract` for extraction."""
    args = [a for route in extract for a in ("--extract", route)]
    result = CliRunner().invoke(main, ["plan", str(root), *args])
    assert result.exit_code == 0, result.output
    return root


def sample(root: Path) -> Path:
    """A copy of sample_monolith under `root`, planned with three routes extracted."""
    target = root / "sample_monolith"
    shutil.copytree(REPO / "sample_monolith", target, ignore=shutil.ignore_patterns(".pytest_cache", "__pycache__"))
    return planned(target, *SAMPLE_ROUTES)


def hostile_shop(root: Path) -> Path:
    """The shop app with `GET /orders` renamed to `HOSTILE_ROUTE` (in the code and the template), planned with it
    and `POST /orders` extracted."""
    shop(root)
    app = root / "src" / "app.py"
    text = app.read_text(encoding="utf-8")
    listing = 'path == "/orders":\n        return orders.list_orders()'
    assert listing in text
    app.write_text(text.replace(listing, f"path == {HOSTILE_PATH!r}:\n        return orders.list_orders()"))
    template = root / "template.yaml"
    event = "Properties: {Path: /orders, Method: get}"
    assert event in template.read_text(encoding="utf-8")
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            event, f"Properties: {{Path: {json.dumps(HOSTILE_PATH)}, Method: get}}"
        )
    )
    return planned(root, HOSTILE_ROUTE, "POST /orders")
