"""Value objects of the least-privilege stage: SDK calls found in the code, the IAM actions they need,
and the permissions bound to the template's resources.

Like the rest of the domain they are inert: no botocore, no YAML, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from decompose.domain.model import Location


@dataclass(frozen=True, order=True)
class ValueSource:
    """Where a string argument of an SDK call comes from, as far as static analysis can tell.

    kind: "literal" (value is the string), "env" (value is the environment variable's name),
    "event" (value is the dotted path into the route's event, e.g. "s3.bucket.name"), "unknown"
    (value says why). `prefix` and `suffix` are the constant ends of a computed string
    (f"invoices/{id}.pdf" -> "invoices/" and ".pdf").
    """

    kind: str
    value: str = ""
    prefix: str = ""
    suffix: str = ""

    @property
    def known(self) -> bool:
        return self.kind in ("literal", "env", "event")


@dataclass(frozen=True)
class SdkCall:
    """One AWS API operation a route can perform, found at a call site.

    `service` is the botocore client name ("s3", "dynamodb", "stepfunctions"), `operation` the botocore
    operation name ("PutObject"). `params` are the keyword arguments the call passes (resource identifiers of
    boto3 resource objects included, e.g. TableName for Table.put_item), each with its ValueSource; the
    names of arguments whose values are not strings are present with kind "unknown" so that conditional
    mappings (VersionId, ACL, Tagging, IndexName...) can test for them. `via` says how the call is made
    ("client", "resource Table.put_item", "paginator query", "waiter object_exists", "presign get_object",
    "transfer upload_file").
    """

    service: str
    operation: str
    location: Location
    params: tuple[tuple[str, ValueSource], ...] = ()
    via: str = "client"

    def param(self, name: str) -> ValueSource | None:
        return next((source for key, source in self.params if key == name), None)


@dataclass(frozen=True)
class LibraryCall:
    """A call of a library function the anti-pattern rules read (`time.sleep`, `requests.post`...).

    `function` is the dotted name the call resolves to ("time.sleep", "requests.Session().get": `()` marks
    a method of an instance the code constructed). `argument` is the source of the one argument the table
    of library calls names for that function (the URL of an HTTP call), `base` the source of its first piece
    when it is built from pieces (f"{os.environ['API']}/orders" -> env API, with `argument` "/orders" as its
    suffix).
    """

    function: str
    location: Location
    argument: ValueSource | None = None
    base: ValueSource | None = None


@dataclass(frozen=True)
class ActionNeed:
    """One IAM action an SDK call needs, and on what kind of resource.

    `resource_type` is the IAM resource type ("bucket", "object", "table", "index", "stream", "queue",
    "topic", "function", "stateMachine", "event-bus", "secret", "parameter", "key") or "*" for actions that
    take no resource. `resource_param` names the call parameter that identifies the resource ("Bucket",
    "CopySource", "TableName", "QueueUrl"...). `suffix_param` names a parameter whose value refines the ARN
    (IndexName for an index, Key for an object prefix). `source` cites where the mapping comes from.
    """

    action: str
    resource_type: str
    resource_param: str | None = None
    suffix_param: str | None = None
    source: str = "botocore model: operation name under the service's IAM prefix"


@dataclass(frozen=True)
class Permission:
    """A granted action on a resource, with how it was derived and the call site that needs it.

    `resource` is the template's logical id plus the ARN suffix the action needs (`InvoicesBucket/*`,
    `OrdersTable/index/byCustomer`), a literal ARN when the resource is not in the template, or `*`.
    `arn` is the CloudFormation expression (JSON-able) for the policy document.
    """

    action: str
    resource: str
    arn: Any
    location: Location
    via: str
