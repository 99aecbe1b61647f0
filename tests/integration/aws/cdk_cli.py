"""The pinned CDK CLI, run for one prefixed deployment in one account and region."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from config import constants
from tests.integration.aws.teardown import DEPLOYMENT_TAG_KEY

REPO = Path(__file__).resolve().parents[3]
CDK = REPO / "node_modules" / ".bin" / "cdk"


class CdkCommandError(RuntimeError):
    """The CLI exited non-zero; the message holds its output."""


@dataclass
class PrefixedCdk:
    """``cdk synth`` once with ``deployment_prefix`` (plus extra context), then deploys of that
    cloud assembly, every stack tagged with the prefix (teardown selects by that tag too)."""

    prefix: str
    region: str
    assembly: Path
    extra_context: Mapping[str, str] = field(default_factory=dict)
    log: Callable[[str], None] = print

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "JSII_DEPRECATED": "quiet",
        }

    def run(self, *arguments: str) -> str:
        command = [str(CDK), *arguments, "--no-notices", "--ci"]
        self.log("$ cdk " + " ".join(arguments))
        completed = subprocess.run(
            command,
            cwd=REPO,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise CdkCommandError(
                f"cdk {arguments[0]} exited {completed.returncode}:\n{completed.stdout}"
            )
        return completed.stdout

    def synth(self) -> None:
        context = {constants.DEPLOYMENT_PREFIX_CONTEXT_KEY: self.prefix, **self.extra_context}
        flags = [item for key, value in context.items() for item in ("-c", f"{key}={value}")]
        self.run("synth", "--quiet", *flags, "-o", str(self.assembly))

    def deploy(self, *construct_ids: str) -> None:
        self.run(
            "deploy",
            *construct_ids,
            "--app",
            str(self.assembly),
            "--require-approval",
            "never",
            "--tags",
            f"{DEPLOYMENT_TAG_KEY}={self.prefix}",
        )
