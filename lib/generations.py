"""Generation numbers in the shared cache: a number per name and id (a district's data) that
moves whenever something under it changes, so that what was computed from that data can be
kept under a key that names the generation, and is simply not found again once it moves.

    version = generations.current(DISTRICT_DATA, district.pk)
    key = f"dashboard:{district.pk}:{version}:…"
    …
    generations.move(DISTRICT_DATA, district.pk)   # a row of the district changed

`move` sets a new number at once and again after the transaction commits: a reader that ran
between the two (and cached what it read before the commit) is forgotten by the second. A
number lives as long as the cache keeps it; a lost one reads as a new generation, which only
costs a recomputation.
"""

import time

from django.core.cache import cache
from django.db import transaction

# the data a district's dashboard reads: moved by every saved or deleted row of the feature
# apps that belongs to the district (reports.signals) and by the status moves that send no
# signal (documents.transitions)
DISTRICT_DATA = "district-data"

# the roll-ups' data, one generation for the whole country (`COUNTRY`): moved by every district
# snapshot written and every district or province row saved or deleted (reports.signals)
ROLLUP_DATA = "rollup-data"
COUNTRY = "country"


def key(name: str, id) -> str:
    return f"generation:{name}:{id}"


def current(name: str, id) -> int:
    """The generation of `name` for `id`, starting one if there is none."""
    found = cache.get(key(name, id))
    if found is None:
        found = time.time_ns()
        cache.add(key(name, id), found, None)
        found = cache.get(key(name, id), found)
    return found


def kept(name: str, id, parts: tuple, build, *, seconds: int):
    """What `build()` returns, kept in the cache for `seconds` under the current generation of
    `name` for `id` and `parts` (whatever else decides the result: the day, the language, the
    reader's access). Built again once the generation moves."""
    found_key = ":".join(("kept", name, str(id), str(current(name, id)), *map(str, parts)))
    found = cache.get(found_key)
    if found is None:
        found = build()
        cache.set(found_key, found, seconds)
    return found


def move(name: str, id) -> None:
    """Something under `name` for `id` changed: whatever was kept under the current generation
    is not read again (now, and once the current transaction commits)."""
    if id is None:
        return

    def set_new():
        cache.set(key(name, id), time.time_ns(), None)

    set_new()
    # robust: the data are committed already; a cache that fails then must not fail the request
    transaction.on_commit(set_new, robust=True)
