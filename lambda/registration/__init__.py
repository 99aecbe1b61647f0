"""The registration function's logic: an S3 upload becomes the registered model.

Pure core: ``s3_events`` (parse the notification), ``decision`` (which model an event
registers), ``registered_model`` (what a registration is and what newer means),
``parameter_description`` (the provenance stored with each parameter version), ``settings``
(the environment). Thin adapter: ``parameter_store`` (read the history, write one version).
``telemetry`` writes the decision lines and the metrics; ``contract`` names what the
infrastructure shares with this code. Entry point: ``lambda_handler.py`` beside this package.
"""
