"""Near-duplicates: the same report as a PDF and as a web page, a draft and its final.

MinHash (datasketch) over word shingles estimates the Jaccard similarity of two texts' sets of
SHINGLE-word sequences; bench/near_duplicates.py measured it against the embedding similarity
of the documents' mean chunk vectors on the corpus and chose it (see the README's figures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SHINGLE = 3  # words per shingle
PERMUTATIONS = 128
THRESHOLD = 0.4  # estimated Jaccard similarity from which a pair is flagged
SEED = 1  # the same for every signature, or they cannot be compared

_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    """The text's runs of `size` words, lowercased: a reader's line breaks, hyphens and
    punctuation do not count, so a PDF and a web page of the same text share them."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def signature(text: str, size: int = SHINGLE) -> np.ndarray:
    # datasketch imports scipy (a second of every `kb` command's start-up): only when hashing.
    from datasketch import MinHash

    minhash = MinHash(num_perm=PERMUTATIONS, seed=SEED)
    minhash.update_batch(list(shingles(text, size)))
    return minhash.hashvalues.astype(np.uint64)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (the share of equal minimum hashes)."""
    return float(np.count_nonzero(a == b)) / len(a)


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u8").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64)


@dataclass(frozen=True)
class NearDuplicate:
    doc_id: str  # the document read in later
    other_id: str  # the one it resembles
    score: float  # 0–1
    status: str = "open"  # open, kept, linked
    found_at: str = ""
    decided_by: str | None = None

    @property
    def percent(self) -> int:
        return int(self.score * 100)  # never rounded up to 100 % when not identical

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "other_id": self.other_id,
            "score": round(self.score, 3),
            "percent": self.percent,
            "status": self.status,
            "found_at": self.found_at,
            "decided_by": self.decided_by,
        }
