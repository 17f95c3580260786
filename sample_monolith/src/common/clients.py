"""Lazily created boto3 clients.

Creating clients is slow-ish, so each one is built on first use and then
reused for the lifetime of the execution environment.
"""

from __future__ import annotations

import functools

import boto3
from botocore.client import BaseClient
from botocore.config import Config


@functools.cache
def s3_client() -> BaseClient:
    # SigV4 so presigned URLs work for KMS-encrypted objects too.
    return boto3.client("s3", config=Config(signature_version="s3v4"))


@functools.cache
def lambda_client() -> BaseClient:
    # The payment provider answers within a few seconds; do not retry a charge.
    return boto3.client("lambda", config=Config(read_timeout=15, retries={"max_attempts": 0}))


@functools.cache
def sfn_client() -> BaseClient:
    return boto3.client("stepfunctions")
