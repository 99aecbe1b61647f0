"""Any key S3 can hold is registered exactly as uploaded, after S3's URL-encoding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from registration.s3_events import decode_key, is_model_key
from registration.servable import why_unservable
from tests.unit.registration.registration_testkit import (
    BUCKET,
    event,
    invoke,
    registered_value,
    s3_encode_key,
    s3_record,
    uploaded,
)

# Every non-empty key S3 can hold (valid UTF-8, so no lone surrogates), with the ones the
# encoding treats specially drawn often.
KEY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(" +%/&=?#~!*'()\u00e9\u4e2d\U0001f916"),
        st.characters(exclude_categories=("Cs",)),
    ),
    min_size=1,
    max_size=60,
)
MODEL_KEYS = KEY_TEXT.map(lambda text: text + ".tar.gz")
# Characters S3 might leave unescaped. Whatever the exact set, decoding must invert it; a
# space, '+' and '%' are always escaped, or decoding would be ambiguous.
SAFE_SETS = st.sampled_from(["/", "", "/~", "/~()!*'", "/:@,;=$&"])


@given(key=KEY_TEXT, safe=SAFE_SETS)
def test_decoding_inverts_s3_encoding_for_any_key(key, safe):
    assert decode_key(s3_encode_key(key, safe)) == key


@given(key=MODEL_KEYS)
def test_a_model_key_stays_a_model_key_through_the_encoding(key):
    assert is_model_key(decode_key(s3_encode_key(key)))


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(key=MODEL_KEYS)
def test_the_handler_registers_exactly_the_uploaded_key(sandbox, key):
    """... unless SageMaker could not load it or Parameter Store could not hold it: then it is
    rejected, and nothing is written (ADR-0017)."""
    name = sandbox.fresh_parameter()

    result = invoke(event(uploaded(sandbox.s3, s3_record(key))))

    if why_unservable(BUCKET, key) is None:
        assert registered_value(sandbox.ssm, name) == key
        assert sandbox.calls["ssm.PutParameter"] == 1
    else:
        assert result["decisions"] == ["rejected"]
        assert registered_value(sandbox.ssm, name) is None
        assert sandbox.calls["ssm.PutParameter"] == 0
