"""Benchmark: deciding one motion for 10k, 100k and 1M members.

    python bench/tally.py [--quick] [--sizes 10000,100000] [--sections memory]

Each section times deciding a synthetic community (multi-unit owners, co-owned units, one developer
bucket, about three quarters of members voting) and prints one human line per size; the LAST line
is one JSON object with every figure. ``--quick`` runs 10k and 100k once each.

Sections
  memory   ``vote.rules.tally`` on in-memory ``UnitRecord``s: grouping + aggregation + decision.
           Baselines in the same run: ``sum()`` over the same area ints, and a bare Python loop over
           the units; ratios are engine time / baseline time. Peak memory is measured in a second,
           untimed run under ``tracemalloc`` (it counts what the engine allocates, not the input).

Adding a database section (SQLite, PostgreSQL): write ``def bench_sqlite(community: Community, repeats: int) ->
dict[str, object]`` that loads ``community`` into a fresh database (untimed), then times the SQL
aggregation (SUM of member area and COUNT per choice) followed by ``vote.rules.decide``, and returns
the same keys as ``bench_memory`` (``seconds``, ``peak_mib``, ``outcome``, …); register it in
``SECTIONS``. ``main`` and the JSON line need no change.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

try:
    from vote.rules import DEFAULT_PRESET, UnitRecord, tally
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from vote.rules import DEFAULT_PRESET, UnitRecord, tally

FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
MATTER = 6  # a special matter: four gates, the most work


@dataclass(frozen=True)
class Community:
    """A synthetic voting scope and its ballots, built before any timing starts."""

    members: int
    units: list[UnitRecord]
    ballots: list[tuple[str, str]]


def make_community(members: int, seed: int = 278) -> Community:
    """About ``members`` members: 10% also own a parking space, 20% are co-owned, one developer."""
    rng = random.Random(seed)
    units: list[UnitRecord] = []
    ballots: list[tuple[str, str]] = []
    developer_units = max(1, members // 200)
    for index in range(developer_units):
        units.append(UnitRecord(f"D-{index}", rng.randint(6_000, 15_000), frozenset(), True))
    ballots.append((units[0].id, "no"))
    for index in range(members - 1):
        roll = rng.random()
        owners = frozenset({f"o{index}", f"o{index}b"}) if roll < 0.2 else frozenset({f"o{index}"})
        flat = f"F-{index}"
        units.append(UnitRecord(flat, rng.randint(4_000, 20_000), owners))
        if roll > 0.9:
            units.append(UnitRecord(f"P-{index}", rng.randint(1_000, 1_500), owners))
        if rng.random() < 0.75:
            ballots.append((flat, rng.choices(("yes", "no", "abstain"), (85, 10, 5))[0]))
    return Community(members, units, ballots)


def _best_time(run: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs, in seconds (garbage collected in between)."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _peak_mib(run: Callable[[], object]) -> float:
    """Peak memory allocated by ``run`` (tracemalloc), in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bench_memory(community: Community, repeats: int) -> dict[str, object]:
    """Time ``tally`` on the in-memory community against a sum() and a bare-loop baseline."""
    units, ballots = community.units, community.ballots
    areas = [unit.area_centi for unit in units]

    def engine() -> object:
        """Grouping + aggregation + decision."""
        return tally(DEFAULT_PRESET, MATTER, units, ballots)

    def bare_loop() -> int:
        """The least any per-unit Python code costs: one attribute read and one addition."""
        total = 0
        for unit in units:
            total += unit.area_centi
        return total

    seconds = _best_time(engine, repeats)
    sum_seconds = _best_time(lambda: sum(areas), repeats)
    loop_seconds = _best_time(bare_loop, repeats)
    decision = engine()
    return {
        "seconds": round(seconds, 4),
        "peak_mib": round(_peak_mib(engine), 1),
        "baseline_sum_seconds": round(sum_seconds, 5),
        "baseline_loop_seconds": round(loop_seconds, 5),
        "ratio_to_sum": round(seconds / sum_seconds, 1),
        "ratio_to_loop": round(seconds / loop_seconds, 1),
        "outcome": decision.outcome,  # type: ignore[attr-defined]
    }


SECTIONS: dict[str, Callable[[Community, int], dict[str, object]]] = {"memory": bench_memory}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections for each size; print one line per run and the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k members, one run each")
    parser.add_argument("--sizes", help="comma-separated member counts (overrides --quick)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"any of {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else FULL_SIZES)
    sections = [s for s in args.sections.split(",") if s]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    repeats = 1 if args.quick else 3

    results: list[dict[str, object]] = []
    for size in sizes:
        start = time.perf_counter()
        community = make_community(size)
        built = time.perf_counter() - start
        for section in sections:
            figures = SECTIONS[section](community, 1 if size >= 1_000_000 else repeats)
            row = {"section": section, "members": size, "units": len(community.units),
                   "ballots": len(community.ballots), **figures}
            results.append(row)
            extras = ", ".join(f"{k}={v}" for k, v in figures.items() if k not in ("seconds", "peak_mib"))
            print(f"{section:>8} {size:>9,} members {len(community.units):>9,} units: {row['seconds']:.3f} s, "
                  f"peak {row['peak_mib']} MiB; {extras} (data built in {built:.1f} s)", flush=True)
        del community
        gc.collect()

    summary = {
        "bench": "tally",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "results": results,
    }
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
