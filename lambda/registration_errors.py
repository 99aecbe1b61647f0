"""The errors the registration handler raises on purpose.

Every failure the handler can name is one of these, so callers (Lambda's async retries, the
on-failure destination, tests) can tell "this event or setting is wrong" from a bug. Raising
keeps the event: Lambda retries it, then hands it to the on-failure destination.
"""

from __future__ import annotations


class RegistrationError(Exception):
    """Base of every error the registration handler raises deliberately."""


class ConfigurationError(RegistrationError):
    """An environment variable is missing or invalid; nothing was read or written."""


class MalformedEventError(RegistrationError):
    """The event is not an S3 notification this handler understands; nothing was written."""


class ParameterStoreError(RegistrationError):
    """Parameter Store refused or failed a call after botocore's retries.

    Raised before anything is written (read failure) or when the single write itself failed,
    so the parameter is never half-updated.
    """
