#!/usr/bin/env python3
"""Composition root: the brief's three stacks, in the brief's order, and the compliance packs."""

from __future__ import annotations

import aws_cdk as cdk

from cdk_exercise_stacks.lambda_functions import LambdaStack
from cdk_exercise_stacks.s3 import S3Stack
from cdk_exercise_stacks.sagemaker_endpoints import SentimentEndpointStack
from cdk_exercise_stacks.serving.context import (
    instance_type_from_context,
    model_image_from_context,
)
from config import constants
from policies.nag import apply_compliance_packs


def build_app(app: cdk.App) -> cdk.App:
    """Add the three stacks and the compliance packs to ``app`` and return it (tests synthesize
    it in-process).

    The brief's instance type and image, unless the CDK context overrides them
    (``-c instance_type=... -c model_image=...``, ADR-0069).
    """
    model_instance = instance_type_from_context(
        app,
        key=constants.INSTANCE_TYPE_CONTEXT_KEY,
        default=constants.SAGEMAKER_INSTANCE_TYPE,
        known_types=constants.SAGEMAKER_INSTANCE_VCPUS,
    )
    mode_image = model_image_from_context(
        app,
        key=constants.MODEL_IMAGE_CONTEXT_KEY,
        default=constants.SAGEMAKER_MODEL_IMAGE,
        instance_type=model_instance,
        cpu_image=constants.SAGEMAKER_CPU_MODEL_IMAGE,
    )
    lambda_stack = LambdaStack(app, constants.LAMBDA_STACK_NAME)
    S3Stack(app, constants.S3_STACK_NAME, lambda_stack=lambda_stack)
    SentimentEndpointStack(
        app,
        constants.SAGEMAKER_STACK_NAME,
        ssm_parameter_model_s3=constants.SSM_PARAMETER_MODEL,
        mode_image=mode_image,
        model_instance=model_instance,
        tags={"key": "key", "value": "value"},
    )
    # Every synthesis runs every pack; an unacknowledged finding fails it (ADR-0040, ADR-0041).
    apply_compliance_packs(app)
    return app


if __name__ == "__main__":
    build_app(cdk.App()).synth()
