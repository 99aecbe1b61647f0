"""Commands for the data-science team: package a Hugging Face model for the SageMaker endpoint.

Run from the repository root, e.g. ``python -m tools.package_model DIR OUT.tar.gz``. Standard
library only, so the commands work in any Python >= 3.11 without the project's virtualenv.
"""
