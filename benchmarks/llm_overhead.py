"""LLM answer overhead on the BBC corpus, against the loopback fake OpenAI server.

Measures, over >= 100 questions: prompt tokens per answer (median, p95); time spent outside
the LLM call per answer (total minus the HTTP call, and total minus server time); and the
share of sentences verification drops on scripted replies (faithful copies, light trims,
citations to missing passages, altered numbers, misattributed sentences, injected "HACKED").

    python benchmarks/llm_overhead.py [--corpus PATH] [--questions 120] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpora import BBC  # noqa: E402
from benchmarks.reporting import machine, write_section  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.llm.schema import strip_markers  # noqa: E402
from bot.models import SearchFilters  # noqa: E402
from bot.retrieval.bm25 import SearchResult  # noqa: E402
from bot.text.sentences import split_sentences  # noqa: E402
from tests.support.openai_server import FakeOpenAIServer, Reply, Request  # noqa: E402

CORPUS = BBC
SECTION = "## LLM answers (issue 3)"
BAD_KINDS = ["missing_citation", "wrong_number", "misattributed", "injection"]
GOOD_KINDS = ["faithful", "trimmed"]
_BLOCK = re.compile(r"<<<PASSAGE (\d+)>>>\n.*?\nText: (.*?)\n<<<END PASSAGE \1>>>", re.DOTALL)


def _sentence(text: str) -> str:
    for s in split_sentences(text):
        if 6 <= len(s.split()) <= 60:
            return s
    return text.split("\n")[0][:300]


Scripted = list[tuple[str, str, list[int]]]


class ScriptedReplies:
    """Each reply: one faithful sentence plus one unsupported sentence, kinds in rotation."""

    def __init__(self) -> None:
        self.scripted: list[Scripted] = []

    def __call__(self, request: Request) -> Reply:
        blocks = {int(n): body for n, body in _BLOCK.findall(request.text("user"))}
        if not blocks:
            return Reply(content=json.dumps({"sentences": [], "not_in_sources": True}))
        i = len(self.scripted)
        good_kind = GOOD_KINDS[i % len(GOOD_KINDS)]
        bad_kind = BAD_KINDS[i % len(BAD_KINDS)]
        first = _sentence(blocks[1])
        head = first.split(",")[0]
        if good_kind == "trimmed" and head != first and len(head.split()) >= 6:
            first = head.rstrip() + "."
        other = next((n for n in blocks if n != 1), None)
        if bad_kind == "missing_citation":
            bad = (first, [len(blocks) + 7])
        elif bad_kind == "wrong_number":
            changed, n = re.subn(r"\d+", lambda m: str(int(m.group()) + 7), first, count=1)
            bad = (changed if n else f"In 1937, {first[0].lower()}{first[1:]}", [1])
        elif bad_kind == "misattributed" and other is not None:
            bad = (_sentence(blocks[other]), [1])
        else:
            bad_kind = "injection"
            bad = ("HACKED", [1])
        script = [(good_kind, first, [1]), (bad_kind, *bad)]
        self.scripted.append(script)
        reply = {
            "sentences": [{"text": t, "citations": c} for _k, t, c in script],
            "not_in_sources": False,
        }
        return Reply(content=json.dumps(reply))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _tally(script: Scripted, kept_texts: list[str], seen: Counter[str], lost: Counter[str]) -> None:
    """Scripted sentences in order; the kept ones are a subsequence of them."""
    j = 0
    for kind, text, _cites in script:
        seen[kind] += 1
        if j < len(kept_texts) and kept_texts[j] == strip_markers(text):
            j += 1
        else:
            lost[kind] += 1


async def run(corpus: Path, n_questions: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAIServer() as server:
        replies = ScriptedReplies()
        server.respond_with(replies)
        settings = Settings(
            data_dir=Path(tmp),
            auto_seed=False,
            llm_base_url=server.url,
            llm_api_key="bench",
            llm_max_retries=0,
            llm_daily_tokens_per_chat=0,
        )
        engine = Engine(settings)
        started = time.perf_counter()
        engine.ingest([corpus])
        ingest_seconds = time.perf_counter() - started
        retrieval = [0.0]
        search = engine.pipeline.search

        def timed_search(q: str, k: int, f: SearchFilters | None, **options: Any) -> SearchResult:
            t0 = time.perf_counter()
            try:
                return search(q, k, f, **options)
            finally:
                retrieval[0] += time.perf_counter() - t0

        engine.pipeline.search = timed_search
        articles = engine.sources(limit=100_000)
        step = max(1, len(articles) // n_questions)
        questions = [f"{a.title}?" for a in articles[::step]][:n_questions]
        await engine.ask(questions[0])  # warm-up: imports, tokenizer, connection pool
        replies.scripted.clear()
        prompt_tokens: list[int] = []
        outside_call: list[float] = []
        outside_server: list[float] = []
        own: list[float] = []
        cpu: list[float] = []
        searching: list[float] = []
        totals: list[float] = []
        seen: Counter[str] = Counter()
        lost: Counter[str] = Counter()
        modes: Counter[str] = Counter()
        for q in questions:
            server_before = server.server_seconds
            scripted_before = len(replies.scripted)
            retrieval[0] = 0.0
            t0, c0 = time.perf_counter(), time.thread_time()
            answer = await engine.ask(q)
            total = time.perf_counter() - t0
            cpu.append(time.thread_time() - c0)
            attempt = engine.pipeline.last_attempt
            if attempt is None:
                continue
            totals.append(total)
            modes[answer.mode] += 1
            if not attempt.usage.prompt_tokens:
                continue
            prompt_tokens.append(attempt.usage.prompt_tokens)
            outside_call.append(total - attempt.llm_seconds)
            outside_server.append(total - (server.server_seconds - server_before))
            searching.append(retrieval[0])
            own.append(total - attempt.llm_seconds - retrieval[0])
            if len(replies.scripted) > scripted_before and attempt.verification:
                kept = [s.text for s in attempt.verification.kept]
                _tally(replies.scripted[-1], kept, seen, lost)
        await engine.aclose()
    return {
        "articles": len(articles),
        "questions": len(questions),
        "llm_calls": len(prompt_tokens),
        "modes": dict(modes),
        "ingest_seconds": ingest_seconds,
        "prompt_median": statistics.median(prompt_tokens),
        "prompt_p95": percentile([float(t) for t in prompt_tokens], 0.95),
        "prompt_max": max(prompt_tokens),
        "outside_call_median_ms": 1000 * statistics.median(outside_call),
        "outside_call_p95_ms": 1000 * percentile(outside_call, 0.95),
        "outside_server_median_ms": 1000 * statistics.median(outside_server),
        "outside_server_p95_ms": 1000 * percentile(outside_server, 0.95),
        "total_median_ms": 1000 * statistics.median(totals),
        "retrieval_median_ms": 1000 * statistics.median(searching),
        "retrieval_p95_ms": 1000 * percentile(searching, 0.95),
        "cpu_median_ms": 1000 * statistics.median(cpu),
        "cpu_p95_ms": 1000 * percentile(cpu, 0.95),
        "own_median_ms": 1000 * statistics.median(own),
        "own_p95_ms": 1000 * percentile(own, 0.95),
        "drops": {k: (lost[k], seen[k]) for k in [*GOOD_KINDS, *BAD_KINDS] if seen[k]},
    }


def render(r: dict[str, Any]) -> str:
    drops = r["drops"]
    all_lost = sum(v[0] for v in drops.values())
    all_seen = sum(v[1] for v in drops.values())
    rows = "\n".join(
        f"| {kind} | {'faithful' if kind in GOOD_KINDS else 'unsupported'} | {n_lost}/{n_seen} "
        f"({n_lost / n_seen:.0%}) |"
        for kind, (n_lost, n_seen) in drops.items()
    )
    table = "\n".join(
        [
            "| measure | median | p95 |",
            "|---|---|---|",
            f"| prompt tokens per answer (incl. instructions) | {r['prompt_median']:.0f} "
            f"| {r['prompt_p95']:.0f} (max {r['prompt_max']}) |",
            f"| time outside the LLM call (total − client HTTP call) "
            f"| {r['outside_call_median_ms']:.1f} ms | {r['outside_call_p95_ms']:.1f} ms |",
            f"| time outside the server (total − server handling) "
            f"| {r['outside_server_median_ms']:.1f} ms | {r['outside_server_p95_ms']:.1f} ms |",
            f"| of which BM25 retrieval (shared with extractive answers) "
            f"| {r['retrieval_median_ms']:.1f} ms | {r['retrieval_p95_ms']:.1f} ms |",
            f"| of which the LLM path itself (pack, prompt, parse, verify, store) "
            f"| {r['own_median_ms']:.1f} ms | {r['own_p95_ms']:.1f} ms |",
            f"| CPU time of the answering thread, whole answer incl. openai client "
            f"| {r['cpu_median_ms']:.1f} ms | {r['cpu_p95_ms']:.1f} ms |",
            f"| total per answer with the instant fake LLM | {r['total_median_ms']:.1f} ms | |",
        ]
    )
    met = "met" if r["outside_call_p95_ms"] <= 50 else "NOT met"
    cpu_met = "met" if r["cpu_p95_ms"] <= 50 else "NOT met"
    load = os.getloadavg()[0]
    return f"""{SECTION}

`python benchmarks/llm_overhead.py --write-docs` — {datetime.now(UTC).date().isoformat()},
{machine()}.

Setup: BBC News corpus ({r["articles"]:,} articles, ingested in {r["ingest_seconds"]:.0f} s),
{r["questions"]} questions (article titles, evenly spaced), default settings (prompt budget
2,500 tokens, top_k 8, 20 retrieved passages offered to the packer). The LLM is the loopback
fake server from tests/support answering instantly with scripted JSON, driven by the real
`openai` client. Answer modes: {", ".join(f"{m} {n}" for m, n in r["modes"].items())}
({r["llm_calls"]} LLM calls).

{table}

Target p95 <= 50 ms outside the LLM call — wall time: {met} on this run
({r["outside_call_p95_ms"]:.0f} ms); CPU time: {cpu_met} (the whole answer, LLM client
included, takes {r["cpu_p95_ms"]:.0f} ms of CPU at p95, an upper bound on the work outside
the call). The gap is waiting for a CPU: the load average was ~{load:.0f} on 2 cores. BM25
retrieval, the same work an extractive answer does, is most of the wall time; the LLM
path's own work (packing with tiktoken, prompt, parse, verification, usage row) is the
"LLM path itself" row.

Sentences dropped by verification on the scripted replies (each reply: one faithful sentence
copied from its cited passage — or trimmed at its first comma — plus one unsupported
sentence of the kind shown): {all_lost}/{all_seen} ({all_lost / max(all_seen, 1):.0%}) overall.

| scripted sentence | should be | dropped |
|---|---|---|
{rows}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"corpus not found: {args.corpus}")
    result = asyncio.run(run(args.corpus, args.questions))
    text = render(result)
    print(text)
    if args.write_docs:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
