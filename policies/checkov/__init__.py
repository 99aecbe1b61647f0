"""Custom checkov checks (CloudFormation). checkov loads every ``.py`` and ``.yaml`` here when
run with ``--external-checks-dir policies/checkov``; it needs this file to do so."""
