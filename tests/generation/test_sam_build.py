"""`sam build` of a split project: every artifact holds exactly its function's modules and distributions.

aws-sam-cli comes from `make test` (its own venv, `.venv/sam`, because it pins click, boto3 and
aws-sam-translator to other versions than ours). The build is offline-honest: the wheels the project's
requirements need for the Lambda platform are downloaded once into a wheelhouse (through the machine's
ordinary pip configuration), then `sam build` runs with `PIP_CONFIG_FILE=/dev/null`, `PIP_NO_INDEX=1` and only
that wheelhouse, inside a network namespace of its own where `unshare` exists: whatever the artifacts hold
came from the split's Makefile targets and that wheelhouse, not from a local index the machine's pip config
happens to add.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from decompose.analysis.distributions import normalise
from decompose.domain.plan import FunctionPackage
from decompose.generation.packages import _transitive
from tests.conftest import FIXTURES, REPO, write_app
from tests.generation.splitting import Split, Wanted, split

PLATFORMS = {
    "x86_64": ["manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux2014_x86_64"],
    "aarch64": ["manylinux_2_34_aarch64", "manylinux_2_28_aarch64", "manylinux2014_aarch64"],
}


def sam_cli() -> str:
    for candidate in (
        os.environ.get("DECOMPOSE_SAM"),
        str(REPO / ".venv" / "sam" / "bin" / "sam"),
        shutil.which("sam"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("aws-sam-cli is not installed: `make test` installs it in .venv/sam")


@cache
def runtime_python(version: str) -> Path | None:
    """A python<version> interpreter (SAM's own builder for the monolith needs one on PATH)."""
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "--version"], capture_output=True, check=False).returncode == 0:
        return Path(found)
    candidates = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}*/bin/python{version}"))
    return candidates[-1] if candidates else None


@pytest.fixture(scope="session")
def wheelhouse(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the apps' requirements for Lambda python3.12 on both architectures, downloaded once."""
    cache = getattr(request.config, "cache", None)  # kept between runs unless the cache plugin is off
    folder = Path(cache.mkdir("decompose-wheelhouse")) if cache else tmp_path_factory.mktemp("wheelhouse")
    requirements = ["boto3>=1.34", "fpdf2>=2.7.8"]
    for machine, platforms in PLATFORMS.items():
        stamp = folder / f".done-{machine}"
        if stamp.exists():
            continue
        flags = [f"--platform={p}" for p in platforms]
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--implementation=cp"]
        command += ["--python-version=3.12", *flags, "--dest", str(folder), *requirements]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.skip(f"cannot download the wheelhouse for the build: {result.stderr.strip()[-300:]}")
        stamp.touch()
    return folder


@pytest.fixture(scope="session")
def lambda_runtime(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """boto3 as the Lambda python3.12 runtime provides it (on sys.path after the function's code)."""
    folder = tmp_path_factory.mktemp("lambda-runtime")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheelhouse)]
    command += ["--only-binary=:all:", "--implementation=cp", "--python-version=3.12"]
    command += [f"--platform={p}" for p in PLATFORMS["x86_64"]]
    subprocess.run([*command, "--target", str(folder), "boto3"], check=True, capture_output=True)
    return folder


def sam_build(root: Path, wheelhouse: Path, *resource: str) -> Path:
    """Run `sam build` on `root` with only `wheelhouse` to install from; returns the build folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env |= {
        "PIP_CONFIG_FILE": "/dev/null",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "SAM_CLI_TELEMETRY": "0",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    }
    python = runtime_python("3.12")
    if python is not None:
        env["PATH"] = os.pathsep.join([str(python.parent), env["PATH"]])
    command = [sam_cli(), "build", "--template-file", "template.yaml", "--build-dir", ".aws-sam/build", *resource]
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], check=False).returncode == 0:
        command = ["unshare", "-n", *command]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / ".aws-sam" / "build"


def installed(artifact: Path) -> tuple[set[str], set[str]]:
    """(normalised distribution names, files they installed) in an artifact folder."""
    names, files = set(), set()
    for info in artifact.glob("*.dist-info"):
        metadata = (info / "METADATA").read_text(encoding="utf-8")
        names.add(
            normalise(next(ln for ln in metadata.splitlines() if ln.startswith("Name:")).split(":", 1)[1].strip())
        )
        for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
            # scripts and data files (`../../../bin/x`) land beside the packages with `pip install --target`
            parts = [p for p in Path(line.split(",")[0]).parts if p != ".."]
            files.add("/".join(parts))
    return names, files


def first_party(artifact: Path) -> list[str]:
    """The artifact's files that no installed distribution put there."""
    _, owned = installed(artifact)
    out = []
    for path in artifact.rglob("*"):
        rel = path.relative_to(artifact).as_posix()
        if path.is_file() and rel not in owned and ".dist-info/" not in rel and "__pycache__" not in rel:
            out.append(rel)
    return sorted(out)


def expected_distributions(package: FunctionPackage) -> set[str]:
    """The distributions a package's requirement lines bring, with what they require (installed metadata)."""
    names = set()
    for line in package.distributions:
        name = normalise(line.split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip())
        names |= {name, *_transitive(name, frozenset())}
    return names


def assert_exact(build: Path, done: Split) -> None:
    """Each function's artifact: exactly its package's files and the distributions its lines bring."""
    for package in done.packaging.packages:
        artifact = build / package.logical_id
        assert first_party(artifact) == list(package.files), package.logical_id
        names, _ = installed(artifact)
        assert names == expected_distributions(package), package.logical_id


def assert_imports(build: Path, done: Split, runtime: Path) -> None:
    """Each artifact imports its handler in a fresh python3.12 with only what Lambda adds (its boto3)."""
    python = runtime_python("3.12")
    if python is None:
        pytest.skip("no python3.12 here to import the python3.12 artifacts with")
    for package, function in zip(done.packaging.packages, done.functions, strict=True):
        env = dict.fromkeys(package.environment, "1")  # a value int() and str users both accept
        env |= {"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
        module = function.spec.handler_module
        result = subprocess.run(
            [
                str(python),
                "-I",
                "-c",
                f"import sys; sys.path[:0] = ['.']; sys.path.append({str(runtime)!r}); import {module}",
            ],
            cwd=build / package.logical_id,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{package.logical_id}: {result.stderr[-2000:]}"


SAMPLE_HANDLERS = {
    "handlers/__init__.py": "",
    "handlers/get_order.py": '''
        """Generated by decompose (written by hand in the test): GET /orders/{order_id}."""
        import re

        import orders
        from common.responses import error_response
        from common.validation import ValidationError

        ORDER_PATH = re.compile(r"/orders/(?P<order_id>[^/]+)")


        def lambda_handler(event, context):
            path = event["path"].rstrip("/") or "/"
            try:
                return orders.get_order(event, ORDER_PATH.fullmatch(path)["order_id"])
            except ValidationError as exc:
                return error_response(400, str(exc))
    ''',
    "handlers/create_invoice.py": '''
        """Generated by decompose (written by hand in the test): POST /invoices."""
        import invoices
        from common.responses import error_response
        from common.validation import ValidationError


        def lambda_handler(event, context):
            try:
                return invoices.create_invoice(event)
            except ValidationError as exc:
                return error_response(400, str(exc))
    ''',
    "handlers/upload_catalogue.py": '''
        """Generated by decompose (written by hand in the test): S3 UploadsBucket."""
        import uploads


        def lambda_handler(event, context):
            reports = [uploads.handle_upload(r) for r in event["Records"] if r.get("eventSource") == "aws:s3"]
            return {"processed": len(reports), "reports": reports}
    ''',
}


def test_sam_build_of_the_split_sample(tmp_path: Path, wheelhouse: Path, lambda_runtime: Path) -> None:
    """Three functions split from the sample build with exactly their modules; only the invoice one has fpdf2."""
    root = tmp_path / "shop"
    shutil.copytree(REPO / "sample_monolith", root, ignore=shutil.ignore_patterns(".aws-sam", "__pycache__"))
    write_app(root / "src", SAMPLE_HANDLERS)
    done = split(
        root,
        "MonolithFunction",
        {
            "GetOrderFunction": Wanted(("GET /orders/{order_id}",), "handlers.get_order.lambda_handler"),
            "CreateInvoiceFunction": Wanted(("POST /invoices",), "handlers.create_invoice.lambda_handler"),
            "UploadCatalogueFunction": Wanted(("S3 UploadsBucket",), "handlers.upload_catalogue.lambda_handler"),
        },
    )
    build = sam_build(root, wheelhouse)
    assert_exact(build, done)
    carrying = {p.logical_id for p in done.packaging.packages if any(d.startswith("fpdf2") for d in p.distributions)}
    assert carrying == {"CreateInvoiceFunction"}
    assert not (build / "GetOrderFunction" / "fpdf").exists()
    assert (build / "CreateInvoiceFunction" / "fpdf").is_dir()
    if runtime_python("3.12") is not None:  # SAM's own python builder needs the runtime's interpreter
        monolith = build / "MonolithFunction"
        assert (monolith / "app.py").is_file()
        assert (monolith / "fpdf").is_dir()
    assert_imports(build, done, lambda_runtime)


def test_sam_build_of_a_split_fixture_on_arm64(tmp_path: Path, wheelhouse: Path, lambda_runtime: Path) -> None:
    """http_api_v2 (arm64, HTTP API with $default) with its requirements at the CodeUri: the split functions
    build for aarch64 with only boto3."""
    root = tmp_path / "carts"
    shutil.copytree(FIXTURES / "http_api_v2", root)
    shutil.copy(root / "requirements.txt", root / "src" / "requirements.txt")  # what SAM installs for the monolith
    write_app(
        root / "src",
        {
            "handlers/__init__.py": "",
            "handlers/checkout.py": '''
                """Generated by decompose (written by hand in the test): POST /carts/{cart_id}/checkout."""
                import re

                import carts

                CHECKOUT = re.compile(r"/carts/(?P<cart_id>[A-Za-z0-9-]+)/checkout")


                def lambda_handler(event, context):
                    return carts.checkout(CHECKOUT.fullmatch(event["rawPath"])["cart_id"], event)
            ''',
            "handlers/get_item.py": '''
                """Generated by decompose (written by hand in the test): GET /items/{id}."""
                from catalog import service as catalog


                def lambda_handler(event, context):
                    return catalog.get_item(event["pathParameters"]["id"])
            ''',
        },
    )
    done = split(
        root,
        "ShopFunction",
        {
            "CheckoutFunction": Wanted(("POST /carts/{cart_id}/checkout",), "handlers.checkout.lambda_handler"),
            "GetItemFunction": Wanted(("GET /items/{id}",), "handlers.get_item.lambda_handler"),
        },
    )
    makefile = (root / "src" / "Makefile").read_text(encoding="utf-8")
    assert "PLATFORM_python3_12_arm64 = --python-version 3.12 --platform manylinux_2_34_aarch64" in makefile
    packages = {p.logical_id: p for p in done.packaging.packages}
    assert "carts.py" not in packages["GetItemFunction"].files
    assert "catalog/store.py" in packages["CheckoutFunction"].files  # checkout prices the cart from the catalog
    build = sam_build(root, wheelhouse)
    assert_exact(build, done)
    assert (build / "ShopFunction" / "app.py").is_file()
    assert_imports(build, done, lambda_runtime)
