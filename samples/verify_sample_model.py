"""Check, once and by hand, that real transformers serves the sample archive (ADR 0060).

Not part of ``make test``: it needs torch and transformers, which the project never installs.
Run it in a throwaway virtualenv outside the repository (commands in samples/README.md):

    /tmp/hfcheck/bin/python samples/verify_sample_model.py samples/sentiment-model.tar.gz

It extracts the archive as SageMaker does, loads the model reporting missing/unexpected
weights, runs the text-classification pipeline on a few sentences and, if the SageMaker
Hugging Face inference toolkit is installed, serves the same sentences through the DLC's own
handler with HF_TASK set and with the task inferred from config.json.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tarfile
import tempfile
from importlib.metadata import version

SENTENCES = [
    "I loved this movie, the acting was great!",
    "What a terrible, boring film. I hated it.",
    "The staff were friendly and the food was excellent.",
    "The service was slow and the room was dirty.",
    "I watched it on a Tuesday.",
]


def main(archive: str) -> int:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    model_dir = tempfile.mkdtemp(prefix="opt-ml-model-")
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(model_dir, filter="data")
    print(f"torch {version('torch')}, transformers {version('transformers')}")
    _model, info = AutoModelForSequenceClassification.from_pretrained(
        model_dir, output_loading_info=True
    )
    print("loading info:", {key: list(value) for key, value in info.items()})
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    print(f"tokenizer {type(tokenizer).__name__}: {tokenizer.tokenize(SENTENCES[0])}")
    classify = pipeline("text-classification", model=model_dir)
    for sentence in SENTENCES:
        print(f"{sentence!r} -> {classify(sentence)}")
    if importlib.util.find_spec("sagemaker_huggingface_inference_toolkit"):
        _serve_with_dlc_handler(model_dir)
    return 0 if all(not problems for problems in info.values()) else 1


def _serve_with_dlc_handler(model_dir: str) -> None:
    from sagemaker_huggingface_inference_toolkit.handler_service import (
        HuggingFaceHandlerService,
    )

    toolkit = "sagemaker-huggingface-inference-toolkit"
    print(f"{toolkit} {version(toolkit)}")
    body = json.dumps({"inputs": SENTENCES[:2]})
    for hf_task in ("text-classification", None):
        if hf_task:
            os.environ["HF_TASK"] = hf_task
        else:
            os.environ.pop("HF_TASK", None)
        service = HuggingFaceHandlerService()
        model = service.load(model_dir)
        response = service.transform_fn(model, body, "application/json", "application/json")
        print(f"HF_TASK={hf_task}: {type(model).__name__} -> {response}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
