"""The model registry of the registration unit: the model package group, the function's access
to it and to the metrics files, the operator's state-change events and the gate's alarm
(ADR-0071)."""
