"""`make deploy`'s region (scripts/deploy_region.py): AWS_REGION, then AWS_DEFAULT_REGION, then
the profile's region, as the CDK CLI reads them; one value exported to the CLI and to boto3."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from scripts import deploy_region
from scripts.deploy_region import EXIT_NO_REGION, EXIT_OK, RegionError, main, resolve_region

REPO_ROOT = Path(__file__).resolve().parents[2]


def _no_profile(profile):
    return None


@pytest.mark.parametrize(
    ("environ", "profile_region", "expected", "source"),
    [
        (
            {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"},
            "ap-south-1",
            "eu-west-1",
            "AWS_REGION",
        ),
        ({"AWS_DEFAULT_REGION": "us-east-2"}, "ap-south-1", "us-east-2", "AWS_DEFAULT_REGION"),
        ({"AWS_REGION": "  ", "AWS_DEFAULT_REGION": "us-east-2"}, None, "us-east-2", "DEFAULT"),
        ({}, "ap-south-1", "ap-south-1", "profile default"),
        ({"AWS_PROFILE": "ops"}, "eu-central-2", "eu-central-2", "profile ops"),
    ],
    ids=["aws-region-first", "default-region-next", "blank-is-unset", "profile", "named-profile"],
)
def test_the_region_follows_the_cdk_clis_order(environ, profile_region, expected, source):
    asked = []

    def read(profile):
        asked.append(profile)
        return profile_region

    region = resolve_region(environ, read)

    assert region.name == expected
    assert source in region.source
    if source.startswith("profile"):
        assert asked == [environ.get("AWS_PROFILE")]


def test_no_region_anywhere_is_an_error_naming_what_to_set():
    with pytest.raises(RegionError, match=r"set AWS_REGION .* profile default"):
        resolve_region({}, _no_profile)


def test_a_malformed_region_is_an_error_naming_its_source():
    with pytest.raises(RegionError, match=r"AWS_REGION is 'eu west 1'"):
        resolve_region({"AWS_REGION": "eu west 1"}, _no_profile)


def test_the_profile_region_is_read_from_the_aws_config_file(tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-north-1\n[profile ops]\nregion = sa-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert deploy_region.profile_region(None) == "eu-north-1"
    assert deploy_region.profile_region("ops") == "sa-east-1"
    with pytest.raises(RegionError, match="set AWS_PROFILE"):
        deploy_region.profile_region("missing")


def test_main_prints_the_region_and_says_where_it_came_from(capsys):
    assert main({"AWS_REGION": "eu-west-3"}) == EXIT_OK
    captured = capsys.readouterr()
    assert captured.out == "eu-west-3\n"
    assert "eu-west-3 (from environment variable AWS_REGION)" in captured.err


def test_main_without_a_region_fails_before_anything_deploys(capsys):
    assert main({}, _no_profile) == EXIT_NO_REGION
    assert capsys.readouterr().err.startswith("error: no AWS region")


def test_make_deploy_and_destroy_export_the_one_region_to_the_cli_and_boto3():
    """Dry-run make: every command of both targets runs after the region was exported."""
    for target in ("deploy", "destroy"):
        plan = subprocess.run(
            ["make", "-n", "--no-print-directory", target],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        recipe = plan[plan.index("region=$(") :]
        assert recipe.startswith(
            "region=$(.venv/bin/python scripts/deploy_region.py); "
            "export AWS_REGION=$region AWS_DEFAULT_REGION=$region; \\\n"
        )
        assert len(re.findall(r"node_modules/\.bin/cdk (deploy|destroy)", recipe)) >= 1
        assert "node_modules/.bin/cdk" not in plan[: plan.index("region=$(")]


def test_make_deploy_passes_the_optional_context_values():
    plan = subprocess.run(
        [
            "make",
            "-n",
            "--no-print-directory",
            "deploy",
            "ALERT_EMAIL=ops@example.com",
            "MODEL_UPLOADERS=arn:aws:iam::111122223333:role/publisher",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    deploys = [line for line in plan.splitlines() if "node_modules/.bin/cdk deploy" in line]
    assert len(deploys) == 2
    for line in deploys:
        assert "-c alert_email=ops@example.com" in line
        assert "-c model_uploaders=arn:aws:iam::111122223333:role/publisher" in line
