"""``MlopsLambda``: an asynchronously invoked function loses nothing and logs on purpose."""

from __future__ import annotations

from cdk_nag import NagRuleCompliance

from policies.rules import lambda_function as lambda_rules

from .base import ProjectNagPack, ResourceView, Rule, compliant_if

FUNCTION = frozenset({"AWS::Lambda::Function"})


def _on_failure(resource: ResourceView) -> NagRuleCompliance:
    return compliant_if(
        lambda_rules.has_on_failure_destination(
            resource.logical_id,
            resource.properties,
            resource.others("AWS::Lambda::EventInvokeConfig"),
        )
    )


def _reserved_concurrency(resource: ResourceView) -> NagRuleCompliance:
    return compliant_if(lambda_rules.has_reserved_concurrency(resource.properties))


def _log_retention(resource: ResourceView) -> NagRuleCompliance:
    problem = lambda_rules.log_retention_problem(
        resource.logical_id, resource.properties, resource.others("AWS::Logs::LogGroup")
    )
    return compliant_if(problem is None)


class LambdaResilienceChecks(ProjectNagPack):
    """On-failure destination or DLQ, reserved concurrency, explicit log retention."""

    PACK_NAME = "MlopsLambda"

    def build_rules(self) -> tuple[Rule, ...]:
        return (
            Rule(
                suffix="OnFailureDestination",
                info="The Lambda function has neither an on-failure destination "
                "(EventInvokeConfig) nor a dead-letter queue.",
                explanation=(
                    "S3 invokes the function asynchronously; after the retries an event with "
                    "no destination is dropped, and with it a model registration."
                ),
                resource_types=FUNCTION,
                check=_on_failure,
            ),
            Rule(
                suffix="ReservedConcurrency",
                info="The Lambda function does not set ReservedConcurrentExecutions.",
                explanation=(
                    "Reserved concurrency bounds what the function can consume from the "
                    "account pool and what it can do to downstream APIs (SSM throttles)."
                ),
                resource_types=FUNCTION,
                check=_reserved_concurrency,
            ),
            Rule(
                suffix="LogRetention",
                info="The Lambda function's log group is not declared in the stack with "
                "RetentionInDays.",
                explanation=(
                    "A log group Lambda creates on first write keeps logs forever and outlives "
                    "the stack; declare it (LoggingConfig.LogGroup or /aws/lambda/<name>) with "
                    "an explicit retention."
                ),
                resource_types=FUNCTION,
                check=_log_retention,
            ),
        )
