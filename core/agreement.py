"""Agreement on any scale, judged on the answer as given (issue #21).

"Agree" is an answer above the middle of its scale: 4-5 on 1-5, 5-7 on 1-7, 6-10 on 1-10. The
answer spread's five labels follow the same rule, so the spread's "% agree" and the "% agree"
figure are one number. ``AGREE_SQL`` and ``LABEL_SQL`` run in the schema's public views and the
read layer; ``is_agree`` and ``answer_label`` are their Python twins, and ``tests/test_figures.py``
runs both on every answer of every scale.
"""

from __future__ import annotations

import math

# On the table ``answers`` (raw_score: the answer as given, 1..scale_max). Integers only: no
# rounding of a rescaled score can move an answer across the middle.
AGREE_SQL = "(2 * raw_score > scale_max + 1)"
# The five labels of the spread: the middle answer is Neutral (3); above it Agree (4) or, when the
# answer rescaled onto 1-5 rounds to 5, Strongly agree (5); below it the mirror image.
LABEL_SQL = """(CASE WHEN 2 * raw_score > scale_max + 1
      THEN CASE WHEN floor(1 + (raw_score - 1) * 4 / (scale_max - 1)::DOUBLE + 0.5) >= 5 THEN 5 ELSE 4 END
      WHEN 2 * raw_score < scale_max + 1
      THEN CASE WHEN floor(1 + (raw_score - 1) * 4 / (scale_max - 1)::DOUBLE + 0.5) <= 1 THEN 1 ELSE 2 END
      ELSE 3 END)"""


def is_agree(raw_score: int, scale_max: int) -> bool:
    """Python twin of AGREE_SQL: the answer as given is above the middle of 1..scale_max."""
    return 2 * raw_score > scale_max + 1


def answer_label(raw_score: int, scale_max: int) -> int:
    """Python twin of LABEL_SQL: the answer's label on the 1-5 spread (3 = Neutral)."""
    rescaled = math.floor(1 + (raw_score - 1) * 4 / (scale_max - 1) + 0.5)
    if 2 * raw_score > scale_max + 1:
        return 5 if rescaled >= 5 else 4
    if 2 * raw_score < scale_max + 1:
        return 1 if rescaled <= 1 else 2
    return 3
