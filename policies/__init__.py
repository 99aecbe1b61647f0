"""Compliance gates of the pipeline: cdk-nag packs, checkov policies, exceptions (README.md).

- ``policies.rules``: rule logic over CloudFormation dictionaries, standard library only, shared
  by both gates (checkov runs in its own virtualenv, without aws-cdk-lib).
- ``policies.nag``: the cdk-nag packs (stock and the project's) and ``apply_compliance_packs``.
- ``policies.exceptions``: ADR-justified acknowledgments and checkov skips, and their audit.
- ``policies/checkov``: the project's checkov checks, run by ``scripts/checkov_gate.py``.
"""
