"""Cold start, client reuse, and the shape of the log lines and metrics."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import lambda_handler
from registration_clients import AwsClients
from registration_testkit import event, invoke, log_lines, metric_sums

LAMBDA_DIR = Path(lambda_handler.__file__).resolve().parent
REQUIRED_LOG_FIELDS = {"bucket", "key", "versionId", "eTag", "size", "eventTime"}
METRICS = {
    "ModelRegistered",
    "EventIgnored",
    "EventRejected",
    "RegisteredModelDeleted",
    "RegisteredModelOverwritten",
}


def test_importing_the_handler_loads_no_aws_sdk():
    probe = (
        f"import sys; sys.path.insert(0, {str(LAMBDA_DIR)!r}); import lambda_handler; "
        "heavy = sorted(m for m in ('boto3', 'botocore') if m in sys.modules); print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_asset_imports_only_its_own_modules_the_stdlib_and_boto3():
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "__future__"}
    for source in LAMBDA_DIR.glob("*.py"):
        # Every sibling of the entry point is prefixed, so it cannot clash with rollout/.
        assert source.name == "lambda_handler.py" or source.name.startswith("registration_")
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or top.startswith("registration_"), (
                    f"{source.name} imports {name}"
                )


def test_clients_are_created_once_and_reused(handler_env):
    from moto import mock_aws

    clients = AwsClients()
    with mock_aws():
        assert clients.ssm() is clients.ssm()
        assert clients.cloudwatch() is clients.cloudwatch()
        assert clients.ssm() is not clients.cloudwatch()


def test_invocations_reuse_the_containers_clients(aws):
    invoke(event(aws.uploads.put("models/a.tar.gz")))
    first = aws.clients.ssm()

    invoke(event(aws.uploads.put("models/b.tar.gz")))

    assert aws.clients.ssm() is first
    assert lambda_handler.CLIENTS is aws.clients


def test_every_record_gets_one_json_line_with_its_object_fields(aws, capsys):
    records = [
        aws.uploads.put("models/a.tar.gz"),
        aws.uploads.put("notes/readme.txt"),
        aws.uploads.put("models/b.tar.gz"),
    ]

    invoke(event(*records))

    lines = log_lines(capsys.readouterr().out)
    assert [line["decision"] for line in lines] == ["ignored", "ignored", "registered"]
    for line, record in zip(lines, records, strict=True):
        assert line.keys() >= REQUIRED_LOG_FIELDS
        assert line["versionId"] == record["s3"]["object"]["versionId"]
        assert line["eventTime"] == record["eventTime"]
        assert line["requestId"] == "req-test"
        assert line["reason"]
    assert lines[0]["reason"] == "superseded by a newer model upload in the same event"


def test_each_invocation_sends_all_five_metrics_in_one_call(aws):
    invoke(event(aws.uploads.put("models/a.tar.gz")))

    assert aws.calls["cloudwatch.PutMetricData"] == 1
    assert set(metric_sums(aws.cloudwatch)) == METRICS


def test_the_metrics_namespace_comes_from_the_environment(aws, monkeypatch):
    monkeypatch.setenv("METRICS_NAMESPACE", "Team/Registration")

    invoke(event(aws.uploads.put("models/a.tar.gz")))

    assert metric_sums(aws.cloudwatch, "Team/Registration")["ModelRegistered"] == 1
    assert metric_sums(aws.cloudwatch, "ModelRegistration") == {}
