"""Which regexes of a table can match a text at all, found with one pass over the text.

The lexicon's tables ([patterns], [negators], [requests], [sarcasm]) are alternations of regexes
tried where each word starts; for most comments only a few of a table's regexes could ever match.
``required_literals`` reads a regex's parse tree for literal strings one of which every match must
contain ("same as (?:last week|usual)" needs "same as last week" or "same as usual"); a text that
contains none of them cannot match, so the alternation is compiled without that regex. Dropping an
alternative that matches nowhere in a text changes no match, substitution or search of that text:
the result is the same as the whole alternation's (tests/test_feedback_speed.py compares them).
Only for texts whose characters match themselves ignoring case after str.lower() (ASCII, and
uncased characters such as emoji and dashes); other texts use the whole alternation.
"""

from __future__ import annotations

import re
from re import _constants as sre  # the parse tree's opcodes (stable since 3.11; the parser is re._parser)
from re import _parser as sre_parse
from typing import AbstractSet, Iterable, Sequence

_ZERO_WIDTH = {sre.AT, sre.ASSERT, sre.ASSERT_NOT}
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT}
_MOST_ALTERNATIVES = 400  # more ways to start than this: keep the shorter prefixes found so far
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _char(code: int) -> str | None:
    ch = chr(code)
    if ch.isascii():
        return ch.lower()
    # An uncased character (emoji, dash) matches only itself, ignoring case or not; a cased one may
    # match ASCII letters ("K", the Kelvin sign, matches "k"): not a literal we can look for.
    return ch if ch.lower() == ch == ch.upper() else None


def _element(op, av) -> set[tuple[str, bool]] | None:
    """How one element's matches start: {(literal, whole)}, whole when the element matches exactly it."""
    if op in _ZERO_WIDTH:
        return {("", True)}
    if op is sre.LITERAL:
        ch = _char(av)
        return None if ch is None else {(ch, True)}
    if op is sre.IN:
        chars: set[str | None] = set()
        for kind, value in av:
            if kind is sre.LITERAL:
                chars.add(_char(value))
            elif kind is sre.CATEGORY and value is sre.CATEGORY_DIGIT:
                chars.update("0123456789")
            elif kind is sre.RANGE and value[1] - value[0] < 16:
                chars.update(_char(c) for c in range(value[0], value[1] + 1))
            else:
                return None
        return None if None in chars else {(c, True) for c in chars if c is not None}
    if op is sre.SUBPATTERN:
        return _prefixes(av[3])
    if op is sre.ATOMIC_GROUP:
        return _prefixes(av)
    if op is sre.BRANCH:
        out: set[tuple[str, bool]] = set()
        for branch in av[1]:
            alternatives = _prefixes(branch)
            if alternatives is None:
                return None
            out |= alternatives
        return out
    if op in _REPEATS:
        low, high, item = av
        alternatives = _prefixes(item)
        if low == 0:  # absent, or started as one repetition starts
            return {("", True)} | {(p, False) for p, _ in alternatives or ()}
        if alternatives is None:
            return None
        return alternatives if low == high == 1 else {(p, False) for p, _ in alternatives}
    return None


def _grow(run: set[tuple[str, bool]], alternatives: set[tuple[str, bool]]) -> set[tuple[str, bool]]:
    return {(p + q, w) if whole else (p, False)
            for p, whole in run for q, w in (alternatives if whole else (("", False),))}


def _prefixes(items) -> set[tuple[str, bool]]:
    """How a sequence's matches start: literal prefixes, whole when the sequence matches exactly it."""
    current = {("", True)}
    for op, av in items:
        alternatives = _element(op, av)
        if alternatives is None:
            return {(p, False) for p, _ in current}
        grown = _grow(current, alternatives)
        if len(grown) > _MOST_ALTERNATIVES:
            return {(p, False) for p, _ in current}
        current = grown
        if not any(w for _, w in current):
            break
    return current


def _contains(items) -> set[str] | None:
    """Literal strings one of which every match of the sequence contains (the most selective run
    of consecutive required elements found), or None."""
    best: set[str] | None = None

    def consider(strings: set[str] | None) -> None:
        nonlocal best
        if strings and "" not in strings and (best is None or min(map(len, strings)) > min(map(len, best))):
            best = strings

    run = {("", True)}
    for op, av in items:
        optional = op in _REPEATS and av[0] == 0
        alternatives = None if optional else _element(op, av)
        if alternatives is None:
            consider({p for p, _ in run})
            run = {("", True)}
            if op is sre.SUBPATTERN:
                consider(_contains(av[3]))
            elif op is sre.BRANCH:
                consider(_branch_contains(av[1]))
            continue
        grown = _grow(run, alternatives)
        if len(grown) > _MOST_ALTERNATIVES:
            consider({p for p, _ in run})
            run = set(alternatives) if len(alternatives) <= _MOST_ALTERNATIVES else {("", True)}
            continue
        run = grown
        if not any(w for _, w in run):
            consider({p for p, _ in run})
            run = {("", True)}
    consider({p for p, _ in run})
    return best


def _branch_contains(branches) -> set[str] | None:
    out: set[str] = set()
    for branch in branches:
        found = _contains(branch)
        if found is None:
            return None
        out |= found
    return out


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-case strings one of which every match of ``pattern`` (matched ignoring case) contains;
    None when no such strings are found (the regex is then always tried)."""
    found = _contains(list(sre_parse.parse(pattern, re.IGNORECASE)))
    if not found:
        return None
    kept: list[str] = []
    for literal in sorted(found, key=len):  # a string holding a shorter one adds nothing
        if not any(k in literal for k in kept):
            kept.append(literal)
    return frozenset(kept)


class LiteralScan:
    """Which of a set of literal strings occur in a text, in one pass over its lowered form.

    An Aho-Corasick automaton (pyahocorasick, C) holds every literal: one pass over the text reports each
    occurrence of each of them, overlapping ones included, so the cost grows with the text and not with
    the number of literals. (A regex of the literals as a trie, tried at every position, was 4x slower.)
    """

    def __init__(self, literals: Iterable[str]) -> None:
        import ahocorasick

        self.literals = sorted(set(literals))
        self._automaton: ahocorasick.Automaton | None = None
        if self.literals:
            self._automaton = ahocorasick.Automaton()
            for literal in self.literals:
                self._automaton.add_word(literal, literal)
            self._automaton.make_automaton()

    def found(self, text: str) -> frozenset[str] | None:
        """The literals in ``text``; None when its case cannot be folded by str.lower() alone."""
        if not text.isascii():
            for ch in set(_NON_ASCII.findall(text)):
                if not ch.lower() == ch == ch.upper():
                    return None
        if self._automaton is None:
            return frozenset()
        return frozenset([literal for _end, literal in self._automaton.iter(text.lower())])


class FilteredAlternation:
    """``before(?:a0|a1|…)after`` (each alternative a named group ``<group><index>`` when ``group`` is
    given), run on a text with only the alternatives that can match it.

    Each alternative is compiled on its own, ``before(?:ai)after``, and the alternation's result is
    put together from theirs: at a position the alternation takes the first alternative (in order)
    that matches there, so ``match`` is the first alternative's match, ``search`` the leftmost
    start's (the first alternative's on a tie), and ``subn`` repeats that from each match's end.
    Compiling a subset of the alternatives for each comment would cost more than the matching saves.
    ``whole`` is the alternation itself (used for texts the scan cannot read, and by the regex budget
    test).
    """

    def __init__(self, alternatives: Sequence[str], before: str = "", after: str = "", group: str = "",
                 flags: int = re.IGNORECASE) -> None:
        self.alternatives = list(alternatives)
        self.required = [required_literals(a) for a in self.alternatives]
        self.literals = frozenset(lit for req in self.required if req for lit in req)
        self._before, self._after, self._group, self._flags = before, after, group, flags
        self.whole = re.compile(before + "(?:" + "|".join(self._named(i) for i in range(len(self.alternatives)))
                                + ")" + after, flags)
        self._singles: dict[int, re.Pattern[str]] = {}
        # Which alternatives each literal lets through, and those that are always tried.
        self._by_literal: dict[str, list[int]] = {}
        for i, req in enumerate(self.required):
            for literal in req or ():
                self._by_literal.setdefault(literal, []).append(i)
        self._always = tuple(i for i, req in enumerate(self.required) if req is None)
        self._last: tuple[AbstractSet[str] | None, tuple[int, ...]] = (None, ())

    def _named(self, i: int) -> str:
        return f"(?P<{self._group}{i}>{self.alternatives[i]})" if self._group else self.alternatives[i]

    def single(self, i: int) -> re.Pattern[str]:
        """Alternative ``i`` between ``before`` and ``after``, compiled on first use."""
        pattern = self._singles.get(i)
        if pattern is None:
            pattern = self._singles[i] = re.compile(self._before + "(?:" + self._named(i) + ")" + self._after, self._flags)
        return pattern

    def active(self, found: AbstractSet[str] | None) -> tuple[int, ...] | None:
        """The alternatives a text holding the literals ``found`` can match; None: all (unknown text)."""
        if found is None:
            return None
        last = self._last  # read once: a tuple is replaced whole, never changed
        if last[0] is found:  # the clauses of one comment share its literals
            return last[1]
        relevant = found & self.literals  # (in C) the few of this table's among the comment's literals
        if relevant:
            by_literal = self._by_literal
            hits = {i for literal in relevant for i in by_literal[literal]}
            active = tuple(sorted(hits.union(self._always)))
        else:
            active = self._always
        self._last = (found, active)
        return active

    def match(self, text: str, found: AbstractSet[str] | None) -> re.Match[str] | None:
        active = self.active(found)
        if active is None:
            return self.whole.match(text)
        for i in active:
            m = self.single(i).match(text)
            if m is not None:
                return m
        return None

    def search(self, text: str, found: AbstractSet[str] | None) -> re.Match[str] | None:
        active = self.active(found)
        if active is None:
            return self.whole.search(text)
        best = None
        for i in active:
            m = self.single(i).search(text)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        return best

    def subn(self, repl, text: str, found: AbstractSet[str] | None) -> tuple[str, int]:  # noqa: ANN001
        active = self.active(found)
        if active is None:
            return self.whole.subn(repl, text)
        if not active:
            return text, 0
        if len(active) == 1:
            return self.single(active[0]).subn(repl, text)
        replace = repl if callable(repl) else (lambda m: m.expand(repl))
        patterns = [self.single(i) for i in active]
        upcoming = [p.search(text) for p in patterns]
        out: list[str] = []
        position = count = 0
        while True:
            best = None
            for m in upcoming:  # the leftmost start; on a tie the earlier alternative
                if m is not None and (best is None or m.start() < best.start()):
                    best = m
            if best is None:
                break
            if best.end() == best.start():  # an empty match: re.sub's own rules for it
                return self.whole.subn(repl, text)
            out.append(text[position:best.start()])
            out.append(replace(best))
            count += 1
            position = best.end()
            for k, m in enumerate(upcoming):  # a match overlapping the one taken: look again from its end
                if m is not None and m.start() < position:
                    upcoming[k] = patterns[k].search(text, position)
        out.append(text[position:])
        return "".join(out), count
