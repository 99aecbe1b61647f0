"""The registration function with a model registry (``MODEL_PACKAGE_GROUP`` set).

Two entry shapes, one writer of the parameter:

- **S3 notification**: every model upload inside the model location becomes one model package
  of the group (found again by its identity if it already exists, so a redelivery creates
  nothing), with its metrics file as ``ModelMetrics`` and the gate's verdict against the
  currently served approved package as its approval status. Then ``reconcile``.
- **"SageMaker Model Package State Change"** of the group (an operator approved or rejected a
  package, or our own CreateModelPackage): ``reconcile`` only.

``reconcile`` sets the parameter to the newest approved package's model (the plain flow's
order of uploads, ``order_key``), and writes nothing if it already names it. Rejecting the
served package thus rolls back to the previous approved one. Every step reads the registry
again, so any order, duplication or batching of deliveries ends in the same state (ADR-0071).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from common.aws_clients import AwsClients, RetryBudget
from common.json_log import ERROR, INFO, WARNING
from registration.decision import (
    ALERT_UPLOAD_NOT_VERIFIED,
    IGNORED,
    REJECTED,
    Outcome,
    decide,
    decide_test_event,
    why_refused,
)
from registration.parameter_description import to_description
from registration.parameter_store import read_state, write_registration
from registration.registered_model import Registration, order_key
from registration.s3_events import ObjectEvent, parse_notification
from registration.settings import Settings
from registration.telemetry import Counts, DecisionLog, record_fields
from registration.uploaded_object import check_upload

from . import contract
from .gate import ApprovalStatus, GateVerdict, evaluate
from .metrics_file import (
    MetricsFile,
    MetricsFileError,
    MetricsKeyError,
    metrics_key_for,
    parse_metrics_file,
)
from .package_record import (
    approval_description,
    client_token,
    customer_metadata,
    package_description,
    recorded_metrics,
)
from .packages import (
    METRICS_CONTENT_TYPE,
    GroupPackage,
    annotate_package,
    create_package,
    describe_package,
    list_packages,
    read_metrics_file,
)
from .serving import RegisteredPackage, newest_approved
from .settings import RegistrySettings

# SageMaker's control plane answers within seconds; 3 attempts ride out a throttle.
REGISTRY_BUDGETS = {
    "sagemaker": RetryBudget(total_max_attempts=3, connect_timeout=2, read_timeout=5),
    "s3": RetryBudget(total_max_attempts=3, connect_timeout=2, read_timeout=3),
}

# Decisions in the log lines.
PACKAGE_CREATED = "package_created"
PACKAGE_EXISTS = "package_exists"
SERVED = "served"
UNCHANGED = "unchanged"
NO_APPROVED_MODEL = "no_approved_model"
STATE_CHANGE_IGNORED = "state_change_ignored"
_STATUS_METRIC = {
    ApprovalStatus.APPROVED: contract.MODEL_APPROVED_BY_GATE,
    ApprovalStatus.REJECTED: contract.MODEL_REJECTED_BY_GATE,
    ApprovalStatus.PENDING_MANUAL_APPROVAL: contract.MODEL_PENDING_APPROVAL,
}


@dataclass
class RegistryRun:
    """What one invocation did: counts for the metrics, results for the return value."""

    counts: Counts = field(default_factory=Counts)
    verdicts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(contract.METRIC_NAMES, 0)
    )
    packages: list[dict[str, Any]] = field(default_factory=list)
    served_key: str | None = None
    parameter_version: int | None = None
    records: int = 0
    # One per record (in the plain flow's vocabulary for records that are not model uploads).
    decisions: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)

    def metrics(self) -> dict[str, int]:
        return {**self.counts.by_metric(), **self.verdicts}


def is_state_change(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and event.get("source") == contract.STATE_CHANGE_SOURCE
        and event.get("detail-type") == contract.STATE_CHANGE_DETAIL_TYPE
    )


def handle(
    event: Any,
    settings: Settings,
    registry: RegistrySettings,
    clients: AwsClients,
    log: DecisionLog,
) -> RegistryRun:
    run = RegistryRun()
    if is_state_change(event):
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
        group = detail.get("ModelPackageGroupName")
        fields = {
            "modelPackageArn": detail.get("ModelPackageArn"),
            "approvalStatus": detail.get("ModelApprovalStatus"),
            "group": group,
        }
        if group != registry.group_name:
            log.write(
                WARNING,
                {
                    "decision": STATE_CHANGE_IGNORED,
                    "reason": f"the event is about group {group!r}, not {registry.group_name}",
                    **fields,
                },
            )
            run.counts = Counts(ignored=1)
            return run
        log.write(INFO, {"event": "model_package_state_change", **fields})
        state = read_state(clients.client("ssm"), settings.parameter_name)
        packages = list_packages(clients.client("sagemaker"), registry.group_name)
        _reconcile(packages, state, settings, clients, log, run)
        return run

    notification = parse_notification(event)
    if notification.test_event is not None:
        [outcome] = decide_test_event().outcomes
        log.outcome(outcome, bucket=notification.test_event.bucket)
        run.counts = Counts(ignored=1)
        return run

    location = settings.model_location
    uploads = [
        r
        for r in notification.records
        if r.is_created and r.is_model and location.why_outside(r) is None
    ]
    others = [r for r in notification.records if r not in uploads]
    state = read_state(clients.client("ssm"), settings.parameter_name)
    # Removals and ignored records: the plain flow's outcomes and alerts, nothing written.
    other_decision = decide(others, state.registered, location)
    run.records = len(notification.records)
    for outcome in other_decision.outcomes:
        _record_outcome(outcome, log, run)
    counts = Counts.of(other_decision)

    sagemaker = clients.client("sagemaker")
    packages = list_packages(sagemaker, registry.group_name)
    incumbent_metrics: dict[str, dict[str, float]] = {}
    seen: set[tuple] = set()
    duplicates = refused = unverified = 0
    now = datetime.now(UTC)
    # Oldest upload first, so that in a batch each one is compared with what is served then.
    for record in sorted(uploads, key=order_key):
        if order_key(record) in seen:
            duplicates += 1
            run.decisions.append(PACKAGE_EXISTS)
            continue
        seen.add(order_key(record))
        upload = Registration.from_event(record)
        existing = _package_of(packages, upload)
        if existing is not None:
            duplicates += 1
            run.decisions.append(PACKAGE_EXISTS)
            log.write(
                INFO,
                {
                    "decision": PACKAGE_EXISTS,
                    "reason": "this upload already has a package (a redelivered event)",
                    "modelPackageArn": existing.arn,
                    "approvalStatus": existing.status.value,
                    **record_fields(record),
                },
            )
            continue
        # As in the plain flow (ADR-0017): no package for an upload SageMaker could not load or
        # that did not come from the bucket, nor for one S3 does not confirm.
        refusal = why_refused(record, now)
        if refusal is not None:
            refused += 1
            _record_outcome(Outcome(REJECTED, refusal, record), log, run)
            continue
        not_confirmed = check_upload(clients.client("s3"), record)
        if not_confirmed is not None:
            unverified += 1
            outcome = Outcome(IGNORED, not_confirmed, record, ALERT_UPLOAD_NOT_VERIFIED)
            _record_outcome(outcome, log, run)
            continue
        package = _register(
            upload, record, packages, incumbent_metrics, registry, clients, log, run
        )
        packages.append(package)
        run.decisions.append(PACKAGE_CREATED)
    run.counts = Counts(
        ignored=counts.ignored + duplicates + unverified,
        rejected=counts.rejected + refused,
        deleted=counts.deleted,
        overwritten=counts.overwritten,
        unverified=counts.unverified + unverified,
    )
    _reconcile(packages, state, settings, clients, log, run)
    return run


def _record_outcome(outcome: Outcome, log: DecisionLog, run: RegistryRun) -> None:
    log.outcome(outcome)
    run.decisions.append(outcome.decision)
    if outcome.alert:
        run.alerts.append(outcome.alert)


def _package_of(packages: list[GroupPackage], upload: Registration) -> GroupPackage | None:
    for package in packages:
        if package.upload is not None and order_key(package.upload) == order_key(upload):
            return package
    return None


def _served(packages: list[GroupPackage]) -> GroupPackage | None:
    """The package to serve: the newest approved upload among the packages this function
    created (the version breaks ties, see ``serving``)."""
    ours = {package.version: package for package in packages if package.upload is not None}
    chosen = newest_approved(
        RegisteredPackage(package.version, package.status, order_key(package.upload))
        for package in ours.values()
    )
    return None if chosen is None else ours[chosen.version]


def _read_candidate(
    upload: Registration, clients: AwsClients
) -> tuple[str | None, MetricsFile | MetricsFileError | None, str | None]:
    """The metrics key, the parsed file (or its error, or None when there is none) and the
    SHA-256 of the bytes read."""
    import hashlib

    try:
        metrics_key = metrics_key_for(upload.key)
    except MetricsKeyError:
        return None, None, None
    data = read_metrics_file(clients.client("s3"), upload.bucket or "", metrics_key)
    if data is None:
        return metrics_key, None, None
    digest = hashlib.sha256(data).hexdigest()
    try:
        return metrics_key, parse_metrics_file(data), digest
    except MetricsFileError as error:
        return metrics_key, error, digest


def _register(
    upload: Registration,
    record: ObjectEvent,
    packages: list[GroupPackage],
    incumbent_metrics: dict[str, dict[str, float]],
    registry: RegistrySettings,
    clients: AwsClients,
    log: DecisionLog,
    run: RegistryRun,
) -> GroupPackage:
    """One package for one upload: read its metrics, run the gate, create it."""
    sagemaker = clients.client("sagemaker")
    metrics_key, candidate, digest = _read_candidate(upload, clients)
    incumbent = _served(packages)
    baseline = None
    if incumbent is not None:
        if incumbent.arn not in incumbent_metrics:
            described = describe_package(sagemaker, incumbent.arn)
            incumbent_metrics[incumbent.arn] = recorded_metrics(
                described.get("CustomerMetadataProperties")
            )
        baseline = incumbent_metrics[incumbent.arn]
    verdict: GateVerdict = evaluate(candidate, baseline, registry.policy)
    parsed = candidate if isinstance(candidate, MetricsFile) else None
    metadata = customer_metadata(
        upload,
        metrics_key if digest else None,
        parsed,
        digest,
        verdict,
        incumbent.version if incumbent else None,
    )
    request: dict[str, Any] = {
        "ModelPackageGroupName": registry.group_name,
        "ModelPackageDescription": package_description(upload),
        "ModelApprovalStatus": verdict.status.value,
        "CustomerMetadataProperties": metadata,
        "ClientToken": client_token(upload),
    }
    if digest is not None:
        request["ModelMetrics"] = {
            "ModelQuality": {
                "Statistics": {
                    "ContentType": METRICS_CONTENT_TYPE,
                    "S3Uri": f"s3://{upload.bucket}/{metrics_key}",
                    "ContentDigest": f"sha256:{digest}",
                }
            }
        }
    arn = create_package(sagemaker, request)
    annotate_package(sagemaker, arn, verdict.status, approval_description(verdict), metadata)
    version = _version_of(arn)
    run.verdicts[_STATUS_METRIC[verdict.status]] += 1
    level = WARNING if verdict.status == ApprovalStatus.REJECTED else INFO
    log.write(
        level,
        {
            "decision": PACKAGE_CREATED,
            "approvalStatus": verdict.status.value,
            "reason": "; ".join(verdict.reasons),
            "modelPackageArn": arn,
            "incumbentVersion": incumbent.version if incumbent else None,
            "metricsKey": metrics_key if digest else None,
            **record_fields(record),
        },
    )
    run.packages.append({"arn": arn, "key": upload.key, "status": verdict.status.value})
    return GroupPackage(arn=arn, version=version, status=verdict.status, upload=upload)


def _version_of(arn: str) -> int:
    tail = arn.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _reconcile(
    packages: list[GroupPackage],
    state: Any,
    settings: Settings,
    clients: AwsClients,
    log: DecisionLog,
    run: RegistryRun,
) -> None:
    """The parameter names the newest approved package's model; at most one PutParameter."""
    served = _served(packages)
    if served is None or served.upload is None:
        log.write(
            ERROR if packages else INFO,
            {
                "decision": NO_APPROVED_MODEL,
                "reason": "no approved package in the group: the parameter is left as it is",
                "packages": len(packages),
            },
        )
        return
    target = served.upload
    current = state.registered
    fields = {"modelPackageArn": served.arn, "modelPackageVersion": served.version}
    if (
        current is not None
        and current.key == target.key
        and order_key(current) == order_key(target)
    ):
        log.write(
            INFO,
            {
                "decision": UNCHANGED,
                "reason": "the parameter already names the newest approved package",
                **fields,
                **record_fields(target),
            },
        )
        return
    version = write_registration(
        clients.client("ssm"), settings.parameter_name, target, to_description(target)
    )
    run.served_key = target.key
    run.parameter_version = version
    run.counts = Counts(
        registered=1,
        ignored=run.counts.ignored,
        deleted=run.counts.deleted,
        overwritten=run.counts.overwritten,
    )
    log.write(
        INFO,
        {
            "decision": SERVED,
            "reason": "the newest approved package of the group",
            "parameterVersion": version,
            "previousKey": current.key if current else None,
            **fields,
            **record_fields(target),
        },
    )
