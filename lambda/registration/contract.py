"""The names the registration function shares with the infrastructure that deploys it.

The asset ships alone and never imports ``config/``: each name here has its infrastructure twin
in ``config/constants.py`` (or in the synthesized template), and
``tests/unit/test_runtime_contract.py`` ties every pair. docs/architecture.md lists them
("Contract names").
"""

from __future__ import annotations

# Environment (set by the registration function construct), besides the metrics namespace's
# variable, which every function shares (common.metrics.METRICS_NAMESPACE_ENV_VAR).
PARAMETER_ENV_VAR = "SSM_SENTIMENT_MODEL"
# Optional: where models may come from (ADR-0016). Empty or unset: no restriction.
MODEL_BUCKET_ENV_VAR = "MODEL_BUCKET"
MODEL_KEY_PREFIX_ENV_VAR = "MODEL_KEY_PREFIX"

# The namespace when METRICS_NAMESPACE is unset; the stack always sets it.
DEFAULT_METRICS_NAMESPACE = "ModelRegistration"
# Metrics (no dimensions), every one sent on every invocation; all but the first two have
# alarms.
MODEL_REGISTERED = "ModelRegistered"
EVENT_IGNORED = "EventIgnored"
EVENT_REJECTED = "EventRejected"
REGISTERED_MODEL_DELETED = "RegisteredModelDeleted"
REGISTERED_MODEL_OVERWRITTEN = "RegisteredModelOverwritten"
# An upload whose object version does not exist with the event's ETag and size (ADR-0017).
UNVERIFIED_UPLOAD_IGNORED = "UnverifiedUploadIgnored"
METRIC_NAMES = (
    MODEL_REGISTERED,
    EVENT_IGNORED,
    EVENT_REJECTED,
    REGISTERED_MODEL_DELETED,
    REGISTERED_MODEL_OVERWRITTEN,
    UNVERIFIED_UPLOAD_IGNORED,
)

# How far ahead of the function's clock an eventTime may be: later is refused, and a stored
# eventTime counts as at most this much after its parameter version was written (ADR-0017).
MAX_EVENT_TIME_AHEAD_SECONDS = 15 * 60

# A model artifact's key ends in this; the bucket notification filters on the same suffix.
MODEL_ARTIFACT_SUFFIX = ".tar.gz"
