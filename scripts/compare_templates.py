"""Compare the CloudFormation templates of two ``cdk.out`` directories, ignoring asset hashes.

A refactor must leave every synthesized template identical, logical IDs included: a changed
logical ID replaces a deployed resource (and the model bucket has a fixed name, so replacing it
fails). Asset hashes change whenever a Lambda asset's files move, so they are masked; anything
else that differs is printed as a JSON path with both values.

    python scripts/compare_templates.py BEFORE_DIR AFTER_DIR

Exit status: 0 identical, 1 different (the differences are printed), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# CDK names file assets by the SHA-256 of their content: 64 lowercase hex digits.
ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
ASSET_MASK = "<asset-hash>"


def mask_asset_hashes(value: Any) -> Any:
    """``value`` with every asset hash, in keys and strings alike, replaced by one mask."""
    if isinstance(value, dict):
        return {mask_asset_hashes(k): mask_asset_hashes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_asset_hashes(v) for v in value]
    if isinstance(value, str):
        return ASSET_HASH.sub(ASSET_MASK, value)
    return value


def differences(before: Any, after: Any, path: str = "$") -> Iterator[str]:
    """One line per place where ``after`` differs from ``before``, as a JSON path."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            child = f"{path}.{key}"
            if key not in after:
                yield f"{child}: removed"
            elif key not in before:
                yield f"{child}: added"
            else:
                yield from differences(before[key], after[key], child)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from differences(old, new, f"{path}[{index}]")
    elif before != after:
        yield f"{path}: {json.dumps(before)[:200]} -> {json.dumps(after)[:200]}"


def compare(before_dir: Path, after_dir: Path) -> list[str]:
    """Every difference between the templates of the two directories, file by file."""
    before = {p.name: p for p in before_dir.glob("*.template.json")}
    after = {p.name: p for p in after_dir.glob("*.template.json")}
    found = [f"{name}: only in {before_dir}" for name in sorted(before.keys() - after.keys())]
    found += [f"{name}: only in {after_dir}" for name in sorted(after.keys() - before.keys())]
    for name in sorted(before.keys() & after.keys()):
        old = mask_asset_hashes(json.loads(before[name].read_text()))
        new = mask_asset_hashes(json.loads(after[name].read_text()))
        found += [f"{name} {line}" for line in differences(old, new)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="cdk.out of the reference build")
    parser.add_argument("after", type=Path, help="cdk.out of the changed build")
    args = parser.parse_args(argv)
    for directory in (args.before, args.after):
        if not any(directory.glob("*.template.json")):
            print(f"{directory}: no *.template.json (not a cdk.out directory?)", file=sys.stderr)
            return 2
    found = compare(args.before, args.after)
    templates = len(list(args.before.glob("*.template.json")))
    if found:
        print("\n".join(found))
        print(f"{len(found)} difference(s)")
        return 1
    print(f"{templates} templates identical (asset hashes ignored)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
