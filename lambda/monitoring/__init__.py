"""The model monitor (ADR-0070): a pure core (standard library, no AWS calls) and its adapters.

- ``capture``: SageMaker's data-capture and ground-truth JSON Lines formats, the object key
  layout of an hour, and a streaming line parser that counts malformed lines by reason.
- ``window``: bounded-memory statistics of one window (label shares, confidence, input
  length) and their drift against the served model's baseline (population stability index).
- ``report``: a window summary as CloudWatch metric data, as a JSON document without captured
  text, and the "retraining recommended" decision.

The pure core imports nothing outside this package. Beside it, the function's adapters (they
call AWS through clients they are given): ``contract`` and ``settings`` (the environment),
``storage`` (S3 listing and line streaming), ``baseline`` (the served model's metrics file,
through the registry's parser ``registry.metrics_file``) and ``run`` (one window, published once);
``monitor_handler.py`` is the entry point.
"""
