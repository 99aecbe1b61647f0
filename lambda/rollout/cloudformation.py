"""The one AWS-facing step of the rollout: update the stack so that CloudFormation re-reads the
model parameter (ADR-0050).

DescribeStacks says whether the stack can be updated now; GetTemplateSummary says which
template parameters are SSM-typed and which capabilities the template needs; UpdateStack with
the previous template and those parameters, performed by CloudFormation with its service role,
does the rest. CloudFormation resolves SSM-typed parameters with the caller's credentials, so
this function may read the model parameter (ADR-0052); it reads it too, only to log which
version the update is heading for.

A call that never reached CloudFormation or got no answer (botocore's own errors: no
connection, a timeout) and an attempt the clients' time guard refused (``OutOfTimeError``,
ADR-0013) defer the requests alike: nothing is known to have happened. botocore is imported in
the functions, so importing the handler loads no AWS SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.errors import OutOfTimeError
from rollout.decision import (
    Outcome,
    StackAction,
    action_for_status,
    classify_update_error,
    request_token,
    update_parameters,
)
from rollout.settings import RolloutSettings

if TYPE_CHECKING:
    from botocore.exceptions import ClientError


@dataclass(frozen=True)
class AttemptResult:
    outcome: Outcome
    reason: str
    stack_status: str = ""
    client_request_token: str = ""
    parameter_version: int | None = None


def attempt_rollout(
    cloudformation: Any, ssm: Any, settings: RolloutSettings, message_ids: Sequence[str]
) -> AttemptResult:
    """Start one stack update for all ``message_ids``, or say why not.

    An error that never reached CloudFormation or got no answer (botocore's own: no connection,
    a timeout) or was refused for lack of time defers the requests: nothing is known to have
    happened, and a retry of an UpdateStack that did start is recognised by its request token.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    unanswered = (BotoCoreError, OutOfTimeError)
    try:
        # A missing stack is a ValidationError, never an empty list.
        stack = cloudformation.describe_stacks(StackName=settings.stack_name)["Stacks"][0]
    except ClientError as error:
        return _from_error("DescribeStacks", error)
    except unanswered as error:
        return _unreachable("DescribeStacks", error)
    status = stack["StackStatus"]
    action = action_for_status(status)
    if action is StackAction.DEFER:
        return AttemptResult(Outcome.DEFERRED, f"stack is {status}", status)
    if action is StackAction.NEEDS_OPERATOR:
        return AttemptResult(
            Outcome.FAILED, f"stack is {status}; an operator must settle it first", status
        )
    try:
        summary = cloudformation.get_template_summary(StackName=settings.stack_name)
        parameters = update_parameters(summary.get("Parameters", []), stack.get("Parameters", []))
    except ClientError as error:
        return _from_error("GetTemplateSummary", error, status)
    except unanswered as error:
        return _unreachable("GetTemplateSummary", error, status)
    except ValueError as error:
        return AttemptResult(Outcome.FAILED, str(error), status)
    token = request_token(message_ids)
    version = _parameter_version(ssm, settings.parameter_name)
    try:
        cloudformation.update_stack(
            StackName=settings.stack_name,
            UsePreviousTemplate=True,
            Parameters=parameters,
            Capabilities=summary.get("Capabilities", []),
            RoleARN=settings.cfn_role_arn,
            ClientRequestToken=token,
        )
    except ClientError as error:
        return _from_error("UpdateStack", error, status, token, version)
    except unanswered as error:
        return _unreachable("UpdateStack", error, status, token, version)
    return AttemptResult(Outcome.STARTED, "update started", status, token, version)


def _from_error(
    operation: str,
    error: ClientError,
    status: str = "",
    token: str = "",
    version: int | None = None,
) -> AttemptResult:
    details = error.response.get("Error", {})
    code, message = str(details.get("Code", "")), str(details.get("Message", ""))
    return AttemptResult(
        classify_update_error(code, message),
        f"{operation}: {code}: {message}",
        status,
        token,
        version,
    )


def _unreachable(
    operation: str,
    error: Exception,
    status: str = "",
    token: str = "",
    version: int | None = None,
) -> AttemptResult:
    return AttemptResult(
        Outcome.DEFERRED, f"{operation}: {type(error).__name__}: {error}", status, token, version
    )


def _parameter_version(ssm: Any, name: str) -> int | None:
    """The parameter's current version, for the log; None when it cannot be read (the update
    itself then reports why)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        found = ssm.get_parameters(Names=[name])["Parameters"]
    except (ClientError, BotoCoreError, OutOfTimeError):
        return None
    return int(found[0]["Version"]) if found else None
