"""`python -m bench.feedback_speed [--comments N]`: feedback analysis speed on one core.

Analyses N distinct real-shaped comments (bench/dataset.real_shaped_comments, seeded) in this one
process, as the loader does below its parallel threshold, and reports comments per second of CPU
time (the analyser is built first and not counted; so is making the comments). Target (issue #23):
≥ 50,000 distinct comments per second on one core.
"""

from __future__ import annotations

import argparse
import time

from bench.util import write_json


def measure(count: int, seed: int = 20261207) -> dict:
    from bench.dataset import real_shaped_comments
    from core.feedback_themes import DEFAULT_FEEDBACK_THEMES
    from pipeline.feedback_analysis import FeedbackAnalyser

    texts = real_shaped_comments(count, seed=seed)
    started_build = time.process_time()
    analyser = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)
    build_cpu = time.process_time() - started_build
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    for text in texts:
        analyser.analyse(text)
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started_wall
    return {"comments": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts), 1), "cpu_s": cpu,
            "wall_s": wall, "build_cpu_s": build_cpu, "per_cpu_s": len(texts) / cpu, "per_wall_s": len(texts) / wall}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.feedback_speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    result = measure(args.comments)
    write_json(args.json_out, result)
    print(f"{result['comments']:,} distinct comments (mean {result['mean_chars']:.0f} characters): "
          f"{result['per_cpu_s']:,.0f} per second of CPU, {result['per_wall_s']:,.0f} per second of wall time")


if __name__ == "__main__":
    main()
