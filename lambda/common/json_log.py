"""One JSON object per line on stdout, in the one schema every function writes (ADR-0012).

Every line has ``timestamp`` (UTC, milliseconds), ``level`` (INFO, WARNING, ERROR), ``logger``
(which function), ``requestId`` (Lambda's request id), the function's context fields (the
registration's ``parameter``, the rollout's ``stackName``), then the line's own fields; field
names are camelCase. Plain ``json`` + ``sys.stdout`` instead of a logging library: the line is
the same whether the function's log format is Text or JSON, costs nothing at import, and
CloudWatch Logs Insights parses it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

INFO = "INFO"
WARNING = "WARNING"
ERROR = "ERROR"


class JsonLog:
    """Writes the structured lines of one invocation."""

    def __init__(
        self, logger: str, request_id: str | None, stream: TextIO | None = None, **context: Any
    ) -> None:
        """
        :param logger: the function's name in every line (``model_registration``, ...).
        :param context: fields repeated in every line, in this order, before the line's own.
        """
        self.logger = logger
        self.request_id = request_id
        self.context = dict(context)
        self._stream = stream

    def write(self, level: str, fields: Mapping[str, Any]) -> None:
        line = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "logger": self.logger,
            "requestId": self.request_id,
            **self.context,
            **fields,
        }
        stream = self._stream or sys.stdout
        stream.write(json.dumps(line, default=str) + "\n")
        stream.flush()
