"""Serving: where the endpoint is defined.

The serving image and the CDK context that may override it, the model, endpoint configuration
and endpoint with their role, the endpoint's log group, CPU autoscaling, the blue/green
deployment with its rollback alarms, and the stack's ``tags`` argument.
"""
