"""Builders for feeds (RSS 2.0, RSS 1.0, Atom) and article pages served by the loopback server."""

from __future__ import annotations

import random
from dataclasses import dataclass
from html import escape

VOCAB = [
    a + b
    for a in ("ba", "ko", "mi", "tu", "re", "sa", "lo", "ne")
    for b in ("rt", "nd", "lk", "ss", "mp", "ft", "rn", "ck", "st", "ng")
]


def long_text(topic: str) -> str:
    """About 120 words of a text unique to `topic` (random words, seeded by the topic)."""
    rng = random.Random(topic)
    sentences = (" ".join(rng.choices(VOCAB, k=12)).capitalize() + "." for _ in range(10))
    return f"About {topic}. " + " ".join(sentences)


@dataclass
class Item:
    title: str
    link: str
    summary: str
    guid: str | None = None
    published: str = "Tue, 12 Sep 2023 10:00:00 GMT"
    content: str | None = None


def rss2(title: str, items: list[Item]) -> bytes:
    entries = "".join(
        "<item>"
        f"<title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f"<description>{escape(i.summary)}</description>"
        + (f"<guid isPermaLink='false'>{escape(i.guid)}</guid>" if i.guid else "")
        + f"<pubDate>{i.published}</pubDate>"
        + (f"<content:encoded>{escape(i.content)}</content:encoded>" if i.content else "")
        + "</item>"
        for i in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        f"<channel><title>{escape(title)}</title><link>http://example.org/</link>"
        f"<description>test feed</description>{entries}</channel></rss>"
    ).encode()


def rss1(title: str, items: list[Item]) -> bytes:
    entries = "".join(
        f"<item rdf:about='{escape(i.link)}'><title>{escape(i.title)}</title>"
        f"<link>{escape(i.link)}</link><description>{escape(i.summary)}</description>"
        f"<dc:date>2023-09-12T10:00:00Z</dc:date></item>"
        for i in items
    )
    return (
        "<?xml version='1.0'?><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'"
        " xmlns='http://purl.org/rss/1.0/' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
        f"<channel rdf:about='http://example.org/'><title>{escape(title)}</title>"
        f"<link>http://example.org/</link><description>d</description></channel>{entries}"
        "</rdf:RDF>"
    ).encode()


def atom(title: str, items: list[Item]) -> bytes:
    entries = "".join(
        f"<entry><title>{escape(i.title)}</title><link href='{escape(i.link)}'/>"
        f"<id>{escape(i.guid or i.link)}</id><updated>2023-09-12T10:00:00Z</updated>"
        f"<summary>{escape(i.summary)}</summary>"
        + (f"<content type='html'>{escape(i.content)}</content>" if i.content else "")
        + "</entry>"
        for i in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>{escape(title)}</title><id>urn:test:{escape(title)}</id>"
        f"<updated>2023-09-12T10:00:00Z</updated>{entries}</feed>"
    ).encode()


def article_page(
    title: str,
    paragraphs: list[str],
    *,
    author: str = "Jane Reporter",
    date: str = "2023-09-12",
    site: str = "Example News",
) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{escape(title)} | {escape(site)}</title>"
        f"<meta property='og:title' content='{escape(title)}'>"
        f"<meta property='og:site_name' content='{escape(site)}'>"
        f"<meta name='author' content='{escape(author)}'>"
        f"<meta property='article:published_time' content='{date}T08:00:00Z'>"
        "</head><body><header><nav><a href='/'>Home</a> <a href='/world'>World</a>"
        "<a href='/sport'>Sport</a></nav></header><main><article>"
        f"<h1>{escape(title)}</h1><p class='byline'>By {escape(author)}</p>{body}"
        "</article></main><footer><p>Copyright Example News. All rights reserved.</p>"
        "<ul><li><a href='/privacy'>Privacy</a></li><li><a href='/terms'>Terms</a></li></ul>"
        "</footer></body></html>"
    ).encode()


WIRE = (
    "Central bank officials signalled on Tuesday that interest rates would stay on hold for "
    "the rest of the year, citing a slowdown in consumer spending and a cooling labour market. "
    "The governor told reporters in the capital that inflation had fallen for a fourth month "
    "in a row but remained above the target, and that the board would watch wage growth and "
    "energy prices closely before any further move. Markets had priced in a small cut by "
    "December, and bond yields rose after the remarks while the currency gained against the "
    "dollar. Analysts said the cautious tone suggested policymakers were worried about a "
    "second wave of price rises as fuel costs climb again ahead of the winter season."
)


def syndicated() -> dict[str, str]:
    """One wire story as four outlets print it: each text differs, all are near-duplicates."""
    return {
        "Wire": WIRE,
        "Daily": WIRE.replace("on Tuesday", "on Tuesday morning") + " Reporting by Daily staff.",
        "Herald": "LONDON (Herald) - " + WIRE.replace("closely", "very closely"),
        "Post": WIRE + " Additional reporting by Post staff.",
    }
