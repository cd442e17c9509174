"""`python -m bench.feedback_accuracy`: how well the offline feedback analysis labels comments.

Reads bench/feedback_eval.csv and every bench/feedback_holdout*.csv (hand-labelled review
comments: text, sentiment, themes separated by ";", kind) and reports, per set, sentiment accuracy
for VADER alone and VADER with the domain lexicon, per-kind accuracy, and per-theme precision/recall
with micro-F1 for the default theme dictionary. Each set is labelled with its role from SET_ROLES:
whether the rules were tuned on it. Where bench/feedback_second_annotator.csv labels a set's comments
too (a second, independent annotator who saw only the texts and the labelling rules), the report says
how often the two annotators agree: the ceiling a reader of the comments reaches, against which the
analysis is measured. Writes bench/results/feedback_accuracy.md and .json.
Targets: accuracy >= 85%, micro-F1 >= 0.80.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from pipeline.feedback_analysis import FeedbackAnalyser
from core.feedback_themes import DEFAULT_FEEDBACK_THEMES

BENCH = Path(__file__).resolve().parent
EVAL_PATH = BENCH / "feedback_eval.csv"
SECOND_ANNOTATOR_PATH = BENCH / "feedback_second_annotator.csv"
RESULTS = BENCH / "results"
# What each labelled set is, and whether the lexicon and dictionary were tuned on it (read its misses
# and changed the rules). Only a set never tuned on estimates how the analysis does on new comments.
SET_ROLES: dict[str, tuple[str, bool]] = {
    "feedback_eval": ("tuning set (round 1: 225 comments; round 2: 162 more; round 3: 38 more, written alongside the rules)", True),
    "feedback_holdout": ("earlier holdout, used for error analysis in round 2", True),
    "feedback_holdout2": ("blind for round 2 (76.7%); used for error analysis in round 3", True),
    "feedback_holdout3": ("blind for round 3 (73.0%); used for error analysis in round 4", True),
    "feedback_holdout4": ("blind for round 3 (81.6%); used for error analysis in round 4", True),
    "feedback_holdout5": ("blind for round 3 (82.8%); used for error analysis in round 4", True),
    "feedback_holdout6": ("blind, never tuned on (written during round 4, added after it was committed)", False),
    "feedback_holdout7": ("blind, never tuned on (written during round 4, added after it was committed)", False),
}
TARGET_ACCURACY = 0.85
TARGET_MICRO_F1 = 0.80


def default_sets() -> list[Path]:
    """The tuning set, then every bench/feedback_holdout*.csv."""
    return [EVAL_PATH, *sorted(BENCH.glob("feedback_holdout*.csv"))]


def role(path: Path) -> tuple[str, bool | None]:
    """A set's role and whether it was tuned on (None: not described in SET_ROLES)."""
    return SET_ROLES.get(path.stem, ("not described in SET_ROLES (bench/feedback_accuracy.py): say what it is", None))


def _tuned(tuned: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[tuned]


def read_eval(path: Path = EVAL_PATH) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["themes"] = {t for t in row["themes"].split(";") if t}
    return rows


def read_second_annotator(path: Path) -> dict[str, tuple[str, set[str]]]:
    """A second annotator's labels by comment text (text,sentiment,themes); empty when the file is absent."""
    if not path.exists():
        return {}
    return {row["text"]: (row["sentiment"], row["themes"]) for row in read_eval(path)}


def prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall, F1 and support from true positive, false positive and false negative counts."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}


def micro_prf(pairs: list[tuple[set[str], set[str]]]) -> dict:
    """Micro precision, recall and F1 of (predicted, gold) theme sets."""
    return prf(sum(len(got & gold) for got, gold in pairs), sum(len(got - gold) for got, gold in pairs),
               sum(len(gold - got) for got, gold in pairs))


def agreement_report(rows: list[dict], second: dict[str, tuple[str, set[str]]]) -> dict | None:
    """How often the second annotator agrees with the set's labels (the analysis on the same comments
    is the set's own figures).

    None unless the second annotator labelled every comment of the set: short comments ("nice one")
    recur across sets, and agreement on a few of them says nothing about the set."""
    if not rows or any(row["text"] not in second for row in rows):
        return None
    return {
        "comments": len(rows),
        "sentiment_agreement": sum(second[r["text"]][0] == r["sentiment"] for r in rows) / len(rows),
        "themes": micro_prf([(second[r["text"]][1], r["themes"]) for r in rows]),
    }


def sentiment_report(rows: list[dict], analyser: FeedbackAnalyser) -> dict:
    predicted = [analyser.sentiment(r["text"])[0] for r in rows]
    correct = [p == r["sentiment"] for p, r in zip(predicted, rows)]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for ok, row in zip(correct, rows):
        by_kind[row["kind"]].append(ok)
    confusion = Counter((r["sentiment"], p) for r, p in zip(rows, predicted))
    return {
        "accuracy": sum(correct) / len(rows),
        "by_kind": {k: {"n": len(v), "accuracy": sum(v) / len(v)} for k, v in sorted(by_kind.items())},
        "confusion": {f"{truth}->{guess}": n for (truth, guess), n in sorted(confusion.items())},
        "misses": [{"text": r["text"], "expected": r["sentiment"], "got": p} for r, p, ok in zip(rows, predicted, correct) if not ok],
    }


def theme_report(rows: list[dict], analyser: FeedbackAnalyser) -> dict:
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    misses = []
    for row in rows:
        got = set(analyser.theme_ids(row["text"]))
        for theme in got & row["themes"]:
            tp[theme] += 1
        for theme in got - row["themes"]:
            fp[theme] += 1
        for theme in row["themes"] - got:
            fn[theme] += 1
        if got != row["themes"]:
            misses.append({"text": row["text"], "expected": sorted(row["themes"]), "got": sorted(got)})

    per_theme = {t.id: prf(tp[t.id], fp[t.id], fn[t.id]) for t in analyser.themes}
    micro = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {"per_theme": per_theme, "micro": micro, "exact_match": 1 - len(misses) / len(rows), "misses": misses}


def run(path: Path = EVAL_PATH, second: dict[str, tuple[str, set[str]]] | None = None) -> dict:
    rows = read_eval(path)
    vader = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES, domain_lexicon=False)
    domain = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)
    description, tuned = role(path)
    return {
        "file": f"bench/{path.name}" if path.parent == BENCH else str(path),
        "role": description,
        "tuned_on": tuned,
        "comments": len(rows),
        "labels": dict(Counter(r["sentiment"] for r in rows)),
        "sentiment_vader": sentiment_report(rows, vader),
        "sentiment_domain": sentiment_report(rows, domain),
        "themes": theme_report(rows, domain),
        "second_annotator": agreement_report(rows, second or {}),
        "targets": {"accuracy": TARGET_ACCURACY, "micro_f1": TARGET_MICRO_F1},
    }


def summary(results: dict[str, dict]) -> str:
    """The report's head: one row per set, with its role."""
    lines = [
        "# Feedback analysis accuracy",
        "",
        "Hand-labelled comments; sentiment is VADER alone and VADER with the domain lexicon and rules",
        "(core/data/review_lexicon.toml), themes are the default dictionary (core/feedback_themes.py).",
        "Only a set never tuned on estimates accuracy on new comments: the rules were changed after",
        "reading the misses of every set marked tuned, including `feedback_holdout.csv`, written after",
        "round 1 and read for error analysis in round 2, `feedback_holdout2.csv`, blind in round 2 and",
        "read for error analysis in round 3, and `feedback_holdout3-5.csv`, blind in round 3 and read for",
        "error analysis in round 4.",
        "The last column is a second, independent annotator who labelled the same comments from the",
        "texts and the labelling rules alone (`feedback_second_annotator.csv`): how far a careful reader",
        "agrees with the set's labels.",
        "",
        "| Set | Role | Tuned on | Comments | Sentiment: VADER | VADER + domain | Theme micro-F1 (P / R) "
        "| Second annotator: sentiment / theme micro-F1 |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, result in results.items():
        v, d, m = result["sentiment_vader"], result["sentiment_domain"], result["themes"]["micro"]
        second = result.get("second_annotator")
        agreement = (f"{second['sentiment_agreement']:.1%} / {second['themes']['f1']:.3f} (n={second['comments']})"
                     if second else "—")
        lines.append(f"| `{result['file']}` | {result['role']} | {_tuned(result['tuned_on'])} | {result['comments']} | "
                     f"{v['accuracy']:.1%} | {d['accuracy']:.1%} | {m['f1']:.3f} ({m['precision']:.2f} / {m['recall']:.2f}) "
                     f"| {agreement} |")
    lines += ["", f"Targets: sentiment accuracy ≥ {TARGET_ACCURACY:.0%}, theme micro-F1 ≥ {TARGET_MICRO_F1:.2f}.", ""]
    return "\n".join(lines) + "\n"


def markdown(result: dict, title: str = "## Feedback analysis accuracy") -> str:
    v, d, t = result["sentiment_vader"], result["sentiment_domain"], result["themes"]
    lines = [
        title,
        "",
        f"{result.get('role', 'labelled comments')} (tuned on: {_tuned(result.get('tuned_on'))}). "
        f"{result['comments']} hand-labelled comments ({', '.join(f'{k} {n}' for k, n in sorted(result['labels'].items()))}).",
        "",
        "| Measure | VADER alone | VADER + domain lexicon | Target |",
        "| --- | --- | --- | --- |",
        f"| Sentiment accuracy | {v['accuracy']:.1%} | {d['accuracy']:.1%} | ≥ {TARGET_ACCURACY:.0%} |",
        f"| Theme micro-F1 | | {t['micro']['f1']:.3f} | ≥ {TARGET_MICRO_F1:.2f} |",
        "",
        "### Sentiment accuracy by kind of comment",
        "",
        "| Kind | n | VADER | VADER + domain |",
        "| --- | --- | --- | --- |",
    ]
    for kind, stats in d["by_kind"].items():
        lines.append(f"| {kind} | {stats['n']} | {v['by_kind'][kind]['accuracy']:.0%} | {stats['accuracy']:.0%} |")
    lines += ["", "### Themes", "", "| Theme | Precision | Recall | F1 | Support |", "| --- | --- | --- | --- | --- |"]
    for theme, stats in t["per_theme"].items():
        lines.append(f"| {theme} | {stats['precision']:.2f} | {stats['recall']:.2f} | {stats['f1']:.2f} | {stats['support']} |")
    m = t["micro"]
    lines.append(f"| **micro** | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['support']} |")
    lines += ["", f"Exact theme-set match: {t['exact_match']:.1%} of comments.", "",
              "### Sentiment misses (VADER + domain)", ""]
    lines += [f"- expected {x['expected']}, got {x['got']}: {x['text']}" for x in d["misses"]]
    lines += ["", "### Theme misses", ""]
    lines += [f"- expected {x['expected']}, got {x['got']}: {x['text']}" for x in t["misses"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feedback_accuracy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, nargs="+", default=None,
                        help="labelled CSVs (text,sentiment,themes,kind); default: bench/feedback_eval.csv and "
                             "every bench/feedback_holdout*.csv")
    args = parser.parse_args(argv)
    second = read_second_annotator(SECOND_ANNOTATOR_PATH)
    results = {path.stem: run(path, second) for path in (args.eval or default_sets())}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "feedback_accuracy.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (RESULTS / "feedback_accuracy.md").write_text(
        summary(results) + "\n".join(markdown(result, f"## {name}") for name, result in results.items()), encoding="utf-8")
    for name, result in results.items():
        d, v, m = result["sentiment_domain"], result["sentiment_vader"], result["themes"]["micro"]
        print(f"{name} ({result['role']}; tuned on: {_tuned(result['tuned_on'])}): "
              f"{result['comments']} comments · sentiment accuracy VADER {v['accuracy']:.1%}, "
              f"VADER + domain lexicon {d['accuracy']:.1%} (target {TARGET_ACCURACY:.0%}) · theme micro-F1 "
              f"{m['f1']:.3f} (precision {m['precision']:.3f}, recall {m['recall']:.3f}; target {TARGET_MICRO_F1})")
        if second := result["second_annotator"]:
            print(f"  second annotator on {second['comments']} of them: sentiment agreement "
                  f"{second['sentiment_agreement']:.1%}, theme micro-F1 {second['themes']['f1']:.3f}")
    print(f"report: {RESULTS / 'feedback_accuracy.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
