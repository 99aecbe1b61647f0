"""Fixtures for the packaging tool's tests: the committed sample model, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The committed sample model directory (read only: copy it before changing anything)."""
    return REPO_ROOT / "samples" / "sentiment-model"


@pytest.fixture(scope="session")
def sample_archive() -> Path:
    return REPO_ROOT / "samples" / "sentiment-model.tar.gz"


@pytest.fixture
def model_dir(tmp_path, sample_dir) -> Path:
    """A valid model directory the test may change: a copy of the sample."""
    copy = tmp_path / "model"
    shutil.copytree(sample_dir, copy)
    return copy


@pytest.fixture
def out_dir(tmp_path) -> Path:
    """A directory outside the model directory for archives."""
    directory = tmp_path / "out"
    directory.mkdir()
    return directory
