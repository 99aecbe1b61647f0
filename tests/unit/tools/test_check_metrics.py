"""tools/check_metrics.py: the data-science team's check of a metrics file before upload,
with the registration function's own parser (exit codes 0 / 1 problems / 2 misuse)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.check_metrics import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, REGISTRY_DIR, main

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLE = REPO_ROOT / "samples" / "sentiment-model.metrics.json"


def write(directory: Path, name: str, document: object) -> Path:
    path = directory / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_sample_is_acceptable_and_its_archive_matches(capsys):
    code = main([str(SAMPLE)])

    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert f"{SAMPLE}: acceptable" in out
    assert "accuracy=0.746" in out
    assert "optional sections: training, artifact, baseline" in out
    assert "artifact.sha256 matches sentiment-model.tar.gz" in out


def test_a_broken_file_lists_every_problem_with_its_path(tmp_path, capsys):
    path = tmp_path / "model.metrics.json"
    path.write_bytes(b'{"metrics": {"accuracy": NaN, "x y": 1}, "baseline": {}}')

    code = main([str(path)])

    err = capsys.readouterr().err
    assert code == EXIT_PROBLEMS
    assert f"{path}: NOT acceptable, 6 problems:" in err
    assert "  - /metrics/accuracy: must be a finite number within the double range, got NaN" in err
    assert "  - /metrics/x y: name must be" in err
    assert "  - /baseline/input_length: missing (required)" in err


def test_a_file_not_json_says_so(tmp_path, capsys):
    path = tmp_path / "model.metrics.json"
    path.write_bytes(b"accuracy: 0.9\n")

    assert main([str(path)]) == EXIT_PROBLEMS
    assert "document: is not JSON: Expecting value (line 1, column 1)" in capsys.readouterr().err


def test_a_file_named_wrongly_is_not_acceptable(tmp_path, capsys):
    path = write(tmp_path, "model.json", {"metrics": {"accuracy": 0.9}})

    assert main([str(path)]) == EXIT_PROBLEMS
    assert "file name: must end in .metrics.json" in capsys.readouterr().err


def test_the_gates_primary_metric_is_required_by_default(tmp_path, capsys):
    path = write(tmp_path, "model.metrics.json", {"metrics": {"macro_f1": 0.9}})

    assert main([str(path)]) == EXIT_PROBLEMS
    assert "/metrics/accuracy: missing; the gate compares it" in capsys.readouterr().err


def test_required_metrics_can_be_named(tmp_path, capsys):
    path = write(tmp_path, "model.metrics.json", {"metrics": {"macro_f1": 0.9}})

    assert main([str(path), "--require", "macro_f1"]) == EXIT_OK
    assert main([str(path), "--require", "macro_f1", "--require", "recall"]) == EXIT_PROBLEMS
    assert "/metrics/recall: missing" in capsys.readouterr().err


def test_an_archive_next_to_the_file_must_match_its_declared_sha256(tmp_path, capsys):
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"model bytes")
    actual = hashlib.sha256(b"model bytes").hexdigest()
    good = {"metrics": {"accuracy": 0.9}, "artifact": {"sha256": actual}}
    bad = {"metrics": {"accuracy": 0.9}, "artifact": {"sha256": "0" * 64}}

    assert main([str(write(tmp_path, "model.metrics.json", good))]) == EXIT_OK
    assert "artifact.sha256 matches model.tar.gz" in capsys.readouterr().out
    assert main([str(write(tmp_path, "model.metrics.json", bad))]) == EXIT_PROBLEMS
    assert f"is not the SHA-256 of model.tar.gz ({actual})" in capsys.readouterr().err


def test_without_an_archive_the_sha256_is_noted_as_not_checked(tmp_path, capsys):
    document = {"metrics": {"accuracy": 0.9}, "artifact": {"sha256": "0" * 64}}

    assert main([str(write(tmp_path, "model.metrics.json", document))]) == EXIT_OK
    assert "artifact.sha256 not checked: no archive next to the file" in capsys.readouterr().out


def test_an_unreadable_path_exits_2_after_checking_the_others(tmp_path, capsys):
    good = write(tmp_path, "model.metrics.json", {"metrics": {"accuracy": 0.9}})

    code = main([str(tmp_path / "missing.metrics.json"), str(good)])

    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    assert "cannot read" in captured.err
    assert "No such file or directory" in captured.err
    assert f"{good}: acceptable" in captured.out


def test_no_argument_is_misuse():
    with pytest.raises(SystemExit) as raised:
        main([])
    assert raised.value.code == EXIT_USAGE


def test_run_from_the_repository_root_it_loads_the_parser_without_the_asset_on_sys_path():
    assert REGISTRY_DIR == REPO_ROOT / "lambda" / "registry"
    # As the team runs it: no pytest pythonpath, only the repository root (python -m).
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['check_metrics', 'samples/sentiment-model.metrics.json']\n"
        "try:\n"
        "    runpy.run_module('tools.check_metrics', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code)\n"
        "lambda_dir = any(p.rstrip('/').endswith('/lambda') for p in sys.path)\n"
        "print('registry imported:', 'registry' in sys.modules, 'asset on path:', lambda_dir)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "samples/sentiment-model.metrics.json: acceptable"
    assert lines[-2:] == ["exit 0", "registry imported: False asset on path: False"]
