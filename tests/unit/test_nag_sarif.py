"""scripts/nag_sarif.py: cdk-nag's CSV reports become a SARIF log for code scanning."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COLUMNS = ["Rule ID", "Resource ID", "Compliance", "Exception Reason", "Rule Level", "Rule Info"]


def _load():
    spec = importlib.util.spec_from_file_location("nag_sarif", REPO / "scripts" / "nag_sarif.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nag_sarif = _load()


def _report(directory: Path, pack: str, stack: str, rows: list[list[str]]) -> None:
    with (directory / f"{pack}--{stack}-NagReport.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def _template(directory: Path, stack: str, paths: list[str]) -> None:
    resources = {
        f"Resource{i}": {"Type": "AWS::S3::Bucket", "Metadata": {"aws:cdk:path": path}}
        for i, path in enumerate(paths)
    }
    (directory / f"{stack}.template.json").write_text(
        json.dumps({"Resources": resources}, indent=1), encoding="utf-8"
    )


@pytest.fixture
def cdk_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # URIs are relative to the working directory
    out = tmp_path / "cdk.out"
    out.mkdir()
    _template(out, "s3-stack", ["s3-stack/Logs/Resource", "s3-stack/Models/Resource"])
    _report(
        out,
        "MlopsS3",
        "s3-stack",
        [
            ["MlopsS3-Versioning", "s3-stack/Logs/Resource", "Compliant", "N/A", "Error", "v"],
            [
                "MlopsS3-Versioning",
                "s3-stack/Models/Resource",
                "Non-Compliant",
                "N/A",
                "Error",
                "v",
            ],
            ["MlopsS3-Tls", "s3-stack/Models/Resource", "UNKNOWN", "N/A", "Warning", "tls"],
        ],
    )
    _report(
        out,
        "AwsSolutions",
        "s3-stack",
        [
            [
                "AwsSolutions-S1",
                "s3-stack/Logs/Resource",
                "Suppressed",
                "ADR-0028: the access-log bucket cannot log to itself",
                "Warning",
                "no access logs",
            ]
        ],
    )
    return out


def _results(log: dict) -> dict[tuple[str, str], dict]:
    return {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]): r
        for r in log["runs"][0]["results"]
    }


def test_findings_crashes_and_exceptions_are_results_compliant_rows_are_not(cdk_out):
    results = _results(nag_sarif.nag_sarif(cdk_out))
    assert set(results) == {
        ("MlopsS3-Versioning", "s3-stack/Models/Resource"),
        ("MlopsS3-Tls", "s3-stack/Models/Resource"),
        ("AwsSolutions-S1", "s3-stack/Logs/Resource"),
    }
    assert results[("MlopsS3-Versioning", "s3-stack/Models/Resource")]["level"] == "error"
    # A crashed rule is an error whatever its level (ADR-0041).
    crashed = results[("MlopsS3-Tls", "s3-stack/Models/Resource")]
    assert crashed["level"] == "error"
    assert "crashed" in crashed["message"]["text"]


def test_an_acknowledged_exception_carries_its_adr_reason_as_an_accepted_suppression(cdk_out):
    exception = _results(nag_sarif.nag_sarif(cdk_out))[
        ("AwsSolutions-S1", "s3-stack/Logs/Resource")
    ]
    assert exception["level"] == "warning"
    assert exception["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "ADR-0028: the access-log bucket cannot log to itself",
        }
    ]
    unsuppressed = _results(nag_sarif.nag_sarif(cdk_out))[
        ("MlopsS3-Versioning", "s3-stack/Models/Resource")
    ]
    assert "suppressions" not in unsuppressed


def test_results_point_at_the_resource_line_of_the_stack_template(cdk_out):
    results = _results(nag_sarif.nag_sarif(cdk_out))
    location = results[("MlopsS3-Versioning", "s3-stack/Models/Resource")]["locations"][0]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "cdk.out/s3-stack.template.json"
    template_lines = (cdk_out / "s3-stack.template.json").read_text().splitlines()
    assert '"s3-stack/Models/Resource"' in template_lines[physical["region"]["startLine"] - 1]


def test_the_log_is_sarif_2_1_0_with_each_reported_rule_described_once(cdk_out):
    log = nag_sarif.nag_sarif(cdk_out)
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "cdk-nag"
    assert [rule["id"] for rule in driver["rules"]] == [
        "AwsSolutions-S1",
        "MlopsS3-Tls",
        "MlopsS3-Versioning",
    ]
    assert {rule["id"]: rule["properties"]["pack"] for rule in driver["rules"]} == {
        "AwsSolutions-S1": "AwsSolutions",
        "MlopsS3-Tls": "MlopsS3",
        "MlopsS3-Versioning": "MlopsS3",
    }


def test_the_command_writes_the_log_and_refuses_a_directory_without_reports(cdk_out, capsys):
    output = cdk_out.parent / "reports" / "cdk-nag" / "results_sarif.sarif"
    assert nag_sarif.main([str(cdk_out), str(output)]) == 0
    assert len(json.loads(output.read_text())["runs"][0]["results"]) == 3
    assert "2 findings, 1 acknowledged exceptions" in capsys.readouterr().out

    empty = cdk_out.parent / "empty"
    empty.mkdir()
    assert nag_sarif.main([str(empty), str(output)]) == 2
    assert "no *-NagReport.csv" in capsys.readouterr().err


def test_a_csv_without_cdk_nag_columns_is_named_in_the_error(cdk_out):
    (cdk_out / "Bogus--s3-stack-NagReport.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(nag_sarif.NagReportError, match=r"Bogus--s3-stack-NagReport\.csv"):
        nag_sarif.nag_sarif(cdk_out)
