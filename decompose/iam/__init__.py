"""Least-privilege IAM: from the SDK calls a route makes to the IAM actions it needs.

- `models` reads botocore's and boto3's own JSON models (operations, input members, paginators, waiters,
  boto3 resources, IAM prefixes): they are the source of truth for what a call does.
- `mapping` turns one `SdkCall` into the `ActionNeed`s it requires. The rule is one action per operation,
  `<iam prefix>:<Operation>`; every exception to it lives in `data/iam_mapping.json`, each with its source.
- `lint` checks a finished policy document with parliament.
- `completeness` is the net under the inference: calls named like AWS operations on receivers it could not
  resolve are gaps, so a policy is complete or marked incomplete, never quietly smaller.
"""
