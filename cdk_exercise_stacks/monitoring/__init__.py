"""Watching the live endpoint: data capture, serving and model alarms, the monitor
function and the dashboard (ADR-0070)."""
