"""`make bench`: measure what engineers and CI wait for, on this machine.

Prints a Markdown table and writes it, with the raw numbers, to docs/performance.md (between
the BENCH markers) and reports/bench.json. Medians of several runs; nothing here asserts a
time: the targets are read off the table (see docs/performance.md).

Usage: python scripts/bench.py [--runs N] [--skip-setup] [--skip-make-test]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_PY = REPO / ".venv" / "bin" / "python"
CDK = REPO / "node_modules" / ".bin" / "cdk"
PERF_DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- BENCH:BEGIN -->", "<!-- BENCH:END -->"

ENV = {
    **os.environ,
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_DEPRECATED": "quiet",
    "BC_SKIP_MAPPING": "TRUE",
    "AWS_EC2_METADATA_DISABLED": "true",
    "PYTHONDONTWRITEBYTECODE": "1",
}

# The smallest app CloudFormation accepts: one stack with one resource (an empty Resources
# section fails CDK's built-in validation).
EMPTY_APP = (
    "import aws_cdk as cdk; app = cdk.App(); stack = cdk.Stack(app, 'empty-stack'); "
    "cdk.CfnWaitConditionHandle(stack, 'Nothing'); app.synth()"
)


def run_timed(cmd: list[str], cwd: Path = REPO, env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd,
        cwd=cwd,
        env=env or ENV,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def median_of(runs: int, fn) -> tuple[float, list[float]]:
    samples = [fn() for _ in range(runs)]
    return statistics.median(samples), samples


def bench_synth(runs: int) -> dict:
    """`cdk synth` of the whole app vs an empty one-stack app, same CLI, same environment."""
    results = {}
    for validation in ("false", "true"):
        env = {**ENV, "CDK_VALIDATION": validation}
        with tempfile.TemporaryDirectory() as out_app, tempfile.TemporaryDirectory() as out_empty:
            app_median, app_samples = median_of(
                runs,
                lambda out=out_app, env=env: run_timed(
                    [str(CDK), "synth", "--quiet", "--no-notices", "-o", out], env=env
                ),
            )
            empty_cmd = f'{VENV_PY} -c "{EMPTY_APP}"'
            empty_median, empty_samples = median_of(
                runs,
                lambda out=out_empty, env=env, empty_cmd=empty_cmd: run_timed(
                    [str(CDK), "synth", "--quiet", "--no-notices", "-o", out, "--app", empty_cmd],
                    env=env,
                ),
            )
        results[f"validation_{validation}"] = {
            "app_s": app_median,
            "empty_s": empty_median,
            "ratio": app_median / empty_median,
            "app_samples": app_samples,
            "empty_samples": empty_samples,
        }
    return results


def bench_layers(runs: int) -> dict:
    layers = {
        "unit": [str(VENV_PY), "-m", "pytest", "-q", "tests/unit"],
        "property": [str(VENV_PY), "-m", "pytest", "-q", "tests/property"],
        "integration_local": [str(VENV_PY), "-m", "pytest", "-q", "tests/integration"],
        "compliance_gate": ["make", "--no-print-directory", "compliance"],
    }
    out = {}
    for name, cmd in layers.items():
        med, samples = median_of(runs, lambda cmd=cmd: run_timed(cmd))
        out[name] = {"median_s": med, "samples": samples}
    return out


def bench_make_test(runs: int) -> dict:
    med, samples = median_of(runs, lambda: run_timed(["make", "--no-print-directory", "test"]))
    return {"median_s": med, "samples": samples}


def bench_fresh_setup() -> dict:
    """`make setup` in a fresh copy of the tree with empty uv and npm caches (network-bound)."""
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        env = {
            **ENV,
            "UV_CACHE_DIR": str(Path(tmp) / "uv-cache"),
            "npm_config_cache": str(Path(tmp) / "npm-cache"),
            "PIP_NO_CACHE_DIR": "1",
        }
        seconds = run_timed(["make", "--no-print-directory", "setup"], cwd=clone, env=env)
    return {"seconds": seconds, "note": "one run; empty uv/npm caches; network-bound"}


IMPORT_PROBE = """
import sys, time
sys.path.insert(0, {path!r})
start = time.perf_counter()
{statements}
print(time.perf_counter() - start)
"""

PROBES = {
    # what the target compares: module import only
    "boto3": "import boto3",
    "handler": "import lambda_handler",
    # what a cold start really pays before the first AWS call: import + first SSM client
    "boto3_client": "import boto3\nboto3.client('ssm')",
    "handler_client": 'import lambda_handler\nlambda_handler.CLIENTS.client("ssm")',
}


def bench_handler_import(runs: int) -> dict:
    """Cold import of the handler vs a bare `import boto3`, each in a fresh process; and the
    same with the first SSM client created (the real cold-start cost)."""

    def probe(statements: str) -> float:
        env = {**ENV, "SSM_SENTIMENT_MODEL": "/bench/param", "AWS_DEFAULT_REGION": "us-east-1"}
        code = IMPORT_PROBE.format(path=str(REPO / "lambda"), statements=statements)
        result = subprocess.run(
            [str(VENV_PY), "-c", code], env=env, check=True, capture_output=True, text=True
        )
        return float(result.stdout.strip())

    medians = {}
    for name, statements in PROBES.items():
        medians[name], _ = median_of(runs * 2, lambda statements=statements: probe(statements))
    return {
        "boto3_ms": medians["boto3"] * 1000,
        "handler_ms": medians["handler"] * 1000,
        "overhead_ms": (medians["handler"] - medians["boto3"]) * 1000,
        "boto3_client_ms": medians["boto3_client"] * 1000,
        "handler_client_ms": medians["handler_client"] * 1000,
        "client_overhead_ms": (medians["handler_client"] - medians["boto3_client"]) * 1000,
    }


def bench_aws_calls() -> dict:
    """AWS API calls per invocation, counted on moto by scripts/count_aws_calls.py."""
    result = subprocess.run(
        [str(VENV_PY), str(REPO / "scripts" / "count_aws_calls.py")],
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(result.stdout)


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "node": subprocess.run(
            ["node", "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "date": time.strftime("%Y-%m-%d"),
    }


def render(results: dict) -> str:
    lines = [BEGIN, "", f"Machine: `{json.dumps(results['machine'])}`", ""]
    lines += ["| Measure | Median | Target | Met |", "| --- | --- | --- | --- |"]
    synth = results.get("synth")
    if synth:
        for key, label in (("validation_false", "off"), ("validation_true", "on")):
            s = synth[key]
            lines.append(
                f"| `cdk synth` app / empty app (CDK_VALIDATION {label}) | "
                f"{s['app_s']:.2f} s / {s['empty_s']:.2f} s = {s['ratio']:.2f}x | <= 1.5x | "
                f"{'yes' if s['ratio'] <= 1.5 else 'no'} |"
            )
    for name, layer in results.get("layers", {}).items():
        lines.append(f"| test layer `{name}` | {layer['median_s']:.1f} s | - | - |")
    if "make_test" in results:
        t = results["make_test"]["median_s"]
        lines.append(
            f"| whole `make test` after setup | {t:.1f} s | <= 90 s | "
            f"{'yes' if t <= 90 else 'no'} |"
        )
    if "fresh_setup" in results:
        lines.append(
            f"| fresh `make setup` (empty caches, 1 run) | "
            f"{results['fresh_setup']['seconds']:.0f} s | - | - |"
        )
    imp = results.get("handler_import")
    if imp:
        lines.append(
            f"| handler cold import over bare `import boto3` | {imp['overhead_ms']:.1f} ms "
            f"({imp['handler_ms']:.0f} vs {imp['boto3_ms']:.0f} ms) | <= 50 ms | "
            f"{'yes' if imp['overhead_ms'] <= 50 else 'no'} |"
        )
        lines.append(
            f"| handler import + first SSM client over `import boto3` + `boto3.client('ssm')` | "
            f"{imp['client_overhead_ms']:.1f} ms ({imp['handler_client_ms']:.0f} vs "
            f"{imp['boto3_client_ms']:.0f} ms) | <= 50 ms | "
            f"{'yes' if imp['client_overhead_ms'] <= 50 else 'no'} |"
        )
    for case, calls in results.get("aws_calls", {}).items():
        puts = calls.get("ssm.PutParameter", 0)
        target = "1 PutParameter" if case != "ignored_event" else "0 PutParameter"
        met = (puts == 1) if case != "ignored_event" else (puts == 0)
        summary = ", ".join(f"{op} x{n}" for op, n in sorted(calls.items()))
        lines.append(
            f"| AWS calls, {case} | {summary or 'none'} | {target} | {'yes' if met else 'no'} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def write_doc(block: str) -> None:
    text = PERF_DOC.read_text(encoding="utf-8") if PERF_DOC.exists() else f"{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    PERF_DOC.write_text(head + block + tail, encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-setup", action="store_true", help="skip the fresh-setup run")
    parser.add_argument("--skip-make-test", action="store_true")
    args = parser.parse_args(argv)

    results: dict = {"machine": machine()}
    print("bench: handler import ...", flush=True)
    results["handler_import"] = bench_handler_import(args.runs)
    print("bench: AWS calls per invocation ...", flush=True)
    results["aws_calls"] = bench_aws_calls()
    print("bench: cdk synth app vs empty ...", flush=True)
    results["synth"] = bench_synth(args.runs)
    print("bench: test layers ...", flush=True)
    results["layers"] = bench_layers(max(1, args.runs // 2))
    if not args.skip_make_test:
        print("bench: whole make test ...", flush=True)
        results["make_test"] = bench_make_test(max(1, args.runs // 2))
    if not args.skip_setup:
        print("bench: fresh setup ...", flush=True)
        results["fresh_setup"] = bench_fresh_setup()

    block = render(results)
    print(block)
    reports = REPO / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "bench.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_doc(block)
    shutil.copy(reports / "bench.json", REPO / "docs" / "bench-results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
