"""The model registry of the registration function (ADR-0071).

Pure core, standard library only: the metrics file delivered with a model (``metrics_file``),
the gate that compares a candidate with the served model (``gate``), the choice of the package
to serve (``serving``), and what is written on a package (``package_record``). Adapters: the
SageMaker and S3 calls (``packages``), the settings from the environment (``settings``) and the
flow the handler runs when ``MODEL_PACKAGE_GROUP`` is set (``flow``).
"""
