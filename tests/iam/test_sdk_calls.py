"""SdkCallFinder: every AWS call a route can make, wherever its client or resource object comes from."""

from __future__ import annotations

import textwrap

import pytest

from decompose.analysis.graph import DefinitionGraph
from decompose.analysis.symbols import SymbolTable
from decompose.iam.completeness import project_services
from decompose.iam.sdk_calls import PASSES, RERUN, LibraryTable, SdkCallFinder
from decompose.loading.source import read_sources
from tests.conftest import write_app

IDENTIFYING = ("Bucket", "TableName", "QueueUrl", "TopicArn", "FunctionName", "RequestItems", "IndexName")


def sdk_calls(tmp_path, files: dict[str, str], entry: str = "app.handler") -> set[tuple[str, str, tuple]]:
    """(service, operation, identifying params) of the calls reachable from `entry` in a tiny app."""
    write_app(tmp_path, {name: textwrap.dedent(text) for name, text in files.items()})
    symbols = SymbolTable(read_sources(tmp_path, tmp_path))
    graph = DefinitionGraph(symbols)
    reached = graph.reach(entry).nodes
    found = set()
    for call in SdkCallFinder(symbols, graph, reached, entry).calls():
        identifying = IDENTIFYING + (("Key",) if call.service == "s3" else ())
        params = tuple(
            (name, source.kind, source.prefix if source.kind == "unknown" else source.value)
            for name, source in call.params
            if name in identifying
        )
        found.add((call.service, call.operation, params))
    return found


CASES = [
    pytest.param(
        {
            "app.py": """
            import os
            import boto3
            S3 = boto3.client("s3")
            def handler(event, context):
                S3.put_object(Bucket=os.environ["BUCKET"], Key="a.txt", Body=b"")
            """
        },
        {("s3", "PutObject", (("Bucket", "env", "BUCKET"), ("Key", "literal", "a.txt")))},
        id="module-level-client-env-and-literal",
    ),
    pytest.param(
        {
            "app.py": """
            import functools
            import boto3
            from boto3 import client as make_client
            @functools.lru_cache
            def sqs():
                return make_client("sqs")
            QUEUE = "https://sqs.eu-west-1.amazonaws.com/123/jobs"
            def handler(event, context):
                sqs().send_message(QueueUrl=QUEUE, MessageBody="x")
            """
        },
        {("sqs", "SendMessage", (("QueueUrl", "literal", "https://sqs.eu-west-1.amazonaws.com/123/jobs"),))},
        id="cached-factory-from-import-and-module-constant",
    ),
    pytest.param(
        {
            "app.py": """
            from repo import Repo
            def handler(event, context):
                return Repo().find(event["id"])
            """,
            "repo.py": """
            import os
            import boto3
            class Repo:
                def __init__(self):
                    self._table = boto3.resource("dynamodb").Table(os.getenv("TABLE"))
                def find(self, key):
                    return self._table.get_item(Key={"id": key})
                def unused(self):
                    return self._table.delete_item(Key={})
            """,
        },
        {("dynamodb", "GetItem", (("TableName", "env", "TABLE"),))},
        id="resource-on-self-in-another-module",
    ),
    pytest.param(
        {
            "app.py": """
            import boto3
            from helpers import notify
            def handler(event, context):
                notify(boto3.client("sns"), "arn:aws:sns:eu-west-1:123:t")
            """,
            "helpers.py": """
            def notify(client, topic):
                client.publish(TopicArn=topic, Message="hi")
            """,
        },
        {("sns", "Publish", (("TopicArn", "literal", "arn:aws:sns:eu-west-1:123:t"),))},
        id="client-and-resource-passed-as-arguments",
    ),
    pytest.param(
        {
            "app.py": """
            import boto3
            def _session():
                return boto3.session.Session()
            def handler(event, context):
                ddb = _session().client("dynamodb")
                pages = ddb.get_paginator("query").paginate(TableName="orders", IndexName="byCustomer")
                ddb.get_waiter("table_exists").wait(TableName="orders")
                return list(pages)
            """
        },
        {
            ("dynamodb", "Query", (("IndexName", "literal", "byCustomer"), ("TableName", "literal", "orders"))),
            ("dynamodb", "DescribeTable", (("TableName", "literal", "orders"),)),
        },
        id="session-paginator-waiter",
    ),
    pytest.param(
        {
            "app.py": """
            import boto3
            s3 = boto3.resource("s3")
            def handler(event, context):
                bucket = s3.Bucket("media")
                for obj in bucket.objects.filter(Prefix="in/"):
                    pass
                bucket.Object(f"out/{event['name']}").put(Body=b"")
                bucket.upload_file("/tmp/x", "raw/x")
            """
        },
        {
            ("s3", "ListObjects", (("Bucket", "literal", "media"),)),
            ("s3", "PutObject", (("Bucket", "literal", "media"), ("Key", "unknown", "out/"))),
            ("s3", "PutObject", (("Bucket", "literal", "media"),)),
        },
        id="s3-resource-collection-subresource-transfer",
    ),
    pytest.param(
        {
            "app.py": """
            import boto3
            client = boto3.client("s3")
            def handler(event, context):
                client.generate_presigned_url("get_object", Params={"Bucket": "docs", "Key": "k"})
                client.download_file("docs", "k", "/tmp/k")
                record = event["Records"][0]
                client.head_object(Bucket=record["s3"]["bucket"]["name"], Key=record["s3"]["object"]["key"])
            """
        },
        {
            ("s3", "GetObject", (("Bucket", "literal", "docs"), ("Key", "literal", "k"))),
            (
                "s3",
                "HeadObject",
                (("Bucket", "event", "Records.0.s3.bucket.name"), ("Key", "event", "Records.0.s3.object.key")),
            ),
        },
        id="presign-transfer-and-event-values",
    ),
    pytest.param(
        {
            "app.py": """
            import boto3
            table = boto3.resource("dynamodb").Table("products")
            def handler(event, context):
                with table.batch_writer() as batch:
                    batch.put_item(Item={})
                return table.meta.client.describe_table(TableName="products")
            """
        },
        {
            ("dynamodb", "BatchWriteItem", (("RequestItems", "literal", "products"),)),
            ("dynamodb", "DescribeTable", (("TableName", "literal", "products"),)),
        },
        id="batch-writer-and-meta-client",
    ),
    pytest.param(
        {
            "app.py": """
            import botocore.session
            def handler(event, context):
                session = botocore.session.get_session()
                session.create_client("lambda").invoke(FunctionName="worker", Payload=b"{}")
            """
        },
        {("lambda", "Invoke", (("FunctionName", "literal", "worker"),))},
        id="botocore-session",
    ),
    pytest.param(
        {
            "app.py": """
            from repo import Repo
            repo = Repo("orders")
            def handler(event, context):
                return repo.find(event["id"])
            """,
            "repo.py": """
            import boto3
            class Db:
                def __init__(self):
                    self.resource = boto3.resource("dynamodb")
                def connect(self):
                    return self.resource
            class Repo:
                def __init__(self, name):
                    self.db = Db()
                    self.table = self.db.connect().Table(name)
                def find(self, key):
                    return self.table.get_item(Key={"id": key})
            """,
        },
        {("dynamodb", "GetItem", (("TableName", "literal", "orders"),))},
        id="project-object-built-at-module-level",
    ),
    pytest.param(
        {
            "app.py": """
            import boto3
            class Service:
                def lookup(name, idp):
                    return idp.check(name)
            class Idp:
                def __init__(self):
                    self.client = boto3.client("cognito-idp")
                def check(self, name):
                    return self.client.admin_get_user(UserPoolId="p", Username=name)
            def handler(event, context):
                return Service.lookup(event["name"], Idp())
            """
        },
        {("cognito-idp", "AdminGetUser", ())},
        id="method-called-through-its-class-takes-no-self",
    ),
    pytest.param(
        {
            "app.py": """
            import os
            import boto3
            class Storage:
                def __init__(self, client, bucket):
                    self._client = client
                    self._bucket = bucket
                @classmethod
                def from_env(cls):
                    return cls(boto3.client("s3"), os.environ["BUCKET"])
                @staticmethod
                def key(name):
                    return f"files/{name}"
                def save(self, name):
                    self._client.put_object(Bucket=self._bucket, Key=self.key(name), Body=b"")
            storage = Storage.from_env()
            def handler(event, context):
                storage.save(event["name"])
            """
        },
        {("s3", "PutObject", (("Bucket", "env", "BUCKET"), ("Key", "unknown", "files/")))},
        id="classmethod-factory-keeps-the-client-on-self",
    ),
    pytest.param(
        {
            "app.py": """
            import boto3
            _TABLE = None
            def _initialize():
                global _TABLE
                if _TABLE is None:
                    _TABLE = boto3.resource("dynamodb").Table("jobs")
            def handler(event, context):
                _initialize()
                return _TABLE.scan()
            """
        },
        {("dynamodb", "Scan", (("TableName", "literal", "jobs"),))},
        id="global-assigned-in-an-init-function",
    ),
    pytest.param(
        {
            "app.py": """
            from helper import get_client
            cfn = get_client("cloudformation")
            pipelines = get_client("codepipeline")
            def handler(event, context):
                cfn.describe_stacks(StackName="s")
                pipelines.get_pipeline_state(name="p")
            """,
            "helper.py": """
            import boto3
            _clients = {}
            def get_client(service_name, config=None):
                global _clients
                if service_name not in _clients:
                    _clients[service_name] = boto3.client(service_name, config=config)
                return _clients[service_name]
            """,
        },
        {("cloudformation", "DescribeStacks", ()), ("codepipeline", "GetPipelineState", ())},
        id="project-wrapper-caching-clients-in-a-global-dict",
    ),
    pytest.param(
        {
            "app.py": """
            import factory
            service = factory.get_service("cognito")
            def handler(event, context):
                return service.disable(event["user"])
            """,
            "factory.py": """
            import importlib
            def get_service(name):
                impl = None
                if name == "cognito":
                    impl = getattr(importlib.import_module("idp.cognito_service"), "CognitoService")
                return impl()
            """,
            "idp/__init__.py": "",
            "idp/cognito_service.py": """
            import boto3
            client = boto3.client("cognito-idp")
            class CognitoService:
                def disable(self, user):
                    return client.admin_disable_user(UserPoolId="p", Username=user)
            """,
        },
        {("cognito-idp", "AdminDisableUser", ())},
        id="importlib-factory-with-constant-names",
    ),
    pytest.param(
        {
            "app.py": """
            import boto3
            s3_client = boto3.client("s3")
            def handler(event, context, s3_client=s3_client):
                upload(event["key"], s3_client)
            def upload(key, s3_client):
                s3_client.upload_file("/tmp/f", "bucket", key)
            """
        },
        {("s3", "PutObject", (("Bucket", "literal", "bucket"), ("Key", "event", "key")))},
        id="default-value-named-like-its-parameter-is-the-module-client",
    ),
]


@pytest.mark.parametrize(("files", "expected"), CASES)
def test_sdk_calls(tmp_path, files: dict[str, str], expected: set) -> None:
    """Each way of creating and passing clients yields exactly the operations the route can perform."""
    assert sdk_calls(tmp_path, files) == expected


def test_calls_outside_the_reach_are_not_counted(tmp_path) -> None:
    """A client used only by code the route does not reach contributes nothing."""
    files = {
        "app.py": """
        import boto3
        s3 = boto3.client("s3")
        def handler(event, context):
            return other()
        def other():
            return 1
        def cleanup():
            s3.delete_object(Bucket="b", Key="k")
        """
    }
    assert sdk_calls(tmp_path, files) == set()


def test_a_client_passed_to_a_module_function_is_followed(tmp_path) -> None:
    """`helpers.send(client, url)`: the argument flows through a module attribute call too."""
    files = {
        "app.py": """
        import boto3
        import helpers
        def handler(event, context):
            helpers.send(boto3.client("sqs"), "https://sqs.eu-west-1.amazonaws.com/1/q")
        """,
        "helpers.py": """
        def send(client, url):
            client.send_message(QueueUrl=url, MessageBody="x")
        """,
    }
    assert sdk_calls(tmp_path, files) == {
        ("sqs", "SendMessage", (("QueueUrl", "literal", "https://sqs.eu-west-1.amazonaws.com/1/q"),))
    }


def test_a_resource_returned_by_an_action_is_followed(tmp_path) -> None:
    """`get_queue_by_name` returns a Queue: its own call is found, and so is the message sent to the queue."""
    files = {
        "app.py": """
        import boto3
        def handler(event, context):
            queue = boto3.resource("sqs").get_queue_by_name(QueueName="jobs")
            queue.send_message(MessageBody="x")
        """
    }
    assert sdk_calls(tmp_path, files) == {
        ("sqs", "GetQueueUrl", ()),
        ("sqs", "SendMessage", (("QueueUrl", "unknown", ""),)),  # the URL comes back in the response
    }


def test_reading_a_resource_attribute_loads_it(tmp_path) -> None:
    """`table.item_count` makes boto3 call DescribeTable first; `table.name` (an identifier) does not."""
    files = {
        "app.py": """
        import boto3
        TABLE = boto3.resource("dynamodb").Table("orders")
        def handler(event, context):
            return TABLE.item_count, TABLE.name
        """
    }
    assert sdk_calls(tmp_path, files) == {("dynamodb", "DescribeTable", (("TableName", "literal", "orders"),))}


OPERATION_TABLE = {
    "app.py": """
    import boto3
    table = boto3.resource("dynamodb").Table("shop")

    def perform(params):
        operation = params["operation"]
        operations = {
            "create": lambda x: table.put_item(**x),
            "read": lambda x: table.get_item(**x),
            "scan": lambda x: table.scan(**x),
        }
        if operation in operations:
            return operations[operation](params.get("payload"))

    def read_one(event, context):
        return perform({"operation": "read", "payload": {"Key": {"id": event["id"]}}})

    def list_all(event, context):
        return perform({"operation": "scan", "payload": {}})

    def any_operation(event, context):
        return perform({"operation": event["op"], "payload": {}})
    """
}


@pytest.mark.parametrize(
    ("entry", "operations"),
    [
        ("app.read_one", {"GetItem"}),
        ("app.list_all", {"Scan"}),
        ("app.any_operation", {"PutItem", "GetItem", "Scan"}),  # a key from the event: any entry can run
    ],
)
def test_a_string_keyed_table_of_operations_grants_only_the_keys_looked_up(tmp_path, entry, operations) -> None:
    """`ops[params["operation"]](...)` with each caller's literal operation runs only that entry's call."""
    assert {operation for _, operation, _ in sdk_calls(tmp_path, OPERATION_TABLE, entry)} == operations


SHARED_HELPER = {
    "app.py": """
    import boto3
    import helpers
    import zz_clients
    S3 = boto3.client("s3")
    def route_a(event, context):
        helpers.store(S3, "k")
    def route_b(event, context):
        helpers.store(zz_clients.late_client(), "k")
    def route_c(event, context):
        helpers.store(None, "k")
    """,
    "helpers.py": """
    def store(client, key):
        note = {"key": key}
        return _send(client, key, note)
    def _send(client, key, note):
        client.put_object(Bucket="b", Key=key, Body=str(note))
        client.send_message(QueueUrl="https://q", MessageBody=key)
    """,
    "zz_clients.py": """
    import boto3
    def late_client():  # inferred after `helpers.store` (definitions go in name order): its client comes late
        return boto3.client("sqs")
    """,
}


@pytest.mark.parametrize("order", [("a", "b", "c"), ("c", "b", "a"), ("b", "c", "a")])
def test_routes_sharing_a_memo_find_what_each_finds_alone(tmp_path, order: tuple[str, ...]) -> None:
    """A helper replayed from another route's memo, whose client arrives later in this route, still re-infers
    the calls that read it: routes sharing one memo find exactly what each finds with a memo of its own (the
    re-runs of a helper's nodes are remembered and replayed too, only when what they read is as it was)."""
    write_app(tmp_path, {name: textwrap.dedent(text) for name, text in SHARED_HELPER.items()})
    symbols = SymbolTable(read_sources(tmp_path, tmp_path))
    graph = DefinitionGraph(symbols)

    def calls(route: str, memo: dict) -> set[tuple[str, str]]:
        entry = f"app.route_{route}"
        finder = SdkCallFinder(symbols, graph, graph.reach(entry).nodes, entry, memo)
        return {(call.service, call.operation) for call in finder.calls()}

    alone = {route: calls(route, {}) for route in order}
    shared: dict = {}
    assert {route: calls(route, shared) for route in order} == alone
    assert alone == {"a": {("s3", "PutObject")}, "b": {("sqs", "SendMessage")}, "c": set()}
    assert any(isinstance(key, tuple) and key[0] == RERUN for key in shared)  # re-runs were remembered too


PASS_SUMMARY = {
    "app.py": """
    import clients
    import helpers
    def route_a(event, context):
        helpers.put(clients.S3, "a", "https://one")
    def route_b(event, context):
        helpers.put(clients.SQS, "b", "https://two")
    def route_c(event, context):
        helpers.put(clients.S3, "a", "https://one")  # as route_a: the same facts, the same calls
        helpers.audit("c")
    def route_d(event, context):
        helpers.audit("d")
    """,
    "clients.py": """
    import boto3
    S3 = boto3.client("s3")
    SQS = boto3.client("sqs")
    """,
    "helpers.py": """
    import boto3
    import requests
    AUDIT = boto3.client("sns")  # read only by the SDK-call pass (no project call flows through it)
    def put(client, key, hook):
        client.put_object(Bucket="b", Key=key)
        client.send_message(QueueUrl="https://q", MessageBody=key)
        requests.post(hook)
    def audit(what):
        AUDIT.publish(TopicArn="arn:aws:sns:us-east-1:1:t", Message=what)
    """,
}


@pytest.mark.parametrize("order", [("a", "b", "c", "d"), ("d", "c", "b", "a"), ("c", "a", "d", "b")])
@pytest.mark.parametrize("shared", [None, frozenset({"helpers.put", "helpers.audit"}), frozenset()])
def test_routes_sharing_pass_summaries_find_what_each_finds_alone(
    tmp_path, order: tuple[str, ...], shared: frozenset[str] | None
) -> None:
    """The passes after the fixpoint replay a definition's SDK and library calls from an earlier route only when
    the facts they read are as they were: a helper given another client, another URL, or a module-level
    client the pass itself has to evaluate first finds what it finds with a memo of its own; remembering only
    the `shared` definitions changes nothing either."""
    write_app(tmp_path, {name: textwrap.dedent(text) for name, text in PASS_SUMMARY.items()})
    symbols = SymbolTable(read_sources(tmp_path, tmp_path))
    graph = DefinitionGraph(symbols)
    library = LibraryTable({"requests.post": (0, "url")})

    def found(route: str, memo: dict, only: frozenset[str] | None) -> tuple[set, set]:
        entry = f"app.route_{route}"
        finder = SdkCallFinder(symbols, graph, graph.reach(entry).nodes, entry, memo, library=library, shared=only)
        calls = {(call.service, call.operation, call.params) for call in finder.calls()}
        return calls, {(used.function, used.argument) for used in finder.library_calls()}

    alone = {route: found(route, {}, None) for route in order}
    memo: dict = {}
    assert {route: found(route, memo, shared) for route in order} == alone
    assert {route: {(s, o) for s, o, _ in calls} for route, (calls, _) in alone.items()} == {
        "a": {("s3", "PutObject")},
        "b": {("sqs", "SendMessage")},
        "c": {("s3", "PutObject"), ("sns", "Publish")},
        "d": {("sns", "Publish")},
    }
    assert {route: {value.value for _, value in used} for route, (_, used) in alone.items()} == {
        "a": {"https://one"},
        "b": {"https://two"},
        "c": {"https://one"},
        "d": set(),
    }
    if shared == frozenset():
        assert memo == {}  # nothing is remembered for definitions no other route reaches
    else:  # route_c replayed route_a's summary of `put` (or the reverse); `audit` asks the pass for AUDIT first
        assert len(memo[(PASSES, "helpers.put")]) == 2
        assert memo[(PASSES, "helpers.audit")] == []


HELD_SERVICES = {
    "app.py": """
    import boto3
    import clients
    import wrap
    from wrap import make
    TABLES = {"orders": boto3.resource("dynamodb").Table("orders")}
    QUEUES = {"jobs": boto3.client("sqs")}
    class Store:
        def __init__(self):
            self.client = boto3.client("s3")
        def save(self, key):
            self.client.upload_file("/tmp/x", "bucket", key)
            return self.client.generate_presigned_url("get_object", Params={"Bucket": "bucket", "Key": key})
    def route_a(event, context):
        TABLES["orders"].meta.client.describe_table(TableName="orders")
        QUEUES["jobs"].send_message(QueueUrl="https://q", MessageBody="x")
        Store().save("k")
        bucket = boto3.resource("s3").Bucket("b")
        bucket.wait_until_exists()
        notifier = make("sns")
        notifier.publish(TopicArn="arn:aws:sns:us-east-1:1:t", Message="m")
        clients.LOGS.get_paginator("filter_log_events").paginate(logGroupName="g")
        options = {"a": 1}
        return options.get("a")
    def route_b(event, context):
        wrap.notify("sns", "m")
        return clients.LOGS.describe_log_groups()
    def route_c(event, context):
        found = wrap.registry("events")
        found["events"].put_events(Entries=[])
    """,
    "clients.py": """
    import boto3
    SESSION = boto3.session.Session()
    LOGS = boto3.client("logs")
    """,
    "wrap.py": """
    import clients
    # no boto3 import here: the project's services do not include what these make
    def make(name):
        return clients.SESSION.client(name)
    def notify(name, message):
        clients.SESSION.client(name).publish(TopicArn="arn:aws:sns:us-east-1:1:t", Message=message)
    def registry(name):
        return {"events": clients.SESSION.client(name)}
    """,
}


@pytest.mark.parametrize("order", [("a", "b", "c"), ("c", "b", "a")])
def test_the_sdk_pass_given_the_project_services_finds_what_it_finds_reading_every_receiver(
    tmp_path, order: tuple[str, ...]
) -> None:
    """Given the services the code makes clients for, the SDK pass reads only the receivers of calls named like
    one of their operations, or of the services of the clients and resources the route holds (in dict displays
    too), or receivers that are not read from a name: clients made from a name another module passes, held,
    made inline or kept in a dict display, a resource's client, presign, transfer, waiter and paginator calls
    are all still found, with or without a shared memo."""
    write_app(tmp_path, {name: textwrap.dedent(text) for name, text in HELD_SERVICES.items()})
    symbols = SymbolTable(read_sources(tmp_path, tmp_path))
    graph = DefinitionGraph(symbols)
    services = project_services(symbols, graph)
    assert services is not None
    assert "sns" not in services
    assert "events" not in services

    def found(route: str, memo: dict, known: frozenset[str] | None) -> set[tuple[str, str]]:
        entry = f"app.route_{route}"
        finder = SdkCallFinder(symbols, graph, graph.reach(entry).nodes, entry, memo, services=known)
        return {(call.service, call.operation) for call in finder.calls()}

    every = {route: found(route, {}, None) for route in order}
    memo: dict = {}
    assert {route: found(route, memo, services) for route in order} == every
    assert every == {
        "a": {
            ("dynamodb", "DescribeTable"),
            ("sqs", "SendMessage"),
            ("s3", "PutObject"),
            ("s3", "GetObject"),
            ("s3", "HeadBucket"),
            ("sns", "Publish"),
            ("logs", "FilterLogEvents"),
        },
        "b": {("sns", "Publish"), ("logs", "DescribeLogGroups")},
        "c": {("events", "PutEvents")},
    }
