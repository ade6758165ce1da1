"""Backtest of budget policies on the emulator's market, scored against an oracle that knows the truth.

    .venv/bin/python bench/backtest.py [--quick] [--seeds N] [--first-seed S] [--days D]
                                       [--scenario default|FILE] [--workers W] [--policies a,b,...]

For every (seed, policy) an in-process emulator (``tiktok_emulator``) with the scenario and seed runs
``--days`` simulated days (14); every 2 simulated hours the policy decides from the marts (raw report
rows loaded into DuckDB, the project's compiled dbt SQL over them, see ``_backtest_marts``; only the
reports a policy reads are pulled, with the same rows as pulling all every cycle, see ``_backtest_run``), its
budget changes pass ``adops.guardrails.check_plan`` (default ``Policy``: ad group >= $20, <= 20 % a
step, <= 50 % a day, 2 h cooldown) and only allowed ones are written with ``adgroup/budget/update/``.
Every policy allocates the same advertiser daily budget (the sum of the starting budgets).

Policies: ``equal`` (the baseline), ``rules`` (practitioners: x1.3 / x0.8 / floor, daily),
``mabwiser`` (MABWiser 2.7 Thompson sampling on conversions per dollar), ``ours`` (``ml.decide.decide``,
else ``ml.allocation.allocate``) and ``oracle`` (the truth's equal-marginal-CPA allocation, same box).
CPA = spend / the emulator's *expected* conversions over the backtest (truth totals), so Poisson noise
does not decide the ranking; ``spend_ratio`` = spend / (daily budget x days).

Full mode: 20 seeds x 14 days; ``--quick``: 2 seeds x 2 days. Last line: one JSON object.
Jobs run longest policy first on ``--workers`` processes (one per core: a job is CPU-bound, its
emulator shares the job's process and DuckDB runs one thread).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _sub, _mod in (("plugins", "tiktok"), ("emulator", "tiktok_emulator"), (".", "ml")):
    if importlib.util.find_spec(_mod) is None:
        sys.path.insert(0, str(ROOT / _sub))
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

from _backtest_marts import compile_marts  # noqa: E402
from _backtest_run import Job, run_job  # noqa: E402

POLICIES = ("equal", "rules", "mabwiser", "ours", "oracle")
LONGEST_FIRST = ("ours", "mabwiser", "oracle", "rules", "equal")  # job order: no long job left for the end


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="2 seeds x 2 days (about a minute)")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (full: 20)")
    p.add_argument("--first-seed", type=int, default=1)
    p.add_argument("--days", type=int, default=None, help="simulated days (full: 14)")
    p.add_argument("--scenario", default="default", help="scenario name or YAML file")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--policies", default=",".join(POLICIES))
    p.add_argument("--reuse", type=Path, default=None,
                   help="JSONL of earlier job results: jobs found there (same scenario, seed, policy, days) "
                        "are not run again, new ones are appended (for tuning one policy against fixed baselines)")
    args = p.parse_args(argv)
    args.seeds = args.seeds or (2 if args.quick else 20)
    args.days = args.days or (2 if args.quick else 14)
    args.policies = [x for x in args.policies.split(",") if x]
    for name in args.policies:
        if name not in POLICIES:
            p.error(f"--policies: unknown policy {name!r}; choose from {', '.join(POLICIES)}")
    return args


def summarise(results: list[dict[str, Any]], seeds: list[int]) -> dict[str, Any]:
    """Per-policy CPA (mean over seeds of each seed's CPA) and the ratios of ours to the others."""
    by = {(r["seed"], r["policy"]): r for r in results}
    pols = sorted({r["policy"] for r in results}, key=POLICIES.index)
    cpa = {p: statistics.fmean(by[s, p]["cpa"] for s in seeds if (s, p) in by) for p in pols}

    def ratio(a: str, b: str) -> float | None:
        vals = [by[s, a]["cpa"] / by[s, b]["cpa"] for s in seeds if (s, a) in by and (s, b) in by]
        return round(statistics.fmean(vals), 4) if vals else None

    def wins(b: str) -> float | None:
        vals = [by[s, "ours"]["cpa"] < by[s, b]["cpa"] for s in seeds if (s, "ours") in by and (s, b) in by]
        return round(sum(vals) / len(vals), 3) if vals else None

    labels = {r["policy"]: r["label"] for r in results}
    return {"seeds": len(seeds), "cpa_vs_oracle": ratio("ours", "oracle"), "oracle_vs_equal": ratio("oracle", "equal"),
            "cpa_vs_equal": ratio("ours", "equal"), "cpa_vs_rules": ratio("ours", "rules"),
            "cpa_vs_mabwiser": ratio("ours", "mabwiser"), "wins_vs_rules": wins("rules"),
            "wins_vs_mabwiser": wins("mabwiser"),
            "spend_ratio_min": round(min(r["spend_ratio"] for r in results), 4),
            "guardrail_violations": sum(r["guardrail_violations"] for r in results),
            "changes_not_allowed": sum(r["not_allowed"] for r in results),
            "ours_non_budget_changes_ignored": sum(r.get("ignored_non_budget", 0) for r in results),
            "cpa": {p: round(v, 4) for p, v in cpa.items()}, "ours_is": labels.get("ours"),
            "guardrails": results[0]["guard"] if results else None}


def table(results: list[dict[str, Any]], seeds: list[int]) -> str:
    pols = sorted({r["policy"] for r in results}, key=POLICIES.index)
    by = {(r["seed"], r["policy"]): r for r in results}
    lines = ["seed " + "".join(f"{p:>15}" for p in pols) + "   (CPA on expected conversions / spend ratio)"]
    for s in seeds:
        cells = "".join(f"{by[s, p]['cpa']:>8.3f}/{by[s, p]['spend_ratio']:.3f}" if (s, p) in by else " " * 15
                        for p in pols)
        lines.append(f"{s:>4}  {cells}")
    return "\n".join(lines)


def _load_reuse(path: Path | None, scenario: str, days: int) -> dict[tuple[int, str], dict[str, Any]]:
    if path is None or not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["seed"], r["policy"]): r for r in rows if r.get("scenario") == scenario and r.get("days") == days}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="backtest-") as tmp:
        compiled = compile_marts(Path(tmp))
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    jobs = [Job(args.scenario, s, p, args.days, 2, compiled) for s in seeds for p in args.policies]
    print(f"backtest: scenario {args.scenario}, {len(seeds)} seeds x {len(args.policies)} policies, "
          f"{args.days} days, decisions every 2 h, {args.workers} workers", flush=True)
    done = _load_reuse(args.reuse, args.scenario, args.days)
    results = [done[j.seed, j.policy] for j in jobs if (j.seed, j.policy) in done]
    todo = sorted((j for j in jobs if (j.seed, j.policy) not in done),
                  key=lambda j: (LONGEST_FIRST.index(j.policy), j.seed))
    with mp.get_context("spawn").Pool(max(1, min(args.workers, len(todo)))) as pool:
        for r in pool.imap_unordered(run_job, todo):
            results.append(r)
            if args.reuse is not None:
                with args.reuse.open("a") as fh:
                    fh.write(json.dumps({**r, "scenario": args.scenario, "days": args.days}) + "\n")
            print(f"  seed {r['seed']:>3} {r['policy']:<9} CPA {r['cpa']:.3f} spend ratio {r['spend_ratio']:.3f} "
                  f"not allowed {r['not_allowed']} ({r['wall_s']:.0f} s, {r['cpu_s']:.0f} s CPU)", flush=True)
    print(table(results, seeds))
    out = summarise(results, seeds)
    out.update({"scenario": args.scenario, "days": args.days, "wall_s": round(time.perf_counter() - t0, 1),
                "jobs_cpu_s": round(sum(r.get("cpu_s", 0.0) for r in results), 1)})
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
