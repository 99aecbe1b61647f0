"""The rollout function's logic: a registration becomes a stack update (ADR-0050, ADR-0051).

Pure core: ``queue_records`` (parse the SQS batch of EventBridge events), ``decision`` (what a
stack status or an UpdateStack error means, which parameters the update passes), ``settings``
(the environment). Thin adapter: ``cloudformation`` (one update attempt). ``telemetry`` writes
the event lines and the metrics; ``contract`` names what the infrastructure shares with this
code. Entry point: ``rollout_handler.py`` beside this package.
"""
