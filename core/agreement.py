"""Agreement on any scale, judged on the answer as given (issue #21).

"Agree" is an answer above the middle of its scale: 4-5 on 1-5, 5-7 on 1-7, 6-10 on 1-10. The
answer spread's five labels follow the same rule, so the spread's "% agree" and the "% agree"
figure are one number. Every figure's mean is on 1-5: an answer on a declared 1-scale_max scale
is rescaled linearly (``RESCALED_SQL``, which the loader stores as ``answers.score``).
``AGREE_SQL``, ``LABEL_SQL`` and ``RESCALED_SQL`` run in the loader, the schema's public views and
the read layer; ``is_agree``, ``answer_label`` and ``rescaled`` are their Python twins, and
``tests/test_figures.py`` runs both on every answer of every scale.
"""

from __future__ import annotations

import math

# The answer as given on 1..scale_max, on the 1-5 scale every mean uses (5-point answers unchanged).
RESCALED_SQL = "(CASE WHEN scale_max = 5 THEN raw_score::DOUBLE ELSE 1 + (raw_score - 1) * 4 / (scale_max - 1)::DOUBLE END)"
# On the table ``answers`` (raw_score: the answer as given, 1..scale_max). Integers only: no
# rounding of a rescaled score can move an answer across the middle.
AGREE_SQL = "(2 * raw_score > scale_max + 1)"
# The five labels of the spread: the middle answer is Neutral (3); above it Agree (4) or, when the
# answer rescaled onto 1-5 rounds to 5, Strongly agree (5); below it the mirror image.
LABEL_SQL = """(CASE WHEN 2 * raw_score > scale_max + 1
      THEN CASE WHEN floor({RESCALED} + 0.5) >= 5 THEN 5 ELSE 4 END
      WHEN 2 * raw_score < scale_max + 1
      THEN CASE WHEN floor({RESCALED} + 0.5) <= 1 THEN 1 ELSE 2 END
      ELSE 3 END)""".replace("{RESCALED}", RESCALED_SQL)


def rescaled(raw_score: int, scale_max: int) -> float:
    """Python twin of RESCALED_SQL."""
    return float(raw_score) if scale_max == 5 else 1 + (raw_score - 1) * 4 / (scale_max - 1)


def is_agree(raw_score: int, scale_max: int) -> bool:
    """Python twin of AGREE_SQL: the answer as given is above the middle of 1..scale_max."""
    return 2 * raw_score > scale_max + 1


def answer_label(raw_score: int, scale_max: int) -> int:
    """Python twin of LABEL_SQL: the answer's label on the 1-5 spread (3 = Neutral)."""
    rounded = math.floor(rescaled(raw_score, scale_max) + 0.5)
    if 2 * raw_score > scale_max + 1:
        return 5 if rounded >= 5 else 4
    if 2 * raw_score < scale_max + 1:
        return 1 if rounded <= 1 else 2
    return 3
