"""Physical names of one deployment, derived from config/constants.py.

Every physical name that two deployments in one account would fight over (stack names, the
registration function, the model parameter, the buckets, the endpoint, the rollout function,
the KMS key names and aliases, the registration metrics namespace) is computed here, once.
With the default empty prefix the names are exactly the brief's; the opt-in AWS integration
tests pass a short prefix (CDK context ``deployment_prefix``) so that a test deployment never
touches a real one (ADR-0035).

Pure Python: no CDK import, so the same names can be computed by tests and tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from config import constants

# Lower-case letters, digits and inner hyphens: valid inside S3 bucket names, SSM parameter
# names, Lambda function names, SageMaker endpoint names and CloudFormation stack names.
_PREFIX_PATTERN = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")


def validate_parameter_name(name: str) -> str:
    """Raise ValueError unless ``name`` is a fully qualified SSM parameter name.

    SSM rejects a hierarchical name without a leading slash, and ``/x`` and ``x`` name the same
    parameter: requiring the slash keeps one spelling of the one name (ADR-0020).
    """
    if not name.startswith("/") or name.endswith("/") or "//" in name:
        raise ValueError(
            f"SSM parameter name {name!r} must be fully qualified: start with '/', "
            "no empty hierarchy level, no trailing '/'"
        )
    if not re.fullmatch(r"[a-zA-Z0-9_.\-/]+", name):
        raise ValueError(f"SSM parameter name {name!r} may only contain a-zA-Z0-9_.-/")
    if name.lower().startswith(("/aws", "/ssm")):
        raise ValueError(f"SSM parameter name {name!r} must not start with 'aws' or 'ssm'")
    return name


@dataclass(frozen=True)
class DeploymentNaming:
    """The physical names of one deployment; ``prefix`` empty means the brief's names."""

    prefix: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str):
            raise TypeError(f"deployment prefix must be a string, got {type(self.prefix).__name__}")
        if self.prefix and (
            len(self.prefix) > constants.DEPLOYMENT_PREFIX_MAX_LENGTH
            or not _PREFIX_PATTERN.match(self.prefix)
        ):
            raise ValueError(
                f"deployment prefix {self.prefix!r} must be 1-"
                f"{constants.DEPLOYMENT_PREFIX_MAX_LENGTH} characters of a-z, 0-9 and inner '-', "
                "starting with a letter"
            )

    def resource_name(self, base: str) -> str:
        """A dash-joined physical name: ``base`` itself, or ``<prefix>-<base>``."""
        return f"{self.prefix}-{base}" if self.prefix else base

    def parameter_name(self, base: str = constants.SSM_PARAMETER_MODEL) -> str:
        """A fully qualified SSM name: ``base`` itself, or ``/<prefix><base>`` (one level more)."""
        validate_parameter_name(base)
        return f"/{self.prefix}{base}" if self.prefix else base

    def stack_name(self, base: str) -> str:
        return self.resource_name(base)

    @property
    def lambda_stack_name(self) -> str:
        return self.stack_name(constants.LAMBDA_STACK_NAME)

    @property
    def s3_stack_name(self) -> str:
        return self.stack_name(constants.S3_STACK_NAME)

    @property
    def sagemaker_stack_name(self) -> str:
        return self.stack_name(constants.SAGEMAKER_STACK_NAME)

    @property
    def function_name(self) -> str:
        """The model registration function."""
        return self.resource_name(constants.LAMBDA_NAME)

    @property
    def rollout_function_name(self) -> str:
        return self.resource_name(constants.ROLLOUT_FUNCTION_NAME)

    @property
    def monitor_function_name(self) -> str:
        return self.resource_name(constants.MONITOR_FUNCTION_NAME)

    @property
    def monitor_event_bus_name(self) -> str:
        """The bus the monitor sends "retraining recommended" events to."""
        return self.resource_name(constants.MONITOR_EVENT_BUS_NAME)

    @property
    def retraining_topic_name(self) -> str:
        return self.resource_name(constants.RETRAINING_TOPIC_NAME)

    @property
    def dashboard_name(self) -> str:
        return self.resource_name(constants.MONITOR_DASHBOARD_NAME)

    @property
    def model_parameter_name(self) -> str:
        """The one parameter the handler writes and the endpoint stack reads."""
        return self.parameter_name(constants.SSM_PARAMETER_MODEL)

    @property
    def model_package_group_name(self) -> str:
        """The SageMaker model package group every model upload is registered in (ADR-0071)."""
        return self.resource_name(constants.MODEL_PACKAGE_GROUP_NAME)

    @property
    def endpoint_name(self) -> str:
        return self.resource_name(constants.SAGEMAKER_ENDPOINT_NAME)

    def model_bucket_name(self, account: str, region: str) -> str:
        """The model bucket; ``account``/``region`` may be CDK tokens."""
        return self.resource_name(constants.model_bucket_name(account, region))

    def access_log_bucket_name(self, account: str, region: str) -> str:
        return self.resource_name(constants.access_log_bucket_name(account, region))

    def capture_bucket_name(self, account: str, region: str) -> str:
        return self.resource_name(constants.capture_bucket_name(account, region))

    def capture_access_log_bucket_name(self, account: str, region: str) -> str:
        return self.resource_name(constants.capture_access_log_bucket_name(account, region))

    @property
    def operations_key_name(self) -> str:
        """The key of the operations topic and the registration logs (Lambda stack)."""
        return self.resource_name(constants.OPERATIONS_KEY_NAME)

    @property
    def endpoint_key_name(self) -> str:
        """The key of the endpoint's logs and storage volume (SageMaker stack)."""
        return self.resource_name(constants.ENDPOINT_KEY_NAME)

    @property
    def key_names(self) -> tuple[str, ...]:
        """Every customer-managed key of this deployment (``alias/<name>``)."""
        return (self.operations_key_name, self.endpoint_key_name)

    @staticmethod
    def key_alias(key_name: str) -> str:
        return f"alias/{key_name}"

    @property
    def registration_metrics_namespace(self) -> str:
        """Where the registration function puts its metrics and its alarms look.

        The metrics have no dimensions, so a test deployment gets a namespace of its own:
        otherwise its rejected events would page the operators of the real one.
        """
        base = constants.MODEL_REGISTRATION_METRICS_NAMESPACE
        return f"{self.prefix}/{base}" if self.prefix else base

    @property
    def lambda_environment(self) -> dict[str, str]:
        """The registration function's environment: the brief's variable, with this
        deployment's parameter name, plus the metrics namespace and the model key prefix.
        (The bucket name needs the account and region: see ``model_bucket_environment``.)"""
        return {
            **constants.LAMBDA_ENVIRONMENT_VARIABLE,
            constants.SSM_PARAMETER_ENV_VAR: self.model_parameter_name,
            constants.METRICS_NAMESPACE_ENV_VAR: self.registration_metrics_namespace,
            constants.MODEL_KEY_PREFIX_ENV_VAR: constants.MODEL_KEY_PREFIX,
        }

    def model_bucket_environment(self, account: str, region: str) -> dict[str, str]:
        """The environment entry naming the only bucket the handler registers models from."""
        return {constants.MODEL_BUCKET_ENV_VAR: self.model_bucket_name(account, region)}
