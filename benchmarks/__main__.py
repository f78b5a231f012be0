"""Run the benchmarks: ``python -m benchmarks [engine] [--candidates N]``."""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    """Parse arguments and run the chosen benchmarks."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("which", nargs="*", default=["engine"], choices=["engine"])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=5_000, help="distinct encoded demo profiles")
    parser.add_argument("--vacancies", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--output", help="write the results as JSON")
    args = parser.parse_args()
    results = {}
    if "engine" in args.which:
        from benchmarks.bench_engine import run

        results["engine"] = run(
            candidates=args.candidates, distinct=args.distinct, vacancies=args.vacancies, queries=args.queries
        )
    text = json.dumps(results, indent=2)
    print(text)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text)


main()
