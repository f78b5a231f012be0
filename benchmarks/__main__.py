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
    parser.add_argument(
        "which",
        nargs="*",
        default=["engine"],
        choices=["engine", "api", "nightly", "pgvector", "encode", "parse", "national"],
    )
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=5_000, help="distinct encoded demo profiles")
    parser.add_argument("--vacancies", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0, help="api: seconds per load scenario")
    parser.add_argument("--concurrency", type=int, default=4, help="api: concurrent clients")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite", help="api: database")
    parser.add_argument("--workers", default="1,2", help="api: worker counts to serve with, comma-separated")
    parser.add_argument("--users", type=int, default=200, help="nightly: subscribed users")
    parser.add_argument("--grow", action="store_true", help="nightly: also run at a quarter of the size")
    parser.add_argument(
        "--cluster",
        default="none",
        help="nightly: where to rank, comma-separated to compare (none, local, tcp://HOST:8786)",
    )
    parser.add_argument("--cluster-workers", type=int, default=2, help="nightly: processes of a local cluster")
    parser.add_argument("--partitions", type=int, default=35, help="national: regions the country is split in")
    parser.add_argument("--measure", type=int, default=4, help="national: how many of the regions to run")
    parser.add_argument("--output", help="write the results as JSON")
    args = parser.parse_args()
    results = {}
    if "engine" in args.which:
        from benchmarks.bench_engine import run

        results["engine"] = run(
            candidates=args.candidates, distinct=args.distinct, vacancies=args.vacancies, queries=args.queries
        )
    if "parse" in args.which:
        from benchmarks.bench_parse import run as run_parse

        results["parse"] = run_parse()
    if "encode" in args.which:
        from benchmarks.bench_encode import run as run_encode

        results["encode"] = run_encode()
    if "pgvector" in args.which:
        from benchmarks.bench_pgvector import run as run_pgvector

        results["pgvector"] = run_pgvector(
            candidates=args.candidates, distinct=args.distinct, vacancies=args.vacancies, queries=args.queries
        )
    if "api" in args.which:
        from benchmarks.bench_api import run as run_api

        results["api"] = run_api(
            candidates=args.candidates,
            distinct=args.distinct,
            vacancies=args.vacancies,
            seconds=args.seconds,
            concurrency=args.concurrency,
            database=args.database,
            workers=tuple(int(w) for w in args.workers.split(",")),
        )
    if "nightly" in args.which:
        from benchmarks.bench_nightly import run as run_nightly_bench

        sizes = (
            [(args.candidates, args.vacancies)]
            if not args.grow
            else [(args.candidates // 4, args.vacancies // 4), (args.candidates, args.vacancies)]
        )
        results["nightly"] = run_nightly_bench(
            sizes=sizes,
            users=args.users,
            distinct=args.distinct,
            clusters=args.cluster.split(","),
            cluster_workers=args.cluster_workers,
        )
    if "national" in args.which:
        from benchmarks.bench_national import run as run_national

        results["national"] = run_national(
            candidates=args.candidates,
            vacancies=args.vacancies,
            partitions=args.partitions,
            measure=args.measure,
            cluster=args.cluster.split(",")[0],
            workers=args.cluster_workers,
        )
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text)


main()
