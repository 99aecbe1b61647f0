"""`make bench`: measure what engineers and CI wait for, on this machine.

Prints a Markdown table and writes it, with the raw numbers, to docs/performance.md (between
the BENCH markers), reports/bench.json and docs/bench-results.json. Medians of several runs in
fresh processes; the two sides of every comparison are measured in the same run, interleaved
(app, one-resource app, app, ...), so a change of machine load hits both. Nothing here asserts
a time (ADR-0080): the targets are read off the table.

"Without bytecode" reuses the same virtualenv: ``PYTHONPYCACHEPREFIX`` points Python at an
empty cache directory (it then ignores the installed ``__pycache__`` files) and
``PYTHONDONTWRITEBYTECODE`` keeps it empty, so every process compiles from source, as it did
before the virtualenvs were compiled at install (ADR-0002).

Usage: python scripts/bench.py [--runs N] [--skip-setup] [--skip-fresh-test] [--skip-make-test]
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
# The interpreter of the virtualenv that runs the bench (`make bench` runs .venv's).
VENV_PY = Path(sys.executable)
CDK = REPO / "node_modules" / ".bin" / "cdk"
PERF_DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- BENCH:BEGIN -->", "<!-- BENCH:END -->"

SYNTH_TARGET = 2.0  # app synth at most this many times the one-resource app's
MAKE_TEST_TARGET_S = 60.0  # `make test` after setup, 2 cores
FRESH_TEST_TARGET_S = 180.0  # fresh clone, `make test` including setup
IMPORT_TARGET_MS = 50.0  # handler cold import over a bare `import boto3`
# The monitor's core on one window of 100,000 captured records, on one local core. The function
# has 512 MB (about a third of a vCPU) and 300 s: 30 s here is ~90 s there, a third of the
# timeout; 64 MB of Python allocations is an eighth of its memory (ADR-0070).
MONITOR_RECORDS = 100_000
MONITOR_TARGET_S = 30.0
MONITOR_TARGET_PEAK_MB = 64.0

ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"} | {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_DEPRECATED": "quiet",
    "BC_SKIP_MAPPING": "TRUE",
    "AWS_EC2_METADATA_DISABLED": "true",
}

# The smallest app CloudFormation accepts: one stack with one resource (an empty Resources
# section fails CDK's built-in validation).
ONE_RESOURCE_APP = (
    "import aws_cdk as cdk; app = cdk.App(); stack = cdk.Stack(app, 'one-resource-stack'); "
    "cdk.CfnWaitConditionHandle(stack, 'Nothing'); app.synth()"
)
# What every synth and test session imports before building anything: the CDK modules of the
# three stacks and the compliance packs (cdk-nag).
APP_IMPORT_PROBE = """
import sys, time
sys.path.insert(0, {repo!r})
start = time.perf_counter()
import app  # noqa: F401
print(time.perf_counter() - start)
"""


def without_bytecode(env: dict, empty_cache: str) -> dict:
    return {**env, "PYTHONPYCACHEPREFIX": empty_cache, "PYTHONDONTWRITEBYTECODE": "1"}


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


def interleaved(runs: int, sides: dict) -> dict:
    """Run every side once per round, ``runs`` rounds; medians and samples per side."""
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, measure in sides.items():
            samples[name].append(measure())
    return {
        name: {"median_s": statistics.median(values), "samples": values}
        for name, values in samples.items()
    }


def bench_app_import(runs: int) -> dict:
    """Importing the app's CDK modules and cdk-nag in a fresh process, with and without the
    bytecode compiled at install."""

    def probe(env: dict) -> float:
        code = APP_IMPORT_PROBE.format(repo=str(REPO))
        result = subprocess.run(
            [str(VENV_PY), "-c", code], env=env, check=True, capture_output=True, text=True
        )
        return float(result.stdout.strip().splitlines()[-1])

    with tempfile.TemporaryDirectory(prefix="no-bytecode-") as empty:
        return interleaved(
            runs,
            {
                "with_bytecode": lambda: probe(ENV),
                "without_bytecode": lambda: probe(without_bytecode(ENV, empty)),
            },
        )


def bench_synth(runs: int) -> dict:
    """`cdk synth` of the whole app vs the one-resource app: same CLI, same environment; with
    bytecode (what `make synth` runs), with CDK's post-synthesis validation off, and without
    bytecode."""
    one_resource_cmd = f'{VENV_PY} -c "{ONE_RESOURCE_APP}"'
    app_cmd = f"{VENV_PY} app.py"
    results = {}
    with tempfile.TemporaryDirectory(prefix="no-bytecode-") as empty:
        variants = {
            "bytecode": ENV,
            "bytecode_validation_off": {**ENV, "CDK_VALIDATION": "false"},
            "no_bytecode": without_bytecode(ENV, empty),
        }
        for variant, env in variants.items():
            with tempfile.TemporaryDirectory() as out:

                def synth(app: str, env: dict = env, out: str = out) -> float:
                    return run_timed(
                        [str(CDK), "synth", "--quiet", "--no-notices", "-o", out, "--app", app],
                        env=env,
                    )

                sides = interleaved(
                    runs,
                    {
                        "app": lambda synth=synth: synth(app_cmd),
                        "one_resource": lambda synth=synth: synth(one_resource_cmd),
                    },
                )
            sides["ratio"] = sides["app"]["median_s"] / sides["one_resource"]["median_s"]
            results[variant] = sides
    return results


def bench_layers(runs: int) -> dict:
    layers = {
        "unit": ["make", "--no-print-directory", "test-unit"],
        "property": ["make", "--no-print-directory", "test-property"],
        "integration_local": ["make", "--no-print-directory", "test-integration"],
        "compliance_gate": ["make", "--no-print-directory", "compliance"],
    }
    return interleaved(runs, {name: lambda cmd=cmd: run_timed(cmd) for name, cmd in layers.items()})


def bench_make_test(runs: int) -> dict:
    return interleaved(
        runs, {"make_test": lambda: run_timed(["make", "--no-print-directory", "test"])}
    )["make_test"]


def _fresh_clone(tmp: str) -> Path:
    clone = Path(tmp) / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    return clone


def bench_fresh_test() -> dict:
    """`make test` in a fresh clone: creates both virtualenvs (compiling them) and installs the
    CDK CLI, then runs everything. The machine's uv and npm caches are warm, as a CI cache
    or a developer's machine has them."""
    with tempfile.TemporaryDirectory() as tmp:
        clone = _fresh_clone(tmp)
        seconds = run_timed(["make", "--no-print-directory", "test"], cwd=clone)
    return {"seconds": seconds, "note": "one run; fresh clone; warm uv/npm caches"}


def bench_fresh_setup() -> dict:
    """`make setup` in a fresh clone with empty uv and npm caches (network-bound)."""
    with tempfile.TemporaryDirectory() as tmp:
        clone = _fresh_clone(tmp)
        env = {
            **ENV,
            "UV_CACHE_DIR": str(Path(tmp) / "uv-cache"),
            "npm_config_cache": str(Path(tmp) / "npm-cache"),
            "PIP_NO_CACHE_DIR": "1",
        }
        seconds = run_timed(["make", "--no-print-directory", "setup"], cwd=clone, env=env)
    return {"seconds": seconds, "note": "one run; empty uv/npm caches; network-bound"}


HANDLER_PROBE = """
import sys, time
sys.path.insert(0, {path!r})
start = time.perf_counter()
{statements}
print(time.perf_counter() - start)
"""

HANDLER_PROBES = {
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
        code = HANDLER_PROBE.format(path=str(REPO / "lambda"), statements=statements)
        result = subprocess.run(
            [str(VENV_PY), "-c", code], env=env, check=True, capture_output=True, text=True
        )
        return float(result.stdout.strip())

    sides = interleaved(
        runs * 2, {name: lambda s=s: probe(s) for name, s in HANDLER_PROBES.items()}
    )
    medians = {name: side["median_s"] for name, side in sides.items()}
    return {
        "boto3_ms": medians["boto3"] * 1000,
        "handler_ms": medians["handler"] * 1000,
        "overhead_ms": (medians["handler"] - medians["boto3"]) * 1000,
        "boto3_client_ms": medians["boto3_client"] * 1000,
        "handler_client_ms": medians["handler_client"] * 1000,
        "client_overhead_ms": (medians["handler_client"] - medians["boto3_client"]) * 1000,
    }


def bench_monitor_window() -> dict:
    """scripts/bench_monitor.py in a fresh process (it puts lambda/ on its path)."""
    result = subprocess.run(
        [str(VENV_PY), str(REPO / "scripts" / "bench_monitor.py"), "--records",
         str(MONITOR_RECORDS), "--runs", "3"],
        env=ENV, check=True, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    return json.loads(result.stdout)


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


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "node": subprocess.run(
            ["node", "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "date": time.strftime("%Y-%m-%d"),
    }


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _met(ok: bool) -> str:
    return "yes" if ok else "no"


def render(results: dict) -> str:
    m = results["machine"]
    lines = [
        BEGIN,
        "",
        f"Machine: {m['cpus']} cores ({m['cpu_model']}), Python {m['python']}, Node "
        f"{m['node']}, {m['platform']}; measured {m['date']}. Load average (1, 5, 15 min) "
        f"at start {results['load_start']}, at end {results['load_end']}.",
        "",
        "| Measure | Median | Target | Met |",
        "| --- | --- | --- | --- |",
    ]
    synth = results.get("synth")
    if synth:
        labels = {
            "bytecode": ("`cdk synth` app / one-resource app", f"<= {SYNTH_TARGET}x"),
            "bytecode_validation_off": ("same, CDK_VALIDATION=false", "-"),
            "no_bytecode": ("same, without bytecode (before ADR-0002's change)", "-"),
        }
        for key, (label, target) in labels.items():
            s = synth[key]
            met = _met(s["ratio"] <= SYNTH_TARGET) if key == "bytecode" else "-"
            lines.append(
                f"| {label} | {s['app']['median_s']:.2f} s / {s['one_resource']['median_s']:.2f} s"
                f" = {s['ratio']:.2f}x | {target} | {met} |"
            )
    imp = results.get("app_import")
    if imp:
        with_bc, without = imp["with_bytecode"]["median_s"], imp["without_bytecode"]["median_s"]
        lines.append(
            f"| import the app's CDK modules and cdk-nag, with / without bytecode | "
            f"{with_bc:.2f} s / {without:.2f} s | - | - |"
        )
    for name, layer in results.get("layers", {}).items():
        lines.append(f"| `make` {name} (after setup) | {layer['median_s']:.1f} s | - | - |")
    if "make_test" in results:
        t = results["make_test"]["median_s"]
        lines.append(
            f"| whole `make test` after setup | {t:.1f} s | <= {MAKE_TEST_TARGET_S:.0f} s | "
            f"{_met(t <= MAKE_TEST_TARGET_S)} |"
        )
    if "fresh_test" in results:
        t = results["fresh_test"]["seconds"]
        lines.append(
            f"| fresh clone `make test` including setup (warm caches, 1 run) | {t:.0f} s | "
            f"<= {FRESH_TEST_TARGET_S:.0f} s | {_met(t <= FRESH_TEST_TARGET_S)} |"
        )
    if "fresh_setup" in results:
        lines.append(
            f"| fresh `make setup` (empty caches, 1 run) | "
            f"{results['fresh_setup']['seconds']:.0f} s | - | - |"
        )
    handler = results.get("handler_import")
    if handler:
        lines.append(
            f"| handler cold import over bare `import boto3` | {handler['overhead_ms']:.1f} ms "
            f"({handler['handler_ms']:.0f} vs {handler['boto3_ms']:.0f} ms) | "
            f"<= {IMPORT_TARGET_MS:.0f} ms | {_met(handler['overhead_ms'] <= IMPORT_TARGET_MS)} |"
        )
        lines.append(
            f"| handler import + first SSM client over `import boto3` + `boto3.client('ssm')` | "
            f"{handler['client_overhead_ms']:.1f} ms ({handler['handler_client_ms']:.0f} vs "
            f"{handler['boto3_client_ms']:.0f} ms) | <= {IMPORT_TARGET_MS:.0f} ms | "
            f"{_met(handler['client_overhead_ms'] <= IMPORT_TARGET_MS)} |"
        )
    monitor = results.get("monitor")
    if monitor:
        peak_mb = monitor["peak_traced_bytes"] / 2**20
        met = monitor["seconds"] <= MONITOR_TARGET_S and peak_mb <= MONITOR_TARGET_PEAK_MB
        lines.append(
            f"| monitor, one window of {monitor['records']:,} captured records | "
            f"{monitor['seconds']:.1f} s, {peak_mb:.1f} MB peak | <= {MONITOR_TARGET_S:.0f} s, "
            f"<= {MONITOR_TARGET_PEAK_MB:.0f} MB | "
            f"{_met(met)} |"
        )
    for case, calls in results.get("aws_calls", {}).items():
        puts = calls.get("ssm.PutParameter", 0)
        target = "1 PutParameter" if case != "ignored_event" else "0 PutParameter"
        met = (puts == 1) if case != "ignored_event" else (puts == 0)
        summary = ", ".join(f"{op} x{n}" for op, n in sorted(calls.items()))
        lines.append(f"| AWS calls, {case} | {summary or 'none'} | {target} | {_met(met)} |")
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
    parser.add_argument("--skip-setup", action="store_true", help="skip the empty-cache setup")
    parser.add_argument("--skip-fresh-test", action="store_true", help="skip the fresh clone")
    parser.add_argument("--skip-make-test", action="store_true")
    args = parser.parse_args(argv)

    results: dict = {"machine": machine(), "load_start": _load()}
    steps = [
        ("handler import", "handler_import", lambda: bench_handler_import(args.runs)),
        ("AWS calls per invocation", "aws_calls", bench_aws_calls),
        ("monitor, one window", "monitor", bench_monitor_window),
        ("app import with/without bytecode", "app_import", lambda: bench_app_import(args.runs)),
        ("cdk synth app vs one-resource app", "synth", lambda: bench_synth(args.runs)),
        ("test layers", "layers", lambda: bench_layers(max(1, args.runs // 2))),
    ]
    if not args.skip_make_test:
        steps.append(
            ("whole make test", "make_test", lambda: bench_make_test(max(1, args.runs // 2)))
        )
    if not args.skip_fresh_test:
        steps.append(("fresh clone make test", "fresh_test", bench_fresh_test))
    if not args.skip_setup:
        steps.append(("fresh setup, empty caches", "fresh_setup", bench_fresh_setup))
    for label, key, measure in steps:
        print(f"bench: {label} ...", flush=True)
        results[key] = measure()
    results["load_end"] = _load()

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
