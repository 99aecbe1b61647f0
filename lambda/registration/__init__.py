"""The registration function's logic: an S3 upload becomes the registered model.

Pure core: ``s3_events`` (parse the notification), ``decision`` (which model an event
registers), ``registered_model`` (what a registration is and what newer means),
``parameter_description`` (the provenance stored with each parameter version), ``servable``
(keys SageMaker can load and SSM can hold), ``settings`` (the environment). Thin adapters:
``parameter_store`` (read the history, write one version), ``uploaded_object`` (HeadObject:
does the upload exist as the event says). ``telemetry`` writes the decision lines and the
metrics; ``contract`` names what the infrastructure shares with this code. Entry point:
``lambda_handler.py`` beside this package.
"""
