"""Run a deployed Lambda function's code in this process, as Lambda would run it.

moto stores a function (configuration and code) but cannot execute it without Docker. The
rehearsal therefore fetches the code package the function was created from, checks it against
the function's ``CodeSha256`` (so what runs is what was deployed), unpacks it, and calls the
configured handler with the configured environment variables (ADR-0065). What this does not
emulate: the Lambda runtime's isolation, its IAM role (moto does not enforce policies), timeout,
memory, concurrency, retries and the on-failure destination.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import os
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any


class CodeMismatchError(RuntimeError):
    """The code package found is not the one the function was created from."""


@dataclass(frozen=True)
class Invocation:
    """A handler's return value and what it wrote to stdout (Lambda's log stream)."""

    result: Any
    log_lines: tuple[str, ...]


@dataclass(frozen=True)
class DeployedFunction:
    name: str
    handler: str
    environment: dict[str, str]
    code_dir: Path


def fetch_deployed_function(
    lambda_client: Any, s3: Any, function_name: str, code_bucket: str, code_key: str, into: Path
) -> DeployedFunction:
    """The function's configuration, and its code unpacked under ``into``."""
    configuration = lambda_client.get_function(FunctionName=function_name)["Configuration"]
    package = s3.get_object(Bucket=code_bucket, Key=code_key)["Body"].read()
    digest = base64.b64encode(hashlib.sha256(package).digest()).decode()
    if digest != configuration["CodeSha256"]:
        raise CodeMismatchError(
            f"s3://{code_bucket}/{code_key} (sha256 {digest}) is not the code of "
            f"{function_name} (CodeSha256 {configuration['CodeSha256']})"
        )
    code_dir = into / function_name
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        archive.extractall(code_dir)
    return DeployedFunction(
        name=function_name,
        handler=configuration["Handler"],
        environment=dict(configuration.get("Environment", {}).get("Variables", {})),
        code_dir=code_dir,
    )


def invoke_in_process(
    function: DeployedFunction, event: Any, *, region: str, request_id: str = "rehearsal"
) -> Invocation:
    """Call the function's handler with ``event``, in its environment; its exceptions propagate
    (as a failed invocation would)."""
    runtime_environment = {
        **function.environment,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
    }
    context = SimpleNamespace(aws_request_id=request_id, function_name=function.name)
    log = io.StringIO()
    with (
        loaded_handler(function.code_dir, function.handler, runtime_environment) as handler,
        redirect_stdout(log),
    ):
        result = handler(event, context)
    return Invocation(result=result, log_lines=tuple(log.getvalue().splitlines()))


@contextmanager
def loaded_handler(
    code_dir: Path, handler: str, environment: Mapping[str, str]
) -> Iterator[Callable[[Any, Any], Any]]:
    """Import ``module.function`` from ``code_dir`` alone, with ``environment`` set.

    The code's top-level modules and packages are imported fresh (a module of the same name
    imported from elsewhere, e.g. the source tree in unit tests, is set aside and put back), and
    the process's ``sys.path``, modules and environment are restored on exit.
    """
    module_name, function_name = handler.rsplit(".", 1)
    own_modules = {path.stem for path in code_dir.glob("*.py")} | {
        path.parent.name for path in code_dir.glob("*/__init__.py")
    }

    def owned(name: str) -> bool:
        return name.split(".", 1)[0] in own_modules

    set_aside = {name: sys.modules.pop(name) for name in list(sys.modules) if owned(name)}
    saved_path = list(sys.path)
    saved_environment = dict(os.environ)
    sys.path.insert(0, str(code_dir))
    os.environ.update(environment)
    try:
        module = importlib.import_module(module_name)
        yield getattr(module, function_name)
    finally:
        for name in [name for name in sys.modules if owned(name)]:
            del sys.modules[name]
        sys.modules.update(set_aside)
        sys.path[:] = saved_path
        os.environ.clear()
        os.environ.update(saved_environment)
