"""Sentiment and themes of each feedback comment, computed offline at load time.

Sentiment is VADER (vaderSentiment ships its lexicon inside the package: nothing is
downloaded) with a domain lexicon for incident reviews layered on top
(pipeline/data/review_lexicon.toml). Themes come from the settings' theme dictionary.
Results live in ``feedback_analysis`` keyed by response_key; a fingerprint of the theme
settings, the lexicon and this code's rules decides when every comment is recomputed.
"""

from __future__ import annotations

import logging
import os
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Sequence

from core.feedback_themes import LEXICON_PATH, FeedbackTheme, fingerprint
from pipeline.regex_literals import FilteredAlternation, LiteralScan
from pipeline.parse.feedback import MAX_FEEDBACK_CHARS

log = logging.getLogger(__name__)
# VADER's own cut-offs for its compound score.
POSITIVE_FROM = 0.05
NEGATIVE_TO = -0.05
# Requests are found clause by clause: "Useful, would like the graphs next time" keeps "Useful".
_CLAUSE_SPLIT = re.compile(r"(?<=[.!?;,:])\s+|\n+")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# Clause boundaries: punctuation ending a word, or a word opening a new clause. A negation does not
# reach past them ("No feedback, great as always" praises; "not long but dull" is still dull).
_CLAUSE_END = frozenset(",;:.!?)\u2026\u2014\u2013")
_CLAUSE_WORDS = frozenset({"but", "and", "so", "because", "though", "although", "which", "while", "whereas", "yet"})
# Words VADER never reads (not in its lexicon, not negations, not boosters): what a boundary becomes.
_FILLER = "zqclause"
_NEUTRAL = "zqneutral"
# A sarcastic comment scores at least this negative (one mild complaint word scores about -0.25).
_SARCASM_AT_LEAST = 0.25
_PUNCTUATION = string.punctuation  # what VADER strips from a word's ends
_WORD_EDGE = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\u2026\u2014\u2013\u201c\u201d"

@dataclass(frozen=True)
class Analysis:
    sentiment: str
    score: float
    themes: tuple[str, ...]


def sentiment_label(score: float) -> str:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_TO:
        return "negative"
    return "neutral"


_SPACE_ATOM = r"[\s\-]+"
_ENDING_ATOM = r"[\w']*"


def _keyword_atoms(keyword: str) -> list[str]:
    """A keyword as regex pieces, one per character: a space also matches hyphens or several spaces, an
    apostrophe may be left out ("couldn't hear" finds "couldnt hear"); "word*" any ending."""
    keyword = keyword.strip().lower().translate(_APOSTROPHES)
    wildcard = keyword.endswith("*")
    words = [w for w in re.split(r"[\s\-]+", keyword.rstrip("*").strip()) if w]
    atoms: list[str] = []
    for i, word in enumerate(words):
        if i:
            atoms.append(_SPACE_ATOM)
        atoms += ["'?" if ch == "'" else re.escape(ch) for ch in word]
    return atoms + [_ENDING_ATOM] if wildcard else atoms


def _trie_regex(sequences: Sequence[list[str]]) -> str:
    """One regex for several sequences of regex pieces, as a trie: "rabbit hole|ran over|ran long" becomes
    "r(?:abbit hole|an (?:over|long))". The engine then follows one branch per character instead of trying
    every phrase at every position (5-10x faster for a few hundred phrases). Where one phrase extends
    another, the longer one is tried first, so the longest wins, as in a sorted alternation."""
    trie: dict = {}
    for atoms in sequences:
        node = trie
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[None] = {}  # a phrase ends here

    def emit(node: dict) -> str:
        # Literal characters first, the wildcard ending last: "learn more" before "learn*".
        children = sorted((a for a in node if a is not None), key=lambda a: a == _ENDING_ATOM)
        branches = [a + emit(node[a]) for a in children]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if None in node:  # this is a phrase too: the longer ones are optional
            return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else f"{body}?"
        return body

    return emit(trie)


def phrase_alternation(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern for whole-word matches of any phrase, ignoring case; the longest phrase wins."""
    sequences = [atoms for atoms in map(_keyword_atoms, set(phrases)) if atoms]
    if not sequences:
        return None
    # The word boundaries sit outside the alternation: checked once per position, not once per phrase.
    return re.compile(r"(?<![\w'])(?:" + _trie_regex(sequences) + r")(?![\w'])", re.IGNORECASE)


_WORD = re.compile(r"[\w']+")
_PLAIN_KEYWORD = re.compile(r"^[\w'\s\-]+\*?$")
_JOINER = re.compile(r"^[\s\-]+$")
_PLAIN_CHARACTER = re.compile(r"[\w'\s\-]")


class _KeywordMatcher:
    """Which themes' keywords occur in a text, in one pass over its words.

    Same meaning as one ``phrase_alternation`` per theme (whole words, any case, a space matching
    hyphens or spaces, "word*" any ending) but indexed by a keyword's first word, so the cost
    grows with the text, not with the size of the dictionary. Keywords with other characters
    ("q&a", emoji) fall back to a regex.
    """

    def __init__(self, themes: Sequence[FeedbackTheme]) -> None:
        self.order = [t.id for t in themes]
        exact: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {}  # by first word; indexed below
        self.prefixes: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {}
        fallback: dict[str, list[str]] = {}
        for theme in themes:
            for keyword in theme.keywords:
                normal = keyword.strip().lower().translate(_APOSTROPHES)
                if not _PLAIN_KEYWORD.match(normal):
                    fallback.setdefault(theme.id, []).append(keyword)
                    continue
                wildcard = normal.endswith("*")
                words = tuple(w for w in re.split(r"[\s\-]+", normal.rstrip("*").strip()) if w)
                if not words:
                    continue
                entry = (theme.id, words, wildcard)
                if wildcard and len(words) == 1:
                    self.prefixes.setdefault(words[0], []).append(entry)
                else:
                    exact.setdefault(words[0], []).append(entry)
        self.prefix_lengths = sorted({len(p) for p in self.prefixes})
        # The exact keywords for the loop in themes_in: one-word ones as the themes a word names (every
        # first word has an entry, so it also says which words start a keyword), longer ones under their
        # first two words ("the host") so a common first word costs one lookup, and two-word ones ending
        # in "*" under their first word.
        self.word_themes: dict[str, frozenset[str]] = {}
        self.by_pair: dict[tuple[str, str], list[tuple[str, tuple[str, ...], bool]]] = {}
        self.by_first: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {}
        for first, entries in exact.items():
            self.word_themes[first] = frozenset(t for t, words, _wildcard in entries if len(words) == 1)
            for entry in entries:
                _theme_id, words, wildcard = entry
                if len(words) == 2 and wildcard:
                    self.by_first.setdefault(first, []).append(entry)
                elif len(words) >= 2:
                    self.by_pair.setdefault((words[0], words[1]), []).append(entry)
        # Keywords with other characters, each theme's as one regex, tried only when the text has one
        # of their unusual characters ("&" of "q&a", "⏰").
        self.fallback = {theme_id: ({c for k in keywords for c in k.lower().translate(_APOSTROPHES)
                                     if not _PLAIN_CHARACTER.match(c)},
                                    phrase_alternation(keywords)) for theme_id, keywords in fallback.items()}
        # Which "word*" keywords each word starts with, remembered: comments share most of their words.
        self._prefix_hits: dict[str, tuple[str, ...]] = {}

    def _prefix_themes(self, word: str) -> tuple[str, ...]:
        hits = self._prefix_hits.get(word)
        if hits is None:
            hits = tuple(theme_id for n in self.prefix_lengths if n <= len(word)
                         for theme_id, _words, _wildcard in self.prefixes.get(word[:n], ()))
            if len(self._prefix_hits) < 500_000:
                self._prefix_hits[word] = hits
        return hits

    def themes_in(self, text: str) -> tuple[str, ...]:
        # ASCII text is lowered once (its words and their positions stay the same); other text word by word.
        source = text.lower() if text.isascii() else text
        words = _WORD.findall(source) if source is not text else [w.lower() for w in _WORD.findall(text)]
        spans: list[tuple[int, int]] | None = None  # where the words are, once a phrase needs its joiners
        found: set[str] = set()
        prefix_hits, word_themes, by_pair, by_first = self._prefix_hits, self.word_themes, self.by_pair, self.by_first
        last = len(words) - 1
        for i, word in enumerate(words):
            hits = prefix_hits.get(word)
            found.update(self._prefix_themes(word) if hits is None else hits)
            if word not in word_themes:  # starts no exact keyword
                continue
            found.update(word_themes[word])
            entries = by_pair.get((word, words[i + 1]), ()) if i < last else ()
            if word in by_first:
                entries = [*entries, *by_first[word]]
            for theme_id, keyword_words, wildcard in entries:
                if theme_id in found:
                    continue
                end = i + len(keyword_words)
                if end > len(words):
                    continue
                last_ok = (words[end - 1].startswith(keyword_words[-1]) if wildcard else words[end - 1] == keyword_words[-1])
                if not (last_ok and all(words[i + k] == keyword_words[k] for k in range(1, len(keyword_words) - 1))):
                    continue
                if spans is None:
                    spans = [m.span() for m in _WORD.finditer(source)]
                if all(_JOINER.match(source[spans[k][1]:spans[k + 1][0]]) for k in range(i, end - 1)):
                    found.add(theme_id)
        for theme_id, (characters, pattern) in self.fallback.items():
            if theme_id not in found and (not characters or any(c in text for c in characters)) and pattern.search(text):
                found.add(theme_id)
        return tuple(t for t in self.order if t in found)


def _token(index: int) -> str:
    """A made-up word VADER will look up in its lexicon: letters only, never a real word."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"zqphrase{letters}"


def _plain_apostrophes(text: str) -> str:
    # str.replace is several times faster than str.translate with a table.
    if text.isascii():
        return text
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")


def _normal_phrase(text: str) -> str:
    """A phrase as its table key: lower case, single spaces, no apostrophes ("couldnt" is "couldn't")."""
    return re.sub(r"[\s\-]+", " ", text.lower().translate(_APOSTROPHES).replace("'", "")).strip()


def _lowered_twin(pattern: re.Pattern[str] | None) -> re.Pattern[str] | None:
    """A ``phrase_alternation`` pattern without IGNORECASE, for the lower case of an ASCII text: the same
    matches at the same places when the pattern is ASCII (its letters are lower case: ``_keyword_atoms``),
    since an ASCII letter then matches a pattern letter ignoring case exactly when its lower case is that
    letter. None when the pattern holds other characters (Unicode case folding has exceptions)."""
    if pattern is None or not pattern.pattern.isascii() or pattern.pattern != pattern.pattern.lower():
        return None  # (an upper-case letter, or an escape such as \W, keeps the pattern as it is)
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


def _any_regex(patterns: Sequence[str], where: str, before: str = "", after: str = "") -> FilteredAlternation | None:
    """One case-insensitive regex for any of the lexicon's regexes, between ``before`` and ``after``
    (compiled per comment with only the regexes it can match)."""
    regexes = _regex_list(patterns, where)
    return FilteredAlternation(regexes, before, after) if regexes else None


def vader_analyser():
    """VADER's analyser, with the same scores, faster (tests/test_feedback_analysis.py compares them).

    Two costs of VADER 3.3.2 that grow with the comment, and nothing else changed:
    - polarity_scores first walks the text character by character to replace emoji by their
      descriptions, building a new string one character at a time. In text with none of its emoji (all
      ASCII text, and most of the rest) that pass only strips the text, so it is skipped;
    - _negation_check and _special_idioms_check lower every word of the comment for each word they
      look at; here the lowered words are kept for the comment.
    """
    from vaderSentiment.vaderSentiment import (BOOSTER_DICT, C_INCR, NEGATE, N_SCALAR, SPECIAL_CASES,
                                               SentimentIntensityAnalyzer, SentiText, normalize,
                                               scalar_inc_dec)

    negations = frozenset(NEGATE)
    # Every word of VADER's multi-word idioms and boosters: a sequence of words is one of them only if
    # each of its words is one of these.
    idiom_words = frozenset(word for key in [*SPECIAL_CASES, *BOOSTER_DICT] if " " in key for word in key.split())

    def negated(words: list[str]) -> bool:
        """VADER's negated() for one lowered word, without rebuilding its list of negations per call."""
        return words[0] in negations or "n't" in words[0]

    class Analyser(SentimentIntensityAnalyzer):
        _lowered_for: list | None = None
        _lowered: list[str] = []

        def _lower(self, words: list) -> list[str]:
            if self._lowered_for is not words:
                self._lowered_for, self._lowered = words, [str(w).lower() for w in words]
            return self._lowered

        def polarity_scores(self, text: str) -> dict:
            if not (text.isascii() or self.emojis.keys().isdisjoint(text)):
                return super().polarity_scores(text)
            text = text.strip()
            sentitext = SentiText(text)
            sentiments: list = []
            words_and_emoticons = sentitext.words_and_emoticons
            for i, item in enumerate(words_and_emoticons):
                valence = 0
                if item.lower() in BOOSTER_DICT:
                    sentiments.append(valence)
                    continue
                if (i < len(words_and_emoticons) - 1 and item.lower() == "kind" and
                        words_and_emoticons[i + 1].lower() == "of"):
                    sentiments.append(valence)
                    continue
                sentiments = self.sentiment_valence(valence, sentitext, item, i, sentiments)
            sentiments = self._but_check(words_and_emoticons, sentiments)
            return self.score_valence(sentiments, text)

        def compound(self, text: str) -> float:
            """polarity_scores(text)["compound"], without VADER's per-word work on words it does not score.

            A word outside VADER's lexicon, a booster, or "kind" before "of" scores 0 there whatever its
            neighbours: only the words in the lexicon go through its sentiment_valence (the same code),
            and a text with none of them scores 0.0."""
            if not (text.isascii() or self.emojis.keys().isdisjoint(text)):
                return super().polarity_scores(text)["compound"]
            text = text.strip()
            # SentiText's words: each stripped of punctuation unless that leaves two characters or fewer.
            words = [stripped if len(stripped := w.strip(_PUNCTUATION)) > 2 else w for w in text.split()]
            lowered = [w.lower() for w in words]
            lexicon = self.lexicon
            if lexicon.keys().isdisjoint(lowered):
                return 0.0
            sentitext = SentiText.__new__(SentiText)  # as SentiText(text) builds it, without splitting again
            sentitext.text, sentitext.words_and_emoticons = text, words
            # VADER's allcap_differential: some words but not all in capitals (counted in C, not in a loop)
            sentitext.is_cap_diff = 0 < sum(map(str.isupper, words)) < len(words)
            self._lowered_for, self._lowered = words, lowered
            last = len(words) - 1
            sentiments: list = []
            for i, low in enumerate(lowered):
                if low not in lexicon or low in BOOSTER_DICT or (low == "kind" and i < last and lowered[i + 1] == "of"):
                    sentiments.append(0)
                else:
                    sentiments = self.sentiment_valence(0, sentitext, words[i], i, sentiments)
            if "but" in lowered:
                sentiments = self._but_check(words, sentiments)
            return self._compound_of(sentiments, text)

        def _compound_of(self, sentiments: list, text: str) -> float:
            """score_valence(sentiments, text)["compound"], the same operations in the same order, without
            the positive/negative/neutral shares it also works out."""
            if not sentiments:
                return 0.0
            sum_s = float(sum(sentiments))
            punct_emph_amplifier = self._punctuation_emphasis(text)
            if sum_s > 0:
                sum_s += punct_emph_amplifier
            elif sum_s < 0:
                sum_s -= punct_emph_amplifier
            return round(normalize(sum_s), 4)

        def sentiment_valence(self, valence, sentitext, item, i, sentiments):  # VADER's, lowering once
            is_cap_diff = sentitext.is_cap_diff
            words_and_emoticons = sentitext.words_and_emoticons
            lowered = self._lower(words_and_emoticons)
            lexicon = self.lexicon
            item_lowercase = lowered[i]
            if item_lowercase in lexicon:
                valence = lexicon[item_lowercase]
                if item_lowercase == "no" and i != len(words_and_emoticons) - 1 and lowered[i + 1] in lexicon:
                    valence = 0.0
                if (i > 0 and lowered[i - 1] == "no") \
                        or (i > 1 and lowered[i - 2] == "no") \
                        or (i > 2 and lowered[i - 3] == "no" and lowered[i - 1] in ["or", "nor"]):
                    valence = lexicon[item_lowercase] * N_SCALAR
                if item.isupper() and is_cap_diff:
                    if valence > 0:
                        valence += C_INCR
                    else:
                        valence -= C_INCR
                for start_i in range(0, 3):
                    if i > start_i and lowered[i - (start_i + 1)] not in lexicon:
                        # scalar_inc_dec is 0.0 for a word that is no booster
                        s = (scalar_inc_dec(words_and_emoticons[i - (start_i + 1)], valence, is_cap_diff)
                             if lowered[i - (start_i + 1)] in BOOSTER_DICT else 0.0)
                        if start_i == 1 and s != 0:
                            s = s * 0.95
                        if start_i == 2 and s != 0:
                            s = s * 0.9
                        valence = valence + s
                        valence = self._negation_check(valence, words_and_emoticons, start_i, i)
                        if start_i == 2:
                            valence = self._special_idioms_check(valence, words_and_emoticons, i)
                valence = self._least_check(valence, words_and_emoticons, i)
            sentiments.append(valence)
            return sentiments

        def _negation_check(self, valence, words_and_emoticons, start_i, i):  # VADER's, lowering once
            words_and_emoticons_lower = self._lower(words_and_emoticons)
            if start_i == 0:
                if negated([words_and_emoticons_lower[i - (start_i + 1)]]):
                    valence = valence * N_SCALAR
            if start_i == 1:
                if words_and_emoticons_lower[i - 2] == "never" and \
                        (words_and_emoticons_lower[i - 1] == "so" or
                         words_and_emoticons_lower[i - 1] == "this"):
                    valence = valence * 1.25
                elif words_and_emoticons_lower[i - 2] == "without" and \
                        words_and_emoticons_lower[i - 1] == "doubt":
                    valence = valence
                elif negated([words_and_emoticons_lower[i - (start_i + 1)]]):
                    valence = valence * N_SCALAR
            if start_i == 2:
                if words_and_emoticons_lower[i - 3] == "never" and \
                        (words_and_emoticons_lower[i - 2] == "so" or words_and_emoticons_lower[i - 2] == "this") or \
                        (words_and_emoticons_lower[i - 1] == "so" or words_and_emoticons_lower[i - 1] == "this"):
                    valence = valence * 1.25
                elif words_and_emoticons_lower[i - 3] == "without" and \
                        (words_and_emoticons_lower[i - 2] == "doubt" or words_and_emoticons_lower[i - 1] == "doubt"):
                    valence = valence
                elif negated([words_and_emoticons_lower[i - (start_i + 1)]]):
                    valence = valence * N_SCALAR
            return valence

        def _special_idioms_check(self, valence, words_and_emoticons, i):  # VADER's, lowering once
            words_and_emoticons_lower = self._lower(words_and_emoticons)
            # (Only called with i >= 3.) Each sequence it looks up holds one of these pairs of neighbours:
            # when no pair is two idiom words, no lookup can succeed and the valence stays.
            w3, w2, w1, w0 = words_and_emoticons_lower[i - 3:i + 1]
            after = words_and_emoticons_lower[i + 1] if len(words_and_emoticons_lower) - 1 > i else ""
            if not ((w1 in idiom_words and (w0 in idiom_words or w2 in idiom_words))
                    or (w3 in idiom_words and w2 in idiom_words) or (w0 in idiom_words and after in idiom_words)):
                return valence
            onezero = "{0} {1}".format(words_and_emoticons_lower[i - 1], words_and_emoticons_lower[i])
            twoonezero = "{0} {1} {2}".format(words_and_emoticons_lower[i - 2],
                                              words_and_emoticons_lower[i - 1], words_and_emoticons_lower[i])
            twoone = "{0} {1}".format(words_and_emoticons_lower[i - 2], words_and_emoticons_lower[i - 1])
            threetwoone = "{0} {1} {2}".format(words_and_emoticons_lower[i - 3],
                                               words_and_emoticons_lower[i - 2], words_and_emoticons_lower[i - 1])
            threetwo = "{0} {1}".format(words_and_emoticons_lower[i - 3], words_and_emoticons_lower[i - 2])
            sequences = [onezero, twoonezero, twoone, threetwoone, threetwo]
            for seq in sequences:
                if seq in SPECIAL_CASES:
                    valence = SPECIAL_CASES[seq]
                    break
            if len(words_and_emoticons_lower) - 1 > i:
                zeroone = "{0} {1}".format(words_and_emoticons_lower[i], words_and_emoticons_lower[i + 1])
                if zeroone in SPECIAL_CASES:
                    valence = SPECIAL_CASES[zeroone]
            if len(words_and_emoticons_lower) - 1 > i + 1:
                zeroonetwo = "{0} {1} {2}".format(words_and_emoticons_lower[i], words_and_emoticons_lower[i + 1],
                                                  words_and_emoticons_lower[i + 2])
                if zeroonetwo in SPECIAL_CASES:
                    valence = SPECIAL_CASES[zeroonetwo]
            n_grams = [threetwoone, threetwo, twoone]
            for n_gram in n_grams:
                if n_gram in BOOSTER_DICT:
                    valence = valence + BOOSTER_DICT[n_gram]
            return valence

    return Analyser()


def _regex_list(patterns: Sequence[str], where: str) -> list[str]:
    """The lexicon's regexes, checked: each must compile and capture nothing (groups are named here)."""
    for pattern in patterns:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{where}: {pattern!r} is not a valid regex ({exc})") from None
        if compiled.groups:
            raise ValueError(f"{where}: write (?:...) instead of (...) in {pattern!r}")
    return list(patterns)


# One word of praise in double quotes is scare-quoted: 'a "productive" hour'. (Several words are more
# likely a name: 'Re "Checkout happy path": …'.)
_QUOTED = re.compile(r'["\u201c]\s*([\w\'-]+)\s*["\u201d]')


class FeedbackAnalyser:
    """One analyser per load (building it reads VADER's lexicon: about 20 ms).

    With the domain lexicon, a comment is scored in these steps, each driven by a table of
    pipeline/data/review_lexicon.toml:
      1. clauses that ask for a change ([requests]) are left out: a suggestion is neutral;
      2. [emoji], [patterns] and [phrases] become made-up words carrying their valence, so VADER's own
         negation and boosters apply to them; [negators] ("nobody", "never"), matched before the
         phrases, carry a valence of their own and negate what follows;
      3. a negation covers its clause rather than VADER's three words, and stops at the clause's end;
      4. VADER's compound score, with [words] overriding its lexicon;
      5. [sarcasm]: praise that means the opposite makes the comment negative.
    """

    def __init__(self, themes: Sequence[FeedbackTheme], *, domain_lexicon: bool = True,
                 lexicon_path: Path = LEXICON_PATH) -> None:
        from vaderSentiment.vaderSentiment import NEGATE

        self.themes = tuple(themes)
        self.domain_lexicon = domain_lexicon
        self._vader = vader_analyser()
        # VADER's negations ("no" is its own case there: it negates the next two words).
        self._negations = frozenset(NEGATE)
        self._negation_hint = phrase_alternation([*NEGATE, "no"])
        self._negation_hint_lowered = _lowered_twin(self._negation_hint)
        lexicon = tomllib.loads(lexicon_path.read_text(encoding="utf-8")) if domain_lexicon else {}
        self._token_count = 0
        self._emoji: dict[str, str] = {}
        self._phrase_tokens: dict[str, str] = {}
        self._phrases = self._patterns = self._negators = None
        self._phrases_lowered: re.Pattern[str] | None = None
        self._request_start = self._request_end = self._request_anywhere = None
        self._pattern_tokens: list[str] = []
        self._negator_cues: list[str] = []
        self._cues: set[str] = set()  # the complaint a negator makes on its own
        self._complaints: set[str] = set()  # tokens of [phrases] and [patterns] with a negative valence
        self._sarcasm_start = self._sarcasm_anywhere = self._sarcasm_marks = self._interjection = None
        self._praise_lead = None
        self._scare_quotes = False
        if domain_lexicon:
            self._load_rules(lexicon, str(lexicon_path))
        ignore = phrase_alternation(lexicon.get("themes", {}).get("ignore", []))
        self._theme_ignore = FilteredAlternation([ignore.pattern], flags=ignore.flags) if ignore is not None else None
        self._theme_matcher = _KeywordMatcher(self.themes)
        self._build_scan()

    def _new_token(self, valence: float) -> str:
        """A made-up word carrying ``valence`` in VADER's lexicon; a word VADER ignores when it is 0."""
        if not float(valence):
            return _NEUTRAL
        token = _token(self._token_count)  # one token per entry: no two entries share a valence
        self._token_count += 1
        self._vader.lexicon[token] = float(valence)
        return token

    def _load_rules(self, lexicon: dict, where: str) -> None:
        vader = self._vader.lexicon = dict(self._vader.lexicon)
        for word, valence in lexicon.get("words", {}).items():
            # 0 removes the word: a neutral word left in the lexicon would still take a booster's
            # valence ("more support" would be praise).
            if float(valence):
                vader[word.lower()] = float(valence)
            else:
                vader.pop(word.lower(), None)
        for emoji, valence in lexicon.get("emoji", {}).items():
            self._emoji[emoji] = f" {self._new_token(valence)} "
        phrases = lexicon.get("phrases", {})
        self._phrase_tokens = {_normal_phrase(p): self._new_token(v) for p, v in phrases.items()}
        self._complaints.update(t for t in self._phrase_tokens.values() if vader.get(t, 0) < 0)
        self._phrases = phrase_alternation(list(phrases))
        self._phrases_lowered = _lowered_twin(self._phrases)
        patterns = lexicon.get("patterns", {})
        if patterns:
            regexes = _regex_list(list(patterns), f"{where} [patterns]")
            # "Where a word starts" is checked once, outside the alternation (10x faster than in each).
            self._patterns = FilteredAlternation(regexes, r"(?<![\w'])", group="p")
            self._pattern_tokens = [self._new_token(v) for v in patterns.values()]
            self._complaints.update(t for t in self._pattern_tokens if vader.get(t, 0) < 0)
        negators = lexicon.get("negators", {})
        if negators:
            regexes = _regex_list(list(negators), f"{where} [negators]")
            self._negators = FilteredAlternation(regexes, r"(?<![\w'])", r"(?![\w'])", group="n")
            for valence in negators.values():
                cue = self._new_token(valence)
                if cue != _NEUTRAL:
                    self._cues.add(cue)
                self._negator_cues.append("" if cue == _NEUTRAL else cue + " ")
        requests = lexicon.get("requests", {})
        lead = _regex_list(requests.get("lead", []), f"{where} [requests] lead")
        lead_part = f"(?:(?:{'|'.join(lead)})[\\s,]+)?" if lead else ""
        # The openers are matched at the start of a clause (.match); "^" keeps a search from trying them at
        # every character of a long run of punctuation too.
        self._request_start = _any_regex(requests.get("start", []), f"{where} [requests] start", r"^\W*" + lead_part)
        self._request_end = _any_regex(requests.get("end", []), f"{where} [requests] end", r"(?<![\w'])", r"\W*$")
        self._request_anywhere = _any_regex(requests.get("anywhere", []), f"{where} [requests] anywhere", r"(?<![\w'])")
        sarcasm = lexicon.get("sarcasm", {})
        self._sarcasm_start = _any_regex(sarcasm.get("start", []), f"{where} [sarcasm] start", r"^\W*")
        self._sarcasm_anywhere = _any_regex(sarcasm.get("anywhere", []), f"{where} [sarcasm] anywhere", r"(?<![\w'])")
        self._sarcasm_marks = _any_regex(sarcasm.get("marks", []), f"{where} [sarcasm] marks")
        self._interjection = _any_regex(sarcasm.get("openers", []), f"{where} [sarcasm] openers", r"^\W*")
        self._praise_lead = _any_regex(sarcasm.get("leads", []), f"{where} [sarcasm] leads", r"^\W*")
        self._scare_quotes = bool(sarcasm.get("scare_quotes", False))

    def _build_scan(self) -> None:
        """One pass over a comment finds which regexes of the tables can match it (pipeline/regex_literals.py)."""
        tables = [self._patterns, self._negators, self._request_start, self._request_end, self._request_anywhere,
                  self._sarcasm_start, self._sarcasm_anywhere, self._sarcasm_marks, self._interjection,
                  self._praise_lead, self._theme_ignore]
        self._scan = LiteralScan(lit for table in tables if table is not None for lit in table.literals)
        self._last_scan: tuple[str, frozenset[str] | None] = ("", None)

    def _found(self, text: str) -> frozenset[str] | None:
        """The scan's literals in ``text`` (the last text's kept: sentiment and themes read the same one)."""
        last = self._last_scan  # read once: a tuple is replaced whole, never changed
        if last[0] != text:
            last = self._last_scan = (text, self._scan.found(text))
        return last[1]

    # --- sentiment ---
    def _domain_text(self, text: str, found: frozenset[str] | None) -> str:
        """Emoji, patterns, phrases and negators replaced by the words VADER reads for them. ``found``:
        the scan's literals in ``text`` (or in a text holding it)."""
        if not text.isascii():  # (its apostrophes are plain already: see score)
            original = text
            for emoji, token in self._emoji.items():
                if emoji in text:
                    text = text.replace(emoji, token)
            if text is not original:
                found = self._scan.found(text)
        if self._patterns is not None:
            text, replaced = self._patterns.subn(lambda m: self._pattern_tokens[int(m.lastgroup[1:])], text, found)
            if replaced:  # the words put in may hold what the negators look for
                found = self._scan.found(text)
        if self._negators is not None:  # before phrases: "too short to get into …" is more than "too short"
            text = self._negators.subn(self._negator_words, text, found)[0]
        if self._phrases_lowered is not None and text.isascii():
            text = self._replace_phrases_ascii(text)
        elif self._phrases is not None:
            text = self._replace_phrases(text)
        return text

    def _replace_phrases(self, text: str) -> str:
        """Each of [phrases] in ``text`` (any case) replaced by its phrase's word."""
        return self._phrases.sub(lambda m: self._phrase_tokens.get(_normal_phrase(m.group(0)), m.group(0)), text)

    def _replace_phrases_ascii(self, text: str) -> str:
        """``_replace_phrases`` for an ASCII text: found in its lower case by the case-sensitive twin
        (twice as fast as ignoring case), each match replaced by its phrase's word, the text between kept
        as written (VADER reads capitals)."""
        out: list[str] = []
        position = 0
        tokens = self._phrase_tokens
        for match in self._phrases_lowered.finditer(text.lower()):  # type: ignore[union-attr]
            start, end = match.span()
            out.append(text[position:start])
            out.append(tokens.get(_normal_phrase(match.group(0)), text[start:end]))
            position = end
        if not out:
            return text
        out.append(text[position:])
        return "".join(out)

    def _negator_words(self, match: re.Match[str]) -> str:
        """A negator's complaint, then the negation: VADER's own ("never": it treats "never so" specially)
        or "not"."""
        word = match.group(0).lower()
        return self._negator_cues[int(match.lastgroup[1:])] + (word if word in self._negations else "not")

    def _scope_negations(self, text: str) -> str:
        """A negation covers its clause, not just VADER's three words, and stops where the clause ends.

        "We didn't have time to discuss the good stuff" negates "good" (five words on); "No feedback,
        great as always" leaves "great" alone (a comma between). As in VADER, a negation applies to the
        first sentiment word after it; "no" keeps VADER's two-word reach ("no actions came out of a good
        discussion" does not negate "good"). A negator's own complaint ("nobody", "never") is dropped
        when what it negates is bad: "nobody got blamed" is praise.
        """
        lexicon, negations, cues = self._vader.lexicon, self._negations, self._cues
        out: list[str] = []
        scope: int | None = None  # words since a negation still looking for its sentiment word
        recent = 99  # words since the last negation: VADER looks three words back
        cue_at: int | None = None  # where the negator's complaint is, while its scope is open
        for word in text.split():
            core = word.strip(_WORD_EDGE).lower()
            recent += 1
            if scope is not None:
                scope += 1
                if core in lexicon:
                    if scope > 3:  # beyond VADER's reach: say it again
                        out.append("not")
                    if cue_at is not None and lexicon[core] < 0:
                        out[cue_at] = _NEUTRAL
                    scope = cue_at = None
            if core in _CLAUSE_WORDS:
                out.append(word)
                out += [_FILLER] * max(0, 3 - recent)  # keep VADER's window from crossing
                scope, recent, cue_at = None, 99, None
                continue
            if core in cues:
                cue_at = len(out)
            out.append(word)
            if core in negations or "n't" in core:
                scope, recent = 0, 0
            elif core == "no":
                recent = 0
            if word[-1] in _CLAUSE_END:
                out += [_FILLER] * max(0, 3 - recent)
                scope, recent, cue_at = None, 99, None
        return " ".join(out)

    def _score_domain_text(self, text: str) -> float:
        """VADER's compound score of text already through _domain_text."""
        lowered = self._negation_hint_lowered
        if (lowered.search(text.lower()) if lowered is not None and text.isascii() else self._negation_hint.search(text)):
            text = self._scope_negations(text)
        return float(self._vader.compound(text))

    def _judged_clauses(self, text: str, found: frozenset[str] | None) -> list[str]:
        """The clauses that say how it went. A request is left out, and so is the rest of its sentence:
        its reasons ("Maybe use a board for the timeline, easier to see at a glance"). A clause before
        the request stays ("Useful, would like the graphs next time" keeps "Useful")."""
        start, end, anywhere = self._request_start, self._request_end, self._request_anywhere
        if not any(table.active(found) is None or table.active(found) for table in (start, end, anywhere)
                   if table is not None):
            # No request can match: every clause is kept. (A sentence ends where a clause does, so its
            # clauses are the text's.)
            return [clause for clause in _CLAUSE_SPLIT.split(text) if clause.strip()]
        kept: list[str] = []
        for sentence in _SENTENCE_SPLIT.split(text):
            for clause in _CLAUSE_SPLIT.split(sentence):
                if not clause.strip():
                    continue
                if ((start is not None and start.match(clause, found)) or (end is not None and end.search(clause, found))
                        or (anywhere is not None and anywhere.search(clause, found))):
                    break
                kept.append(clause)
        return kept

    def _complaint_after(self, praise: FilteredAlternation | None, text: str, named: bool,
                         found: frozenset[str] | None) -> float | None:
        """Praise opening the comment ("Brilliant, the same three people talked", "so glad we ran 30 min
        over"): the score of what follows when that reads as a complaint, and with ``named`` holds one
        of [phrases] or [patterns]; else None. The complaint decides: the praise was ironic."""
        match = praise.match(text, found) if praise is not None else None
        if match is None or not text[match.end():].strip():
            return None
        rest = self._domain_text(text[match.end():], found)
        if named and not any(word.strip(_WORD_EDGE) in self._complaints for word in rest.split()):
            return None
        score = self._score_domain_text(rest)
        return score if score <= NEGATIVE_TO else None

    def _sarcastic(self, text: str, found: frozenset[str] | None) -> bool:
        start, anywhere, marks = self._sarcasm_start, self._sarcasm_anywhere, self._sarcasm_marks
        if ((start is not None and start.match(text, found)) or (anywhere is not None and anywhere.search(text, found))
                or (marks is not None and marks.search(text, found))):
            return True
        if self._scare_quotes and ('"' in text or "\u201c" in text):
            lexicon = self._vader.lexicon
            return any(lexicon.get(m.group(1).lower(), 0) > 0 for m in _QUOTED.finditer(text))
        return False

    def score(self, text: str) -> float:
        # Stored feedback is at most MAX_FEEDBACK_CHARS (longer is a reject); cut here too, before any
        # pattern reads it, so no caller can hand the patterns more.
        text = text[:MAX_FEEDBACK_CHARS]
        if not self.domain_lexicon:
            return float(self._vader.compound(text))
        text = _plain_apostrophes(text)
        found = self._found(text)
        judged = " ".join(self._judged_clauses(text, found))
        if not judged.strip():
            return 0.0
        if judged != text:  # clauses left out, or line breaks now spaces
            found = self._scan.found(judged)
        score = self._score_domain_text(self._domain_text(judged, found))
        # (A comment already this negative stays as it is: the sarcasm rule could not change it.)
        if score > -_SARCASM_AT_LEAST and self._sarcastic(judged, found):
            # "Great, another hour of timeline. Loved it.": the praise means the opposite.
            return -max(abs(score), _SARCASM_AT_LEAST)
        # "Great, we finished early" stays praise: nothing after the opener complains.
        complaint = self._complaint_after(self._interjection, judged, False, found)
        if complaint is None and score > NEGATIVE_TO:
            complaint = self._complaint_after(self._praise_lead, judged, True, found)
        return score if complaint is None else complaint

    def sentiment(self, text: str) -> tuple[str, float]:
        score = self.score(text)
        return sentiment_label(score), score

    # --- themes ---
    def theme_ids(self, text: str) -> tuple[str, ...]:
        text = _plain_apostrophes(text[:MAX_FEEDBACK_CHARS])
        if self._theme_ignore is not None:
            text = self._theme_ignore.subn(" ", text, self._found(text))[0]
        return self._theme_matcher.themes_in(text)

    def analyse(self, text: str) -> Analysis:
        label, score = self.sentiment(text)
        return Analysis(label, round(score, 4), self.theme_ids(text))


# --- the loader's step ----------------------------------------------------------------------

# Distinct comments from which the work is shared among processes (one per CPU): VADER is pure
# Python, so a first load of many comments would otherwise keep one core busy (see the benchmark).
PARALLEL_FROM = 20_000
# Comments per batch a worker takes (and per progress report): small enough that the bar moves and
# the workers finish together, large enough that sending a batch costs nothing next to it.
BATCH = 2_500

_worker_analyser: FeedbackAnalyser | None = None


def _start_worker(themes: tuple[FeedbackTheme, ...]) -> None:
    """A worker process builds its analyser once, not once per batch (module level, so it can be pickled)."""
    global _worker_analyser
    _worker_analyser = FeedbackAnalyser(themes)


def _analyse_batch(texts: list[str]) -> list[tuple[str, float, tuple[str, ...]]]:
    """A worker process's batch."""
    analyser = _worker_analyser
    assert analyser is not None, "_start_worker runs first in every worker"
    return [(a.sentiment, a.score, a.themes) for a in map(analyser.analyse, texts)]


def analyse_texts(themes: Sequence[FeedbackTheme], texts: list[str], parallel_from: int = PARALLEL_FROM,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Analysis]:
    """Each distinct text's analysis; in several processes when there are many. ``progress`` hears
    (distinct comments analysed, distinct comments) after every batch."""
    distinct = list(dict.fromkeys(texts))
    report = progress or (lambda done, total: None)
    if distinct:
        report(0, len(distinct))  # the step has begun (starting the workers takes a moment)
    analysed: dict[str, Analysis] = {}
    workers = min(os.cpu_count() or 1, 8)
    if len(distinct) >= parallel_from and workers >= 2:
        _analyse_in_workers(themes, distinct, workers, analysed, report)
    if len(analysed) < len(distinct):  # few comments, or the workers could not finish: here, from where they got
        analyser = FeedbackAnalyser(themes)
        rest = [text for text in distinct if text not in analysed]
        for start in range(0, len(rest), BATCH):
            analysed.update((text, analyser.analyse(text)) for text in rest[start:start + BATCH])
            report(len(analysed), len(distinct))
    return analysed


def _analyse_in_workers(themes: Sequence[FeedbackTheme], distinct: list[str], workers: int,
                        analysed: dict[str, Analysis], report: Callable[[int, int], None]) -> None:
    """Into ``analysed``, batch by batch (in order); stops early, keeping what is done, if the processes
    cannot start or one dies (the caller analyses the rest itself)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    batches = [distinct[i:i + BATCH] for i in range(0, len(distinct), BATCH)]
    failures = (OSError, RuntimeError, BrokenProcessPool)  # e.g. a main module spawn cannot re-import
    try:
        # "spawn": a fresh interpreter, never a fork of a process holding a DuckDB connection.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                                   initargs=(tuple(themes),))
    except failures as exc:
        log.info("feedback analysis in one process (%s)", exc)
        return
    with pool:
        try:
            results = pool.map(_analyse_batch, batches)
        except failures as exc:
            log.info("feedback analysis in one process (%s)", exc)
            return
        for batch in batches:
            try:
                done = next(results)  # in order: the first batch's results, then the second's, …
            except failures as exc:
                log.info("feedback analysis finished in one process (%s)", exc)
                pool.shutdown(wait=False, cancel_futures=True)
                return
            analysed.update((text, Analysis(*result)) for text, result in zip(batch, done))
            report(len(analysed), len(distinct))  # outside the try: a failing progress line is no broken pool


def refresh_feedback_analysis(con, themes: Sequence[FeedbackTheme], parallel_from: int = PARALLEL_FROM,
                              analysed: dict[str, Analysis] | None = None) -> int:
    """Analyse comments not analysed yet, or all of them when the fingerprint changed.

    Runs inside the loader's transaction, under the write lock. ``analysed`` holds the analyses
    the loader computed before taking the lock (by comment text); only comments missing from it
    are analysed here. Returns how many comments were stored.
    """
    from core.schema import temp_table  # here: the analysis workers import this module and never need DuckDB

    current = fingerprint(themes)
    stored = con.execute("SELECT fingerprint FROM feedback_analysis_state").fetchall()
    if not stored or stored[0][0] != current:
        con.execute("DELETE FROM feedback_analysis")
        con.execute("DELETE FROM feedback_analysis_state")
        con.execute("INSERT INTO feedback_analysis_state VALUES (?)", [current])
    # By text, not by response: each distinct comment's analysis goes in once, and DuckDB gives it to
    # every response holding that comment (keys never travel through Python as text and back).
    pending = [text for (text,) in con.execute(
        """SELECT DISTINCT r.feedback FROM responses AS r
           WHERE r.feedback IS NOT NULL AND trim(r.feedback) <> ''
             AND NOT EXISTS (SELECT 1 FROM feedback_analysis AS a WHERE a.response_key = r.response_key)"""
    ).fetchall()]
    if not pending:
        return 0
    analysed = dict(analysed or {})
    missing = [text for text in pending if text not in analysed]
    if missing:  # published by another run since the loader looked, or no analyses were given
        analysed.update(analyse_texts(themes, missing, parallel_from))
    results = [analysed[text] for text in pending]
    temp_table(con, "analysed_texts", {"feedback": ("VARCHAR", pending),
                                       "sentiment": ("VARCHAR", [a.sentiment for a in results]),
                                       "sentiment_score": ("DOUBLE", [a.score for a in results]),
                                       "themes": ("VARCHAR[]", [list(a.themes) for a in results])})
    stored = con.execute(
        """INSERT INTO feedback_analysis
           SELECT r.response_key, t.sentiment, t.sentiment_score, t.themes
           FROM responses AS r JOIN analysed_texts AS t ON r.feedback = t.feedback
           WHERE NOT EXISTS (SELECT 1 FROM feedback_analysis AS a WHERE a.response_key = r.response_key)"""
    ).fetchall()[0][0]
    con.execute("DROP TABLE analysed_texts")
    return int(stored)
