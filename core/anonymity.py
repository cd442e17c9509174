"""The words for the anonymity rule, in one place for the UI, charts, CSVs and the summary.

The rule itself lives in SQL (``review_pulse.queries``, the ``visible_statement_sums`` relation);
nothing outside that file decides what is hidden. This module only says it.
"""

from __future__ import annotations


def fewer_than(min_group_size: int, what: str = "responses") -> str:
    """What a hidden figure shows instead of a number: 'fewer than 5 responses' (or comments…)."""
    return f"fewer than {int(min_group_size)} {what}"


def hidden_for_anonymity(min_group_size: int) -> str:
    """A hidden week's tooltip / band label."""
    return f"{fewer_than(min_group_size)} — hidden for anonymity"


def rule_note(min_group_size: int) -> str:
    """The one-line statement of the rule under every chart and in the summary."""
    return f"Weeks with {fewer_than(min_group_size)} are hidden for anonymity"
