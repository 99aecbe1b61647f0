"""The model monitor's pure core (ADR-0070): no AWS calls, standard library only.

- ``capture``: SageMaker's data-capture and ground-truth JSON Lines formats, the object key
  layout of an hour, and a streaming line parser that counts malformed lines by reason.
- ``window``: bounded-memory statistics of one window (label shares, confidence, input
  length) and their drift against the served model's baseline (population stability index).
- ``report``: a window summary as CloudWatch metric data, as a JSON document without captured
  text, and the "retraining recommended" decision.

Modules import each other relatively and nothing outside this package, so the package runs
unchanged wherever the monitor function's asset puts it.
"""
