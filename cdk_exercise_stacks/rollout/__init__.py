"""Rollout: where a registration becomes a rollout.

A change of the model parameter -> rule -> queue -> rollout function -> CloudFormation update of
the endpoint stack, performed with a service role of its own.
"""
