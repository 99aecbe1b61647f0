"""Shared test configuration.

The repository root and the functions' runtime (``lambda/``) are on the import path through
pytest's ``pythonpath`` setting (pyproject.toml): runtime code imports as Lambda imports it
(``lambda_handler``, ``registration.decision``, ``common.json_log``), test helper modules by
their dotted path (``tests.unit.registration.registration_testkit``).

- Hypothesis profiles: ``ci`` (default, bounded so ``make test`` stays fast) and ``thorough``
  (``HYPOTHESIS_PROFILE=thorough``) for a longer local search.
- ``synthesized_app``: the whole CDK app (three stacks, compliance packs included), built ONCE
  per test session into a temporary cloud assembly; synthesis costs seconds.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_DEPRECATED", "quiet")
# Nothing in the unit/property/local layers may reach a real AWS account.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_make_parametrize_id(config, val, argname):
    """A stable ID for a binary parameter: its length, not its bytes.

    pytest-xdist (``make test`` runs one worker per core) requires every worker to collect the
    same test IDs. pytest's default ID of a ``bytes`` value is the value itself, and a value
    built at collection time can differ between workers (a gzip stream embeds its creation
    time). Printable ASCII keeps the default ID.
    """
    if isinstance(val, bytes) and not (val.isascii() and val.decode("ascii").isprintable()):
        return f"{len(val)}-binary-bytes"
    return None


@pytest.fixture(scope="session")
def synthesized_app(tmp_path_factory):
    """The synthesized cloud assembly of the real app (``app.build_app``), built once.

    The built-in CloudFormation validation is off here (it costs ~4-5 s a synth); cfn-lint
    checks the templates in ``make test`` instead.
    """
    import app as app_module
    from tests.cdk_apps import cli_like_app

    cdk_app = cli_like_app(tmp_path_factory.mktemp("cdk.out"))
    app_module.build_app(cdk_app)
    return cdk_app.synth()


@pytest.fixture(scope="session")
def templates_with_every_option(tmp_path_factory):
    """The app's templates with every optional context value set (tests.cdk_apps
    EVERY_OPTION_CONTEXT), synthesized once for all the tests that need them."""
    import app as app_module
    from tests.cdk_apps import EVERY_OPTION_CONTEXT, cli_like_app, templates_of

    cdk_app = cli_like_app(tmp_path_factory.mktemp("every-option.cdk.out"), **EVERY_OPTION_CONTEXT)
    return templates_of(app_module.build_app(cdk_app).synth())


@pytest.fixture(scope="session")
def templates(synthesized_app):
    """Template dicts of the app's stacks, keyed by stack name."""
    from tests.cdk_apps import templates_of

    return templates_of(synthesized_app)
