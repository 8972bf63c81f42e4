"""The converted model as an ONNX graph, run by ONNX Runtime (twice torch's rate on a CPU).

Exported once, at model conversion, beside the torch weights; the int8 variant is made from it
on first use. Both writes go to a private file renamed at the end, like the conversion itself.
sentence-transformers' own `backend="onnx"` needs optimum-onnx, which pins transformers below
the 5.x that sentence-transformers 6 requires, so the export and the run are done here: the
graph is the encoder alone, and pooling is the model's (masked mean, then unit length).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

FP32_FILE = "onnx/model.onnx"
INT8_FILE = "onnx/model_int8.onnx"
OPSET = 17


def _replace_atomically(write, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def export_onnx(folder: Path) -> Path:
    """Write `folder/onnx/model.onnx` from the torch weights in `folder` (needs torch + onnx)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder))
    model.eval()

    class _Encoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # A padded batch of two, so the traced graph keeps the attention mask's work.
    ids = torch.tensor([[0, 100, 200, 2], [0, 300, 2, 1]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    axes = {0: "batch", 1: "tokens"}

    def write(path: Path) -> None:
        # The tracer warns of Python conditions it freezes; with this model they hold for
        # every batch (the parity tests compare padded batches against torch).
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Encoder(model),
                (ids, mask),
                str(path),
                input_names=["input_ids", "attention_mask"],
                output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                opset_version=OPSET,
                dynamo=False,
            )

    log.info("exporting the model to ONNX in %s", folder)
    return _replace_atomically(write, folder / FP32_FILE)


def ensure_int8(folder: Path) -> Path:
    """`folder/onnx/model_int8.onnx`: dynamic int8 weights, made once from the fp32 graph."""
    target = folder / INT8_FILE
    if target.exists():
        return target
    from onnxruntime.quantization import QuantType, quantize_dynamic

    def write(path: Path) -> None:
        quantize_dynamic(str(folder / FP32_FILE), str(path), weight_type=QuantType.QInt8)

    log.info("quantizing the ONNX model to int8 in %s", folder)
    return _replace_atomically(write, target)


def providers(device: str) -> list[str]:
    """ONNX Runtime's execution providers for KB_EMBED_DEVICE (auto: CUDA when there is one)."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" not in available:
            raise RuntimeError(
                "KB_EMBED_DEVICE=cuda, but this ONNX Runtime has no CUDA provider "
                "(pip install onnxruntime-gpu), or set KB_EMBED_BACKEND=torch"
            )
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OnnxEncoder:
    """Tokenizes with the folder's tokenizer.json and runs the ONNX graph; no torch needed."""

    def __init__(self, folder: Path, model_file: Path, device: str, max_tokens: int = 512):
        import onnxruntime
        from tokenizers import Tokenizer

        self.max_seq_length = max_tokens
        # One tokenizer (~300 MB each) with no truncation or padding set: calls then change no
        # shared state, so encoding, counting and the threads of a server can all use it.
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._pad_id = self.tokenizer.token_to_id("<pad>")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initializers are not ours to fix
        self.session = onnxruntime.InferenceSession(
            str(model_file), options, providers=providers(device)
        )
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of the texts (prompts already prepended), one model call."""
        ids, mask = self._batch(texts)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        summed = np.einsum("btd,bt->bd", hidden, mask.astype(hidden.dtype))
        vectors = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)

    def _batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Ids and attention mask, right-padded to the longest text; a text over max_tokens
        keeps its first tokens and its closing special token, as the tokenizer's own
        truncation does (it, too, tokenizes the whole text first)."""
        rows = [e.ids for e in self.tokenizer.encode_batch(texts)]
        limit = self.max_seq_length
        rows = [row if len(row) <= limit else row[: limit - 1] + row[-1:] for row in rows]
        width = max(map(len, rows), default=0)
        ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return ids, mask

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens per text, without special tokens or truncation."""
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def token_ids(self, text: str) -> list[int]:
        """The ids the model sees for `text`, special tokens included, before truncation."""
        return self.tokenizer.encode(text).ids
