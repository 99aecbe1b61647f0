"""The alarm table of docs/operations.md is generated from the synthesized templates
(scripts/alarm_table.py): the committed table is what the app's templates give, and every alarm
says what it means."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import alarm_table

REPO = Path(__file__).resolve().parents[2]


def test_committed_alarm_table_is_what_the_templates_give(templates):
    page = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    assert alarm_table.render_page(page, templates) == page, (
        "the alarm table or the retained resources in docs/operations.md are stale: make synth, "
        "then python scripts/alarm_table.py"
    )


def test_every_alarm_of_the_app_is_a_row(templates):
    alarms = sum(
        resource["Type"] == "AWS::CloudWatch::Alarm"
        for template in templates.values()
        for resource in template["Resources"].values()
    )
    assert alarms > 0
    assert len(alarm_table.rows(templates)) == alarms


def _alarm(**properties):
    base = {
        "AlarmDescription": "Something broke | badly",
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 2000000.0,
        "TreatMissingData": "notBreaching",
    }
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {**base, **properties}}


def test_rows_describe_metric_and_metric_math_alarms_and_skip_other_resources():
    templates = {
        "b-stack": {
            "Resources": {
                "SlowAlarmA1B2C3D4": _alarm(
                    Namespace="AWS/SageMaker",
                    MetricName="ModelLatency",
                    ExtendedStatistic="p99",
                    Period=60,
                    TreatMissingData="breaching",
                ),
                "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            }
        },
        "a-stack": {
            "Resources": {
                "RatioAlarm": _alarm(
                    Metrics=[
                        {"Id": "e", "Expression": "errors / calls"},
                        {
                            "Id": "errors",
                            "MetricStat": {
                                "Metric": {"Namespace": "N", "MetricName": "Errors"},
                                "Period": 300,
                                "Stat": "Sum",
                            },
                        },
                    ]
                )
            }
        },
    }
    assert alarm_table.rows(templates) == [
        (
            "RatioAlarm",
            "a-stack",
            "metric math: `errors / calls`, `Errors` Sum (N) ≥ 2,000,000 per 300 s, 2 of 3",
            "Something broke | badly",
        ),
        (
            "SlowAlarm",
            "b-stack",
            "`ModelLatency` p99 (AWS/SageMaker) ≥ 2,000,000 per 60 s, 2 of 3; "
            "missing data: breaching",
            "Something broke | badly",
        ),
    ]
    assert "Something broke \\| badly" in alarm_table.render_table(templates)


def test_an_alarm_without_a_description_is_refused_by_name():
    alarm = _alarm(Namespace="N", MetricName="M", Statistic="Sum", Period=60)
    del alarm["Properties"]["AlarmDescription"]
    with pytest.raises(alarm_table.AlarmTableError, match="s/QuietAlarm: no AlarmDescription"):
        alarm_table.rows({"s": {"Resources": {"QuietAlarm": alarm}}})


def test_a_page_without_its_markers_is_refused():
    with pytest.raises(alarm_table.AlarmTableError, match="ALARMS:BEGIN"):
        alarm_table.replace_block("# Operations\n", "| table |\n")


def test_retained_resources_are_listed_by_stack_with_what_they_are():
    templates = {
        "b-stack": {
            "Resources": {
                "ModelsBucket0123ABCD": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
                "ScratchQueue0123ABCD": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Delete"},
                "Table0123ABCD": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain"},
            }
        },
        "a-stack": {"Resources": {"Fn": {"Type": "AWS::Lambda::Function"}}},
    }
    assert alarm_table.render_retained(templates) == (
        "- `b-stack`: bucket `ModelsBucket`, AWS::DynamoDB::Table `Table`\n"
    )


def test_the_app_retains_what_its_decisions_say(templates):
    """The list is not empty for this app: the buckets and keys outlive their stacks."""
    retained = alarm_table.render_retained(templates)
    assert "bucket `ModelBucketModels`" in retained
    assert "KMS key `EndpointKey`" in retained
