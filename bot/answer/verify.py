"""Check every sentence of a model reply against the passages it cites, claim by claim.

A citation to a passage that was not supplied is removed; a sentence left without one is
dropped (or kept uncited, by setting). A cited sentence is aligned with the source
sentence(s) of its passages that say the most of it, and survives only when a reader
comparing the two would find no contradiction and nothing added:

- every number, name and content word is in the aligned source (facts with no source);
- no negation added or lost around a shared word (polarity);
- no predicate replaced by its opposite (condemned/praised, rose/fell, won/lost);
- the participants stand on the same side of each shared predicate (who did what to whom);
- each number counts the same thing (swapped figures);
- a name borrowed from elsewhere in the passage takes no other name's role (actor swap);
- nothing of a source sentence that addresses the assistant (an injection's echo).

Trust nothing the model says that the sources do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.answer.claims import PRONOUNS, SYMMETRIC, Claim, lemma_stem, opposite
from bot.answer.injection import addresses_assistant
from bot.llm.schema import ReplySentence
from bot.models import DroppedSentence, Passage, Verification
from bot.text.lexicon import MONTH_NAMES, WEEKDAYS
from bot.text.sentences import split_sentences

MIN_CONTENT_WORDS = 3
MIN_ALIGNED_SHARE = 0.75
MAX_UNSUPPORTED_RUN = 2
ALIGNED_SENTENCES = 3
MIN_SECONDARY_WORDS = 1
ROLE_WINDOW = 8
SENTENCE_SCAN_FACTOR = 3  # sentences examined per sentence kept, against runaway replies
_CALENDAR = MONTH_NAMES | frozenset(WEEKDAYS)

_CALENDAR_STEMS = frozenset(lemma_stem(w) for w in _CALENDAR)


@dataclass
class CheckedSentence:
    text: str
    passages: list[int]
    uncited: bool = False


@dataclass
class VerificationResult:
    kept: list[CheckedSentence]
    counts: Verification
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """Why a sentence is not supported: a short code and what a reader would be told."""

    code: str
    detail: str


class Evidence:
    """The sentences of the passages a sentence cites, read as claims.

    Sentences that address the assistant are kept apart: they are never evidence, and a
    reply repeating them is an injection's echo.
    """

    def __init__(self, passages: Iterable[Passage]) -> None:
        self.sources: list[Claim] = []
        self.injected: list[Claim] = []
        self.meta: list[Claim] = []
        for p in passages:
            for text in [p.title, *split_sentences(p.text)]:
                (self.injected if addresses_assistant(text) else self.sources).append(Claim(text))
            if p.source:
                self.meta.append(Claim(p.source))
            if p.published_at:
                self.meta.append(Claim(p.published_at.strftime("%A %d %B %Y")))
        self.sources.extend(self.meta)
        self.stems = set().union(*(c.stems for c in self.sources))
        self.numbers = set().union(*(c.numbers for c in self.sources))
        self.capitals = set().union(*(c.inner_capitals for c in self.sources))
        self.injected_stems = set().union(*(c.stems for c in self.injected)) - self.stems

    def align(self, claim: Claim) -> list[Claim]:
        """The few source sentences that together say most of `claim` (best first)."""
        need = claim.stems
        key = claim.names(self.capitals) | claim.numbers
        chosen: list[Claim] = []
        covered: set[str] = set()

        def gain(source: Claim, covered: set[str]) -> int:
            new = (need & source.stems) - covered
            return len(new) + len(new & key)

        for _ in range(ALIGNED_SENTENCES):
            rest = [s for s in self.sources if s not in chosen and s not in self.meta]
            best = max(rest, key=lambda s: gain(s, covered), default=None)
            if best is None or gain(best, covered) == 0:
                break
            if chosen and len((need & best.stems) - covered - key) < MIN_SECONDARY_WORDS:
                break  # a sentence that only lends a name or a figure is not aligned with it
            chosen.append(best)
            covered |= need & best.stems
        # the article's source and date go with every sentence of it
        chosen.extend(m for m in self.meta if m not in chosen and m.stems & need)
        return chosen


CLAIM_CHECKS = (
    "unsupported",
    "negation",
    "antonym",
    "number_swap",
    "borrowed_name",
    "role_swap",
    "actor_swap",
)


def check_claim(
    text: str, evidence: Evidence, *, skip: frozenset[str] = frozenset()
) -> Problem | None:
    """Why `text` is not supported by `evidence`, or None when it is.

    The presence checks (numbers, names, dates, injected text) always run; `skip` turns
    off claim checks by name (CLAIM_CHECKS), for ablations.
    """
    claim = Claim(text)
    missing = claim.numbers - evidence.numbers
    if missing:
        return Problem("unsupported", f"number not in source: {sorted(missing)[0]}")
    names = claim.names(evidence.capitals)
    echoed = (claim.stems - evidence.stems) & evidence.injected_stems
    if echoed:
        return Problem("injection_echo", f"repeats text aimed at the assistant: {min(echoed)}")
    calendar = {t.word for t in claim.tokens if t.capital and t.word in _CALENDAR} - {
        t.word for c in evidence.sources for t in c.tokens
    }
    if calendar:
        return Problem("unsupported", f"date not in source: {sorted(calendar)[0]}")
    missing = names - evidence.stems
    if missing:
        return Problem("unsupported", f"name not in source: {sorted(missing)[0]}")
    if len(claim.stems) < MIN_CONTENT_WORDS:
        return Problem("unsupported", "too little content to check")
    aligned = evidence.align(claim)
    checks = {
        "unsupported": lambda: _unsupported(claim, aligned),
        "negation": lambda: _polarity(claim, aligned),
        "antonym": lambda: _opposites(claim, aligned),
        "number_swap": lambda: _numbers(claim, aligned),
        "borrowed_name": lambda: _borrowed_names(claim, names, aligned),
        "role_swap": lambda: _roles(claim, aligned),
        "actor_swap": lambda: _actors(claim, names, aligned, evidence),
    }
    for name, check in checks.items():
        if name not in skip:
            problem = check()
            if problem is not None:
                return problem
    return None


def _unsupported(claim: Claim, aligned: list[Claim]) -> Problem | None:
    support = set().union(*(a.stems for a in aligned))
    content = [t for t in claim.tokens if t.content]
    share = sum(1 for s in claim.stems if s in support) / len(claim.stems)
    if share < MIN_ALIGNED_SHARE:
        return Problem("unsupported", f"only {share:.0%} of it is in the aligned source")
    run = longest = 0
    for t in content:
        run = run + 1 if t.stem not in support else 0
        longest = max(longest, run)
    if longest > MAX_UNSUPPORTED_RUN:
        return Problem("unsupported", f"{longest} words in a row not in the source")
    return None


def _polarity(claim: Claim, aligned: list[Claim]) -> Problem | None:
    """A negation added over a word the source affirms, or dropped from one it negates."""
    if not aligned:
        return None
    support = set().union(*(a.stems for a in aligned))
    negated = set().union(*(a.negated_scope for a in aligned))
    added = (claim.negated_heads & support) - negated
    if added:
        return Problem("negation", f"negates what the source affirms: {min(added)}")
    for a in aligned:
        others = [b for b in aligned if b is not a]
        lost = {
            s
            for s in a.negated_heads & claim.stems
            if claim.polarity_of(s) and not any(s in b.stems and b.polarity_of(s) for b in others)
        }
        if lost:
            return Problem("negation", f"affirms what the source negates: {min(lost)}")
    return None


def _opposites(claim: Claim, aligned: list[Claim]) -> Problem | None:
    for a in aligned:
        own = claim.word_stems - a.word_stems
        theirs = a.word_stems - claim.word_stems
        for s in own:
            for t in theirs:
                if opposite(s, t) and claim.polarity_of(s) == a.polarity_of(t):
                    return Problem("antonym", f"says {s!r} where the source says {t!r}")
    return None


def _numbers(claim: Claim, aligned: list[Claim]) -> Problem | None:
    """A number standing next to words that the source puts next to another number."""
    bindings = [a.number_bindings() for a in aligned]
    for side, mine in enumerate(claim.number_bindings()):
        theirs: dict[str, set[str]] = {}
        for pair in bindings:
            for number, words in pair[side].items():
                theirs.setdefault(number, set()).update(words)
        for number, words in mine.items():
            if number not in theirs:
                continue
            for word in sorted(words - theirs[number]):
                others = [n for n, ws in theirs.items() if n != number and word in ws]
                if others:
                    return Problem(
                        "number_swap",
                        f"{number} goes with {word!r}, which is {others[0]} in the source",
                    )
    return None


def _borrowed_names(claim: Claim, names: set[str], aligned: list[Claim]) -> Problem | None:
    """A name absent from the aligned sentences may only stand for their pronoun subject."""
    if not aligned:
        return None
    near = set().union(*(a.stems for a in aligned))
    borrowed = names - near
    if not borrowed:
        return None
    main = aligned[0]
    first_shared = next((t.index for t in claim.tokens if t.content and t.stem in near), None)
    pronoun_subject = bool(main.tokens) and main.tokens[0].word in PRONOUNS
    for t in claim.tokens:
        if t.stem not in borrowed:
            continue
        subject = first_shared is None or t.index < first_shared
        if not (subject and pronoun_subject):
            return Problem("actor_swap", f"{t.text} is not who the aligned source names")
    return None


def _roles(claim: Claim, aligned: list[Claim]) -> Problem | None:
    """Two participants that change sides of a shared predicate: the roles were swapped."""
    for a in aligned:
        shared = claim.stems & a.stems
        for pivot, mine_at, theirs_at in _single_pivots(claim, a):
            mine = claim.roles(mine_at, ROLE_WINDOW)
            theirs = a.roles(theirs_at, ROLE_WINDOW)
            common = [s for s in mine if s in theirs and s in shared - _CALENDAR_STEMS]
            to_patient = [s for s in common if theirs[s] == "agent" and mine[s] == "patient"]
            to_agent = [s for s in common if theirs[s] == "patient" and mine[s] == "agent"]
            if to_patient and to_agent:
                return Problem(
                    "role_swap",
                    f"{to_agent[0]!r} and {to_patient[0]!r} swap sides of {pivot!r}",
                )
    return None


def _single_pivots(claim: Claim, source: Claim) -> list[tuple[str, int, int]]:
    """Predicates both sentences share, each said once in each: (stem, index, index)."""
    found = []
    for pivot in sorted((claim.stems & source.stems) - SYMMETRIC - _CALENDAR_STEMS):
        mine_at, theirs_at = claim.positions(pivot), source.positions(pivot)
        if len(mine_at) != 1 or len(theirs_at) != 1:
            continue
        if not (claim.verb_like(mine_at[0]) and source.verb_like(theirs_at[0])):
            continue  # names, figures and nouns are participants, not predicates
        found.append((pivot, mine_at[0], theirs_at[0]))
    return found


def _actors(
    claim: Claim, names: set[str], aligned: list[Claim], evidence: Evidence
) -> Problem | None:
    """The name next to a shared predicate is one the source does not put there."""
    for a in aligned:
        theirs_names = a.names(evidence.capitals)
        for pivot, mine_at, theirs_at in _single_pivots(claim, a):
            for side in ("agent", "patient"):
                mine = claim.slot_name(mine_at, side, names)
                theirs = a.slot_name(theirs_at, side, theirs_names)
                if not mine or not theirs or mine == theirs:
                    continue
                moved = a.roles(theirs_at, ROLE_WINDOW).get(mine, side) != side
                if mine not in a.stems or moved:
                    return Problem(
                        "actor_swap", f"{mine!r} where the source has {theirs!r} ({pivot!r})"
                    )
    return None


def verify_sentences(
    sentences: list[ReplySentence],
    passages: list[Passage],
    *,
    keep_uncited: bool = False,
    limit: int | None = None,
    max_chars: int | None = None,
) -> VerificationResult:
    """`passages[i]` is passage number i+1 as numbered in the prompt.

    At most `limit` sentences and `max_chars` characters are kept, whatever the model sent;
    the sentences past them are counted in `sentences_over_limit`.
    """
    counts = Verification()
    kept: list[CheckedSentence] = []
    reasons: list[str] = []
    chars = 0
    scan = len(sentences) if limit is None else limit * SENTENCE_SCAN_FACTOR

    def drop(text: str, problem: Problem) -> None:
        counts.sentences_dropped += 1
        counts.dropped.append(
            DroppedSentence(text=text[:200], reason=problem.code, detail=problem.detail)
        )
        reasons.append(f"{problem.code} ({problem.detail}): {text[:60]}")

    for i, sentence in enumerate(sentences):
        full = (limit is not None and len(kept) >= limit) or (
            max_chars is not None and chars + len(sentence.text) > max_chars
        )
        if full or i >= scan:
            counts.sentences_over_limit = len(sentences) - i
            break
        valid = [n for n in dict.fromkeys(sentence.citations) if 1 <= n <= len(passages)]
        counts.citations_removed += len(sentence.citations) - len(valid)
        if not valid:
            if keep_uncited:
                kept.append(CheckedSentence(sentence.text, [], uncited=True))
                counts.sentences_kept += 1
                chars += len(sentence.text) + 1
            else:
                drop(sentence.text, Problem("no_citation", "no valid citation"))
            continue
        problem = check_claim(sentence.text, Evidence(passages[n - 1] for n in valid))
        if problem:
            drop(sentence.text, problem)
            continue
        kept.append(CheckedSentence(sentence.text, valid))
        counts.sentences_kept += 1
        chars += len(sentence.text) + 1
    return VerificationResult(kept=kept, counts=counts, reasons=reasons)
