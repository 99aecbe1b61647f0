"""The command line: exit codes 0 / 1 (layout problems) / 2 (misuse) and what it prints."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tools.package_model import EXIT_LAYOUT_PROBLEMS, EXIT_OK, EXIT_USAGE, main

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def test_packaging_prints_the_archive_and_its_members(model_dir, out_dir, capsys):
    output = out_dir / "model.tar.gz"

    code = main([str(model_dir), str(output)])

    printed = capsys.readouterr().out
    assert code == EXIT_OK
    assert output.is_file()
    assert f"wrote {output}" in printed
    assert "sha256 " in printed
    for name in ("config.json", "model.safetensors", "vocab.txt"):
        assert f"  {name}\n" in printed


def test_layout_problems_exit_1_and_print_every_problem(model_dir, out_dir, capsys):
    (model_dir / "config.json").unlink()
    (model_dir / "model.safetensors").unlink()

    code = main([str(model_dir), str(out_dir / "model.tar.gz")])

    errors = capsys.readouterr().err
    assert code == EXIT_LAYOUT_PROBLEMS
    assert "2 problems" in errors
    assert "  - config.json: missing" in errors
    assert "  - weights: missing" in errors
    assert list(out_dir.iterdir()) == []


def test_an_existing_output_exits_2_and_names_force(model_dir, out_dir, capsys):
    output = out_dir / "model.tar.gz"
    output.write_bytes(b"keep me")

    code = main([str(model_dir), str(output)])

    assert code == EXIT_USAGE
    assert "--force" in capsys.readouterr().err
    assert output.read_bytes() == b"keep me"
    assert main([str(model_dir), str(output), "--force"]) == EXIT_OK


def test_a_wrong_output_suffix_exits_2(model_dir, out_dir, capsys):
    code = main([str(model_dir), str(out_dir / "model.zip")])

    assert code == EXIT_USAGE
    assert "must end with '.tar.gz'" in capsys.readouterr().err


def test_hf_task_option_relaxes_architectures(model_dir, out_dir):
    config = (model_dir / "config.json").read_text()
    (model_dir / "config.json").write_text(config.replace('"architectures"', '"_architectures"'))
    output = out_dir / "model.tar.gz"

    assert main([str(model_dir), str(output)]) == EXIT_LAYOUT_PROBLEMS
    assert main([str(model_dir), str(output), "--hf-task", "text-classification"]) == EXIT_OK


def test_check_of_a_good_archive_exits_0(sample_archive, capsys):
    assert main(["--check", str(sample_archive)]) == EXIT_OK
    assert "layout OK" in capsys.readouterr().out


def test_check_of_a_bad_archive_exits_1_naming_the_problem(out_dir, capsys):
    archive = out_dir / "model.tar.gz"
    archive.write_bytes(b"plain text")

    assert main(["--check", str(archive)]) == EXIT_LAYOUT_PROBLEMS
    assert "model.tar.gz: is not a readable gzip-compressed tar archive" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "argv",
    [[], ["only-a-dir"], ["--check", "a.tar.gz", "dir"], ["--check", "a.tar.gz", "--force"]],
)
def test_misuse_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as raised:
        main(argv)

    assert raised.value.code == EXIT_USAGE
    assert "usage:" in capsys.readouterr().err


def test_module_entry_point_checks_the_sample_archive():
    completed = subprocess.run(
        [sys.executable, "-m", "tools.package_model", "--check", "samples/sentiment-model.tar.gz"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == EXIT_OK, completed.stderr
    assert "samples/sentiment-model.tar.gz: Hugging Face DLC layout OK" in completed.stdout


def test_the_command_creates_a_missing_output_folder(model_dir, tmp_path, capsys):
    output = tmp_path / "out" / "model.tar.gz"

    code = main([str(model_dir), str(output)])

    assert code == EXIT_OK
    assert output.is_file()
    assert f"wrote {output}" in capsys.readouterr().out
