"""Whatever a parameter version's Description holds, reading it never fails the handler.

The Description is state, not input: anyone with ssm:PutParameter (a person, a script, an older
handler) may have written it, and no retry of the event could change it. So a Description that
is not our provenance, or whose provenance cannot be trusted (wrong types, a time outside years
1-9999 in UTC, a sequencer with a newline, JSON nested past the parser's recursion limit),
makes the version count as an out-of-band value registered at its write time (ADR-0010).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from registration.parameter_description import from_parameter_version, to_description
from registration.registered_model import ORIGIN_OUT_OF_BAND, Registration, order_key
from registration.s3_events import parse_notification
from tests.unit.registration.registration_testkit import event, s3_record

WRITTEN_AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
KEY = "models/m.tar.gz"
(_RECORD,) = parse_notification(event(s3_record(KEY))).records
GENUINE = Registration.from_event(_RECORD)
GENUINE_FIELDS = json.loads(to_description(GENUINE))

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2026-11-27T10:00:60Z",
            "0A\n",
            "\u0661",
            -1,
            2**63,
        ]
    )
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def tampered_provenance(draw) -> str:
    """Our provenance with some fields replaced, removed or added."""
    fields = dict(GENUINE_FIELDS)
    for name in draw(st.lists(st.sampled_from([*sorted(fields), "extra"]), max_size=3)):
        if draw(st.booleans()):
            fields.pop(name, None)
        else:
            fields[name] = draw(JSON)
    return json.dumps(fields)


DESCRIPTIONS = (
    tampered_provenance()
    | st.text(max_size=1024)
    | st.integers(1, 1024).map(lambda depth: "[" * depth)
    | JSON.map(json.dumps)
)


@given(DESCRIPTIONS)
@example(
    json.dumps(
        {
            "schema": "model-registration/1",
            "origin": "s3-event",
            "eventTime": "0001-01-01T00:00+01:00",
        }
    )
)
@example("[" * 1024)
def test_any_stored_description_reads_as_a_registration_that_can_be_ordered(description):
    # Any exception escapes and fails the test.
    registration = from_parameter_version(KEY, description, WRITTEN_AT)

    assert registration.key == KEY
    assert registration.occurred_at.utcoffset() is not None
    # The handler compares it with incoming uploads: that must work too.
    assert isinstance(order_key(registration) > order_key(GENUINE), bool)
    if registration.origin == ORIGIN_OUT_OF_BAND:
        assert registration.occurred_at == WRITTEN_AT
        assert registration.bucket is None


def test_the_genuine_provenance_is_read_back_unchanged():
    # The property above would pass if every description were treated as out-of-band.
    assert from_parameter_version(KEY, to_description(GENUINE), WRITTEN_AT) == GENUINE
