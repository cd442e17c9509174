"""Writes tests/data/feedback_reference.json.gz: the feedback analysis's output on the labelled sets and
on a seeded corpus, computed by the analyser as it was before the speed work of issue #23 (commit
86444a4). tests/test_feedback_speed.py checks that the analyser still gives exactly these outputs.

    python tests/data/make_feedback_reference.py   (run from the repository root)

Run it again only for a deliberate change of the rules (and say so in the commit).
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dataset import LABELLED_SETS, real_shaped_comments  # noqa: E402
from core.feedback_themes import DEFAULT_FEEDBACK_THEMES  # noqa: E402
from pipeline.feedback_analysis import FeedbackAnalyser  # noqa: E402

OUT = Path(__file__).resolve().parent / "feedback_reference.json.gz"
WORDS = ("the not no never nobody good great bad too long short time over late 10 minutes actions owner "
         "blame safe learned rabbit hole didn't wasn't but and so because 🙄 👍 ⏰ q&a \"productive\" "
         "oh great, yet another same three people /s well run deep dive follow-up pre-read could we please "
         "would be great next time sorry for honestly kind of somewhat very extremely n't ... !! ?").split()


def corpus() -> list[str]:
    texts: list[str] = []
    for path in LABELLED_SETS:
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    texts += real_shaped_comments(12_000, seed=424242)
    rng = random.Random(7)
    for _ in range(3_000):  # word salad: every rule meets every other
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 40))]
        joiners = [rng.choice([" ", " ", " ", ", ", ". ", "-", "  ", "\n", "; ", "\u2019"]) for _ in words]
        text = "".join(w + j for w, j in zip(words, joiners))
        texts.append(text.upper() if rng.random() < 0.1 else text)
    texts += ["", " ", "\n", "a" * 25_000, "good " * 5_000, "not " * 100 + "good", "Don\u2019t", "ÉTÉ très bien",
              "İstanbul team said great", "ß good", "ﬁne", "\u00a0good\u00a0"]
    return list(dict.fromkeys(texts))


def main() -> None:
    analyser = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)
    rows = []
    for text in corpus():
        a = analyser.analyse(text)
        rows.append([text, a.sentiment, a.score, list(a.themes)])
    with gzip.open(OUT, "wt", encoding="utf-8") as handle:
        json.dump(rows, handle, ensure_ascii=False)
    print(f"{len(rows)} comments -> {OUT}")


if __name__ == "__main__":
    main()
