"""Answers: what a cell in a statement column means (1-5, agree/disagree labels, declared scales)."""

from __future__ import annotations

import math
import re

from core.settings import normalise_header
from pipeline.errors import worded
from pipeline.parse.cells import cell_string as cell_text

# The agreement sets of the tools in pipeline.tools (Google/Microsoft Forms, Qualtrics,
# SurveyMonkey, Typeform, LimeSurvey) on a 1-5 scale. Settings add their own labels.
ANSWER_LABELS = {
    "strongly disagree": 1, "completely disagree": 1, "totally disagree": 1, "fully disagree": 1,
    "disagree completely": 1, "disagree strongly": 1, "disagree totally": 1, "very much disagree": 1,
    "disagree": 2, "somewhat disagree": 2, "mostly disagree": 2, "partly disagree": 2, "tend to disagree": 2,
    "disagree somewhat": 2, "slightly disagree": 2,
    "neither agree nor disagree": 3, "neither agree or disagree": 3, "neither disagree nor agree": 3,
    "neither": 3, "neutral": 3, "undecided": 3, "no strong feelings": 3, "no opinion": 3, "not sure": 3,
    "unsure": 3, "neither agree nor disagree neutral": 3, "neutral neither agree nor disagree": 3,
    "agree": 4, "somewhat agree": 4, "mostly agree": 4, "partly agree": 4, "tend to agree": 4,
    "agree somewhat": 4, "slightly agree": 4,
    "strongly agree": 5, "completely agree": 5, "totally agree": 5, "fully agree": 5, "agree completely": 5,
    "agree strongly": 5, "agree totally": 5, "very much agree": 5,
    "definitely disagree": 1, "definitely agree": 5,  # LimeSurvey's label sets
    # Microsoft Forms' Likert defaults in the languages of pipeline.tools.MICROSOFT_FORMS_LOCALES.
    "stimme überhaupt nicht zu": 1, "stimme nicht zu": 2, "stimme zu": 4, "stimme voll und ganz zu": 5,
    "pas du tout d accord": 1, "pas d accord": 2, "neutre": 3, "d accord": 4, "tout à fait d accord": 5,
    "totalmente en desacuerdo": 1, "en desacuerdo": 2, "de acuerdo": 4, "totalmente de acuerdo": 5,
    "helemaal mee oneens": 1, "mee oneens": 2, "neutraal": 3, "mee eens": 4, "helemaal mee eens": 5,
    "instämmer inte alls": 1, "instämmer inte": 2, "instämmer": 4, "instämmer helt": 5,
}
# A 1-7 agreement scale (declared with scale_max = 7): Qualtrics' and SurveyMonkey's 7-point set.
ANSWER_LABELS_7 = {
    "strongly disagree": 1, "completely disagree": 1, "disagree": 2, "somewhat disagree": 3,
    "slightly disagree": 3, "neither agree nor disagree": 4, "neither agree or disagree": 4, "neutral": 4,
    "undecided": 4, "no strong feelings": 4, "somewhat agree": 5, "slightly agree": 5, "agree": 6,
    "strongly agree": 7, "completely agree": 7,
}
LABEL_FOR_SCORE = {1: "Strongly disagree", 2: "Disagree", 3: "Neutral", 4: "Agree", 5: "Strongly agree"}
_NUMBER_WITH_LABEL = re.compile(r"^(\d{1,2})(?:\s+(.+))?$")
# The label ends in a non-space (as the shortest label of "^(.+?)\s+" does in a stripped cell), so a
# run of spaces is not tried from each of its characters.
_LABEL_WITH_NUMBER = re.compile(r"^(.*\S)\s+(\d{1,2})$")


class AnswerError(ValueError):
    """An answer that is present but is not 1-5 (or 1-scale_max) or a known label. Its message
    names the kind of problem, never the value: reasons reach the Data page and the logs."""


BEYOND_SCALE = "a number, but not a whole number from"  # + the scale as written ("1 to 5", "0 to 10")


def default_labels(scale_max: int) -> dict[str, int]:
    return ANSWER_LABELS if scale_max == 5 else ANSWER_LABELS_7 if scale_max == 7 else {}


def parse_answer(value: object, labels: dict[str, int] | None = None, scale_max: int = 5,
                 skip: frozenset[str] = frozenset(), shift: int = 0) -> int | None:
    """1..scale_max or an agree/disagree label (any case/spacing) -> score; blank -> None (skipped).

    ``scale_max`` and the labels' scores are as stored; ``shift`` is 1 on a scale that starts at 0
    (core.settings.SourceMapping.answer_shift): its numbers are written 0..scale_max-1 and stored one up.

    Also accepts what forms and poll apps write around the scale, such as
    "5 - Strongly agree", "Agree (4)" or an emoji before the label. ``labels`` are extra
    (normalised) labels from the settings, on this scale. ``skip`` holds the (normalised)
    answers declared to mean "not applicable" (skip_labels): they are a blank answer.
    """
    low, high = 1 - shift, scale_max - shift  # the numbers as written
    known = default_labels(scale_max)
    if labels:
        known = {**known, **labels}
    if value is None:
        return None
    if isinstance(value, bool):
        raise AnswerError("not an answer")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        # Compare before converting: float() of a huge int raises OverflowError.
        if low <= value <= high and float(value).is_integer():
            return int(value) + shift
        raise AnswerError(f"{BEYOND_SCALE} {low} to {high}")
    text = str(value).strip()
    if not text or (skip and normalise_header(text) in skip):
        return None
    try:
        # Python's float() also takes "0_5" and "5e0": not how anyone writes an answer.
        number = float(text.replace(",", ".")) if "_" not in text and "e" not in text.lower() else None
    except ValueError:
        number = None
    if number is not None:
        if number.is_integer() and low <= number <= high:
            return int(number) + shift
        raise AnswerError(f"{BEYOND_SCALE} {low} to {high}")
    key = normalise_header(text)
    if key in known:
        return known[key]
    match = _NUMBER_WITH_LABEL.match(key)
    if match and low <= int(match.group(1)) <= high and (
            match.group(2) is None or known.get(match.group(2)) == int(match.group(1)) + shift):
        return int(match.group(1)) + shift
    match = _LABEL_WITH_NUMBER.match(key)
    if match and low <= int(match.group(2)) <= high and known.get(match.group(1)) == int(match.group(2)) + shift:
        return int(match.group(2)) + shift
    raise AnswerError(f"not a {low}-{high} answer or an agree/disagree label")


class AnswerMemo(dict):
    """parse_answer with a cache; errors are cached as their message."""

    def __init__(self, labels: dict[str, int] | None = None, scale_max: int = 5,
                 skip: frozenset[str] = frozenset(), shift: int = 0) -> None:
        super().__init__()
        self.labels = labels or None
        self.scale_max = scale_max
        self.skip = skip
        self.shift = shift

    def __missing__(self, value: object) -> int | None | str:
        try:
            result: int | None | str = parse_answer(value, self.labels, self.scale_max, self.skip, self.shift)
        except AnswerError as exc:
            result = str(exc)
        self[value] = result
        return result


_WHOLE_NUMBER = re.compile(r"^\s*(\d{1,2})(?:[.,]0*)?\s*$")


def beyond_scale_note(memo: AnswerMemo) -> str | None:
    """One message for answers past 5 when no scale was declared (a 1-7 or 1-10 scale). The
    answers are the memo's keys (the reasons never hold them); only their highest number is said."""
    if memo.scale_max != 5 or memo.shift:  # a declared scale
        return None
    highest = 0
    for value, result in memo.items():
        if isinstance(result, str) and result.startswith(BEYOND_SCALE):
            match = _WHOLE_NUMBER.match(cell_text(value))
            if match and 5 < int(match.group(1)) <= 11:
                highest = max(highest, int(match.group(1)))
    if not highest:
        return None
    scale = 7 if highest <= 7 else 10 if highest <= 10 else highest
    return worded("answers beyond 5", highest=highest, scale=scale)


def zero_answers_note(memo: AnswerMemo) -> str | None:
    """One message when answers of 0 were rejected: a scale that starts at 0 (0-4, 0-10), whose other answers
    were read one step low. Only the highest number is said, never a cell."""
    numbers = {int(match.group(1)): result for value, result in memo.items()
               if (match := _WHOLE_NUMBER.match(cell_text(value))) is not None}
    if not (isinstance(numbers.get(0), str) and numbers[0].startswith(BEYOND_SCALE)):
        return None  # no 0, or 0 declared a skip label (a blank, then)
    top = max(numbers)
    if not 1 <= top <= 10:  # answers of 0 alone, or past any scale: not a 0-based scale's shape
        return None
    return worded("answers from 0", scale_max=memo.scale_max, top=max(top, 2))


def alike_labels_note(memo: AnswerMemo) -> str | None:
    """One message when no scale was declared and the answers hold two built-in labels that a 1-5 scale
    scores alike and a 1-7 scale does not ("Agree" and "Somewhat agree", both 4 of 5): a 7-point set read
    as 5 points, which no answer beyond 5 gives away. Labels the settings declare are the user's word.
    Only the table's labels are named, never a cell."""
    if memo.scale_max != 5 or memo.shift:  # a declared scale
        return None
    by_score: dict[int, set[str]] = {}
    for value, result in memo.items():
        if isinstance(result, int) and not isinstance(result, bool):
            key = normalise_header(cell_text(value))
            if key in ANSWER_LABELS and key in ANSWER_LABELS_7 and not (memo.labels and key in memo.labels):
                by_score.setdefault(result, set()).add(key)
    alike = [sorted(keys, key=lambda k: ANSWER_LABELS_7[k]) for _score, keys in sorted(by_score.items())
             if len({ANSWER_LABELS_7[key] for key in keys}) > 1]
    if not alike:
        return None
    labels = "; ".join(" and ".join(f"{key.capitalize()!r}" for key in keys) + f" (both {ANSWER_LABELS[keys[0]]})"
                       for keys in alike)
    return worded("labels alike on 5 points", labels=labels)


def scale_notes(memo: AnswerMemo) -> list[str]:
    """What the answers say about the scale: answers of 0 (a 0-based scale; it explains numbers past 5 too),
    numbers past 5 on an undeclared scale, or a 7-point set's labels."""
    from_zero = zero_answers_note(memo)
    return [note for note in (from_zero or beyond_scale_note(memo), alike_labels_note(memo)) if note]
