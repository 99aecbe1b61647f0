"""Lets `cdk deploy` resolve the endpoint stack's model parameter (ADR-0032, amended 2026-11-27).

The endpoint stack reads the registered key through a template parameter of type
``AWS::SSM::Parameter::Value<String>``, and CloudFormation resolves such a parameter with the
credentials of whoever calls it (ADR-0052). `cdk deploy` calls CloudFormation as the CDK
bootstrap's deploy role, whose bootstrap policy may read only the bootstrap version parameter
(statement ``ReadVersion`` of the bootstrap template). Without more, the endpoint stack's first
deploy would fail with "User doesn't have permission to call ssm:GetParameters".

This customer-managed policy adds the one model parameter to that role. It lives in the Lambda
stack, which deploys before the endpoint stack and already knows the parameter's name. The
role is imported by its name, not created: the policy's ``Roles`` property attaches it.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

# The pair the bootstrap template's ReadVersion statement grants the same role for the same
# purpose (resolving an SSM-typed template parameter) on the bootstrap version parameter.
PARAMETER_READ_ACTIONS = ("ssm:GetParameter", "ssm:GetParameters")


class DeployRoleParameterRead(Construct):
    """``policy``: read ``parameter_arn``, attached to the existing role ``role_name``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, role_name: str, parameter_arn: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.deploy_role = iam.Role.from_role_name(self, "DeployRole", role_name)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=("cdk deploy of the endpoint stack: resolve its SSM-typed model parameter"),
            statements=[
                iam.PolicyStatement(
                    sid="ResolveModelParameter",
                    actions=list(PARAMETER_READ_ACTIONS),
                    resources=[parameter_arn],
                )
            ],
            roles=[self.deploy_role],
        )
