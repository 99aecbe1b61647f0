"""What the cdk-nag packs cost a synthesis, in-process, for two revisions in one run.

For each side (the working tree, and ``--baseline REV`` exported with ``git archive``), each
round starts one Python process that imports the app, synthesizes it once to warm up (jsii
loads its modules lazily), then builds a fresh app per pack set and times ``app.synth()``
alone: no imports, no app construction, no CDK CLI. It also counts the requests Python sends
to the jsii node process during the synthesis, each a round trip: a figure the load of a shared
machine does not change. Sides alternate round by round so that load from other processes
falls on both. Prints the medians as a Markdown table and, with ``--json``, the samples.

    python scripts/bench_nag_packs.py [--baseline REV] [--runs 5] [--json FILE]

Pack sets: ``none``; ``stock`` (AwsSolutions, HIPAA.Security, NIST.800.53.R5, Serverless);
``custom`` (the project's packs, added as ``apply_compliance_packs`` adds them); ``all``
(``apply_compliance_packs``: both, and the strict aspect).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACK_SETS = ("none", "stock", "custom", "all")
ENV = {
    **os.environ,
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_DEPRECATED": "quiet",
}


def measure(pack_sets: list[str]) -> dict[str, dict[str, float]]:
    """Runs inside the measured tree (its root first on sys.path): per pack set, the seconds of
    ``app.synth()`` and the requests Python sent to the jsii node process during it (each one a
    round trip; a count the machine's load does not change)."""
    import aws_cdk as cdk
    from jsii._kernel.providers import process

    import app as app_module
    from policies import nag
    from tests.cdk_apps import cli_like_app

    sent = [0]
    original_send = process._NodeProcess.send

    def counting_send(self, *args, **kwargs):
        sent[0] += 1
        return original_send(self, *args, **kwargs)

    process._NodeProcess.send = counting_send

    def only(pack_types, *, together=False):
        def add(scope, **_ignored):
            packs = [pack_type(reports=True, verbose=True) for pack_type in pack_types]
            # As apply_compliance_packs adds them, in the revisions that have ProjectPacks.
            if together and hasattr(nag, "ProjectPacks"):
                cdk.Aspects.of(scope).add(nag.ProjectPacks(packs))
                return
            for pack in packs:
                cdk.Aspects.of(scope).add(pack)

        return add

    adders = {
        "none": only(()),
        "stock": only(nag.STOCK_PACKS),
        "custom": only(nag.CUSTOM_PACKS, together=True),
        "all": nag.apply_compliance_packs,
    }
    results = {}
    with tempfile.TemporaryDirectory() as outdir:
        for name in ["all", *pack_sets]:  # the first "all" only warms up
            app_module.apply_compliance_packs = adders[name]
            app = app_module.build_app(cli_like_app(Path(outdir) / name))
            sent[0] = 0
            start = time.perf_counter()
            app.synth()
            results[name] = {"seconds": time.perf_counter() - start, "round_trips": sent[0]}
    return results


def export_revision(revision: str, into: Path) -> Path:
    """The tracked files of ``revision`` under ``into`` (venvs and node_modules linked)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    for linked in (".venv", "node_modules"):
        if (REPO / linked).exists():
            (into / linked).symlink_to((REPO / linked).resolve())
    return into


def run_side(tree: Path) -> dict[str, dict[str, float]]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure-in", str(tree)],
        cwd=tree,
        env={**ENV, "PYTHONPATH": str(tree)},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="git revision to compare the working tree with")
    parser.add_argument("--runs", type=int, default=5, help="rounds (processes per side)")
    parser.add_argument("--json", type=Path, help="write the samples here")
    parser.add_argument("--measure-in", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_in:
        sys.path.insert(0, str(args.measure_in))
        print(json.dumps(measure(list(PACK_SETS))))
        return 0
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")

    with tempfile.TemporaryDirectory() as tmp:
        sides = {"working tree": REPO}
        if args.baseline:
            sides[f"baseline {args.baseline}"] = export_revision(args.baseline, Path(tmp))
        samples: dict[str, dict[str, dict[str, list[float]]]] = {
            side: {name: {"seconds": [], "round_trips": []} for name in PACK_SETS} for side in sides
        }
        for round_number in range(args.runs):
            for side, tree in sides.items():
                print(f"round {round_number + 1}/{args.runs}: {side}", file=sys.stderr)
                for name, measured in run_side(tree).items():
                    if name in samples[side]:
                        for key, value in measured.items():
                            samples[side][name][key].append(value)

    header = "| pack set | " + " | ".join(sides) + " |"
    lines = [header, "| --- |" + " --- |" * len(sides)]
    for name in PACK_SETS:
        cells = [
            f"{statistics.median(samples[side][name]['seconds']):.2f} s, "
            f"{statistics.median(samples[side][name]['round_trips']):.0f} round trips"
            for side in sides
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    print(
        f"`app.synth()` in-process, median of {args.runs} (one process per side and round); "
        f"load average at the end: {os.getloadavg()[0]:.1f}"
    )
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(samples, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
