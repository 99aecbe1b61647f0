"""The thin Parameter Store adapter: read the registration history, write one version.

Only two SSM actions: GetParameterHistory (value + Description of every kept version, so the
registered model's provenance comes with it) and PutParameter. AWS failures that survive
botocore's retries become ParameterStoreError; nothing is written on a failed read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registration_errors import ParameterStoreError
from registration_ordering import Registration, from_parameter_version, order_key

# GetParameterHistory's maximum page; SSM keeps 100 versions, so at most two pages.
HISTORY_PAGE_SIZE = 50


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

    def newer_registration_since(self, version: int) -> Registration | None:
        """The newest registration among versions after ``version`` if it is not the latest.

        After a write that did not land on ``version + 1`` (another writer interleaved), this
        is the value that must be restored; None if the latest version is already the newest.
        """
        candidates = [v for v in self.versions if v.version > version]
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
        except (ClientError, BotoCoreError) as error:
            raise ParameterStoreError(
                f"GetParameterHistory on {name} failed after retries; nothing was written: {error}"
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
    """One PutParameter: the key as the value, its provenance as the Description."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = ssm.put_parameter(
            Name=name,
            Value=registration.key,
            Description=description,
            Type="String",
            Overwrite=True,
        )
    except (ClientError, BotoCoreError) as error:
        raise ParameterStoreError(
            f"PutParameter on {name} failed after retries; the parameter is unchanged: {error}"
        ) from error
    return response["Version"]
