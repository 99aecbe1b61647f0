"""Registration: where an upload becomes a registered model.

The registration function (S3 event in, the model's key in SSM out), the bucket notification
that delivers every model artifact created, removed or expired to it, the alarms on its
metrics, and the CDK deploy role's read of the parameter it writes.
"""
