"""The registry's settings (lambda/registry/settings.py): unset group means the plain flow;
every bad value is refused naming the variable."""

from __future__ import annotations

import json

import pytest

from common.errors import ConfigurationError
from registry.gate import Direction, GatePolicy, GuardMetric, MissingMetricsPolicy
from registry.settings import load_registry_settings


@pytest.mark.parametrize("environ", [{}, {"MODEL_PACKAGE_GROUP": ""}, {"MODEL_PACKAGE_GROUP": " "}])
def test_without_a_group_there_is_no_registry(environ):
    assert load_registry_settings(environ) is None


def test_a_group_without_a_policy_gets_the_default_gate():
    settings = load_registry_settings({"MODEL_PACKAGE_GROUP": "sentiment-model"})

    assert settings.group_name == "sentiment-model"
    assert settings.policy == GatePolicy()


def test_the_policy_is_read_with_its_guards():
    policy = {
        "primary_metric": "macro_f1",
        "direction": "higher",
        "tolerance": 0.01,
        "guards": [{"name": "latency_p95_ms", "max_drop": 20, "direction": "lower"}],
        "missing_metrics": "pending",
    }
    settings = load_registry_settings(
        {"MODEL_PACKAGE_GROUP": "g", "MODEL_GATE_POLICY": json.dumps(policy)}
    )

    assert settings.policy == GatePolicy(
        primary_metric="macro_f1",
        tolerance=0.01,
        guards=(GuardMetric("latency_p95_ms", 20, Direction.LOWER_IS_BETTER),),
        missing_metrics=MissingMetricsPolicy.PENDING,
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MODEL_PACKAGE_GROUP": "no_underscores"}, "MODEL_PACKAGE_GROUP='no_underscores'"),
        ({"MODEL_PACKAGE_GROUP": "g" * 64}, "1-63"),
        ({"MODEL_GATE_POLICY": "{"}, "not JSON"),
        ({"MODEL_GATE_POLICY": "[]"}, "JSON object"),
        ({"MODEL_GATE_POLICY": '{"primary": "x"}'}, "unknown fields"),
        ({"MODEL_GATE_POLICY": '{"tolerance": -1}'}, "tolerance must be"),
        ({"MODEL_GATE_POLICY": '{"direction": "up"}'}, "direction must be one of"),
        ({"MODEL_GATE_POLICY": '{"guards": [{"name": "f1"}]}'}, "max_drop"),
        ({"MODEL_GATE_POLICY": '{"guards": [1]}'}, "each guard"),
        ({"MODEL_GATE_POLICY": '{"missing_metrics": "ignore"}'}, "missing_metrics"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(environ, message):
    with pytest.raises(ConfigurationError, match=message):
        load_registry_settings({"MODEL_PACKAGE_GROUP": "sentiment-model", **environ})
