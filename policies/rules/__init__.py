"""Pure compliance logic over CloudFormation-shaped dictionaries.

Standard library only: the same functions are called by the cdk-nag packs (``policies/nag``,
on properties resolved from the CDK tree) and by the custom checkov checks
(``policies/checkov``, on the synthesized template, in checkov's own virtualenv). One
implementation, two gates: a rule cannot drift between them.
"""
