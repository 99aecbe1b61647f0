"""The thin Parameter Store adapter: read the registration history, write one version.

Only two SSM actions: GetParameterHistory (value + Description of every kept version, so the
registered model's provenance comes with it) and PutParameter. AWS failures that survive
botocore's retries, and attempts the clients' time guard refuses, become ParameterStoreError;
nothing is written on a failed read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.errors import NamedError, OutOfTimeError
from registration.parameter_description import from_parameter_version
from registration.registered_model import Registration, order_key

# GetParameterHistory's maximum page; SSM keeps 100 versions, so at most two pages.
HISTORY_PAGE_SIZE = 50


class ParameterStoreError(NamedError):
    """Parameter Store refused or failed a call after botocore's retries, or the function's
    time ran out before another attempt could finish.

    Raised before anything is written (read failure) or when the single write itself failed.
    The parameter is never half-updated: a PutParameter writes a whole version (value and
    provenance) or nothing, and the event's retry finds out which (ADR-0013).
    """


@dataclass(frozen=True)
class StoredVersion:
    version: int
    registration: Registration


@dataclass(frozen=True)
class ParameterState:
    """The kept versions of the parameter, oldest first (empty if it does not exist)."""

    versions: tuple[StoredVersion, ...] = ()

    @property
    def latest_version(self) -> int:
        return self.versions[-1].version if self.versions else 0

    @property
    def registered(self) -> Registration | None:
        return self.versions[-1].registration if self.versions else None

    def versions_since(self, version: int) -> list[StoredVersion]:
        return [v for v in self.versions if v.version > version]

    def newer_registration_since(self, version: int) -> Registration | None:
        """The newest registration among versions after ``version`` if it is not the latest.

        After a write that did not land on ``version + 1`` (another writer interleaved), this
        is the value that must be restored; None if the latest version is already the newest.
        """
        candidates = self.versions_since(version)
        if not candidates:
            return None
        newest = max(candidates, key=lambda v: (order_key(v.registration), v.version))
        return None if newest is self.versions[-1] else newest.registration


def read_state(ssm: Any, name: str) -> ParameterState:
    """All kept versions of ``name`` with their registrations, via GetParameterHistory."""
    from botocore.exceptions import BotoCoreError, ClientError

    versions: list[StoredVersion] = []
    request: dict[str, Any] = {"Name": name, "MaxResults": HISTORY_PAGE_SIZE}
    while True:
        try:
            page = ssm.get_parameter_history(**request)
        except ssm.exceptions.ParameterNotFound:
            return ParameterState()
        except (ClientError, BotoCoreError, OutOfTimeError) as error:
            raise ParameterStoreError(
                f"GetParameterHistory on {name} failed; nothing was written: {error}"
            ) from error
        for entry in page.get("Parameters", []):
            registration = from_parameter_version(
                entry["Value"], entry.get("Description"), entry["LastModifiedDate"]
            )
            versions.append(StoredVersion(entry["Version"], registration))
        token = page.get("NextToken")
        if not token:
            break
        request["NextToken"] = token
    return ParameterState(tuple(sorted(versions, key=lambda v: v.version)))


def write_registration(ssm: Any, name: str, registration: Registration, description: str) -> int:
    """One PutParameter: the key as the value, its provenance as the Description.

    PutParameter writes a whole version or none. If it fails here, an earlier attempt whose
    answer was lost (a read timeout) may still have written one, complete; the event's retry
    then finds it registered and writes nothing (ADR-0013).
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = ssm.put_parameter(
            Name=name,
            Value=registration.key,
            Description=description,
            Type="String",
            Overwrite=True,
        )
    except (ClientError, BotoCoreError, OutOfTimeError) as error:
        raise ParameterStoreError(
            f"PutParameter on {name} failed; nothing is half-written (a version is whole or "
            f"absent, and the event's retry finds out which): {error}"
        ) from error
    return response["Version"]
