"""The names the rollout function shares with the infrastructure that deploys it.

The asset ships alone and never imports ``config/``: each name here has its infrastructure twin
in ``config/constants.py``, the rollout construct or the synthesized template, and
``tests/unit/test_runtime_contract.py`` ties every pair. docs/architecture.md lists them
("Contract names").
"""

from __future__ import annotations

# Environment (set by the rollout construct), besides the metrics namespace's variable, which
# every function shares (common.metrics.METRICS_NAMESPACE_ENV_VAR).
STACK_NAME_ENV_VAR = "STACK_NAME"
CFN_ROLE_ARN_ENV_VAR = "CFN_ROLE_ARN"
PARAMETER_NAME_ENV_VAR = "MODEL_PARAMETER_NAME"
REQUIRED_ENV_VARS = (STACK_NAME_ENV_VAR, CFN_ROLE_ARN_ENV_VAR, PARAMETER_NAME_ENV_VAR)
# The namespace when METRICS_NAMESPACE is unset or empty; the stack always sets it.
DEFAULT_METRICS_NAMESPACE = "ModelRollout"

# The events the construct's two rules deliver to the queue.
SSM_SOURCE = "aws.ssm"
SSM_DETAIL_TYPE = "Parameter Store Change"
ROLLOUT_OPERATIONS = frozenset({"Create", "Update"})
CLOUDFORMATION_SOURCE = "aws.cloudformation"
STACK_STATUS_DETAIL_TYPE = "CloudFormation Stack Status Change"
# The terminal statuses the outcome rule delivers, and the verdict each is reported as: only a
# completed update succeeded, only a completed rollback rolled back; a failed rollback or a
# failed update needs an operator.
STACK_OUTCOME_EVENTS = {
    "UPDATE_COMPLETE": "succeeded",
    "UPDATE_ROLLBACK_COMPLETE": "rolled_back",
    "UPDATE_ROLLBACK_FAILED": "update_failed",
    "UPDATE_FAILED": "update_failed",
}

# Event name -> CloudWatch metric name (Count); the construct alarms on some of them.
METRIC_NAMES = {
    "requested": "RolloutRequested",
    "started": "RolloutStarted",
    "deferred": "RolloutDeferred",
    "failed": "RolloutFailed",
    "up_to_date": "RolloutUpToDate",
    "succeeded": "RolloutSucceeded",
    "rolled_back": "RolloutRolledBack",
    "update_failed": "RolloutUpdateFailed",
    "invalid_request": "RolloutInvalidRequest",
    # An event of another account or region reached the queue: dropped, alarmed (ADR-0017).
    "foreign_event_ignored": "RolloutForeignEventIgnored",
}
# The one dimension of every rollout metric (its value: the stack's name).
STACK_DIMENSION = "StackName"
