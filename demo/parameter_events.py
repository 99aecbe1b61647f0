"""The "Parameter Store Change" event of the model parameter, routed by the stack's own
EventBridge rule to the stack's own queue, and handed to the rollout function as the Lambda
SQS event source mapping would.

moto's Parameter Store emits no EventBridge events, so the rehearsal publishes the event SSM
would emit for the parameter's newest version (Systems Manager User Guide, "Monitoring Parameter
Store events with Amazon EventBridge") with PutEvents; on AWS only SSM can publish an
``aws.ssm`` event. From there moto's EventBridge matches it against the deployed rule's pattern
and sends it to the rule's target queue. moto's event source mapping would try to run the
function in Docker, so the rehearsal disables it and plays its part: receive a batch, invoke the
function, delete the messages the function did not report as failed.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

SQS_BATCH_MAX = 10


class EventNotRoutedError(RuntimeError):
    """EventBridge did not deliver the event where the rollout function listens."""


def parameter_change_entry(ssm: Any, name: str, *, account: str, region: str) -> dict[str, Any]:
    """The PutEvents entry for the event SSM emits for parameter ``name``'s newest version."""
    pages = ssm.get_paginator("get_parameter_history").paginate(Name=name)
    newest = max((e for page in pages for e in page["Parameters"]), key=lambda e: e["Version"])
    detail = {
        "operation": "Create" if newest["Version"] == 1 else "Update",
        "name": name,
        "type": newest["Type"],
    }
    if newest.get("Description"):
        detail["description"] = newest["Description"]
    return {
        "Time": newest["LastModifiedDate"].astimezone(UTC),
        "Source": "aws.ssm",
        "DetailType": "Parameter Store Change",
        "Detail": json.dumps(detail),
        "Resources": [f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"],
    }


def publish(events: Any, entry: dict[str, Any]) -> None:
    response = events.put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        raise EventNotRoutedError(f"PutEvents rejected the event: {response['Entries']}")


def queue_of_function(lambda_client: Any, sqs: Any, function_name: str) -> tuple[str, str, str]:
    """(mapping UUID, queue URL, queue ARN) of the function's one SQS event source mapping."""
    mappings = lambda_client.list_event_source_mappings(FunctionName=function_name)
    sqs_mappings = [
        m for m in mappings["EventSourceMappings"] if m["EventSourceArn"].startswith("arn:aws:sqs:")
    ]
    if len(sqs_mappings) != 1:
        raise EventNotRoutedError(f"{function_name} has {len(sqs_mappings)} SQS mappings, not 1")
    mapping = sqs_mappings[0]
    queue_arn = mapping["EventSourceArn"]
    account, queue_name = queue_arn.split(":")[4], queue_arn.split(":")[5]
    queue_url = sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return mapping["UUID"], queue_url, queue_arn


def receive_lambda_batch(
    sqs: Any, queue_url: str, queue_arn: str, region: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One batch as the event source mapping builds it, and the raw messages behind it."""
    messages = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=SQS_BATCH_MAX,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    records = [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        for message in messages
    ]
    return {"Records": records}, messages


def settle_batch(
    sqs: Any, queue_url: str, messages: list[dict[str, Any]], response: dict[str, Any]
) -> int:
    """Delete the messages the function did not report as failed; returns how many."""
    failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    done = [m for m in messages if m["MessageId"] not in failed]
    for message in done:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return len(done)
