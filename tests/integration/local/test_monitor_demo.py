"""``python -m demo.monitor_hours``: a normal hour keeps the drift alarms OK, a drifted hour
raises them and sends the data-science team the "retraining recommended" event."""

from __future__ import annotations

import io

from demo.monitor_hours import run


def test_a_normal_hour_stays_ok_and_a_drifted_hour_raises_the_drift_alarms():
    out = io.StringIO()

    results = run(400, out=out)

    normal, drifted = results["normal"], results["drifted"]
    assert normal["alarms"]["LabelDriftPSI"][1] == "OK"
    assert normal["events"] == []
    assert drifted["alarms"]["LabelDriftPSI"][1] == "ALARM"
    [event] = drifted["events"]
    assert "LabelDriftPSI" in {reason["metric"] for reason in event["detail"]["reasons"]}
    assert "drifted hour" in out.getvalue()
