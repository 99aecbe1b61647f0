"""Synthetic endpoint traffic in SageMaker's data-capture format, for the monitor's tests, demo
and benchmark.

Each request is a text (or a batch of texts) drawn with a seeded RNG from a small built-in list
of reviews, answered by the sample model's reference forward pass
(``tools/reference_forward_pass.py``, pinned to transformers' output on the committed archive),
and written as the capture line SageMaker would store: the layout of "View Captured Data" in
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html, with
``application/json`` payloads as ``JSON`` text and, for a share of requests, the two ways a
payload arrives base64-encoded (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html):
JSON stored as ``BASE64`` (an endpoint without ``CaptureContentTypeHeader``), and a caller that
sent ``text/plain`` (the monitor counts it as non-JSON). Requests sent with an ``InferenceId``
carry it in ``eventMetadata.inferenceId``; a share of them gets a ground-truth line in Model
Monitor's merge format (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html)
with the review's human label, which the lexicon model sometimes misses (negations, reviews
without sentiment words).

``DRIFTED`` shifts the traffic away from ``NORMAL``: mostly negative reviews, several sentences
per input (longer inputs, more confident answers).

    python -m demo.capture_traffic OUT_DIR [--requests N] [--drifted] [--seed S]

writes one hour of capture files and ground-truth files under OUT_DIR, keyed as in S3.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from tools.reference_forward_pass import DistilBertReference

REPO = Path(__file__).resolve().parent.parent
SAMPLE_MODEL_DIR = REPO / "samples" / "sentiment-model"
JSON_CONTENT_TYPE = "application/json"

# (review, human label). The sample model is a bag of words (ADR 0060): it misses negations and
# has no opinion (0.5/0.5, answered NEGATIVE) on reviews without a lexicon word.
REVIEWS: tuple[tuple[str, str], ...] = (
    ("I loved this movie, the acting was great!", "POSITIVE"),
    ("The staff were friendly and the food was excellent.", "POSITIVE"),
    ("Wonderful hotel, lovely staff.", "POSITIVE"),
    ("A brilliant story with a perfect ending.", "POSITIVE"),
    ("Really nice place, I would recommend it.", "POSITIVE"),
    ("The music was beautiful and the show was fun.", "POSITIVE"),
    ("Clean room, helpful staff, great breakfast.", "POSITIVE"),
    ("Best product I bought this year.", "POSITIVE"),
    ("It does exactly what the box says.", "POSITIVE"),
    ("I will buy it again.", "POSITIVE"),
    ("What a terrible, boring film. I hated it.", "NEGATIVE"),
    ("The service was slow and the room was dirty.", "NEGATIVE"),
    ("The plot was dull and the ending was worse.", "NEGATIVE"),
    ("Rude staff and awful food.", "NEGATIVE"),
    ("A waste of time, the worst show I have seen.", "NEGATIVE"),
    ("The product arrived broken and useless.", "NEGATIVE"),
    ("Disappointing experience, poor service.", "NEGATIVE"),
    ("The food was not good at all.", "NEGATIVE"),
    ("The package arrived two weeks late.", "NEGATIVE"),
    ("I asked for a refund.", "NEGATIVE"),
)
LABELS = ("NEGATIVE", "POSITIVE")


@dataclass(frozen=True)
class TrafficProfile:
    """How one hour of traffic is drawn; shares are of requests."""

    positive_share: float
    sentences_per_input: tuple[int, int]
    batch_share: float
    batch_size: tuple[int, int]
    base64_json_share: float
    non_json_share: float
    inference_id_share: float
    distinct_inputs: int


NORMAL = TrafficProfile(
    positive_share=0.55,
    sentences_per_input=(1, 2),
    batch_share=0.1,
    batch_size=(2, 4),
    base64_json_share=0.05,
    non_json_share=0.01,
    inference_id_share=0.3,
    distinct_inputs=48,
)
DRIFTED = TrafficProfile(
    positive_share=0.15,
    sentences_per_input=(3, 6),
    batch_share=0.1,
    batch_size=(2, 4),
    base64_json_share=0.05,
    non_json_share=0.01,
    inference_id_share=0.3,
    distinct_inputs=48,
)


@dataclass(frozen=True)
class Review:
    text: str
    label: str  # the human label
    answer: tuple[str, float]  # the sample model's (label, score)


@dataclass(frozen=True)
class SyntheticRequest:
    """One captured request: its line, and what a ground-truth line for it would say."""

    line: bytes
    join_key: str | None  # the inferenceId, when the caller sent one
    human_labels: tuple[str, ...]


@cache
def sample_model() -> DistilBertReference:
    return DistilBertReference(SAMPLE_MODEL_DIR)


@cache
def classify(text: str) -> tuple[str, float]:
    """The sample model's answer, computed once per text in a process."""
    return sample_model().classify(text)


def input_pool(profile: TrafficProfile, rng: random.Random) -> dict[str, list[Review]]:
    """``profile.distinct_inputs`` reviews per human label, each classified once: the forward
    pass is pure Python, so the hour reuses a fixed pool instead of classifying every request."""
    pool: dict[str, list[Review]] = {}
    for label in LABELS:
        sentences = [text for text, human in REVIEWS if human == label]
        reviews = []
        for _ in range(profile.distinct_inputs):
            text = " ".join(rng.choices(sentences, k=rng.randint(*profile.sentences_per_input)))
            reviews.append(Review(text, label, classify(text)))
        pool[label] = reviews
    return pool


def synthetic_requests(
    start: datetime,
    requests: int,
    *,
    profile: TrafficProfile = NORMAL,
    seed: int = 0,
) -> Iterator[SyntheticRequest]:
    """``requests`` captured requests spread over the hour from ``start`` (UTC), in time order."""
    if requests < 0:
        raise ValueError(f"requests must not be negative, got {requests}")
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic traffic, not a secret
    pool = input_pool(profile, rng)
    spacing = 3600 / max(requests, 1)
    for index in range(requests):
        batch = rng.random() < profile.batch_share
        size = rng.randint(*profile.batch_size) if batch else 1
        reviews = [_draw(pool, profile, rng) for _ in range(size)]
        inference_id = (
            f"{start:%Y%m%d%H}-{seed}-{index:07d}"
            if rng.random() < profile.inference_id_share
            else None
        )
        kind = rng.random()
        if kind < profile.non_json_share:
            input_encoding, input_content_type = "BASE64", "text/plain"
        elif kind < profile.non_json_share + profile.base64_json_share:
            input_encoding, input_content_type = "BASE64", JSON_CONTENT_TYPE
        else:
            input_encoding, input_content_type = "JSON", JSON_CONTENT_TYPE
        line = capture_line(
            inputs=[r.text for r in reviews] if batch else reviews[0].text,
            answers=[r.answer for r in reviews],
            event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            inference_time=start + timedelta(seconds=(index + rng.random()) * spacing),
            inference_id=inference_id,
            input_encoding=input_encoding,
            input_content_type=input_content_type,
            output_encoding="BASE64" if input_encoding == "BASE64" else "JSON",
        )
        yield SyntheticRequest(line, inference_id, tuple(r.label for r in reviews))


def _draw(pool: dict[str, list[Review]], profile: TrafficProfile, rng: random.Random) -> Review:
    label = "POSITIVE" if rng.random() < profile.positive_share else "NEGATIVE"
    return rng.choice(pool[label])


def capture_line(
    *,
    inputs: str | Sequence[str],
    answers: Sequence[tuple[str, float]],
    event_id: str,
    inference_time: datetime,
    inference_id: str | None = None,
    input_encoding: str = "JSON",
    input_content_type: str = JSON_CONTENT_TYPE,
    output_encoding: str = "JSON",
) -> bytes:
    """One capture line as SageMaker writes it (compact JSON, no trailing newline).

    ``inputs`` is the request's ``"inputs"`` (a text, or a list for a batch); ``answers`` the
    text-classification pipeline's (label, score) per input. With ``input_content_type`` other
    than JSON, the input is the raw text of the first input, as a ``text/plain`` caller sends it.
    """
    if input_content_type == JSON_CONTENT_TYPE:
        request_body = json.dumps({"inputs": inputs}).encode()
    else:
        request_body = (inputs if isinstance(inputs, str) else inputs[0]).encode()
    response_body = json.dumps([{"label": label, "score": score} for label, score in answers])
    metadata = {"eventId": event_id, "inferenceTime": f"{inference_time:%Y-%m-%dT%H:%M:%SZ}"}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    record = {
        "captureData": {
            "endpointInput": _captured(input_content_type, "INPUT", request_body, input_encoding),
            "endpointOutput": _captured(
                JSON_CONTENT_TYPE, "OUTPUT", response_body.encode(), output_encoding
            ),
        },
        "eventMetadata": metadata,
        "eventVersion": "0",
    }
    return json.dumps(record, separators=(",", ":")).encode()


def _captured(content_type: str, mode: str, body: bytes, encoding: str) -> dict[str, str]:
    if encoding == "BASE64":
        data = base64.b64encode(body).decode("ascii")
    elif encoding in ("JSON", "CSV"):
        data = body.decode()
    else:
        raise ValueError(f"SageMaker's capture encodings are JSON, CSV and BASE64, not {encoding}")
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def ground_truth_line(event_id: str, labels: Sequence[str]) -> bytes:
    """A label record in Model Monitor's merge format; a batch's labels comma-separated."""
    record = {
        "groundTruthData": {"data": ",".join(labels), "encoding": "CSV"},
        "eventMetadata": {"eventId": event_id},
        "eventVersion": "0",
    }
    return json.dumps(record, separators=(",", ":")).encode()


@dataclass(frozen=True)
class WrittenHour:
    capture_keys: tuple[str, ...]
    ground_truth_keys: tuple[str, ...]
    requests: int
    labelled_requests: int


def write_hour(
    root: Path,
    *,
    start: datetime,
    requests: int,
    capture_prefix: str,
    ground_truth_prefix: str,
    endpoint_name: str,
    variant_name: str = "AllTraffic",
    profile: TrafficProfile = NORMAL,
    seed: int = 0,
    labelled_share: float = 0.5,
    files: int = 4,
) -> WrittenHour:
    """One hour of capture files (``files`` of them, in time order) and its ground truth, under
    ``root`` at the keys S3 would hold. SageMaker documents only the ``.jsonl`` suffix of capture
    file names; these are named ``<minute>-<second>-<uuid>.jsonl`` after their first request.
    The ground truth is written for the same hour (labels collected within the hour)."""
    start = start.astimezone(UTC)
    hour = f"{start:%Y/%m/%d/%H}"
    capture_dir = f"{capture_prefix.strip('/')}/{endpoint_name}/{variant_name}/{hour}"
    truth_key = f"{ground_truth_prefix.strip('/')}/{hour}/labels-{seed}.jsonl"
    rng = random.Random(seed + 1)  # noqa: S311 - which requests get labels, not a secret
    per_file = max(1, -(-requests // max(files, 1)))
    capture_keys: list[str] = []
    labelled = 0
    stream = None
    (root / truth_key).parent.mkdir(parents=True, exist_ok=True)
    try:
        with (root / truth_key).open("wb") as truth:
            for index, request in enumerate(
                synthetic_requests(start, requests, profile=profile, seed=seed)
            ):
                if index % per_file == 0:
                    if stream is not None:
                        stream.close()
                    offset = timedelta(seconds=index * 3600 / max(requests, 1))
                    name = f"{start + offset:%M-%S}-{uuid.UUID(int=rng.getrandbits(128))}.jsonl"
                    capture_keys.append(f"{capture_dir}/{name}")
                    (root / capture_keys[-1]).parent.mkdir(parents=True, exist_ok=True)
                    stream = (root / capture_keys[-1]).open("wb")
                stream.write(request.line + b"\n")
                if request.join_key is not None and rng.random() < labelled_share:
                    truth.write(ground_truth_line(request.join_key, request.human_labels) + b"\n")
                    labelled += 1
    finally:
        if stream is not None:
            stream.close()
    return WrittenHour(tuple(capture_keys), (truth_key,), requests, labelled)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--drifted", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--endpoint-name", default="sagemaker-endpoint")
    args = parser.parse_args(argv)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    written = write_hour(
        args.out_dir,
        start=start,
        requests=args.requests,
        capture_prefix="data-capture",
        ground_truth_prefix=f"ground-truth/{args.endpoint_name}",
        endpoint_name=args.endpoint_name,
        profile=DRIFTED if args.drifted else NORMAL,
        seed=args.seed,
    )
    print(json.dumps({"out_dir": str(args.out_dir), **written.__dict__}, indent=2, default=list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
