"""Counted nouns, for every message and figure: "1 answer", "2 answers" (never "answer(s)").

Defined here, below the pipeline and the read layer, so both say it the same way;
``review_pulse.figures.count_text`` is this function.
"""

from __future__ import annotations


def count_text(n: int, noun: str, plural: str | None = None) -> str:
    """"1 answer", "2 answers", "1,204 rows"; ``plural`` for irregular nouns ("2 replies")."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
