"""Precision of the anti-pattern rules on public Lambda apps nobody here wrote, against verdicts read by hand.

    .venv/bin/python bench/bench_rules.py               # every app: its findings, each with its verdict
    .venv/bin/python bench/bench_rules.py --mirror DIR  # mirrors elsewhere (default /work/.mirror)

Each app is materialized from a bare git mirror (`DIR/owner+name/repo`, what the `fetch` tool brings) with
`git archive` of the recorded commit (no third-party code is committed here), analyzed by `decompose analyze
--format json` in a subprocess, and every anti-pattern finding is looked up in VERDICTS (app, rule, location)
-> (true?, why). A finding without a verdict is printed as UNJUDGED: read the code and add one. The table at
the end is per rule: findings, true, false, unjudged.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from decompose.rules import rule_ids  # noqa: E402

# name, repository, commit, folder, analyze arguments (from that folder)
APPS = [
    (
        "shopping-cart",
        "aws-samples/aws-serverless-shopping-cart",
        "66a863f1b7a2a7f319adddce6a55e090ce9f6734",
        "backend",
        ["shoppingcart-service.yaml"],
    ),
    (
        "ecommerce-orders",
        "aws-samples/aws-serverless-ecommerce-platform",
        "3b9ef36dd3e338c8ab697c2bcb1b672e064e303c",
        "orders",
        ["template.yaml"],
    ),
    (
        "ecommerce-warehouse",
        "aws-samples/aws-serverless-ecommerce-platform",
        "3b9ef36dd3e338c8ab697c2bcb1b672e064e303c",
        "warehouse",
        ["template.yaml"],
    ),
    (
        "rdsdata-school",
        "JDavidGuzman/sam-python-rdsdata",
        "7f858b95b540b6783965c9ccd007d9d44de13928",
        ".",
        ["template.yaml"],
    ),
    (
        "s3-app",
        "hryssmz/aws-sam-python",
        "1a34ce6c346ae41a62367d7bb089ca8f5d5b9170",
        ".",
        ["templates/s3_app/template.yml"],
    ),
    (
        "product-inventory",
        "otkhwae/serverless-app",
        "677b1fbb0c6e4e490aa07a69518ed468ab25f3d7",
        "modules/lambda",
        [".", "--handler", "lambda_function.lambda_handler"],
    ),
    (
        "mlops-orchestration",
        "aws-solutions/mlops-workload-orchestrator",
        "debb6896e15dd9ff8f4b5b01e33172ad5572471d",
        "source/lambdas/pipeline_orchestration",
        [".", "--handler", "index.handler"],
    ),
    (
        "wd-assignment",
        "ruben-asp/wd-assignment",
        "1bc6cf97f422e8c8526d3aceeeb0b2b2cf3a0aa9",
        "src",
        [".", "--handler", "lambda_function.lambda_handler"],
    ),
    ("powertools-sushi", "s33dunda/powertools", "bccb4d8c6355a529a9a4b5e455dd0c394341f02e", ".", ["template.yaml"]),
    *(
        (
            f"serverless-spa-{module}",
            "Telugua/ServerlessSPA",
            "4766f6085b18d0d37050b062804593d62668142f",
            "ServerlessSPA/lambda",
            [".", "--handler", f"{module}.lambda_handler"],
        )
        for module in (
            "S3Web_03_CertWait",
            "S3Web_05_BucketPipelineWait",
            "S3Web_07_WAFWait",
            "S3Web_09_CloudfrontWait",
            "S3Web_11_CnameWait",
            "zSample_create_stack",
            "zSample_invoke_stepfunction",
        )
    ),
]

VERDICTS: dict[tuple[str, str, str | None], tuple[bool, str]] = {
    ("shopping-cart", "recursive-trigger", "shopping-cart-service/db_stream_handler.py:62"): (
        False,
        "bounded: the stream handler adds to `totalquantity` items of its own table, and skips them when they come"
        " back (it only counts keys whose sk starts with product#): one extra invocation per batch, no loop",
    ),
    ("ecommerce-warehouse", "lambda-monolith", "template.yaml:98"): (
        True,
        "OnOrderEventsFunction serves two EventBridge rules through two entry points (info: two routes)",
    ),
    ("mlops-orchestration", "lambda-monolith", None): (
        True,
        "index.handler serves POST /provisionpipeline, POST /pipelinestatus and S3 events in one function",
    ),
    ("powertools-sushi", "lambda-monolith", "template.yaml:38"): (
        True,
        "PowertoolsFunction serves five order routes through one resolver",
    ),
    **{
        (f"serverless-spa-{module}", "synchronous-wait", f"{module}.py:{line}"): (
            True,
            "the function waits for a CloudFormation stack with stack_create_complete: up to an hour, past Lambda's"
            " 15-minute limit (the workflow around it is already a Step Functions machine: a Wait state loop fits)",
        )
        for module, line in (
            ("S3Web_03_CertWait", 43),
            ("S3Web_05_BucketPipelineWait", 44),
            ("S3Web_07_WAFWait", 43),
            ("S3Web_09_CloudfrontWait", 43),
            ("S3Web_11_CnameWait", 43),
        )
    },
    ("serverless-spa-zSample_create_stack", "synchronous-wait", "zSample_create_stack.py:34"): (
        True,
        "two ssm.get_parameter calls on two parameter names, neither using the other's result (one GetParameters)",
    ),
    ("serverless-spa-zSample_invoke_stepfunction", "synchronous-wait", "zSample_invoke_stepfunction.py:90"): (
        True,
        "a fixed 10 s sleep after organizations.create_account before polling its status",
    ),
    ("serverless-spa-zSample_invoke_stepfunction", "synchronous-wait", "zSample_invoke_stepfunction.py:93"): (
        True,
        "while account_status == 'IN_PROGRESS': describe_create_account_status with no pause",
    ),
    ("serverless-spa-zSample_invoke_stepfunction", "synchronous-wait", "zSample_invoke_stepfunction.py:117"): (
        True,
        "ssm.put_parameter on IdList, then ssm.get_parameter on NameList: different parameters, independent",
    ),
}


def materialize(mirror: Path, repo: str, commit: str, folder: str, into: Path) -> Path | None:
    git_dir = mirror / repo.replace("/", "+") / "repo"
    if (git_dir / ".git").is_dir():
        git_dir = git_dir / ".git"
    archive = subprocess.run(
        ["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit, folder], capture_output=True, check=False
    )
    if archive.returncode:
        return None
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    options = parser.parse_args()
    ids = rule_ids()
    totals: dict[str, Counter] = {rule: Counter() for rule in sorted(ids)}
    for name, repo, commit, folder, arguments in APPS:
        with tempfile.TemporaryDirectory() as scratch:
            root = materialize(options.mirror, repo, commit, folder, Path(scratch))
            if root is None:
                print(f"## {name}: not fetched (fetch github:{repo})")
                continue
            command = [sys.executable, "-m", "decompose", "analyze", *arguments, "--format", "json"]
            done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
            document = json.loads(done.stdout)
        routes = sum(len(f["routes"]) for f in document["functions"])
        print(f"## {name} ({repo}@{commit[:10]}/{folder}): {len(document['functions'])} functions, {routes} routes")
        for finding in document["findings"]:
            if finding["rule"] not in ids:
                continue
            verdict = VERDICTS.get((name, finding["rule"], finding["location"]))
            label = "UNJUDGED" if verdict is None else ("true" if verdict[0] else "FALSE")
            totals[finding["rule"]]["findings"] += 1
            totals[finding["rule"]][label.lower()] += 1
            print(f"- {label}: {finding['severity']} {finding['rule']} at {finding['location']}: {finding['message']}")
            if verdict is not None:
                print(f"  ({verdict[1]})")
    print()
    print("| rule | findings | true | false | unjudged |")
    print("|---|---:|---:|---:|---:|")
    for rule, count in totals.items():
        print(f"| {rule} | {count['findings']} | {count['true']} | {count['false']} | {count['unjudged']} |")


if __name__ == "__main__":
    main()
