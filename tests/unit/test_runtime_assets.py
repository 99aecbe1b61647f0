"""Each function's asset ships exactly what it imports, cut out of the one runtime directory
(``constants.RUNTIME_DIR``) by its exclude globs: its entry module, its package and ``common/``;
no other function's code, no tests, no caches. And what it ships imports nothing else but the
standard library and the AWS SDK the Lambda runtime provides: never the CDK app's ``config/``,
``cdk_exercise_stacks/`` or ``policies/``."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3_assets as s3_assets

from config import constants

RUNTIME_DIR = Path(__file__).resolve().parents[2] / constants.RUNTIME_DIR
# What the Lambda Python runtime provides besides the asset (boto3 and botocore: ADR-0013).
PROVIDED = set(sys.stdlib_module_names) | {"__future__", "boto3", "botocore"}
# Each function: its stack, its handler string, the packages it ships whole, the single modules it
# ships of another package; the exclude globs it is staged with.
FUNCTIONS = {
    "registration": (
        constants.LAMBDA_STACK_NAME,
        constants.LAMBDA_HANDLER,
        ("registration", "registry"),
        (),
        constants.REGISTRATION_ASSET_EXCLUDES,
    ),
    "rollout": (
        constants.SAGEMAKER_STACK_NAME,
        constants.ROLLOUT_HANDLER,
        ("rollout",),
        (),
        constants.ROLLOUT_ASSET_EXCLUDES,
    ),
    "monitor": (
        constants.SAGEMAKER_STACK_NAME,
        constants.MONITOR_HANDLER,
        ("monitoring",),
        ("registry/metrics_file.py",),
        constants.MONITOR_ASSET_EXCLUDES,
    ),
}


def shipped_files(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def expected_files(
    handler: str, packages: tuple[str, ...], modules: tuple[str, ...] = ()
) -> set[str]:
    """The entry module, the ``.py`` files of the function's packages and of ``common/``, and
    each single module with its package's ``__init__.py``, as the source tree has them."""
    entry = handler.rsplit(".", 1)[0] + ".py"
    whole = (*packages, constants.RUNTIME_COMMON_PACKAGE)
    singles = {m for module in modules for m in (f"{module.split('/')[0]}/__init__.py", module)}
    return (
        {entry}
        | {f"{name}/{p.name}" for name in whole for p in (RUNTIME_DIR / name).glob("*.py")}
        | singles
    )


def staged_asset(synthesized_app, stack: str, handler: str) -> Path:
    """The directory the synthesized app staged as the code of ``handler``'s function."""
    outdir = Path(synthesized_app.directory)
    template = json.loads((outdir / f"{stack}.template.json").read_text(encoding="utf-8"))
    [code] = [
        r["Properties"]["Code"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == handler
    ]
    manifest = json.loads((outdir / f"{stack}.assets.json").read_text(encoding="utf-8"))
    source = manifest["files"][code["S3Key"].removesuffix(".zip")]["source"]
    assert source["packaging"] == "zip"
    return outdir / source["path"]


def module_name(relative: str) -> str:
    """``registration/decision.py`` -> ``registration.decision``; a package's ``__init__.py``
    is the package."""
    parts = relative.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> tuple[set[str], set[str]]:
    """What ``source`` imports: the modules it needs, and the names that are modules only if
    the package has them (``from a.b import c``: ``a.b`` is needed, ``a.b.c`` may be a module
    or a name in it). Relative imports are resolved against ``module``."""
    needed: set[str] = set()
    maybe: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            needed |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            needed.add(base)
            maybe |= {f"{base}.{alias.name}" for alias in node.names}
    return needed, maybe


def import_closure(directory: Path, entry: str) -> tuple[set[str], set[str]]:
    """The shipped modules reachable from ``entry``, and the imports of shipped code that are
    neither shipped nor provided by the Lambda runtime."""
    modules = {module_name(f): directory / f for f in shipped_files(directory) if f.endswith(".py")}
    reached: set[str] = set()
    strays: set[str] = set()
    pending = [entry]
    while pending:
        name = pending.pop()
        if name in reached:
            continue
        reached.add(name)
        path = modules[name]
        needed, maybe = imported_modules(
            path.read_text(encoding="utf-8"), name, path.name == "__init__.py"
        )
        for imported in needed:
            parts = imported.split(".")
            # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
            chain = [".".join(parts[: i + 1]) for i in range(len(parts))]
            if imported in modules:
                pending += [m for m in chain if m in modules]
            elif parts[0] not in PROVIDED:
                strays.add(f"{path.relative_to(directory).as_posix()} imports {imported}")
        pending += [m for m in maybe if m in modules]
    return reached, strays


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_asset_holds_exactly_its_entry_module_its_package_and_common(
    synthesized_app, function
):
    stack, handler, packages, modules, _ = FUNCTIONS[function]
    staged = staged_asset(synthesized_app, stack, handler)

    assert shipped_files(staged) == expected_files(handler, packages, modules)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_asset_imports_exactly_what_it_ships(synthesized_app, function):
    stack, handler, _, _, _ = FUNCTIONS[function]
    staged = staged_asset(synthesized_app, stack, handler)
    entry = handler.rsplit(".", 1)[0]

    reached, strays = import_closure(staged, entry)

    assert strays == set()
    shipped = {module_name(f) for f in shipped_files(staged)}
    assert reached == shipped, f"shipped but never imported: {sorted(shipped - reached)}"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_the_excludes_leave_caches_tests_and_other_functions_out(tmp_path, function):
    """CDK's own staging (the AssetStaging that ``Code.from_asset`` uses) applied to a runtime
    directory cluttered as a working copy gets: caches, dot-files, notes, stray tests, the other
    functions' code and a function added later."""
    _, handler, packages, modules, excludes = FUNCTIONS[function]
    runtime = tmp_path / "runtime"
    cluttered = [
        "lambda_handler.py",
        "rollout_handler.py",
        "monitor_handler.py",
        ".DS_Store",
        ".pytest_cache/v/cache/nodeids",
        "__pycache__/lambda_handler.cpython-313.pyc",
        "test_stray.py",
        "README.md",
        *(
            f"{name}/{file}"
            for name in ("registration", "rollout", "monitoring", "registry", "common")
            for file in (
                "__init__.py",
                "core.py",
                "notes.md",
                "__pycache__/core.cpython-313.pyc",
                "tests/test_core.py",
            )
        ),
    ]
    for relative in cluttered:
        (runtime / relative).parent.mkdir(parents=True, exist_ok=True)
        (runtime / relative).write_text("# placeholder\n", encoding="utf-8")
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    asset = s3_assets.Asset(
        cdk.Stack(app, "Staging"), "Code", path=str(runtime), exclude=list(excludes)
    )
    app.synth()

    staged = shipped_files(tmp_path / "cdk.out" / asset.asset_path)

    entry = handler.rsplit(".", 1)[0] + ".py"
    assert staged == {
        entry,
        *(
            f"{name}/{file}"
            for name in (*packages, "common")
            for file in ("__init__.py", "core.py")
        ),
        *(f"{module.split('/')[0]}/__init__.py" for module in modules),
        # A single module ships only if the package has it: none of the clutter is one.
    }


def test_the_import_check_finds_what_the_runtime_may_not_import(tmp_path):
    (tmp_path / "entry.py").write_text(
        "import json\nimport requests\nfrom config import constants\nfrom pkg import mod\n",
        encoding="utf-8",
    )
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg" / "mod.py").write_text(
        "from .helper import x\nfrom pkg.missing import y\n", encoding="utf-8"
    )
    (tmp_path / "pkg" / "helper.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "pkg" / "unused.py").write_text("", encoding="utf-8")

    reached, strays = import_closure(tmp_path, "entry")

    assert strays == {
        "entry.py imports requests",
        "entry.py imports config",
        "pkg/mod.py imports pkg.missing",
    }
    assert reached == {"entry", "pkg", "pkg.mod", "pkg.helper"}
