"""A second process that reads and prepares ingest batches while this one writes them.

`PrepareWorker` starts a spawned process (it inherits nothing of this one: no threads, no
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
import multiprocessing
import signal
import sys
import time
import traceback
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType

from bot.errors import BriefbotError
from bot.ingest.prepare import PreparedBatch, PrepareOptions, batched, prepare_batch
from bot.ingest.readers import ReadLimits, expand_paths, read_paths
from bot.store.postings import _Stems

log = logging.getLogger(__name__)

# As `pipeline.fewer_collections`: the worker allocates as many short-lived objects.
_COLLECT_EVERY = 50_000
# Tokenising a batch's passages (words and postings segment) costs about a quarter of
# preparing it: the worker does it when it waited that long for the writer, else leaves it
# to the writer, so that neither process waits for the other for long.
_SPARE = 0.25


class IngestWorkerError(BriefbotError):
    """The worker process failed or died; the batches written before it are stored."""


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
    out: Connection,
    tokenise: bool | None = None,
) -> None:
    """The worker's loop: read `paths`, send each batch of `size` records prepared, then
    "done"; on an error, its traceback. `tokenise`: always or never tokenise here; None:
    when there is time to spare. Ctrl-C reaches the whole process group: the ingesting
    process handles it and ends this one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()
    gc.set_threshold(_COLLECT_EVERY, *gc.get_threshold()[1:])
    stems = _Stems()
    here = bool(tokenise)  # preparing is the longer part: the writer tokenises until it is not
    try:
        for items in batched(read_paths(map(Path, paths), limits), size):
            started = time.perf_counter()
            prepared = prepare_batch(items, options, stems, tokenise=here)
            ready = time.perf_counter()
            out.send(("batch", prepared))
            # the send waited for the writer to finish the batch before: time to spare here
            spare = time.perf_counter() - ready > _SPARE * (ready - started)
            here = spare if tokenise is None else tokenise
        out.send(("done", None))
    except (BrokenPipeError, ConnectionResetError):
        return  # the ingesting process is gone
    except Exception:  # reported by the ingesting process
        try:
            out.send(("error", traceback.format_exc()))
        except OSError:
            return


@contextmanager
def _bare_main() -> Iterator[None]:
    """A spawned child first re-runs the parent's `__main__` script (to unpickle what it
    defines): the worker needs nothing from it, and a script without an
    `if __name__ == "__main__"` guard would run again in it. Hide it while starting."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class PrepareWorker:
    """One worker process preparing the batches of one ingest of `paths` (a context
    manager: leaving it ends the process)."""

    def __init__(
        self,
        paths: Iterable[Path],
        limits: ReadLimits,
        options: PrepareOptions,
        size: int,
        *,
        tokenise: bool | None = None,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._results, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=serve,
            args=([str(p) for p in paths], limits, options, size, sender, tokenise),
            name="briefbot-ingest-worker",
            daemon=True,
        )
        with _bare_main():
            self.process.start()
        sender.close()  # the worker holds the only sending end: its end is end-of-file here

    def batches(self) -> Iterator[PreparedBatch]:
        """The prepared batches in input order; IngestWorkerError if the worker fails."""
        while True:
            try:
                kind, payload = self._results.recv()
            except (EOFError, OSError):
                self.process.join(timeout=5)
                raise IngestWorkerError(
                    f"the ingest worker process ended unexpectedly (exit code "
                    f"{self.process.exitcode}); the batches before it are stored, and "
                    "ingesting the same input again adds the rest (stored articles are "
                    "skipped as duplicates)"
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
        self._results.close()
        self.process.join(timeout=1)
        if self.process.is_alive():  # still reading or preparing: not needed any more
            self.process.terminate()
            self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process.close()

    def __enter__(self) -> PrepareWorker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
