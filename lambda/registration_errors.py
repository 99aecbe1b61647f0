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
    """Parameter Store refused or failed a call after botocore's retries, or the function's
    time ran out before another attempt could finish.

    Raised before anything is written (read failure) or when the single write itself failed.
    The parameter is never half-updated: a PutParameter writes a whole version (value and
    provenance) or nothing, and the event's retry finds out which (ADR-0013).
    """


class OutOfTimeError(RegistrationError):
    """The function's remaining time cannot cover another AWS attempt (ADR-0013).

    Raised by the clients' time guard before the attempt is sent; the store turns it into a
    ParameterStoreError, and a metrics call swallows it like any other metrics failure.
    """
