"""Text embedders: offline wordllama by default, or an OpenAI-compatible endpoint.

Every embedder returns L2-normalised float32 rows, so a dot product is a cosine.
"""

from __future__ import annotations

import itertools
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.config import Settings
from bot.errors import BriefbotError

log = logging.getLogger(__name__)


class EmbeddingError(BriefbotError):
    """The embedder could not produce vectors (endpoint down, model missing)."""


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


def normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


@lru_cache(maxsize=1)
def _wordllama_model() -> Any:
    """Loaded once per process (~0.3 s); the 256-d weights ship inside the wheel."""
    import wordllama
    from wordllama import WordLlama

    try:
        return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    except Exception as exc:
        raise EmbeddingError(f"cannot load the bundled wordllama model: {exc}") from exc


# The files `WordLlama.load()` reads for its default model, inside the wordllama wheel.
WORDLLAMA_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
WORDLLAMA_WEIGHTS = "weights/l2_supercat_256.safetensors"


@lru_cache(maxsize=1)
def _wordllama_parts() -> tuple[Any, np.ndarray]:
    """wordllama's tokenizer (without padding) and its token embedding matrix, read from the
    wheel's files as `WordLlama.load()` reads them, without the package's imports or its
    float32 copy of the table: rows are widened when used (exactly), which keeps ~85 MB out of
    a process that embeds."""
    import importlib.util

    from safetensors import safe_open
    from tokenizers import Tokenizer

    spec = importlib.util.find_spec("wordllama")
    if spec is None or spec.origin is None:
        raise EmbeddingError("the wordllama package is not installed")
    root = Path(spec.origin).parent
    try:
        tokenizer = Tokenizer.from_file(str(root / WORDLLAMA_TOKENIZER))
        with safe_open(str(root / WORDLLAMA_WEIGHTS), framework="np", device="cpu") as f:
            table = f.get_tensor("embedding.weight")
    except Exception as exc:
        raise EmbeddingError(f"cannot load the bundled wordllama model: {exc}") from exc
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer, table


MAX_TOKENS = 512


POOL_BATCH = 64


class WordLlamaEmbedder:
    """Static token embeddings averaged per text (wordllama's own pooling), offline.

    `WordLlama.embed` pads every batch to its longest text, so one long article makes a whole
    batch slow. We count each batch's distinct tokens per text and multiply the count matrix
    by those tokens' rows (one BLAS call), which gives the same means about twice as fast as
    gathering every token's row.
    """

    name = "wordllama-l2_supercat-256"

    def embed(self, texts: list[str]) -> np.ndarray:
        tokenizer, table = _wordllama_parts()
        pooled = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        if not texts:
            return pooled
        encodings = tokenizer.encode_batch(texts, add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        flat = np.fromiter(
            itertools.chain.from_iterable(e.ids for e in encodings),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        np.clip(flat, 0, table.shape[0] - 1, out=flat)
        owner = np.repeat(np.arange(len(texts)), lengths)
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        for i in range(0, len(texts), POOL_BATCH):
            j = min(i + POOL_BATCH, len(texts))
            tokens = flat[bounds[i] : bounds[j]]
            if tokens.size == 0:
                continue
            distinct, inverse = np.unique(tokens, return_inverse=True)
            cells = (owner[bounds[i] : bounds[j]] - i) * len(distinct) + inverse
            counts = np.bincount(cells, minlength=(j - i) * len(distinct))
            rows = table[distinct].astype(np.float32)
            pooled[i:j] = counts.reshape(j - i, len(distinct)).astype(np.float32) @ rows
        pooled /= np.maximum(lengths, 1)[:, None]
        return normalise(pooled)


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint, called in batches."""

    def __init__(self, base_url: str, model: str, api_key: str, batch: int, timeout: float):
        from openai import OpenAI

        self.name = f"openai:{model}"
        self.model = model
        self.batch = batch
        self.client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=2)

    def embed(self, texts: list[str]) -> np.ndarray:
        import openai

        rows: list[list[float]] = []
        for i in range(0, len(texts), self.batch):
            part = texts[i : i + self.batch]
            try:
                reply = self.client.embeddings.create(model=self.model, input=part)
            except openai.OpenAIError as exc:
                raise EmbeddingError(f"embeddings endpoint failed: {type(exc).__name__}") from exc
            data = sorted(reply.data, key=lambda d: d.index)
            if len(data) != len(part):
                raise EmbeddingError(
                    f"embeddings endpoint returned {len(data)} vectors for {len(part)} texts"
                )
            rows.extend(d.embedding for d in data)
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return normalise(np.array(rows, dtype=np.float32))


def make_embedder(settings: Settings) -> Embedder:
    """The configured embedder: the endpoint when a base URL is set, else wordllama."""
    if settings.retrieval.embeddings_base_url:
        key = settings.retrieval.embeddings_api_key or settings.llm.openai_api_key
        secret = key.get_secret_value() if key else "not-needed"
        return OpenAIEmbedder(
            settings.retrieval.embeddings_base_url,
            settings.retrieval.embeddings_model,
            secret,
            settings.retrieval.embeddings_batch,
            settings.retrieval.embeddings_timeout,
        )
    return WordLlamaEmbedder()
