"""Every name and number of the pipeline, in one place.

The brief's constant names are kept so the project drops into the brief's skeleton; where the
brief's *value* is a defect, the value is fixed here and the deviation is recorded in an ADR
(see ADR/README.md). Names shared by two stacks are derived here, once: a stack never types
a shared name itself.

This module is imported by the CDK app and its tests only. The functions' runtime code
(``lambda/``) never imports it: it receives what it needs through environment variables, and
tests/unit/test_runtime_contract.py ties the names both sides type (docs/architecture.md,
"Contract names").
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------------------------
# Runtime code of the functions (one directory, one asset per function)
# --------------------------------------------------------------------------------------------

# Every function's code: its entry module at the top (`<name>_handler.py`; the registration's is
# the brief's `lambda_handler.py`), its package beside it, and `common/`, shared by all.
RUNTIME_DIR = "lambda"
RUNTIME_COMMON_PACKAGE = "common"


def runtime_asset_excludes(handler: str, package: str, *more: str) -> tuple[str, ...]:
    """The exclude globs that cut one function's asset out of RUNTIME_DIR: everything but the
    entry module of ``handler`` (``module.function``), ``package`` (and the packages ``more``)
    and the common package (their ``.py`` files only).

    CDK's glob ignore (``Code.from_asset(exclude=...)``, the default IgnoreMode.GLOB) applies
    the patterns in order, the last match wins, and ``!`` re-includes; a pattern without ``/``
    matches a name at any depth. So ``*`` and ``.*`` (``*`` skips dot-files) exclude everything,
    the ``!`` patterns bring back the function's own files, and caches (``__pycache__``) stay
    out because nothing re-includes them. Another function's code, present or added later,
    never ships.
    """
    return runtime_asset_excludes_of(handler, package, *more)


def runtime_asset_excludes_of(
    handler: str, *packages: str, modules: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """``runtime_asset_excludes`` for a function that also imports single modules of another
    function's package (``modules``: ``package/module.py``; the monitor reads the registry's
    metrics file parser and nothing else of it): each with its package's ``__init__.py``."""
    if not packages:
        raise ValueError(f"{handler}: a function ships at least its own package")
    entry_module = handler.rsplit(".", 1)[0]
    included = [f"!{entry_module}.py"]
    for module in modules:
        package, _, name = module.partition("/")
        if not name.endswith(".py") or "/" in name:
            raise ValueError(f"{module!r} is not a module of a package (package/module.py)")
        included += [f"!{package}", f"!{package}/__init__.py", f"!{module}"]
    for name in (*packages, RUNTIME_COMMON_PACKAGE):
        included += [f"!{name}", f"!{name}/*.py"]
    return ("*", ".*", *included)


# --------------------------------------------------------------------------------------------
# Model registration (Lambda stack)
# --------------------------------------------------------------------------------------------

# The brief's handler and function name. The handler names
# lambda/lambda_handler.py::lambda_handler; the function name has 1-64 characters, minus a
# deployment prefix and its dash.
LAMBDA_HANDLER = "lambda_handler.lambda_handler"
LAMBDA_NAME = "s3-object-to-ssm"
# The brief's python3.10 is deprecated and can no longer be created after 2026-11-30.
LAMBDA_RUNTIME = "python3.13"
# The brief's timeout, 30-900 s: the handler sends an SSM attempt only while 25 s remain, and
# every invocation ends at least 2 s before the timeout (ADR-0013). The handler is I/O-bound: more
# memory (128-10240 MB) buys little.
LAMBDA_TIMEOUT_SECONDS = 60
LAMBDA_MEMORY_MB = 256
# Keep 1: the ordering of registrations relies on a single writer (ADR-0010, ADR-0037); a burst
# of uploads waits in Lambda's asynchronous queue.
LAMBDA_RESERVED_CONCURRENCY = 1
# Lambda's asynchronous retries (0-2) and event age (60-21600 s) before an event goes to the
# failed-registrations queue; keep the longest age, so that a burst of uploads waits for the one
# writer instead of failing.
LAMBDA_ASYNC_RETRY_ATTEMPTS = 2
LAMBDA_MAX_EVENT_AGE_SECONDS = 6 * 60 * 60
# Both functions' log groups, retained when their stack is deleted: one of CloudWatch Logs'
# retention values (cfn-lint refuses others), at least your audit retention.
LAMBDA_LOG_RETENTION_DAYS = 365
# Failed asynchronous invocations land in an encrypted queue; one message is already an incident
# (a model that was uploaded but never registered). SQS keeps messages at most 14 days.
REGISTRATION_FAILURE_QUEUE_RETENTION_DAYS = 14
REGISTRATION_FAILURE_ALARM_THRESHOLD = 1
REGISTRATION_FAILURE_ALARM_PERIOD_SECONDS = 300
# Every alarm of the pipeline publishes to this SNS topic (owned by the Lambda stack, which
# deploys first); operators subscribe to it. Encrypted with a customer-managed key (ADR-0049).
# Renaming it deletes the topic and its subscriptions.
OPERATIONS_TOPIC_NAME = "model-pipeline-alerts"
# Optional CDK context value (`-c alert_email=ops@example.com`): subscribes that address to the
# operations topic (AWS sends a confirmation mail first). Absent: the topic has no subscriber and
# alarms reach no one until an operator subscribes (ADR-0058).
ALERT_EMAIL_CONTEXT_KEY = "alert_email"
# Days between scheduling a key's deletion and the deletion, 7-30 (KMS). Keep 30: a deleted key
# makes the retained logs it encrypts unreadable.
OPERATIONS_KEY_PENDING_WINDOW_DAYS = 30
# Every customer-managed key of the pipeline has an alias `alias/<name>`, the name derived from
# one of these (prefixed per deployment, config/naming.py). The keys are retained when their
# stack is deleted, the aliases are not (ADR-0068).
OPERATIONS_KEY_NAME = "model-pipeline-operations"
ENDPOINT_KEY_NAME = "model-pipeline-endpoint"

# The one parameter that says which model the endpoint serves. The brief typed two different
# names (the Lambda's env var and the endpoint's SSM_PARAMETER_MODEL) and the Lambda's one was
# not fully qualified, which SSM rejects. Here there is one name, fully qualified, and both the
# Lambda environment and the endpoint stack are derived from it. config/naming.py checks it at
# synthesis; renaming it on a deployed system starts a new, empty parameter.
SSM_PARAMETER_MODEL = "/sentiment_model/latest_object_key"
# Environment variable names of the registration function; lambda/registration/contract.py names
# them too, and tests/unit/test_runtime_contract.py ties both sides.
SSM_PARAMETER_ENV_VAR = "SSM_SENTIMENT_MODEL"
METRICS_NAMESPACE_ENV_VAR = "METRICS_NAMESPACE"
# The handler ignores records from any other bucket or outside the notification's prefix (a
# re-driven or foreign event could otherwise register a key the endpoint cannot read; ADR-0016).
MODEL_BUCKET_ENV_VAR = "MODEL_BUCKET"
MODEL_KEY_PREFIX_ENV_VAR = "MODEL_KEY_PREFIX"
# CloudWatch namespace of the registration metrics (`<prefix>/ModelRegistration` for a prefixed
# deployment); the function may call PutMetricData in it only (ADR-0031).
MODEL_REGISTRATION_METRICS_NAMESPACE = "ModelRegistration"
# Registration metrics (lambda/registration/contract.py, no dimensions) that page an
# operator through the operations topic: Sum >= 1 over the period (ADR-0014).
REGISTERED_MODEL_DELETED_METRIC = "RegisteredModelDeleted"
REGISTERED_MODEL_OVERWRITTEN_METRIC = "RegisteredModelOverwritten"
EVENT_REJECTED_METRIC = "EventRejected"
# An upload event whose object version does not exist with its ETag and size: forged or
# foreign, ignored and alarmed (ADR-0017).
UNVERIFIED_UPLOAD_IGNORED_METRIC = "UnverifiedUploadIgnored"
# An eventTime later than this after the function's clock is refused; a stored one counts as at
# most this much after its parameter version's write (ADR-0017). The runtime's twin:
# lambda/registration/contract.py MAX_EVENT_TIME_AHEAD_SECONDS.
REGISTRATION_MAX_EVENT_TIME_AHEAD_SECONDS = 15 * 60
REGISTRATION_METRIC_ALARM_THRESHOLD = 1
REGISTRATION_METRIC_ALARM_PERIOD_SECONDS = 300

# The brief's environment variable, with the fully qualified parameter name (ADR-0020).
LAMBDA_ENVIRONMENT_VARIABLE = {SSM_PARAMETER_ENV_VAR: SSM_PARAMETER_MODEL}
# The registration asset: lambda_handler.py, registration/, registry/ (the model registry and
# its gate, ADR-0071) and common/ (RUNTIME_DIR).
REGISTRATION_ASSET_EXCLUDES = runtime_asset_excludes(LAMBDA_HANDLER, "registration", "registry")

# --------------------------------------------------------------------------------------------
# Model registry and metric gate (Lambda stack, ADR-0071)
# --------------------------------------------------------------------------------------------

# Every model upload becomes a version of this SageMaker model package group (prefixed per
# deployment, config/naming.py); the registration function gets its name in the variable.
MODEL_PACKAGE_GROUP_NAME = "sentiment-model"
MODEL_PACKAGE_GROUP_ENV_VAR = "MODEL_PACKAGE_GROUP"
# A model's metrics file: its key with .tar.gz replaced by this, uploaded before the model.
MODEL_METRICS_FILE_SUFFIX = ".metrics.json"
# The gate: a candidate is compared with the served approved package on the primary metric
# (rejected when worse by more than the tolerance) and on each guard metric (rejected when
# worse by more than its allowance). Guards are (name, largest drop, "higher"|"lower"); every
# guard is required in the metrics file like the primary metric. The tolerance is about one
# standard error of an accuracy near 0.9 measured on 5,000 held-out examples.
MODEL_GATE_PRIMARY_METRIC = "accuracy"
MODEL_GATE_DIRECTION = "higher"
MODEL_GATE_TOLERANCE = 0.005
MODEL_GATE_GUARDS: tuple[tuple[str, float, str], ...] = ()
# No metrics file: "approve" (the brief's flow keeps working; the package says "registered
# without comparison") or "pending" (strict: left for an operator to approve).
MODEL_GATE_MISSING_METRICS = "approve"
# The function reads the gate as JSON from this variable (it never imports config/).
MODEL_GATE_POLICY_ENV_VAR = "MODEL_GATE_POLICY"
# A package the gate rejected pages the operations topic (Sum >= 1 over the period).
MODEL_REJECTED_BY_GATE_METRIC = "ModelRejectedByGate"
# What SageMaker sends to EventBridge when a package is created or its status changes.
MODEL_PACKAGE_STATE_CHANGE_SOURCE = "aws.sagemaker"
MODEL_PACKAGE_STATE_CHANGE_DETAIL_TYPE = "SageMaker Model Package State Change"


def model_gate_policy() -> dict[str, object]:
    """The gate as the function reads it from MODEL_GATE_POLICY_ENV_VAR (JSON)."""
    return {
        "primary_metric": MODEL_GATE_PRIMARY_METRIC,
        "direction": MODEL_GATE_DIRECTION,
        "tolerance": MODEL_GATE_TOLERANCE,
        "guards": [
            {"name": name, "max_drop": max_drop, "direction": direction}
            for name, max_drop, direction in MODEL_GATE_GUARDS
        ],
        "missing_metrics": MODEL_GATE_MISSING_METRICS,
    }


# --------------------------------------------------------------------------------------------
# Model bucket (S3 stack)
# --------------------------------------------------------------------------------------------

# Stem of the bucket names `cdk-exercise-bucket-<account>-<region>` and `cdk-exercise-bucket-
# logs-<account>-<region>` (S3 names are global, ADR-0023). At most 19 characters: the longest
# log-bucket name, with a 10-character prefix, must fit S3's 63.
S3_BUCKET_NAME = "cdk-exercise-bucket"
# Only keys under MODEL_KEY_PREFIX that end in MODEL_ARTIFACT_SUFFIX notify the registration
# function (ADR-0030); the handler has its own copy of the suffix, tied by a test.
MODEL_ARTIFACT_SUFFIX = ".tar.gz"
# A model's metrics file sits next to it: models/a/b.tar.gz -> models/a/b.metrics.json.
METRICS_FILE_SUFFIX = ".metrics.json"
MODEL_KEY_PREFIX = "models/"
# Prefix of the model bucket's server access logs in the log bucket.
ACCESS_LOGS_PREFIX = "model-bucket/"
# Lifecycle, in days: replaced model versions (kept for a manual rollback), access logs, and
# incomplete multipart uploads.
NONCURRENT_MODEL_VERSION_RETENTION_DAYS = 365
ACCESS_LOG_RETENTION_DAYS = 365
INCOMPLETE_UPLOAD_ABORT_DAYS = 7
# Optional CDK context value (`-c model_uploaders=<ARN>,<ARN>`): the only principals (IAM role or
# user ARNs, `*` allowed as in ArnLike) that may write or delete under MODEL_KEY_PREFIX. Absent:
# any principal of the account that IAM allows may publish a model (ADR-0056).
MODEL_UPLOADERS_CONTEXT_KEY = "model_uploaders"

_BUCKET_NAME_MAX_LENGTH = 63


def model_bucket_name(account: str, region: str) -> str:
    """The model bucket's globally unique name for one account and region.

    S3 names are global: the brief's fixed ``cdk-exercise-bucket`` collides for everyone after
    the first deployer. Both the S3 stack (which creates the bucket) and the SageMaker stack
    (which reads models from it) call this function; CDK tokens (``Aws.ACCOUNT_ID``,
    ``Aws.REGION``) are accepted and become an ``Fn::Join``.
    """
    return f"{S3_BUCKET_NAME}-{account}-{region}"


def access_log_bucket_name(account: str, region: str) -> str:
    """The server-access-log bucket's name, derived from the model bucket's."""
    return f"{S3_BUCKET_NAME}-logs-{account}-{region}"


def capture_bucket_name(account: str, region: str) -> str:
    """The endpoint's data-capture bucket (SageMaker stack), never the model bucket."""
    return f"{CAPTURE_BUCKET_BASE_NAME}-{account}-{region}"


def capture_access_log_bucket_name(account: str, region: str) -> str:
    """The capture bucket's server-access-log bucket; as long as the model's log bucket name."""
    return f"{CAPTURE_BUCKET_BASE_NAME}-log-{account}-{region}"


# Stem of the capture bucket and its access-log bucket names (per account and region, ADR-0070).
CAPTURE_BUCKET_BASE_NAME = "cdk-exercise-capture"

_CONCRETE_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def validate_bucket_name(name: str) -> str:
    """Raise ValueError naming the problem if ``name`` (concrete, not a token) is not a valid
    S3 bucket name."""
    if len(name) > _BUCKET_NAME_MAX_LENGTH or not _CONCRETE_BUCKET_NAME.match(name):
        raise ValueError(
            f"S3 bucket name {name!r} must be 3-63 characters of a-z, 0-9, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    return name


# --------------------------------------------------------------------------------------------
# Serving (SageMaker stack)
# --------------------------------------------------------------------------------------------

# The endpoint's name, the only fixed SageMaker name (ADR-0025): 1-63 characters of a-zA-Z0-9-;
# changing it replaces the endpoint (downtime, a new name for clients).
SAGEMAKER_ENDPOINT_NAME = "sagemaker-endpoint"
# The brief's variant and initial count. Alarms and autoscaling use the variant as a dimension;
# after the first deploy autoscaling owns the count, and updates keep it (ADR-0045).
SAGEMAKER_VARIANT_NAME = "AllTraffic"
SAGEMAKER_INITIAL_INSTANCE_COUNT = 1
# The brief's instance type (4 vCPU, one NVIDIA T4). It must be a key of SAGEMAKER_INSTANCE_VCPUS
# (checked at synthesis); the account needs an endpoint quota of 2 x AUTOSCALING_MAX_CAPACITY
# instances of it, because a blue/green update runs a second fleet.
SAGEMAKER_INSTANCE_TYPE = "ml.g4dn.xlarge"
# Instance families with local NVMe instance storage: SageMaker rejects a volume KMS key on them
# (the storage is encrypted by a hardware module on the instance). Source: KmsKeyId in
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html and
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/InstanceStorage.html. ADR-0048.
SAGEMAKER_INSTANCE_STORAGE_FAMILIES = (
    "ml.c5d",
    "ml.g4dn",
    "ml.g5",
    "ml.g6",
    "ml.g6e",
    "ml.m5d",
    "ml.p3dn",
    "ml.p4d",
    "ml.p4de",
    "ml.p5",
    "ml.r5d",
    "ml.trn1",
)
# Where a SageMaker endpoint writes its container logs and instance metrics (CPUUtilization).
SAGEMAKER_ENDPOINT_NAMESPACE = "/aws/sagemaker/Endpoints"
SAGEMAKER_ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
# The endpoint's log group is created by the stack, before the endpoint, so that it has a
# retention period and is encrypted with the endpoint key (ADR-0038).
SAGEMAKER_ENDPOINT_LOG_RETENTION_DAYS = 365
# The endpoint key's deletion window, 7-30 days (KMS); keep 30, as for the operations key.
ENDPOINT_KEY_PENDING_WINDOW_DAYS = 30

# Hugging Face PyTorch inference DLC (torch + transformers, GPU build, py312). The brief's
# pytorch-inference:1.5.1-cpu-py36 had no transformers, a CPU build on a GPU instance and an
# end-of-life Python. Given as repository:tag; the registry account is chosen per region
# (DLC_REGISTRY_ACCOUNTS). A full URI is accepted too.
SAGEMAKER_MODEL_IMAGE = (
    "huggingface-pytorch-inference:2.6.0-transformers4.49.0-gpu-py312-cu124-ubuntu22.04"
)
# The CPU build of the same DLC, for instance types without a GPU (ml.m5, ml.c5, ml.t2).
SAGEMAKER_CPU_MODEL_IMAGE = (
    "huggingface-pytorch-inference:2.6.0-transformers4.49.0-cpu-py312-ubuntu22.04"
)
# Optional CDK context values that replace SAGEMAKER_INSTANCE_TYPE and SAGEMAKER_MODEL_IMAGE for
# one deployment, e.g. `-c instance_type=ml.m5.xlarge -c model_image=<SAGEMAKER_CPU_MODEL_IMAGE>`
# for a cheaper endpoint in a test (ADR-0069). The instance type must be one of
# SAGEMAKER_INSTANCE_VCPUS. Absent: the brief's constants, unchanged.
INSTANCE_TYPE_CONTEXT_KEY = "instance_type"
MODEL_IMAGE_CONTEXT_KEY = "model_image"
# Environment of the serving container: the transformers pipeline task (a model's archive must
# serve it), the inference toolkit's log level (20 = INFO), and no Hugging Face Hub lookups.
SAGEMAKER_MODEL_ENVIRONMENT = {
    "HF_TASK": "text-classification",
    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
    # The model runs with network isolation (ADR-0049): everything is in model.tar.gz, so
    # never try the Hugging Face Hub (a lookup would only wait for network timeouts).
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}

# AWS Deep Learning Containers registry account by region; every region not listed uses the
# default. Sources: https://aws.github.io/deep-learning-containers/reference/available_images/
# and the SageMaker Python SDK's src/sagemaker/image_uri_config/huggingface.json
# (https://github.com/aws/sagemaker-python-sdk).
DLC_DEFAULT_REGISTRY_ACCOUNT = "763104351884"
# The region mapping covers every region CDK knows in these partitions (the isolated partitions
# have no public DLC registry: a deploy there fails on the missing mapping key, by design).
DLC_REGISTRY_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
DLC_REGISTRY_ACCOUNTS = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-northeast-3": "364406365360",
    "ap-south-2": "772153158452",
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-central-2": "380420809688",
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
}

# vCPUs per instance type: SageMaker's CPUUtilization is the SUM over vCPUs (0-400% on a
# 4-vCPU instance), so TARGET_VALUE (percent of the whole instance) is scaled by this.
SAGEMAKER_INSTANCE_VCPUS = {
    "ml.g4dn.xlarge": 4,
    "ml.g4dn.2xlarge": 8,
    "ml.g4dn.4xlarge": 16,
    "ml.g5.xlarge": 4,
    "ml.g5.2xlarge": 8,
    "ml.m5.large": 2,
    "ml.m5.xlarge": 4,
    "ml.c5.large": 2,
    "ml.c5.xlarge": 4,
    "ml.t2.medium": 2,
}

# Autoscaling cooldowns in seconds (the brief's); longer is safer, GPU instances take minutes.
SCALEINCOOLDOWN = 300
SCALEOUTCOOLDOWN = 300
# Target CPU in percent of the whole instance (SageMaker's CPUUtilization is a sum over vCPUs,
# ADR-0027): 50-80 is sensible, lower costs more, higher leaves less headroom.
TARGET_VALUE = 70
# Fleet bounds (ADR-0026). At least 1; from 2, updates shift traffic through a one-instance canary
# (ADR-0053). The maximum needs twice its count in instance quota (a blue/green update runs a
# second fleet).
AUTOSCALING_MIN_CAPACITY = 1
AUTOSCALING_MAX_CAPACITY = 4
# The metric target tracking follows (the brief's text, not its sample test). GPUUtilization is a
# sum over GPUs: switching needs a code change and an ADR.
AUTOSCALING_METRIC_NAME = "CPUUtilization"

# Safe endpoint updates (blue/green with automatic rollback).
# TerminationWaitInSeconds: how long the old fleet is kept after the deployment, a fast way back;
# each second costs a second fleet. MaximumExecutionTimeoutInSeconds (600-28800) must exceed the
# traffic wait plus this (checked at synthesis).
DEPLOYMENT_BAKE_SECONDS = 600
DEPLOYMENT_MAX_EXECUTION_SECONDS = 3600
# Rollback alarm thresholds per minute (ADR-0054): 5XX errors, and p99 ModelLatency in
# microseconds, as SageMaker reports it (2 s: generous for a DistilBERT-class model on a T4;
# tighten it from observed latency).
ALARM_5XX_THRESHOLD = 1
ALARM_MODEL_LATENCY_P99_MICROSECONDS = 2_000_000
# Invocation metrics (Invocation5XXErrors, ModelLatency) live here, per EndpointName/VariantName.
SAGEMAKER_INVOCATION_METRICS_NAMESPACE = "AWS/SageMaker"
# The rollback alarms look at one-minute datapoints and fire on 2 bad minutes out of 3, so one
# noisy minute does not roll a good model back while a bad one is caught well inside the bake.
DEPLOYMENT_ALARM_PERIOD_SECONDS = 60
DEPLOYMENT_ALARM_EVALUATION_PERIODS = 3
DEPLOYMENT_ALARM_DATAPOINTS_TO_ALARM = 2
# CanarySize must be at most 50% of the variant's instances: a one-instance canary needs two
# (ADR-0053). Below that the update is ALL_AT_ONCE, still blue/green with the bake above.
DEPLOYMENT_CANARY_MIN_INSTANCES = 2
DEPLOYMENT_CANARY_SIZE_INSTANCES = 1
DEPLOYMENT_CANARY_WAIT_SECONDS = 300
# WaitIntervalInSeconds of an ALL_AT_ONCE update (the API requires it for every traffic type):
# the baking period after all traffic has moved to the new fleet, during which SageMaker watches
# the rollback alarms. Together with DEPLOYMENT_BAKE_SECONDS (TerminationWaitInSeconds, the old
# fleet kept after the deployment) it must stay below DEPLOYMENT_MAX_EXECUTION_SECONDS (ADR-0053).
DEPLOYMENT_ALL_AT_ONCE_WAIT_SECONDS = 600

# --------------------------------------------------------------------------------------------
# Automated rollout (a new registered model reaches the endpoint)
# --------------------------------------------------------------------------------------------

# The brief's stack names, also the construct IDs and `cdk deploy`'s arguments; a deployment
# prefix changes the stack names, not the IDs.
LAMBDA_STACK_NAME = "lambda-stack"
S3_STACK_NAME = "s3-stack"
SAGEMAKER_STACK_NAME = "sagemaker-endpoint-stack"
# Optional CDK context value (`cdk deploy -c deployment_prefix=it1`) that prefixes every
# physical name two deployments in one account would fight over (config/naming.py). Empty by
# default: the brief's names, unchanged.
DEPLOYMENT_PREFIX_CONTEXT_KEY = "deployment_prefix"
# Longest prefix for which the longest derived name (the access-log bucket in a 14-character
# region) still fits S3's 63 characters.
DEPLOYMENT_PREFIX_MAX_LENGTH = 10
# The rollout function's name (1-64 characters minus a prefix), metrics namespace and entry point.
ROLLOUT_FUNCTION_NAME = "model-rollout"
ROLLOUT_METRICS_NAMESPACE = "ModelRollout"
ROLLOUT_HANDLER = "rollout_handler.lambda_handler"
# The rollout asset: rollout_handler.py, rollout/ and common/ (RUNTIME_DIR).
ROLLOUT_ASSET_EXCLUDES = runtime_asset_excludes(ROLLOUT_HANDLER, "rollout")
# Three CloudFormation calls and one metrics call; the queue's visibility timeout is derived from
# the timeout.
ROLLOUT_TIMEOUT_SECONDS = 60
ROLLOUT_MEMORY_MB = 256
# One caller of UpdateStack at a time; correctness does not depend on it (ADR-0051).
ROLLOUT_RESERVED_CONCURRENCY = 1
# Requests that arrive together are handled as one: every update re-reads the newest value.
ROLLOUT_BATCH_SIZE = 10
ROLLOUT_BATCH_WINDOW_SECONDS = 5
# AWS asks for a source-queue visibility timeout of at least six times the function timeout
# (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). It
# is also the pause between two attempts of a deferred request.
ROLLOUT_QUEUE_VISIBILITY_TIMEOUT_SECONDS = 6 * ROLLOUT_TIMEOUT_SECONDS
# How long a request may wait for an update in progress (a blue/green update of at most
# DEPLOYMENT_MAX_EXECUTION_SECONDS, its rollback and CloudFormation's own steps) before it is
# moved to the dead-letter queue; the receive count that gives this window is derived from it.
ROLLOUT_DEFER_WINDOW_SECONDS = 3 * 60 * 60
ROLLOUT_MAX_RECEIVE_COUNT = -(
    -ROLLOUT_DEFER_WINDOW_SECONDS // ROLLOUT_QUEUE_VISIBILITY_TIMEOUT_SECONDS
)  # ceiling division
# SQS retention, 1-14 days: the request queue's must exceed the defer window; the dead-letter
# queue's is the time left to re-drive, and must be longer (SQS counts a message's age from its
# first enqueue).
ROLLOUT_QUEUE_RETENTION_DAYS = 4
ROLLOUT_DLQ_RETENTION_DAYS = 14
# Period of the rollout alarms, a multiple of 60.
ROLLOUT_ALARM_PERIOD_SECONDS = 300
# Every rollout alarm fires on one bad datapoint: each counts events that need an operator.
ROLLOUT_ALARM_THRESHOLD = 1
ROLLOUT_ALARM_EVALUATION_PERIODS = 1
# The one dimension of the rollout's metrics; lambda/rollout/contract.py names it too (a test
# ties the two, the runtime cannot import config/).
ROLLOUT_METRICS_STACK_DIMENSION = "StackName"
# The rollout's count of dropped events of another account or region (alarmed, ADR-0017); the
# runtime's twin: lambda/rollout/contract.py METRIC_NAMES["foreign_event_ignored"].
ROLLOUT_FOREIGN_EVENT_IGNORED_METRIC = "RolloutForeignEventIgnored"
# Environment of the rollout function (the asset reads these names; it never imports config/).
ROLLOUT_STACK_NAME_ENV_VAR = "STACK_NAME"
ROLLOUT_CFN_ROLE_ARN_ENV_VAR = "CFN_ROLE_ARN"
ROLLOUT_PARAMETER_ENV_VAR = "MODEL_PARAMETER_NAME"
# Qualifier of the CDK bootstrap the stacks are deployed with (the default one).
CDK_BOOTSTRAP_QUALIFIER = "hnb659fds"
# CDK stacks declare this SSM-typed template parameter (BootstrapVersion); CloudFormation reads
# it, like the model parameter, with the credentials of whoever calls UpdateStack (ADR-0052).
CDK_BOOTSTRAP_VERSION_PARAMETER = f"/cdk-bootstrap/{CDK_BOOTSTRAP_QUALIFIER}/version"


def cdk_deploy_role_name(account: str, region: str) -> str:
    """Name of the CDK bootstrap's deploy role, the identity `cdk deploy` calls CloudFormation
    as (bootstrap template: ``cdk-${Qualifier}-deploy-role-${AWS::AccountId}-${AWS::Region}``).

    CloudFormation resolves the endpoint stack's SSM-typed parameter with that role's
    credentials; the Lambda stack lets it read the model parameter (ADR-0032). CDK tokens
    (``Aws.ACCOUNT_ID``, ``Aws.REGION``) are accepted.
    """
    return f"cdk-{CDK_BOOTSTRAP_QUALIFIER}-deploy-role-{account}-{region}"


def cdk_cfn_execution_role_name(account: str, region: str) -> str:
    """Name of the CDK bootstrap's CloudFormation execution role, which `cdk deploy` and
    `cdk destroy` pass to CloudFormation. A stack the rollout updated last remembers the
    rollout's narrow service role (ADR-0052); deleting it must pass this role explicitly."""
    return f"cdk-{CDK_BOOTSTRAP_QUALIFIER}-cfn-exec-role-{account}-{region}"


# --------------------------------------------------------------------------------------------
# Model monitoring (SageMaker stack, ADR-0070)
# --------------------------------------------------------------------------------------------

# Data capture of the endpoint: requests and responses, application/json stored as JSON text
# (any other content type is base64-encoded by SageMaker). At the traffic ADR-0070 states (1
# request/s) capturing every request costs cents; lower it for a busy endpoint.
DATA_CAPTURE_SAMPLING_PERCENTAGE = 100
DATA_CAPTURE_JSON_CONTENT_TYPES = ("application/json",)
# Key prefixes in the capture bucket: SageMaker writes <capture>/<endpoint>/<variant>/yyyy/mm/dd/hh,
# labellers write ground truth (merge format) under <ground truth>/yyyy/mm/dd/hh, the monitor
# writes one summary per window under <summaries>/<endpoint>/yyyy/mm/dd/hh.json.
DATA_CAPTURE_PREFIX = "data-capture"
GROUND_TRUTH_PREFIX = "ground-truth"
MONITOR_SUMMARY_PREFIX = "monitoring-summaries"
# Captured requests hold customers' text: kept long enough to investigate an alarm, no longer.
DATA_CAPTURE_RETENTION_DAYS = 30
GROUND_TRUTH_RETENTION_DAYS = 90
MONITOR_SUMMARY_RETENTION_DAYS = 400
# A deleted or overwritten object version is kept this long (versioning guards mistakes).
CAPTURE_NONCURRENT_VERSION_RETENTION_DAYS = 7
CAPTURE_ACCESS_LOG_RETENTION_DAYS = ACCESS_LOG_RETENTION_DAYS

# The monitor function.
MONITOR_FUNCTION_NAME = "model-monitor"
MONITOR_HANDLER = "monitor_handler.lambda_handler"
# monitor_handler.py, monitoring/, the registry's metrics file parser and common/.
MONITOR_ASSET_EXCLUDES = runtime_asset_excludes_of(
    MONITOR_HANDLER, "monitoring", modules=("registry/metrics_file.py",)
)
# 100,000 captured records take 7.3 s on one laptop core and 3.2 MB of Python allocations
# (scripts/bench_monitor.py); 512 MB gives Lambda about a third of a vCPU, so such a window
# needs about 25 s: 300 s leaves a tenfold margin (ADR-0070).
MONITOR_TIMEOUT_SECONDS = 300
MONITOR_MEMORY_MB = 512
# One window at a time: two runs of one window cannot both publish (the summary is written with
# If-None-Match), and one run is enough.
MONITOR_RESERVED_CONCURRENCY = 1
# Hourly, at this minute past the hour: SageMaker files a capture by the hour of the request and
# writes it within minutes, so the previous hour is complete by then.
MONITOR_SCHEDULE_MINUTE = 15
MONITOR_METRICS_NAMESPACE = "ModelMonitoring"
MONITOR_ENDPOINT_DIMENSION = "EndpointName"
# What the monitor computes and when it recommends retraining (and the alarms fire).
MONITOR_LOW_CONFIDENCE_THRESHOLD = 0.6
MONITOR_MIN_PREDICTIONS_FOR_DRIFT = 100
MONITOR_MAX_GROUND_TRUTH_LABELS = 200_000
# PSI: < 0.1 no shift, 0.1-0.25 moderate, > 0.25 significant (the usual reading, ADR-0070).
MONITOR_MAX_LABEL_PSI = 0.2
MONITOR_MAX_CONFIDENCE_PSI = 0.2
MONITOR_MAX_INPUT_LENGTH_PSI = 0.25
MONITOR_MIN_ACCURACY = 0.8
MONITOR_MIN_LABELLED_PREDICTIONS = 50
MONITOR_MAX_LOW_CONFIDENCE_SHARE = 0.3
# The monitor's alarms look at hourly datapoints, each stamped with its window's start.
MONITOR_ALARM_PERIOD_SECONDS = 3600
# "Retraining recommended" events go to this bus; the data-science team subscribes through the
# topic below (or a rule of its own on the bus).
MONITOR_EVENT_BUS_NAME = "model-monitoring"
MONITOR_EVENT_SOURCE = "model-pipeline.monitoring"
RETRAINING_TOPIC_NAME = "model-retraining-recommended"
MONITOR_DASHBOARD_NAME = "model-pipeline"
# Scheduled runs and retraining notifications EventBridge could not deliver (SQS keeps 14 days).
MONITOR_DELIVERY_FAILURE_RETENTION_DAYS = 14

# Serving alarms (every one to the operations topic). Instance metrics: percent per core/GPU
# summed over the instance (CPU 0-400 % on 4 vCPUs), memory and disk 0-100 %.
SERVING_ALARM_PERIOD_SECONDS = 300
SERVING_ALARM_EVALUATION_PERIODS = 3
SERVING_ALARM_DATAPOINTS_TO_ALARM = 2
SERVING_ALARM_5XX_THRESHOLD = 1
SERVING_ALARM_4XX_THRESHOLD = 10
SERVING_ALARM_LATENCY_P99_MICROSECONDS = ALARM_MODEL_LATENCY_P99_MICROSECONDS
SERVING_ALARM_CPU_PERCENT = 90
SERVING_ALARM_GPU_PERCENT = 90
SERVING_ALARM_MEMORY_PERCENT = 90
# Data capture stops when the instance disk is above 75 % used: alarm before it does.
SERVING_ALARM_DISK_PERCENT = 70
# No invocation at all for this long raises an alarm (missing data is breaching).
SERVING_NO_INVOCATIONS_SECONDS = 3600
# GPUs per instance type; GPUUtilization is per GPU summed (0-100 % per GPU). An instance type
# not listed has no GPU and no GPU alarm.
SAGEMAKER_INSTANCE_GPUS = {
    "ml.g4dn.xlarge": 1,
    "ml.g4dn.2xlarge": 1,
    "ml.g4dn.4xlarge": 1,
    "ml.g5.xlarge": 1,
    "ml.g5.2xlarge": 1,
}
# The metrics the dashboard shows (each written by its function: test_runtime_contract.py).
DASHBOARD_REGISTRATION_METRICS = (
    "ModelRegistered",
    EVENT_REJECTED_METRIC,
    REGISTERED_MODEL_DELETED_METRIC,
    REGISTERED_MODEL_OVERWRITTEN_METRIC,
)
DASHBOARD_ROLLOUT_METRICS = (
    "RolloutStarted",
    "RolloutSucceeded",
    "RolloutRolledBack",
    "RolloutFailed",
)
MONITOR_DRIFT_METRICS = ("LabelDriftPSI", "ConfidenceDriftPSI", "InputLengthDriftPSI")
MONITOR_QUALITY_METRICS = ("Accuracy", "LowConfidenceShare")
MONITOR_VOLUME_METRICS = ("CapturedRequests", "MalformedCaptureLines", "LabelledPredictions")
# The "retraining recommended" event's detail-type (lambda/monitoring/report.py writes it).
RETRAINING_DETAIL_TYPE = "Model Retraining Recommended"
# Environment of the monitor function: settings field -> variable (lambda/monitoring/contract.py).
MONITOR_ENVIRONMENT_NAMES = {
    "endpoint_name": "ENDPOINT_NAME",
    "variant_name": "VARIANT_NAME",
    "capture_bucket": "CAPTURE_BUCKET",
    "capture_prefix": "CAPTURE_PREFIX",
    "ground_truth_prefix": "GROUND_TRUTH_PREFIX",
    "summary_prefix": "SUMMARY_PREFIX",
    "model_parameter_name": "MODEL_PARAMETER_NAME",
    "model_bucket": "MODEL_BUCKET",
    "model_package_group": "MODEL_PACKAGE_GROUP",
    "event_bus_name": "EVENT_BUS_NAME",
    "event_source": "EVENT_SOURCE",
    "metrics_namespace": METRICS_NAMESPACE_ENV_VAR,
    "low_confidence_threshold": "LOW_CONFIDENCE_THRESHOLD",
    "min_predictions_for_drift": "MIN_PREDICTIONS_FOR_DRIFT",
    "max_ground_truth_labels": "MAX_GROUND_TRUTH_LABELS",
    "max_label_psi": "MAX_LABEL_PSI",
    "max_confidence_psi": "MAX_CONFIDENCE_PSI",
    "max_input_length_psi": "MAX_INPUT_LENGTH_PSI",
    "min_accuracy": "MIN_ACCURACY",
    "min_labelled_predictions": "MIN_LABELLED_PREDICTIONS",
}
