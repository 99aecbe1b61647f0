"""The local rehearsal of the pipeline on the moto emulator.

``python -m demo`` (``make demo``) deploys the three stacks with the real CDK CLI into a
``moto_server`` and walks a model from upload to endpoint; the local integration test
(``tests/integration/local/test_pipeline_e2e.py``) walks the same story in-process with
``mock_aws``. Both use the helpers here, which stand in for what the emulator lacks: the S3
notification S3 would send, the Lambda invocation moto cannot run without Docker, the bucket
properties moto's CloudFormation skips, the EventBridge delivery of a parameter change
(docs/demo.md, ADR-0065, ADR-0066).

Nothing here is imported by the CDK app or the Lambda assets.
"""
