"""The verify runner: one fresh interpreter per variant, running events through a handler under moto.

`decompose verify` starts `python -I -m decompose.verification.runner JOB` once for the monolith and once
per new function. JOB is a JSON file (written by `verification.run`) naming the handler and the folder it is
imported from, the function's environment, the world to create (`world.build`), the seed, the in-stack
functions, the events, the import guard, and for a new function the policy to enforce. The runner
writes its results as JSON to the file the job names; it prints nothing the parent reads.

Per event, for each mode (`plain`, then `enforced` when the job has a policy):

1. Fresh world: `moto.mock_aws()` starts (moto's Lambda without docker), the clock is set to the job's
   start instant and stands still there (time-machine, `tick=False`: both runs read the very same time, so
   a document that embeds it, such as a PDF, is byte-identical; code that waits for the clock to move
   runs into the runner's timeout and the route is not verifiable), the world is created and seeded. In
   `enforced` mode an IAM user holding only the function's policy (moto's view of it,
   `policy.Policy.moto_view`) is created and its keys become the function's credentials.
2. Fresh code: every module imported from the code folders is dropped, the handler's module is imported
   anew (so module-level clients are built now, inside the mock), then `random`, moto's ids and
   `uuid.uuid4` are seeded, so both runs draw the same ids when they run the same code.
3. The handler runs with the event and a Lambda context named after the function; in `enforced` mode under
   moto's IAM access control. Every botocore API call (any client, any session) is recorded with its
   parameters by a wrapper of `BaseClient._make_api_call`; presigned URLs and POSTs are recorded as the
   operation they sign. A synchronous `lambda.Invoke` of an in-stack function is answered by running that
   function's handler in-process (moto's Lambda echoes the payload without docker): its own calls are
   recorded as `nested`, and are not subject to the caller's policy.
4. The response or the exception, the calls, the AccessDenied errors moto returned, and (in `plain` mode)
   the world's state (`world.dump`) are the event's outcome.

The job's `guard` (the monolith's, a shim's and a new function's alike) lists the top-level names its
package may import besides its own files and the standard library (`packaging`): an import of any other
name from the package's own code raises `ModuleNotFoundError`, as it would in Lambda, even though the
runner itself has moto and its dependencies loaded.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime
import importlib
import io
import json
import os
import random
import re
import sys
import traceback
import types
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

BASE_ENVIRONMENT = ("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "SYSTEMROOT")


class _Recorder:
    """Every botocore call made while not paused, and the in-process answers to in-stack invokes."""

    def __init__(self, functions: list[Mapping[str, Any]]) -> None:
        self.calls: list[dict[str, Any]] = []
        self.denied: list[str] = []
        self.paused = True
        self.depth = 0
        self.functions = functions
        self.base_env: dict[str, str] = {}
        self.suspend_auth: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext

    def install(self) -> None:
        import botocore.client  # noqa: PLC0415
        import botocore.signers  # noqa: PLC0415

        from decompose.verification.codec import encode  # noqa: PLC0415
        from decompose.verification.policy import is_access_denied  # noqa: PLC0415

        original = botocore.client.BaseClient._make_api_call
        recorder = self

        def _make_api_call(client: Any, operation_name: str, api_params: Mapping[str, Any]) -> Any:
            if recorder.paused:
                return original(client, operation_name, api_params)
            service = client.meta.service_model.service_name
            call = {
                "service": service,
                "operation": operation_name,
                "params": encode(dict(api_params)),
                "endpoint": client.meta.endpoint_url,
                "nested": recorder.depth > 0,
            }
            recorder.calls.append(call)
            try:
                response = original(client, operation_name, api_params)
            except Exception as error:
                details = getattr(error, "response", None) or {}
                code = str((details.get("Error") or {}).get("Code", type(error).__name__))
                call["error"] = code
                if is_access_denied(code, str(error)) and not call["nested"]:
                    recorder.denied.append(f"{service}.{operation_name}: {code}")
                raise
            if service == "lambda" and operation_name == "Invoke":
                response = recorder.answer(api_params, response, call)
            return response

        botocore.client.BaseClient._make_api_call = _make_api_call

        presign_url = botocore.signers.generate_presigned_url
        presign_post = botocore.signers.generate_presigned_post

        def generate_presigned_url(  # botocore's own parameter names: callers pass them by keyword
            client: Any,
            ClientMethod: str,  # noqa: N803
            Params: Any = None,  # noqa: N803
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            operation = client.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
            recorder.record_presigned(client.meta.service_model.service_name, operation, Params or {})
            return presign_url(client, ClientMethod, Params, *args, **kwargs)

        def generate_presigned_post(client: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N803
            recorder.record_presigned("s3", "PutObject", {"Bucket": Bucket, "Key": Key})
            return presign_post(client, Bucket, Key, *args, **kwargs)

        botocore.signers.generate_presigned_url = generate_presigned_url
        botocore.signers.generate_presigned_post = generate_presigned_post

    def record_presigned(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        from decompose.verification.codec import encode  # noqa: PLC0415

        if not self.paused:
            self.calls.append(
                {"service": service, "operation": operation, "params": encode(dict(params)), "presigned": True,
                 "nested": self.depth > 0}
            )  # fmt: skip

    def answer(self, params: Mapping[str, Any], response: dict[str, Any], call: dict[str, Any]) -> dict[str, Any]:
        """Replace moto's echo of a synchronous invoke of an in-stack function by that function's answer."""
        from botocore.response import StreamingBody  # noqa: PLC0415

        from decompose.verification.codec import encode  # noqa: PLC0415

        name = str(params.get("FunctionName", ""))
        short = name.rsplit(":", maxsplit=1)[-1]
        function = next((f for f in self.functions if name in f["names"] or short in f["names"]), None)
        if function is None or params.get("InvocationType", "RequestResponse") != "RequestResponse":
            return response
        payload = params.get("Payload") or b"{}"
        if hasattr(payload, "read"):
            payload = payload.read()
        request = json.loads(payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload or "{}")
        failed, result = self.run_nested(function, request)
        data = json.dumps(result, default=str).encode("utf-8")
        response = dict(response)
        response["Payload"] = StreamingBody(io.BytesIO(data), len(data))
        response["StatusCode"] = 200
        response.pop("FunctionError", None)
        if failed:
            response["FunctionError"] = "Unhandled"
        call["answer"] = encode(result)
        return response

    def run_nested(self, function: Mapping[str, Any], request: Any) -> tuple[bool, Any]:
        """Run an in-stack function's handler in-process, with its own environment and code folder."""
        root = function["code_root"]
        saved_env = dict(os.environ)
        os.environ.clear()
        os.environ.update({**self.base_env, **function["environment"]})
        with _code_folder(root) as load, self.suspend_auth():
            self.depth += 1
            try:
                handler = load(function["handler"])
                return False, handler(request, _context(function["names"][0], function["names"][1]))
            except Exception as error:  # the Lambda runtime reports any exception to the caller
                return True, {"errorMessage": str(error), "errorType": type(error).__name__}
            finally:
                self.depth -= 1
                os.environ.clear()
                os.environ.update(saved_env)


@contextlib.contextmanager
def _code_folder(root: str) -> Iterator[Callable[[str], Any]]:
    """`root` first on sys.path with its modules imported fresh; everything put back afterwards."""
    tops = _top_names(Path(root))
    set_aside = {n: m for n, m in sys.modules.items() if n.split(".", 1)[0] in tops}
    for name in set_aside:
        del sys.modules[name]
    sys.path.insert(0, root)
    importlib.invalidate_caches()

    def load(handler: str) -> Any:
        module_name, _, function = handler.rpartition(".")
        return getattr(importlib.import_module(module_name), function)

    try:
        yield load
    finally:
        for name in [n for n in sys.modules if n.split(".", 1)[0] in tops]:
            del sys.modules[name]
        sys.modules.update(set_aside)
        sys.path.remove(root)


def _top_names(folder: Path) -> set[str]:
    """The top-level import names a code folder provides (modules, packages, namespace packages)."""
    names = set()
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name.isidentifier():
            names.add(entry.name)
        elif entry.suffix in (".py", ".so", ".pyd") and entry.name.split(".")[0].isidentifier():
            names.add(entry.name.split(".")[0])
    return names


def _context(name: str, arn: str) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        function_name=name,
        function_version="$LATEST",
        invoked_function_arn=arn,
        memory_limit_in_mb=128,
        aws_request_id="verify-request-1",
        log_group_name=f"/aws/lambda/{name}",
        log_stream_name="verify",
        get_remaining_time_in_millis=lambda: 30_000,
    )


def _install_guard(root: str, allowed: set[str]) -> None:
    """From the package's own code, only its own names, `allowed` and the standard library import."""
    prefix = os.path.realpath(root) + os.sep
    own = _top_names(Path(root))
    permitted = own | allowed | set(sys.stdlib_module_names) | {"__future__"}
    original_import = builtins.__import__
    original_import_module = importlib.import_module

    def refused(name: str, importer: str) -> bool:
        top = name.partition(".")[0]
        return bool(importer) and os.path.realpath(importer).startswith(prefix) and top not in permitted

    def guarded_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and isinstance(globals, Mapping) and refused(name, str(globals.get("__file__") or "")):
            raise ModuleNotFoundError(f"No module named {name.partition('.')[0]!r}", name=name.partition(".")[0])
        return original_import(name, globals, locals, fromlist, level)

    def guarded_import_module(name: str, package: str | None = None) -> Any:
        caller = sys._getframe(1).f_globals.get("__file__") or ""
        if not name.startswith(".") and refused(name, str(caller)):
            raise ModuleNotFoundError(f"No module named {name.partition('.')[0]!r}", name=name.partition(".")[0])
        return original_import_module(name, package)

    builtins.__import__ = guarded_import
    importlib.import_module = guarded_import_module


def _where(error: BaseException, roots: list[str]) -> str | None:
    """The innermost frame of the error inside the code under test, as path:line relative to its folder."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        for root in roots:
            real = os.path.realpath(root) + os.sep
            if os.path.realpath(frame.filename).startswith(real):
                found = f"{os.path.relpath(os.path.realpath(frame.filename), real)}:{frame.lineno}"
    return found


def _error(error: BaseException, phase: str, roots: list[str]) -> dict[str, Any]:
    """The exception as the outcome: type, message (the scratch folders' paths left out), phase, where."""
    message = str(error)
    for root in roots:
        message = message.replace(os.path.realpath(root) + os.sep, "").replace(root + os.sep, "")
    out = {"type": type(error).__name__, "message": message, "phase": phase, "where": _where(error, roots)}
    if isinstance(error, ModuleNotFoundError):
        out["module"] = error.name
    elif isinstance(error, ImportError) and (found := _CANNOT_IMPORT.match(str(error))):
        out["module"] = f"{found['package']}.{found['name']}"  # `from package import module`: the module is missing
    return out


_CANNOT_IMPORT = re.compile(r"cannot import name '(?P<name>\w+)' from '(?P<package>[\w.]+)'")


def _share_loader() -> None:
    """One botocore data loader for every session of the run: each event starts fresh sessions (the handler's
    module-level clients are built anew), and each would parse the service models' JSON again."""
    import botocore.loaders  # noqa: PLC0415
    import botocore.session  # noqa: PLC0415

    made: dict[str | None, Any] = {}
    create = botocore.loaders.create_loader

    def create_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in made:
            made[search_path_string] = create(search_path_string)
        return made[search_path_string]

    botocore.session.create_loader = create_loader


def _seeded_uuid4(rng: random.Random) -> Callable[[], uuid.UUID]:
    return lambda: uuid.UUID(int=rng.getrandbits(128), version=4)


class _Runner:
    def __init__(self, job: Mapping[str, Any]) -> None:
        self.job = job
        self.recorder = _Recorder(list(job.get("functions", [])))
        self.clients: dict[str, Any] = {}
        self.session: Any = None

    def boot(self) -> None:
        import boto3  # noqa: PLC0415
        import moto  # noqa: F401, PLC0415 - moto's handlers must be in place before any client exists

        self.boto3 = boto3
        _share_loader()
        self.recorder.install()
        guard = self.job.get("guard")
        if guard is not None:
            _install_guard(self.job["code_root"], set(guard["allowed"]))

    def client(self, service: str) -> Any:
        """The runner's own client (world, seed, state): made once, it reaches each event's fresh moto backend."""
        if service not in self.clients:
            if self.session is None:
                region = self.job["world"]["region"]
                self.session = self.boto3.session.Session(
                    aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
                )
            self.clients[service] = self.session.client(service)
        return self.clients[service]

    def environment(self, key_id: str, secret: str) -> dict[str, str]:
        region = self.job["world"]["region"]
        identity = self.job["identity"]
        env = {k: os.environ[k] for k in BASE_ENVIRONMENT if k in os.environ}
        env.update(
            {
                "AWS_ACCESS_KEY_ID": key_id,
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": region,
                "AWS_REGION": region,
                "AWS_LAMBDA_FUNCTION_NAME": identity["name"],
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            }
        )
        return env

    def run(self, event: Mapping[str, Any], enforced: bool) -> dict[str, Any]:
        import time_machine  # noqa: PLC0415
        from moto import mock_aws  # noqa: PLC0415
        from moto import settings as moto_settings  # noqa: PLC0415
        from moto.core import enable_iam_authentication  # noqa: PLC0415

        from decompose.verification import world  # noqa: PLC0415

        job = self.job
        recorder = self.recorder
        outcome: dict[str, Any] = {"identity": [job["identity"]["name"], job["identity"]["arn"]]}
        start = datetime.datetime.fromisoformat(job["start"]).timestamp()  # time-machine then leaves TZ alone

        @contextlib.contextmanager
        def suspended() -> Iterator[None]:
            saved = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
            moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
            try:
                yield
            finally:
                moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = saved

        recorder.suspend_auth = suspended if enforced else contextlib.nullcontext
        with time_machine.travel(start, tick=False), mock_aws(config={"lambda": {"use_docker": False}}):
            saved_env = dict(os.environ)  # with mock_aws's own variables, which it removes on exit
            recorder.paused = True
            recorder.calls, recorder.denied = [], []
            world.build(job["world"], job["seed"], self.client)
            key_id, secret = ("testing", "testing")
            if enforced:
                key_id, secret = self._user(job["policy"])
            env = self.environment(key_id, secret)
            recorder.base_env = env
            os.environ.clear()
            os.environ.update({**env, **job["environment"]})
            self.boto3.DEFAULT_SESSION = None
            guard = enable_iam_authentication if enforced else contextlib.nullcontext
            try:
                self._call(event, outcome, guard)
            finally:
                recorder.paused = True
                os.environ.clear()
                os.environ.update(saved_env)
                self.boto3.DEFAULT_SESSION = None
            outcome["calls"] = list(recorder.calls)
            outcome["denied"] = list(recorder.denied)
            if not enforced:
                outcome["state"] = world.dump(job["world"], self.client)
        return outcome

    def _call(self, event: Mapping[str, Any], outcome: dict[str, Any], guard: Callable[[], Any]) -> None:
        """Import the handler fresh and run it with `event`: the response or the exception goes into `outcome`."""
        from moto.moto_api._internal import mock_random  # noqa: PLC0415 - moto's seedable ids

        from decompose.verification.codec import encode  # noqa: PLC0415

        job, recorder = self.job, self.recorder
        with _code_folder(job["code_root"]) as load:
            recorder.paused = False
            try:
                with guard():
                    handler = load(job["handler"])
            except Exception as error:  # an import that fails is the outcome (a missing module...)
                outcome["error"] = _error(error, "import", [job["code_root"]])
            else:
                random.seed(0)
                mock_random.seed(0)
                rng = random.Random(0)
                with _patched(uuid, "uuid4", _seeded_uuid4(rng)), guard():
                    try:
                        response = handler(dict(event), _context(job["identity"]["name"], job["identity"]["arn"]))
                        outcome["response"] = encode(response)
                    except Exception as error:  # the exception is the outcome
                        outcome["error"] = _error(error, "handler", [job["code_root"]])
            recorder.paused = True

    def _user(self, document: Mapping[str, Any]) -> tuple[str, str]:
        iam = self.client("iam")
        iam.create_user(UserName="decompose-verify-function")
        if document["Statement"]:
            iam.put_user_policy(
                UserName="decompose-verify-function", PolicyName="function", PolicyDocument=json.dumps(document)
            )
        key = iam.create_access_key(UserName="decompose-verify-function")["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]


@contextlib.contextmanager
def _patched(target: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, saved)


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    results: dict[str, Any] = {"events": []}
    try:
        runner = _Runner(job)
        runner.boot()
        for event in job["events"]:
            entry: dict[str, Any] = {"name": event["name"], "plain": runner.run(event["payload"], enforced=False)}
            if job.get("policy") is not None:
                entry["enforced"] = runner.run(event["payload"], enforced=True)
            results["events"].append(entry)
    except Exception as error:  # reported by the parent as "not verifiable", with the traceback's last line
        results["failure"] = f"{type(error).__name__}: {error} ({traceback.format_exc().strip().splitlines()[-3:]})"
    Path(job["output"]).write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
