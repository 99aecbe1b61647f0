"""Remove everything one prefixed deployment of the pipeline left in an AWS account.

    python -m tests.integration.aws.teardown --prefix it3f9a2c            # show the plan
    python -m tests.integration.aws.teardown --prefix it3f9a2c --yes      # delete it

The opt-in AWS tests call ``teardown`` in a finalizer; an operator runs the command above to
clean up after a run that was interrupted. Only resources of that one prefix are touched, each
selected by an exact derived name (config/naming.py) or by a tag that names one of the prefix's
stacks; the unprefixed deployment (the brief's names) is refused outright (ADR-0068).

Order: the stacks in reverse deploy order (endpoint stack first, which also removes the rollout
rule that could start another update); then what the stacks leave behind or could not delete:
the endpoint and its scalable target, endpoint configs and models tagged with a stack of the
prefix, the retained buckets (every object version and delete marker first), the model
parameter (written by the registration function, owned by no stack), the retained queues of
failed work (ADR-0058), the retained log groups, and last the retained KMS keys that
encrypted them, whose deletion is scheduled (KMS's shortest waiting period, 7 days; cancellable
until then). A failure is reported and the rest still runs; the command exits 1 if anything
failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from config import constants
from config.naming import DeploymentNaming

# Stack-level tag the AWS tests deploy with (`cdk deploy --tags`); CloudFormation propagates it
# to every resource that supports tags. CloudFormation also tags resources with the stack name.
DEPLOYMENT_TAG_KEY = "pipeline-deployment-prefix"
STACK_NAME_TAG_KEY = "aws:cloudformation:stack-name"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
STACK_POLL_SECONDS = 15
STACK_TIMEOUT_SECONDS = 90 * 60
ENDPOINT_TIMEOUT_SECONDS = 30 * 60
BUCKET_DELETE_ATTEMPTS = 5
# KMS accepts 7 to 30 days; the shortest ends the key's cost soonest.
KEY_DELETION_WINDOW_DAYS = 7
# Keys already on their way out (or gone) are not selected again.
KEY_STATES_DONE = frozenset({"PendingDeletion", "PendingReplicaDeletion", "Unavailable"})

Log = Callable[[str], None]


class UnsafePrefixError(ValueError):
    """The prefix would select the unprefixed deployment, or is not a valid prefix."""


@dataclass(frozen=True)
class AwsClients:
    cloudformation: Any
    sagemaker: Any
    autoscaling: Any
    s3: Any
    ssm: Any
    logs: Any
    kms: Any
    sqs: Any

    @classmethod
    def create(cls, session: Any, region: str | None = None) -> AwsClients:
        def client(name: str) -> Any:
            return session.client(name, region_name=region)

        return cls(
            cloudformation=client("cloudformation"),
            sagemaker=client("sagemaker"),
            autoscaling=client("application-autoscaling"),
            s3=client("s3"),
            ssm=client("ssm"),
            logs=client("logs"),
            kms=client("kms"),
            sqs=client("sqs"),
        )


@dataclass
class TeardownPlan:
    """What exists now of one prefixed deployment, in deletion order."""

    prefix: str
    stacks: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    scalable_targets: list[str] = field(default_factory=list)
    endpoint_configs: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    log_groups: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    KINDS = (
        "stacks",
        "endpoints",
        "scalable_targets",
        "endpoint_configs",
        "models",
        "buckets",
        "parameters",
        "queues",
        "log_groups",
        "keys",
    )

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, kind) for kind in self.KINDS)

    def describe(self) -> list[str]:
        return [
            f"{kind}: {', '.join(getattr(self, kind))}"
            for kind in self.KINDS
            if getattr(self, kind)
        ] or [f"nothing of deployment {self.prefix!r} exists"]


def naming_for_teardown(prefix: str) -> DeploymentNaming:
    if not prefix:
        raise UnsafePrefixError(
            "refusing to tear down the unprefixed deployment (the brief's names): give the "
            "prefix of a test deployment"
        )
    try:
        return DeploymentNaming(prefix)
    except ValueError as error:
        raise UnsafePrefixError(str(error)) from error


def stack_names(naming: DeploymentNaming) -> list[str]:
    """The prefix's stacks in reverse deploy order (ADR-0032)."""
    return [naming.sagemaker_stack_name, naming.s3_stack_name, naming.lambda_stack_name]


def plan_teardown(clients: AwsClients, prefix: str, account: str, region: str) -> TeardownPlan:
    """Select (read-only) every resource of deployment ``prefix`` that exists now."""
    naming = naming_for_teardown(prefix)
    plan = TeardownPlan(prefix)
    plan.stacks = [name for name in stack_names(naming) if _live_stack(clients, name)]
    _plan_leftovers(clients, naming, account, region, plan)
    return plan


def _plan_leftovers(
    clients: AwsClients, naming: DeploymentNaming, account: str, region: str, plan: TeardownPlan
) -> None:
    if _endpoint_exists(clients, naming.endpoint_name):
        plan.endpoints = [naming.endpoint_name]
    target = _scalable_target_id(naming)
    found = clients.autoscaling.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[target]
    )["ScalableTargets"]
    plan.scalable_targets = [t["ResourceId"] for t in found if t["ResourceId"] == target]
    owners = set(stack_names(naming))
    plan.endpoint_configs = _tagged(
        clients.sagemaker,
        "list_endpoint_configs",
        "EndpointConfigs",
        "EndpointConfig",
        naming.prefix,
        owners,
    )
    plan.models = _tagged(
        clients.sagemaker, "list_models", "Models", "Model", naming.prefix, owners
    )
    buckets = [
        naming.model_bucket_name(account, region),
        naming.access_log_bucket_name(account, region),
        # The capture bucket before its log bucket, as for the model bucket.
        naming.capture_bucket_name(account, region),
        naming.capture_access_log_bucket_name(account, region),
    ]
    plan.buckets = [name for name in buckets if _bucket_exists(clients.s3, name)]
    parameter = naming.model_parameter_name
    found_parameters = clients.ssm.get_parameters(Names=[parameter])["Parameters"]
    plan.parameters = [p["Name"] for p in found_parameters if p["Name"] == parameter]
    plan.queues = _queues(clients.sqs, naming)
    plan.log_groups = _log_groups(clients.logs, naming)
    plan.keys = _pipeline_keys(clients.kms, naming)


def execute_teardown(
    clients: AwsClients,
    plan: TeardownPlan,
    account: str,
    region: str,
    *,
    log: Log = print,
    poll_seconds: float = STACK_POLL_SECONDS,
) -> list[str]:
    """Delete what ``plan`` lists, stacks first; returns the problems (empty: all gone)."""
    naming = naming_for_teardown(plan.prefix)
    problems: list[str] = []
    for stack in plan.stacks:
        _attempt(
            problems, log, f"delete stack {stack}", _delete_stack, clients, stack, poll_seconds
        )
    # What the stacks left (retained by design, or a stack that failed to delete).
    leftovers = TeardownPlan(plan.prefix)
    _plan_leftovers(clients, naming, account, region, leftovers)
    for target in leftovers.scalable_targets:
        _attempt(
            problems,
            log,
            f"deregister scalable target {target}",
            clients.autoscaling.deregister_scalable_target,
            ServiceNamespace="sagemaker",
            ResourceId=target,
            ScalableDimension=SCALABLE_DIMENSION,
        )
    for endpoint in leftovers.endpoints:
        _attempt(
            problems,
            log,
            f"delete endpoint {endpoint}",
            _delete_endpoint,
            clients,
            endpoint,
            poll_seconds,
        )
    for config in leftovers.endpoint_configs:
        _attempt(
            problems,
            log,
            f"delete endpoint config {config}",
            clients.sagemaker.delete_endpoint_config,
            EndpointConfigName=config,
        )
    for model in leftovers.models:
        _attempt(
            problems, log, f"delete model {model}", clients.sagemaker.delete_model, ModelName=model
        )
    for bucket in leftovers.buckets:  # the model bucket first: it stops writing access logs
        _attempt(
            problems,
            log,
            f"empty and delete bucket {bucket}",
            _delete_bucket,
            clients.s3,
            bucket,
            poll_seconds,
        )
    for parameter in leftovers.parameters:
        _attempt(
            problems,
            log,
            f"delete parameter {parameter}",
            clients.ssm.delete_parameter,
            Name=parameter,
        )
    for queue_url in leftovers.queues:
        _attempt(
            problems, log, f"delete queue {queue_url}", clients.sqs.delete_queue, QueueUrl=queue_url
        )
    for group in leftovers.log_groups:
        _attempt(
            problems,
            log,
            f"delete log group {group}",
            clients.logs.delete_log_group,
            logGroupName=group,
        )
    # Last: the log groups they encrypted are gone. Keys found before the stacks were deleted
    # (by alias) count as well as those found now (by the tags CloudFormation gave them).
    for key_id in sorted(set(plan.keys) | set(leftovers.keys)):
        _attempt(
            problems,
            log,
            f"schedule deletion of KMS key {key_id} in {KEY_DELETION_WINDOW_DAYS} days",
            _schedule_key_deletion,
            clients.kms,
            key_id,
        )
    return problems


def teardown(
    session: Any, prefix: str, region: str | None = None, *, log: Log = print
) -> tuple[TeardownPlan, list[str]]:
    """Plan and execute the teardown of ``prefix`` in the session's account."""
    region = region or session.region_name
    clients = AwsClients.create(session, region)
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    plan = plan_teardown(clients, prefix, account, region)
    for line in plan.describe():
        log(f"teardown {prefix}: {line}")
    return plan, execute_teardown(clients, plan, account, region, log=log)


# ---- selection helpers --------------------------------------------------------------------


def _live_stack(clients: AwsClients, name: str) -> bool:
    try:
        stacks = clients.cloudformation.describe_stacks(StackName=name)["Stacks"]
    except clients.cloudformation.exceptions.ClientError as error:
        details = error.response.get("Error", {})
        if details.get("Code") == "ValidationError" and "does not exist" in str(
            details.get("Message", "")
        ):
            return False
        raise
    return any(s["StackStatus"] != "DELETE_COMPLETE" for s in stacks)


def _endpoint_exists(clients: AwsClients, name: str) -> bool:
    try:
        clients.sagemaker.describe_endpoint(EndpointName=name)
    except clients.sagemaker.exceptions.ClientError as error:
        details = error.response.get("Error", {})
        if details.get("Code") == "ValidationException" and "Could not find" in str(
            details.get("Message", "")
        ):
            return False
        raise
    return True


def _scalable_target_id(naming: DeploymentNaming) -> str:
    return f"endpoint/{naming.endpoint_name}/variant/{constants.SAGEMAKER_VARIANT_NAME}"


def _tagged(
    sagemaker: Any, operation: str, list_key: str, kind: str, prefix: str, owners: set[str]
) -> list[str]:
    """Names of SageMaker resources tagged with one of ``owners`` (stack-name tag) or with
    this deployment's prefix tag."""
    selected = []
    for page in sagemaker.get_paginator(operation).paginate():
        for item in page[list_key]:
            tags = {
                tag["Key"]: tag["Value"]
                for tag in sagemaker.list_tags(ResourceArn=item[f"{kind}Arn"])["Tags"]
            }
            if tags.get(STACK_NAME_TAG_KEY) in owners or tags.get(DEPLOYMENT_TAG_KEY) == prefix:
                selected.append(item[f"{kind}Name"])
    return sorted(selected)


def _bucket_exists(s3: Any, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"404", "NoSuchBucket", "NotFound"}:
            return False
        raise
    return True


def _queues(sqs: Any, naming: DeploymentNaming) -> list[str]:
    """URLs of the retained queues (failed registrations, rollout dead letters): CloudFormation
    names them ``<stack>-<logical id>-<suffix>``, like the log groups."""
    prefixes = tuple(f"{stack}-" for stack in stack_names(naming))
    found = []
    for queue_prefix in prefixes:
        for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=queue_prefix):
            found += [
                url
                for url in page.get("QueueUrls", [])
                if url.rsplit("/", 1)[-1].startswith(prefixes)
            ]
    return sorted(set(found))


def _log_groups(logs: Any, naming: DeploymentNaming) -> list[str]:
    """Retained log groups: CloudFormation names them ``<stack>-<logical id>-<suffix>``;
    SageMaker writes the endpoint's under its exact name."""
    prefixes = [f"{stack}-" for stack in stack_names(naming)]
    endpoint_group = f"{constants.SAGEMAKER_ENDPOINT_LOG_GROUP_PREFIX}{naming.endpoint_name}"
    found = []
    for group_prefix in [*prefixes, endpoint_group]:
        paginator = logs.get_paginator("describe_log_groups")
        for page in paginator.paginate(logGroupNamePrefix=group_prefix):
            for group in page["logGroups"]:
                name = group["logGroupName"]
                if name.startswith(tuple(prefixes)) or name == endpoint_group:
                    found.append(name)
    return sorted(set(found))


def _pipeline_keys(kms: Any, naming: DeploymentNaming) -> list[str]:
    """Ids of the deployment's customer-managed keys that are not already pending deletion.

    While a stack exists its key has the alias ``alias/<derived key name>``; the keys are
    retained and the aliases are not, so after the stack is gone a key is recognised by the
    tags CloudFormation gave it: its stack's name, or this deployment's prefix tag.
    """
    aliases = {naming.key_alias(name) for name in naming.key_names}
    selected = set()
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page["Aliases"]:
            if alias["AliasName"] in aliases and alias.get("TargetKeyId"):
                selected.add(alias["TargetKeyId"])
    owners = set(stack_names(naming))
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            if key["KeyId"] not in selected and _tagged_key(kms, key["KeyId"], naming, owners):
                selected.add(key["KeyId"])
    return sorted(key_id for key_id in selected if _key_is_live(kms, key_id))


def _tagged_key(kms: Any, key_id: str, naming: DeploymentNaming, owners: set[str]) -> bool:
    try:
        pages = kms.get_paginator("list_resource_tags").paginate(KeyId=key_id)
        tags = {tag["TagKey"]: tag["TagValue"] for page in pages for tag in page["Tags"]}
    except kms.exceptions.ClientError as error:
        # Another principal's key whose policy does not let us read it is not ours: ours let
        # the account use them (cdk_exercise_stacks/operations/keys.py).
        if error.response.get("Error", {}).get("Code") in {
            "AccessDeniedException",
            "NotFoundException",
        }:
            return False
        raise
    return tags.get(STACK_NAME_TAG_KEY) in owners or tags.get(DEPLOYMENT_TAG_KEY) == naming.prefix


def _key_is_live(kms: Any, key_id: str) -> bool:
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    return metadata.get("KeyManager") == "CUSTOMER" and metadata["KeyState"] not in KEY_STATES_DONE


# ---- deletion helpers -----------------------------------------------------------------------


def _schedule_key_deletion(kms: Any, key_id: str) -> None:
    if _key_is_live(kms, key_id):  # found twice, or scheduled by a concurrent run
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=KEY_DELETION_WINDOW_DAYS)


def _attempt(problems: list[str], log: Log, what: str, action: Callable, *args, **kwargs) -> None:
    log(f"teardown: {what}")
    try:
        action(*args, **kwargs)
    except Exception as error:  # every failure is reported; the rest still runs
        problems.append(f"{what}: {type(error).__name__}: {error}")
        log(f"teardown: FAILED {what}: {error}")


def _deletion_role_arn(stack_id: str) -> str:
    """The CDK execution role, as `cdk destroy` passes it: after a rollout, CloudFormation would
    otherwise reuse the rollout's service role, which may only touch models and configs."""
    partition, region, account = (stack_id.split(":")[i] for i in (1, 3, 4))
    name = constants.cdk_cfn_execution_role_name(account, region)
    return f"arn:{partition}:iam::{account}:role/{name}"


def _delete_stack(clients: AwsClients, name: str, poll_seconds: float) -> None:
    cloudformation = clients.cloudformation
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    stack_id = stack["StackId"]
    # A stack in the middle of an update (a rollout) cannot be deleted: let it settle first.
    status = _wait_for_stack(cloudformation, stack_id, poll_seconds, settled=True)
    if status != "DELETE_COMPLETE":
        cloudformation.delete_stack(StackName=stack_id, RoleARN=_deletion_role_arn(stack_id))
        status = _wait_for_stack(cloudformation, stack_id, poll_seconds, settled=True)
    if status != "DELETE_COMPLETE":
        reason = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0].get(
            "StackStatusReason", ""
        )
        raise RuntimeError(f"stack {name} ended in {status}: {reason}")


def _wait_for_stack(cloudformation: Any, stack_id: str, poll_seconds: float, settled: bool) -> str:
    deadline = time.monotonic() + STACK_TIMEOUT_SECONDS
    while True:
        status = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
        if not status.endswith("_IN_PROGRESS") or not settled:
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"stack {stack_id} still {status}")
        time.sleep(poll_seconds)


def _delete_endpoint(clients: AwsClients, name: str, poll_seconds: float) -> None:
    clients.sagemaker.delete_endpoint(EndpointName=name)
    deadline = time.monotonic() + ENDPOINT_TIMEOUT_SECONDS
    while _endpoint_exists(clients, name):
        if time.monotonic() > deadline:
            raise TimeoutError(f"endpoint {name} still exists")
        time.sleep(poll_seconds)


def _delete_bucket(s3: Any, name: str, poll_seconds: float) -> None:
    # Stop server access logging into the log bucket before both are emptied.
    s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={})
    for attempt in range(1, BUCKET_DELETE_ATTEMPTS + 1):
        _delete_every_version(s3, name)
        try:
            s3.delete_bucket(Bucket=name)
            return
        except s3.exceptions.ClientError as error:
            # Access logs already in flight may land after the bucket was emptied.
            if error.response.get("Error", {}).get("Code") != "BucketNotEmpty":
                raise
            if attempt == BUCKET_DELETE_ATTEMPTS:
                raise
            time.sleep(poll_seconds)


def _delete_every_version(s3: Any, name: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        entries = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for batch in _chunks(entries, 1000):
            response = s3.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})
            errors = response.get("Errors")
            if errors:
                raise RuntimeError(f"{len(errors)} object versions not deleted: {errors[:3]}")


def _chunks(items: list[dict[str, str]], size: int) -> Iterable[list[dict[str, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.integration.aws.teardown",
        description="Delete every resource of one prefixed (test) deployment of the pipeline.",
    )
    parser.add_argument("--prefix", required=True, help="the deployment_prefix of the run")
    parser.add_argument("--region", help="default: the AWS configuration's region")
    parser.add_argument("--yes", action="store_true", help="delete (default: only show the plan)")
    args = parser.parse_args(argv)

    import boto3

    try:
        naming_for_teardown(args.prefix)
    except UnsafePrefixError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    if not args.yes:
        region = args.region or session.region_name
        clients = AwsClients.create(session, region)
        account = session.client("sts", region_name=region).get_caller_identity()["Account"]
        plan = plan_teardown(clients, args.prefix, account, region)
        for line in plan.describe():
            print(line)
        print("(nothing deleted: add --yes to delete)")
        return 0
    _, problems = teardown(session, args.prefix, args.region)
    for problem in problems:
        print(f"not deleted: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
