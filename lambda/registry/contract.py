"""The names the registry side of the registration function shares with the infrastructure.

The asset never imports ``config/``: each name here has its twin in ``config/constants.py`` (or
in the synthesized template), tied by ``tests/unit/test_runtime_contract.py``.
"""

from __future__ import annotations

# Environment. MODEL_PACKAGE_GROUP unset or empty: no registry, the brief's plain flow.
MODEL_PACKAGE_GROUP_ENV_VAR = "MODEL_PACKAGE_GROUP"
# The gate's policy as JSON (registry.settings reads it); unset: GatePolicy's defaults.
GATE_POLICY_ENV_VAR = "MODEL_GATE_POLICY"

# Metrics (no dimensions, in the registration namespace), sent on every registry invocation.
MODEL_APPROVED_BY_GATE = "ModelApprovedByGate"
MODEL_REJECTED_BY_GATE = "ModelRejectedByGate"
MODEL_PENDING_APPROVAL = "ModelPendingApproval"
METRIC_NAMES = (MODEL_APPROVED_BY_GATE, MODEL_REJECTED_BY_GATE, MODEL_PENDING_APPROVAL)

# The EventBridge event an operator's (or our own) approval status change raises.
STATE_CHANGE_SOURCE = "aws.sagemaker"
STATE_CHANGE_DETAIL_TYPE = "SageMaker Model Package State Change"

# CustomerMetadataProperties keys other parts read (the monitor finds the served model's
# baseline through ModelKey and the package's ModelMetrics S3Uri). Keep these names.
METADATA_MODEL_BUCKET = "ModelBucket"
METADATA_MODEL_KEY = "ModelKey"
METADATA_VERSION_ID = "VersionId"
METADATA_EVENT_TIME = "EventTime"
METADATA_SEQUENCER = "Sequencer"
METADATA_ETAG = "ETag"
METADATA_SIZE = "Size"
METADATA_METRICS_KEY = "MetricsKey"
METADATA_METRICS_SHA256 = "MetricsSha256"
METADATA_GATE_DECISION = "GateDecision"
METADATA_GATE_REASONS = "GateReasons"
METADATA_GATE_INCUMBENT = "GateIncumbentVersion"
# One entry per metric of the metrics file: "Metric.accuracy" -> "0.91" (repr of the float).
METADATA_METRIC_PREFIX = "Metric."
