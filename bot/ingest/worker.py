"""A second process that reads and prepares ingest batches while this one writes them.

`PrepareWorker` starts a fresh interpreter (it inherits nothing of this one: no threads, no
open database, the same on every platform) that reads the input files itself, prepares each
batch of records (`bot.ingest.prepare.prepare_batch`: validation, cleaning, keys,
fingerprints, passages and their postings segment) and sends it back, columnar, through a
pipe. The pipe paces it: it prepares batch k + 1 while this process writes batch k, then
waits until batch k + 1 is taken, so at most two batches are in flight.

Failures are errors, never hangs: an exception while preparing is sent back and raised
here; a worker that dies (killed, out of memory) closes its end of the pipe, which this
process reads as end-of-file. Each batch is written in one transaction, so the store then
holds exactly the batches before; an ingest run again skips them as duplicates. When this
process stops (an error, Ctrl-C) it ends the worker, and a worker whose parent died exits
at its next send.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from bot.errors import BriefbotError
from bot.ingest.prepare import (
    PreparedBatch,
    PrepareOptions,
    batched,
    prepare_batch,
    release_memory,
)
from bot.ingest.readers import ReadLimits, expand_paths, read_paths
from bot.store.postings import TermTable

log = logging.getLogger(__name__)

# As `pipeline.fewer_collections`: the worker allocates as many short-lived objects.
_COLLECT_EVERY = 50_000
# Tokenising a batch's passages (words and postings segment) costs about a quarter of
# preparing it: the worker does it when it waited that long for the writer, else leaves it
# to the writer, so that neither process waits for the other for long.
_SPARE = 0.25


class IngestWorkerError(BriefbotError):
    """The worker process failed or died; the batches written before it are stored."""


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def input_bytes(paths: Iterable[Path]) -> int:
    """The size on disk of the files an ingest of `paths` reads."""
    total = 0
    for item in expand_paths(paths):
        if isinstance(item, Path):
            try:
                total += item.stat().st_size
            except OSError:
                continue
    return total


def serve(
    paths: list[str],
    limits: ReadLimits,
    options: PrepareOptions,
    size: int,
    tokenise: bool | None,
    out: BinaryIO,
) -> None:
    """The worker's loop: read `paths`, send each batch of `size` records prepared, then
    "done"; on an error, its traceback. `tokenise`: always or never tokenise here; None:
    when there is time to spare."""
    gc.freeze()
    gc.set_threshold(_COLLECT_EVERY, *gc.get_threshold()[1:])
    stems = TermTable()
    here = bool(tokenise)  # preparing is the longer part: the writer tokenises until it is not
    try:
        for items in batched(read_paths(map(Path, paths), limits), size):
            started = time.perf_counter()
            prepared = prepare_batch(items, options, stems, tokenise=here)
            ready = time.perf_counter()
            _send(out, ("batch", prepared))
            del prepared, items
            release_memory()
            # the send waited for the writer to finish the batch before: time to spare here
            spare = time.perf_counter() - ready > _SPARE * (ready - started)
            here = spare if tokenise is None else tokenise
        _send(out, ("done", None))
    except Exception:  # reported by the ingesting process
        _send(out, ("error", traceback.format_exc()))


def _send(out: BinaryIO, message: tuple[str, object]) -> None:
    try:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()
    except (BrokenPipeError, ConnectionResetError, ValueError):
        os._exit(0)  # the ingesting process is gone: nobody to tell


def main() -> None:
    """The worker process: its task on stdin, its messages on stdout (anything else it
    prints goes to stderr). Ctrl-C reaches the whole process group: the ingesting process
    handles it and ends this one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    task = pickle.load(sys.stdin.buffer)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    paths, limits, options, size, tokenise = task
    serve(paths, limits, options, size, tokenise, out)


# Run by `python -c`: the parent's import path first (where `bot` was found), then `main`.
_BOOT = (
    "import pickle, sys; sys.path[:0] = pickle.load(sys.stdin.buffer); "
    "from bot.ingest.worker import main; main()"
)


class PrepareWorker:
    """One worker process preparing the batches of one ingest of `paths` (a context
    manager: leaving it ends the process).

    A plain child interpreter, not `multiprocessing`: that would start a resource-tracker
    process too, and re-run the parent's `__main__` script in the child."""

    def __init__(
        self,
        paths: Iterable[Path],
        limits: ReadLimits,
        options: PrepareOptions,
        size: int,
        *,
        tokenise: bool | None = None,
    ) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._results = self.process.stdout
        task = ([str(p) for p in paths], limits, options, size, tokenise)
        try:
            with self.process.stdin as tasks:
                pickle.dump(list(sys.path), tasks)
                pickle.dump(task, tasks)
        except OSError:
            pass  # it died at once: reported by `batches`

    def batches(self) -> Iterator[PreparedBatch]:
        """The prepared batches in input order; IngestWorkerError if the worker fails."""
        while True:
            try:
                kind, payload = pickle.load(self._results)
            except (EOFError, OSError, pickle.UnpicklingError):
                try:
                    code: int | None = self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    code = None
                raise IngestWorkerError(
                    f"the ingest worker process ended unexpectedly (exit code {code}); the "
                    "batches before it are stored, and ingesting the same input again adds "
                    "the rest (stored articles are skipped as duplicates)"
                ) from None
            if kind == "done":
                return
            if kind == "error":
                log.error("ingest worker failed:\n%s", payload)
                last = str(payload).strip().splitlines()[-1]
                raise IngestWorkerError(
                    f"the ingest worker failed: {last}; the batches before it are stored"
                )
            yield payload

    def close(self) -> None:
        self._results.close()  # a worker still sending finds the pipe closed and exits
        try:
            self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:  # still reading or preparing: not needed any more
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> PrepareWorker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
