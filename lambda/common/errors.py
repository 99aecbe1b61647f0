"""The errors a function raises on purpose.

Every failure a function can name derives from ``NamedError``, so callers (Lambda's retries,
an on-failure destination or a dead-letter queue, tests) can tell "this event or setting is
wrong" or "a dependency failed" from a bug. Raising keeps the event: Lambda retries it, then
hands it on (ADR-0015).
"""

from __future__ import annotations


class NamedError(Exception):
    """Base of every error a function raises deliberately."""


class ConfigurationError(NamedError):
    """An environment variable is missing or invalid; nothing was read or written."""


class OutOfTimeError(NamedError):
    """The function's remaining time cannot cover another AWS attempt (ADR-0013).

    Raised by the clients' time guard (``common.aws_clients``) before the attempt is sent;
    each caller turns it into its own outcome (the registration's Parameter Store adapter into
    a ParameterStoreError, the rollout into a deferral), and the metrics publisher swallows it
    like any other metrics failure.
    """
