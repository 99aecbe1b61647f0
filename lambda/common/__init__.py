"""What every function of the pipeline runs on: one JSON log schema (``json_log``), one metrics
publisher (``metrics``), one AWS client, retry and time-budget policy (``aws_clients``) and the
errors a function raises on purpose (``errors``).

Shipped in every function's asset; imports only the standard library (and boto3, lazily).
"""
