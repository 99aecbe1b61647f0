"""The emulated account: moto's fixed account id, a region, fake credentials."""

from __future__ import annotations

from demo.cfn_values import Environment

# moto's default account; every emulated resource lives there.
ACCOUNT = "123456789012"
REGION = "us-east-1"
ENVIRONMENT = Environment(account=ACCOUNT, region=REGION)
# Never valid on AWS: a rehearsal that lost its endpoint URL fails instead of reaching an account.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# What `cdk bootstrap` of the pinned CLI writes to /cdk-bootstrap/<qualifier>/version (the
# stacks' CheckBootstrapVersion rule wants 6 or more). The in-process test writes it itself.
BOOTSTRAP_VERSION = "33"
