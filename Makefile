# One entry point for people and CI. `make synth` and `make test` work on a fresh clone:
# they create the virtualenvs and install the pinned CDK CLI first. Stamp files keep make
# from reinstalling what is already installed.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
CDK := node_modules/.bin/cdk
REPORTS := reports

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_DEPRECATED := quiet
export BC_SKIP_MAPPING := TRUE
# Synthesis must never need AWS: no credentials, no lookups.
export AWS_EC2_METADATA_DISABLED := true

.PHONY: help setup lock synth lint test test-all test-unit test-property test-integration compliance \
        cfn-lint checkov nag-sarif access-report docs bench demo deploy destroy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# The lock files pin every transitive dependency (ADR-0002); `make lock` regenerates them from
# the top-level requirement files.
LOCK_FLAGS := --quiet --python-version 3.11 --python-platform x86_64-unknown-linux-gnu

# Packages are compiled to bytecode at install (ADR-0002): uv does not compile by default, and
# without .pyc files every synth, test session and checkov run recompiles aws_cdk's generated
# modules (~4 s of every process that imports the app). Python reads the compiled files even
# when PYTHONDONTWRITEBYTECODE is set. A stamp records how its environment was installed; an
# environment installed another way (before this flag) is reinstalled once, which from uv's
# cache only compiles.
INSTALL := uv-pip-install--compile-bytecode
UV_INSTALL = $(UV) pip install --quiet --compile-bytecode
ifneq ($(file <$(VENV)/.stamp),$(INSTALL))
$(VENV)/.stamp: FORCE
endif
ifneq ($(file <$(CHECKOV_VENV)/.stamp),$(INSTALL))
$(CHECKOV_VENV)/.stamp: FORCE
endif
.PHONY: FORCE
FORCE:

# aws-cdk-lib and aws-cdk-cloud-assembly-schema (which it requires) both ship
# aws_cdk/cloud_assembly_schema/__init__.py, and uv installs in parallel, so either copy may win.
# The app needs aws-cdk-lib's (its jsii types are named aws-cdk-lib.cloud_assembly_schema.*;
# with the other copy, reading synthesis messages fails with "Unknown interface"): when the other
# copy won, aws-cdk-lib alone is installed again, and the check must then pass.
CDK_LIB_FILES_CHECK = $(PY) scripts/check_cdk_lib_files.py

$(VENV)/.stamp: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV_INSTALL) --python $(PY) -r requirements-dev.lock
	$(CDK_LIB_FILES_CHECK) || $(UV_INSTALL) --python $(PY) --no-deps --reinstall-package aws-cdk-lib \
		$$(grep '^aws-cdk-lib==' requirements-dev.lock)
	$(CDK_LIB_FILES_CHECK)
	echo '$(INSTALL)' > $@

# Order-only on the dev venv (it only provides uv): a new dev lock does not reinstall checkov.
$(CHECKOV_VENV)/.stamp: requirements-checkov.lock | $(VENV)/.stamp
	$(UV) venv --clear --quiet --python $(PY) $(CHECKOV_VENV)
	$(UV_INSTALL) --python $(CHECKOV_VENV)/bin/python -r requirements-checkov.lock
	echo '$(INSTALL)' > $@

lock: $(VENV)/.stamp ## re-resolve requirements-*.lock from the top-level requirement files
	$(UV) pip compile $(LOCK_FLAGS) requirements-dev.txt -o requirements-dev.lock
	$(UV) pip compile $(LOCK_FLAGS) requirements-checkov.txt -o requirements-checkov.lock

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.stamp $(CHECKOV_VENV)/.stamp node_modules/.stamp ## create the virtualenvs, install the pinned CDK CLI

synth: $(VENV)/.stamp node_modules/.stamp ## synthesize the three templates to cdk.out, offline
	$(CDK) synth --quiet --no-notices --no-version-reporting

lint: $(VENV)/.stamp ## ruff; actionlint and zizmor (offline) on the GitHub workflows
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/actionlint
	$(VENV)/bin/zizmor --offline --no-progress .github

# pytest-xdist runs the tests on every core (PYTEST_WORKERS=0: in one process). A test file
# stays on one worker (--dist loadfile), so its module fixtures (a checkov run, a moto
# deployment) run once.
PYTEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

test-unit: $(VENV)/.stamp $(CHECKOV_VENV)/.stamp node_modules/.stamp ## unit tests
	$(PYTEST) tests/unit

test-property: $(VENV)/.stamp ## Hypothesis property tests (bounded CI profile)
	$(PYTEST) tests/property

test-integration: $(VENV)/.stamp node_modules/.stamp ## local integration on moto (AWS tests opt-in)
	$(PYTEST) tests/integration

cfn-lint: synth ## cfn-lint on the synthesized templates
	$(VENV)/bin/cfn-lint --config-file .cfnlintrc.yaml -- cdk.out/*.template.json

checkov: synth $(CHECKOV_VENV)/.stamp ## checkov (stock + policies/checkov) on the templates; reports in reports/checkov
	$(PY) scripts/checkov_gate.py cdk.out $(REPORTS)/checkov

nag-sarif: $(VENV)/.stamp ## cdk-nag's reports in cdk.out as SARIF (reports/cdk-nag), for code scanning
	$(PY) scripts/nag_sarif.py cdk.out $(REPORTS)/cdk-nag/results_sarif.sarif

# Generated documentation: a test fails when a committed page is stale (tests/unit/test_docs.py,
# test_config_reference.py, test_alarm_table.py, test_access_report.py).
access-report: synth ## write docs/access.md (every principal; who can publish, write, approve, change, read) from the templates
	$(PY) scripts/access_report.py --cdk-out cdk.out --output docs/access.md

docs: access-report ## regenerate every generated page: ADR index, configuration, alarm table and retained resources, access report
	$(PY) scripts/adr_index.py
	$(PY) scripts/config_reference.py
	$(PY) scripts/alarm_table.py --cdk-out cdk.out

compliance: cfn-lint checkov ## the template gates: cdk-nag (fails synth), cfn-lint, checkov

test: setup lint ## everything CI runs: lint, all test layers, synth with cdk-nag, cfn-lint, checkov
	$(MAKE) --no-print-directory -j2 --output-sync=target test-all compliance

# The compliance gate runs beside the tests (`make test` above): it fills the cores while the
# last test files finish. Each one's output is printed whole when it ends.
test-all: $(VENV)/.stamp $(CHECKOV_VENV)/.stamp node_modules/.stamp
	$(PYTEST) tests

bench: setup ## measure synth, test layers, setup, handler import, AWS calls (docs/performance.md)
	$(PY) scripts/bench.py

demo: $(VENV)/.stamp node_modules/.stamp ## rehearse upload -> registration -> endpoint -> rollout on moto_server with the real CDK CLI (docs/demo.md), then two monitored hours (ADR-0070)
	$(PY) -m demo
	$(PY) -m demo.monitor_hours

# `make deploy` / `make destroy` act on the AWS account of your credentials (real cost).
# DEPLOYMENT_PREFIX=x deploys a separate, prefixed copy (ADR-0035). ALERT_EMAIL=a@example.com
# subscribes an address to the alerts (ADR-0058); MODEL_UPLOADERS=<ARN>,<ARN> limits who may
# publish models (ADR-0056). IAM and security-group changes wait for a human (a terminal)
# unless CDK_APPROVAL=never; destroy asks unless FORCE=1.
DEPLOYMENT_PREFIX ?=
ALERT_EMAIL ?=
MODEL_UPLOADERS ?=
CDK_APPROVAL ?= broadening
CDK_CONTEXT := $(if $(DEPLOYMENT_PREFIX),-c deployment_prefix=$(DEPLOYMENT_PREFIX),) \
	$(if $(ALERT_EMAIL),-c alert_email=$(ALERT_EMAIL),) \
	$(if $(MODEL_UPLOADERS),-c model_uploaders=$(MODEL_UPLOADERS),)
# Unlike synthesis, these need credentials, which on EC2 come from the instance metadata.
deploy destroy: export AWS_EC2_METADATA_DISABLED := false
# Exit 0 if the model parameter exists, 3 if not (any other status: the check itself failed).
MODEL_REGISTERED := $(PY) -c "import sys, boto3; from config.naming import DeploymentNaming; \
	name = DeploymentNaming('$(DEPLOYMENT_PREFIX)').model_parameter_name; \
	sys.exit(0 if boto3.client('ssm').get_parameters(Names=[name])['Parameters'] else 3)"

# One region for the CDK CLI and the boto3 check, found as the CDK CLI finds it (AWS_REGION,
# AWS_DEFAULT_REGION, the profile's region) and printed; no region stops before deploying.
DEPLOY_REGION := region=$$($(PY) scripts/deploy_region.py); export AWS_REGION=$$region AWS_DEFAULT_REGION=$$region

deploy: $(VENV)/.stamp node_modules/.stamp ## deploy to your AWS account in ADR-0032's order: lambda, s3, then the endpoint once a model is registered
	@$(DEPLOY_REGION); \
	$(CDK) deploy lambda-stack s3-stack $(CDK_CONTEXT) --require-approval $(CDK_APPROVAL); \
	status=0; $(MODEL_REGISTERED) || status=$$?; \
	if [ $$status -eq 0 ]; then \
	  $(CDK) deploy sagemaker-endpoint-stack $(CDK_CONTEXT) --require-approval $(CDK_APPROVAL); \
	elif [ $$status -eq 3 ]; then \
	  echo "No model registered yet: upload a <name>.tar.gz under models/ in the model bucket (python -m tools.upload_model ARCHIVE s3://<bucket>/models/<name>.tar.gz; aws s3 cp is refused there, ADR-0056), then run make deploy again (ADR-0032)."; \
	else exit $$status; fi

destroy: $(VENV)/.stamp node_modules/.stamp ## destroy the three stacks (asks first); buckets, model parameter, logs and failed-work queues are retained (ADR-0028, ADR-0032, ADR-0058)
	@$(DEPLOY_REGION); \
	$(CDK) destroy sagemaker-endpoint-stack s3-stack lambda-stack $(CDK_CONTEXT) $(if $(FORCE),--force,)

clean: ## remove build output (keeps the virtualenvs)
	rm -rf cdk.out $(REPORTS) .pytest_cache .hypothesis .ruff_cache
