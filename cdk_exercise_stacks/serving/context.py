"""The endpoint's instance type and image for one deployment: the defaults, or CDK context.

``cdk deploy -c instance_type=ml.m5.xlarge -c model_image=<CPU tag>`` serves the model on
another instance type, for example a cheaper CPU instance in a test (ADR-0069). Without these
context values the defaults (the brief's constants, passed by ``app.py``) are used unchanged. A
value that cannot work is refused at synthesis, naming the context key and what it accepts.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from constructs import Construct

from cdk_exercise_stacks.serving.image import (
    has_gpu,
    is_gpu_build,
    parse_image_reference,
)


def instance_type_from_context(
    scope: Construct, *, key: str, default: str, known_types: Collection[str]
) -> str:
    """The ``key`` context value, else ``default``; only ``known_types``, the types whose vCPU
    count config/constants.py SAGEMAKER_INSTANCE_VCPUS holds (CPU autoscaling needs it), are
    accepted."""
    value = _context_string(scope, key)
    if value is None:
        return default
    if value not in known_types:
        known = ", ".join(sorted(known_types))
        raise ValueError(
            f"CDK context {key}={value!r} is not a known SageMaker instance type: add its vCPU "
            f"count to config/constants.py SAGEMAKER_INSTANCE_VCPUS, or use one of: {known}"
        )
    return value


def model_image_from_context(
    scope: Construct, *, key: str, default: str, instance_type: str, cpu_image: str
) -> str:
    """The ``key`` context value, else ``default``; refused if it is not an image reference, or
    if it is a GPU build and ``instance_type`` has no GPU (it cannot start: the message proposes
    ``cpu_image``)."""
    value = _context_string(scope, key)
    image = default if value is None else value
    try:
        reference = parse_image_reference(image)
    except ValueError as error:
        raise ValueError(f"CDK context {key}: {error}") from None
    if is_gpu_build(reference) and not has_gpu(instance_type):
        raise ValueError(
            f"the serving image {image!r} is a GPU build and {instance_type} has no GPU: the "
            f"container cannot start. Pass a CPU image too, e.g. -c {key}="
            f"{cpu_image}"
        )
    return image


def _context_string(scope: Construct, key: str) -> str | None:
    value: Any = scope.node.try_get_context(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"CDK context {key} must be a non-empty string, got {value!r}")
    return value.strip()
