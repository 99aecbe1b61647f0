"""The AWS tests' teardown on moto: it selects and deletes exactly one prefixed deployment.

Four deployments share the emulated account: ``it1`` (torn down), ``it10`` (a prefix that
starts with it1's), ``it2`` (another test run) and the unprefixed one (the brief's names, i.e.
production). Each has the three stacks, both
buckets with object versions and delete markers, the model parameter, tagged SageMaker models
and endpoint configs, an endpoint with a scalable target, retained log groups, and retained KMS
keys: one still under its alias (its stack exists), one known only by its stack-name tag and
one only by the deployment's prefix tag (their stacks are gone), plus one already scheduled for
deletion. The account also holds a key of nobody's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from config import constants
from config.naming import DeploymentNaming
from tests.integration.aws import teardown as td

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/serving:1"
# One resource is enough to make a stack exist (not a queue: the retained queues are selected by
# the stack's name prefix, and a stack's own resources go with it).
STACK_TEMPLATE = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}})
PREFIXES = ("it1", "it10", "it2", "")
# What a key of each kind is recognised by (see deploy()).
KEY_KINDS = ("alias", "stack_tag", "prefix_tag")


@pytest.fixture
def account(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        clients = td.AwsClients.create(session, REGION)
        keys = {prefix: deploy(clients, DeploymentNaming(prefix)) for prefix in PREFIXES}
        clients.kms.create_key(Description="someone else's key")
        yield session, clients, keys


def deploy(clients: td.AwsClients, naming: DeploymentNaming) -> set[str]:
    """What a deployment with this naming leaves in an account; returns its live key ids."""
    for stack in td.stack_names(naming):
        clients.cloudformation.create_stack(StackName=stack, TemplateBody=STACK_TEMPLATE)
    for bucket in (
        naming.model_bucket_name(ACCOUNT, REGION),
        naming.access_log_bucket_name(ACCOUNT, REGION),
    ):
        clients.s3.create_bucket(Bucket=bucket)
        clients.s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        for body in (b"v1", b"v2"):
            clients.s3.put_object(Bucket=bucket, Key="models/m.tar.gz", Body=body)
        clients.s3.delete_object(Bucket=bucket, Key="models/m.tar.gz")  # a delete marker
    clients.ssm.put_parameter(
        Name=naming.model_parameter_name, Value="models/m.tar.gz", Type="String"
    )
    stack_tag = [{"Key": td.STACK_NAME_TAG_KEY, "Value": naming.sagemaker_stack_name}]
    label = naming.prefix or "prod"
    clients.sagemaker.create_model(
        ModelName=f"{label}-model-a",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE},
        Tags=stack_tag,
    )
    # Tagged only with the test's own tag (CloudFormation propagates stack tags).
    prefix_tag = [{"Key": td.DEPLOYMENT_TAG_KEY, "Value": label}]
    clients.sagemaker.create_model(
        ModelName=f"{label}-model-b",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE},
        Tags=prefix_tag,
    )
    clients.sagemaker.create_endpoint_config(
        EndpointConfigName=f"{label}-config",
        ProductionVariants=[
            {
                "VariantName": constants.SAGEMAKER_VARIANT_NAME,
                "ModelName": f"{label}-model-a",
                "InitialInstanceCount": 1,
                "InstanceType": constants.SAGEMAKER_INSTANCE_TYPE,
            }
        ],
        Tags=stack_tag,
    )
    clients.sagemaker.create_endpoint(
        EndpointName=naming.endpoint_name, EndpointConfigName=f"{label}-config"
    )
    clients.autoscaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=f"endpoint/{naming.endpoint_name}/variant/{constants.SAGEMAKER_VARIANT_NAME}",
        ScalableDimension=td.SCALABLE_DIMENSION,
        MinCapacity=1,
        MaxCapacity=2,
    )
    for group in (
        f"{naming.lambda_stack_name}-ModelRegistrationLogGroup9C1EDBEC-ABC",
        f"{naming.sagemaker_stack_name}-RolloutLogGroupEB72B340-DEF",
        f"{constants.SAGEMAKER_ENDPOINT_LOG_GROUP_PREFIX}{naming.endpoint_name}",
    ):
        clients.logs.create_log_group(logGroupName=group)
    for queue in retained_queues(naming):
        clients.sqs.create_queue(QueueName=queue)
    return create_keys(clients, naming)


def retained_queues(naming: DeploymentNaming) -> list[str]:
    """The queues a deleted stack leaves (DeletionPolicy Retain, ADR-0058)."""
    return [
        f"{naming.lambda_stack_name}-ModelRegistrationFailedRegistrations8E9D910E-ABC",
        f"{naming.sagemaker_stack_name}-RolloutDeadLetterQueue5C40862A-DEF",
    ]


def create_keys(clients: td.AwsClients, naming: DeploymentNaming) -> set[str]:
    label = naming.prefix or "prod"
    by_alias = clients.kms.create_key(Description=f"{label} operations")["KeyMetadata"]["KeyId"]
    clients.kms.create_alias(
        AliasName=naming.key_alias(naming.operations_key_name), TargetKeyId=by_alias
    )
    by_stack_tag = clients.kms.create_key(
        Description=f"{label} endpoint",
        Tags=[{"TagKey": td.STACK_NAME_TAG_KEY, "TagValue": naming.sagemaker_stack_name}],
    )["KeyMetadata"]["KeyId"]
    by_prefix_tag = clients.kms.create_key(
        Description=f"{label} endpoint of an earlier run",
        Tags=[{"TagKey": td.DEPLOYMENT_TAG_KEY, "TagValue": label}],
    )["KeyMetadata"]["KeyId"]
    already_scheduled = clients.kms.create_key(
        Description=f"{label} key of an interrupted teardown",
        Tags=[{"TagKey": td.STACK_NAME_TAG_KEY, "TagValue": naming.lambda_stack_name}],
    )["KeyMetadata"]["KeyId"]
    clients.kms.schedule_key_deletion(KeyId=already_scheduled, PendingWindowInDays=7)
    return {by_alias, by_stack_tag, by_prefix_tag}


def live_keys(kms) -> set[str]:
    ids = {key["KeyId"] for key in kms.list_keys()["Keys"]}
    return {
        key_id
        for key_id in ids
        if kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    }


def inventory(clients: td.AwsClients) -> dict[str, set[str]]:
    """Everything that exists, by kind."""
    stacks = clients.cloudformation.describe_stacks()["Stacks"]
    targets = clients.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    return {
        "stacks": {s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"},
        "buckets": {b["Name"] for b in clients.s3.list_buckets()["Buckets"]},
        "parameters": {p["Name"] for p in clients.ssm.describe_parameters()["Parameters"]},
        "models": {m["ModelName"] for m in clients.sagemaker.list_models()["Models"]},
        "endpoint_configs": {
            c["EndpointConfigName"]
            for c in clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]
        },
        "endpoints": {e["EndpointName"] for e in clients.sagemaker.list_endpoints()["Endpoints"]},
        "scalable_targets": {t["ResourceId"] for t in targets["ScalableTargets"]},
        "queues": set(clients.sqs.list_queues().get("QueueUrls", [])),
        "log_groups": {g["logGroupName"] for g in clients.logs.describe_log_groups()["logGroups"]},
        "keys": live_keys(clients.kms),
    }


def expected_selection(prefix: str, keys: dict[str, set[str]]) -> dict[str, set[str]]:
    naming = DeploymentNaming(prefix)
    label = prefix or "prod"
    return {
        "stacks": set(td.stack_names(naming)),
        "buckets": {
            naming.model_bucket_name(ACCOUNT, REGION),
            naming.access_log_bucket_name(ACCOUNT, REGION),
        },
        "parameters": {naming.model_parameter_name},
        "queues": {
            f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{queue}"
            for queue in retained_queues(naming)
        },
        "models": {f"{label}-model-a", f"{label}-model-b"},
        "endpoint_configs": {f"{label}-config"},
        "endpoints": {naming.endpoint_name},
        "scalable_targets": {
            f"endpoint/{naming.endpoint_name}/variant/{constants.SAGEMAKER_VARIANT_NAME}"
        },
        "log_groups": {
            f"{naming.lambda_stack_name}-ModelRegistrationLogGroup9C1EDBEC-ABC",
            f"{naming.sagemaker_stack_name}-RolloutLogGroupEB72B340-DEF",
            f"{constants.SAGEMAKER_ENDPOINT_LOG_GROUP_PREFIX}{naming.endpoint_name}",
        },
        "keys": keys[prefix],
    }


def as_sets(plan: td.TeardownPlan) -> dict[str, set[str]]:
    return {kind: set(getattr(plan, kind)) for kind in td.TeardownPlan.KINDS}


def test_the_plan_selects_exactly_the_prefixed_deployment(account):
    _, clients, keys = account
    plan = td.plan_teardown(clients, "it1", ACCOUNT, REGION)
    assert as_sets(plan) == expected_selection("it1", keys)
    assert len(plan.keys) == len(KEY_KINDS)  # by alias, by stack tag, by prefix tag
    assert plan.stacks == td.stack_names(DeploymentNaming("it1"))  # reverse deploy order


def test_teardown_deletes_the_prefixed_deployment_and_nothing_else(account):
    session, clients, keys = account
    before = inventory(clients)

    _, problems = td.teardown(session, "it1", REGION, log=lambda _: None)

    assert problems == []
    after = inventory(clients)
    removed = {kind: before[kind] - after[kind] for kind in before}
    assert removed == expected_selection("it1", keys)
    assert td.plan_teardown(clients, "it1", ACCOUNT, REGION).is_empty
    # The other test deployment and the unprefixed one are whole.
    for other in ("it10", "it2", ""):
        for kind, names in expected_selection(other, keys).items():
            assert names <= after[kind], kind


def test_keys_are_scheduled_for_deletion_in_seven_days_not_deleted(account):
    session, clients, keys = account
    _, problems = td.teardown(session, "it1", REGION, log=lambda _: None)
    assert problems == []
    window = timedelta(days=td.KEY_DELETION_WINDOW_DAYS)
    assert window == timedelta(days=7)  # KMS's shortest waiting period
    for key_id in keys["it1"]:
        metadata = clients.kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert metadata["KeyState"] == "PendingDeletion", key_id
        remaining = metadata["DeletionDate"] - datetime.now(UTC)
        assert window - timedelta(minutes=5) < remaining <= window, key_id


def test_the_unprefixed_deployment_is_refused(account):
    _, clients, _ = account
    with pytest.raises(td.UnsafePrefixError, match="unprefixed"):
        td.plan_teardown(clients, "", ACCOUNT, REGION)
    with pytest.raises(td.UnsafePrefixError, match="deployment prefix"):
        td.plan_teardown(clients, "IT1;rm", ACCOUNT, REGION)


def test_the_command_without_yes_only_shows_the_plan(account, capsys):
    _, clients, _ = account
    before = inventory(clients)
    assert td.main(["--prefix", "it1", "--region", REGION]) == 0
    out = capsys.readouterr().out
    assert "stacks: it1-sagemaker-endpoint-stack, it1-s3-stack, it1-lambda-stack" in out
    assert "nothing deleted" in out
    assert inventory(clients) == before


def test_the_command_refuses_an_empty_prefix(account, capsys):
    assert td.main(["--prefix", "", "--yes"]) == 2
    assert "unprefixed" in capsys.readouterr().err


def test_stacks_are_deleted_with_the_cdk_execution_role_not_the_rollout_role():
    """After a rollout the stack remembers the rollout's narrow service role (ADR-0052), which
    cannot delete the stack's other resources; teardown passes the CDK role as `cdk destroy`
    does."""
    stack_id = "arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/it1-x/uuid"
    assert td._deletion_role_arn(stack_id) == (
        "arn:aws-cn:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-cn-north-1"
    )
