"""How a cdk-nag annotation message starts: ``<RuleId>[<finding>]: ...``."""

from __future__ import annotations

import re

VALIDATION_FAILURE = "CdkNagValidationFailure"


def nag_message_pattern(packs: tuple[str, ...]) -> re.Pattern[str]:
    """Matches the messages of ``packs``' rules and of crashed rules; groups ``rule``,
    ``finding``."""
    names = "|".join(re.escape(name) for name in packs)
    return re.compile(
        rf"^(?P<rule>(?:{names})-[\w.]+|{VALIDATION_FAILURE})(?:\[(?P<finding>[^\]]*)\])?:"
    )
