"""The build installs compiled bytecode (ADR-0002) and the CI workflow is pinned and least
privileged. actionlint and zizmor (`make lint`) check the workflow's syntax and security; these
tests check the project's own rules, which those tools leave to configuration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
FULL_SHA_WITH_TAG = re.compile(r"^\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*\s*$")


def _makefile() -> str:
    return (REPO / "Makefile").read_text(encoding="utf-8")


def _install_lines(makefile: str) -> list[str]:
    """Recipe lines that install packages into a virtualenv with uv."""
    variables = dict(re.findall(r"^(\w+) :?= (.*)$", makefile, re.MULTILINE))
    lines = []
    for line in makefile.splitlines():
        expanded = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), line)
        if line.startswith("\t") and "pip install" in expanded and "-r requirements" in expanded:
            lines.append(expanded.strip())
    return lines


def bytecode_problems(makefile: str) -> list[str]:
    problems = [
        f"installs without --compile-bytecode: {line}"
        for line in _install_lines(makefile)
        if "--compile-bytecode" not in line
    ]
    if len(_install_lines(makefile)) < 2:
        problems.append("expected the dev and the checkov virtualenv installs")
    if re.search(r"^\s*export\s+PYTHONDONTWRITEBYTECODE", makefile, re.MULTILINE):
        problems.append("the Makefile exports PYTHONDONTWRITEBYTECODE (no bytecode cache)")
    return problems


def test_both_virtualenvs_are_compiled_to_bytecode_at_install():
    assert bytecode_problems(_makefile()) == []


def test_bytecode_check_fires_on_a_plain_install_and_on_dontwritebytecode():
    plain = (
        "UV := .venv/bin/uv\n"
        "x:\n\t$(UV) pip install --quiet -r requirements-dev.lock\n"
        "y:\n\t$(UV) pip install --compile-bytecode -r requirements-checkov.lock\n"
        "export PYTHONDONTWRITEBYTECODE := 1\n"
    )
    problems = bytecode_problems(plain)
    assert any("requirements-dev.lock" in p for p in problems)
    assert not any("requirements-checkov.lock" in p for p in problems)
    assert any("PYTHONDONTWRITEBYTECODE" in p for p in problems)


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def unpinned_uses(text: str) -> list[str]:
    """`uses:` lines not pinned to a full commit SHA with its version tag in a comment."""
    return [
        line.strip()
        for line in text.splitlines()
        if re.match(r"^\s*(-\s*)?uses:", line)
        and not FULL_SHA_WITH_TAG.match(line.replace("- uses:", "  uses:"))
    ]


def test_every_action_is_pinned_by_full_commit_sha_with_its_tag():
    assert unpinned_uses(WORKFLOW.read_text(encoding="utf-8")) == []


def test_pin_check_fires_on_a_tag_a_short_sha_and_a_missing_comment():
    text = (
        "      - uses: actions/checkout@v5\n"
        "      - uses: actions/checkout@08c6903 # v5.0.0\n"
        "      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8\n"
        "      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n"
    )
    assert len(unpinned_uses(text)) == 3


def test_ci_runs_make_test_on_push_and_pull_request(workflow):
    # PyYAML reads the `on:` key as True (YAML 1.1).
    triggers = workflow.get("on", workflow.get(True))
    assert {"push", "pull_request"} <= set(triggers)
    assert ("test", "make test") in {(job, step.get("run")) for job, step in _steps(workflow)}


def test_checkouts_do_not_keep_the_token(workflow):
    checkouts = [s for _, s in _steps(workflow) if s.get("uses", "").startswith("actions/checkout")]
    assert checkouts
    assert all(s.get("with", {}).get("persist-credentials") is False for s in checkouts)


def test_permissions_are_least_privilege_per_job(workflow):
    assert workflow["permissions"] == {}
    writers = {
        job_id: job["permissions"]
        for job_id, job in workflow["jobs"].items()
        if "write" in job["permissions"].values()
    }
    uploaders = {
        job_id
        for job_id, step in _steps(workflow)
        if "codeql-action/upload-sarif" in step.get("uses", "")
    }
    assert set(writers) == uploaders == {"code-scanning"}
    assert [scope for scope, access in writers["code-scanning"].items() if access == "write"] == [
        "security-events"
    ]
    assert workflow["jobs"]["test"]["permissions"] == {"contents": "read"}


def test_both_sarif_reports_reach_code_scanning(workflow):
    uploaded = {
        step["with"]["sarif_file"]
        for _, step in _steps(workflow)
        if "codeql-action/upload-sarif" in step.get("uses", "")
    }
    assert uploaded == {"sarif/checkov/results_sarif.sarif", "sarif/cdk-nag/results_sarif.sarif"}
    kept = next(
        step["with"]["path"]
        for _, step in _steps(workflow)
        if "upload-artifact" in step.get("uses", "")
    )
    # The checkov gate writes results_sarif.sarif into reports/checkov (Makefile `checkov`).
    assert "reports/checkov/results_sarif.sarif" in kept
    assert "reports/cdk-nag/results_sarif.sarif" in kept
    assert "$(REPORTS)/cdk-nag/results_sarif.sarif" in _makefile()


# -- aws-cdk-lib's copy of aws_cdk/cloud_assembly_schema wins the install -----------------------


def test_the_installed_cloud_assembly_schema_module_is_aws_cdk_libs():
    """The copy the app needs (scripts/check_cdk_lib_files.py says why); the Makefile puts it
    back when the installer left the other package's copy."""
    import sysconfig

    from scripts import check_cdk_lib_files

    path = check_cdk_lib_files.schema_module_path(Path(sysconfig.get_paths()["purelib"]))
    assert check_cdk_lib_files.is_aws_cdk_lib_copy(path), path


def test_cdk_lib_files_check_fires_on_the_standalone_packages_copy(tmp_path):
    from scripts import check_cdk_lib_files

    path = check_cdk_lib_files.schema_module_path(tmp_path)
    path.parent.mkdir(parents=True)
    assert not check_cdk_lib_files.is_aws_cdk_lib_copy(path)  # missing
    path.write_text('@jsii.data_type(jsii_type="@aws-cdk/cloud-assembly-schema.MetadataEntry")\n')
    assert not check_cdk_lib_files.is_aws_cdk_lib_copy(path)
    path.write_text(
        '@jsii.data_type(jsii_type="aws-cdk-lib.cloud_assembly_schema.MetadataEntry")\n'
    )
    assert check_cdk_lib_files.is_aws_cdk_lib_copy(path)


def test_the_dev_install_runs_the_cdk_lib_files_check_and_its_repair():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "CDK_LIB_FILES_CHECK = $(PY) scripts/check_cdk_lib_files.py" in makefile
    assert "$(CDK_LIB_FILES_CHECK) || $(UV_INSTALL)" in makefile
    assert "--reinstall-package aws-cdk-lib" in makefile
