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
  sqlite   The same motion decided from a migrated SQLite file with the app's engine and pragmas
           (WAL, synchronous=FULL): ``closing.aggregate`` + ``closing.decide_question``, exactly what
           closing a meeting runs per motion. The community is loaded first, untimed (core
           ``insert()`` executemany in batches): buildings, register version, members grouped by
           ``vote.rules.group_members``, units pointing at their member, a noticed meeting with one
           matter-6 motion, and the ballots. No ANALYZE: the app never runs one.
  postgres The same on a durable throwaway PostgreSQL cluster (``TemporaryPostgres``), loaded with
           COPY and then ANALYZEd (as autovacuum would after a register import); skipped when the
           machine has no PostgreSQL binaries.
           Both database sections time, in the same session, a minimal baseline: ONE GROUP BY over
           member LEFT JOIN ballot (valid for a whole-community scope only) + ``vote.rules.decide``;
           ``ratio`` = product / baseline. ``by_units_seconds`` times the same close summing units
           one by one, as a meeting on some buildings or units does (the whole community reads members). ``seconds`` is the median of 3 warm runs (``first_seconds``
           is the first run), ``peak_mib`` is tracemalloc's peak for the Python side of one product
           run (the database's own memory is not included), ``ballots_per_s`` = ballot rows decided
           per second, ``s_per_100k_ballots`` scales to the issue's goal. Both the product and the
           baseline must match the in-memory engine's outcome and counts, or the run fails.

Adding a section: write ``def bench_x(community: Community, repeats: int) -> dict[str, object]``
returning at least ``seconds``, ``peak_mib`` and ``outcome``, and register it in ``SECTIONS`` (raise
``SectionSkipped`` when it cannot run here). ``main`` and the JSON line need no change.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    import vote  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import asyncpg
from sqlalchemy import and_, func, insert, select, text

from vote.config import Settings
from vote.db import migrate
from vote.db.engine import Database
from vote.db.models import Ballot, Building, Community as CommunityRow, Meeting, Member, Motion, RegisterVersion, Unit
from vote.devtools.postgres import PostgresUnavailable, TemporaryPostgres
from vote.domain.meetings.snapshot import freeze_rules
from vote.domain.results.closing import aggregate, decide_question, decision_record
from vote.rules import DEFAULT_PRESET, Count, Decision, UnitRecord, decide, group_members, tally

FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
MATTER = 6  # a special matter: four gates, the most work
GOAL_MEMBERS, GOAL_SECONDS = 100_000, 0.5  # issue 3: 100k ballots decided from the database in under 0.5 s


@dataclass(frozen=True, eq=False)  # identity equality: hashable, so the database rows can be cached per community
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


# ----------------------------------------------------------------------------------- database sections

DB_REPEATS = 3  # always: the timed query is cheap next to loading, and one sample of it is noise
BATCH_ROWS = 20_000  # rows per executemany on SQLite (one transaction each)
UNITS_PER_BUILDING = 1_000
COMMUNITY_ID = VERSION_ID = MEETING_ID = MOTION_ID = 1  # a fresh database: the bench fixes every id
LOADED_AT = datetime(2026, 3, 1, tzinfo=UTC)
MEMBER_COLUMNS = ("id", "register_version_id", "key", "developer", "area_centi", "parking_area_centi")
UNIT_COLUMNS = ("id", "register_version_id", "building_id", "number", "kind", "area_centi", "area_source",
                "developer_held", "member_id")
BALLOT_COLUMNS = ("id", "motion_id", "member_id", "choice", "channel", "cast_at", "receipt")
COMPARED = ("outcome", "total", "yes", "no", "abstain")  # what must agree with the in-memory engine


class SectionSkipped(RuntimeError):
    """The section cannot run on this machine (e.g. no PostgreSQL binaries); ``main`` says why."""


class Disagreement(AssertionError):
    """A decision from the database differs from the in-memory engine's: the figures are void."""


@dataclass(frozen=True)
class Prepared:
    """A community as table rows (tuples in column order, ids fixed) and the engine's decision on it."""

    buildings: int
    members: list[tuple[Any, ...]]
    units: list[tuple[Any, ...]]
    ballots: list[tuple[Any, ...]]
    expected: dict[str, Any]


@functools.lru_cache(maxsize=1)  # the sqlite and postgres sections of one size share it
def prepare(community: Community) -> Prepared:
    """Group members with ``vote.rules.group_members`` and decide in memory with ``tally`` (untimed)."""
    members = group_members(community.units)
    member_rows: list[tuple[Any, ...]] = []
    member_of_unit: dict[str, int] = {}
    parking = {unit.id: unit.area_centi for unit in community.units if unit.id.startswith("P-")}
    for member_id, member in enumerate(members, start=1):
        member_rows.append((member_id, VERSION_ID, member.key, member.developer, member.area_centi,
                            sum(parking.get(unit_id, 0) for unit_id in member.unit_ids)))
        member_of_unit.update((unit_id, member_id) for unit_id in member.unit_ids)
    unit_rows = [
        (unit_id, VERSION_ID, index // UNITS_PER_BUILDING + 1, unit.id,
         "parking" if unit.id.startswith("P-") else "flat", unit.area_centi, "registry", unit.developer,
         member_of_unit[unit.id])
        for index, (unit_id, unit) in enumerate(enumerate(community.units, start=1))
    ]
    ballot_rows = [
        (ballot_id, MOTION_ID, member_of_unit[unit], choice, "online", LOADED_AT + timedelta(milliseconds=ballot_id),
         f"{ballot_id:016x}")
        for ballot_id, (unit, choice) in enumerate(community.ballots, start=1)
    ]
    expected = decision_record(tally(DEFAULT_PRESET, MATTER, community.units, community.ballots))
    return Prepared(-(-len(unit_rows) // UNITS_PER_BUILDING), member_rows, unit_rows, ballot_rows,
                    {key: expected[key] for key in COMPARED})


async def load_scaffold(database: Database, buildings: int) -> None:
    """The community, its buildings, the register version and a noticed meeting with one motion."""
    async with database.sessionmaker() as db, db.begin():
        community_row = CommunityRow(id=COMMUNITY_ID, slug="bench", name="压测小区", rule_preset=DEFAULT_PRESET,
                                     parking_counts=True, notice_days=15, objection_days=7, created_at=LOADED_AT)
        db.add(community_row)
        db.add(RegisterVersion(id=VERSION_ID, community_id=COMMUNITY_ID, number=1, source_name="bench",
                               created_at=LOADED_AT))
        await db.flush()
        await db.execute(insert(Building), [{"id": b, "community_id": COMMUNITY_ID, "name": f"{b}号楼", "position": b}
                                            for b in range(1, buildings + 1)])
        meeting = Meeting(id=MEETING_ID, community_id=COMMUNITY_ID, register_version_id=VERSION_ID, title="压测会议",
                          status="noticed", noticed_at=LOADED_AT - timedelta(days=20),
                          opens_at=LOADED_AT - timedelta(days=5), closes_at=LOADED_AT, created_at=LOADED_AT)
        freeze_rules(meeting, community_row)  # a published meeting carries the rules of its notice
        db.add(meeting)
        await db.flush()
        db.add(Motion(id=MOTION_ID, meeting_id=MEETING_ID, position=1, kind="question", matter=MATTER))


async def load_sqlite(database: Database, prepared: Prepared) -> None:
    """Members, units and ballots with core ``insert()`` executemany, ``BATCH_ROWS`` per transaction."""
    for table, columns, rows in ((Member, MEMBER_COLUMNS, prepared.members), (Unit, UNIT_COLUMNS, prepared.units),
                                 (Ballot, BALLOT_COLUMNS, prepared.ballots)):
        for start in range(0, len(rows), BATCH_ROWS):
            async with database.engine.begin() as connection:
                await connection.execute(insert(table), [dict(zip(columns, row)) for row in rows[start:start + BATCH_ROWS]])


async def load_postgres(url: str, prepared: Prepared) -> None:
    """Members, units and ballots with COPY on a plain asyncpg connection, then ANALYZE."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with connection.transaction():
            for table, columns, rows in (("member", MEMBER_COLUMNS, prepared.members),
                                         ("unit", UNIT_COLUMNS, prepared.units),
                                         ("ballot", BALLOT_COLUMNS, prepared.ballots)):
                await connection.copy_records_to_table(table, records=rows, columns=columns)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def baseline_statement() -> Any:
    """The least SQL that decides a whole-community motion: one GROUP BY over member LEFT JOIN ballot."""
    return (
        select(Ballot.choice, func.count(), func.sum(Member.area_centi))
        .select_from(Member)
        .outerjoin(Ballot, and_(Ballot.member_id == Member.id, Ballot.motion_id == MOTION_ID))
        .where(Member.register_version_id == VERSION_ID)
        .group_by(Ballot.choice)
    )


def _compared(record: dict[str, Any]) -> dict[str, Any]:
    """The keys of a tally record that must agree with the in-memory engine."""
    return {key: record[key] for key in COMPARED}


async def time_decisions(database: Database, expected: dict[str, Any]) -> dict[str, object]:
    """Time the product's close-time decision and the baseline; check both against ``expected``."""
    async with database.sessionmaker() as db:
        # Re-read as the close does; aggregate() only reads scope, register version and parking setting.
        meeting = (await db.execute(select(Meeting).where(Meeting.id == MEETING_ID))).scalar_one()
        community = (await db.execute(select(CommunityRow).where(CommunityRow.id == COMMUNITY_ID))).scalar_one()
        motion = (await db.execute(select(Motion).where(Motion.id == MOTION_ID))).scalar_one()

    async def product() -> dict[str, Any]:
        """What ``ClosingService`` runs per question motion, in a session of its own."""
        async with database.sessionmaker() as db:
            counts = await aggregate(db, meeting, community, motion.id)
        return decide_question(community.rule_preset, motion.matter, counts)[1]

    async def by_units() -> dict[str, Any]:
        """The same close with the unit-by-unit sum a meeting on some buildings or units uses."""
        async with database.sessionmaker() as db:
            counts = await aggregate(db, meeting, community, motion.id, by_units=True)
        return decide_question(community.rule_preset, motion.matter, counts)[1]

    async def baseline() -> dict[str, Any]:
        """One GROUP BY, then the same engine."""
        async with database.sessionmaker() as db:
            rows = (await db.execute(baseline_statement())).all()
        by_choice = {choice: Count(int(area), int(heads)) for choice, heads, area in rows}
        total = Count(sum(c.area_centi for c in by_choice.values()), sum(c.heads for c in by_choice.values()))
        zero = Count(0, 0)
        decision: Decision = decide(community.rule_preset, motion.matter, total=total,
                                    yes=by_choice.get("yes", zero), no=by_choice.get("no", zero),
                                    abstain=by_choice.get("abstain", zero))
        return decision_record(decision)

    async def timed(run: Callable[[], Awaitable[dict[str, Any]]]) -> tuple[float, dict[str, Any]]:
        gc.collect()
        start = time.perf_counter()
        record = await run()
        return time.perf_counter() - start, record

    samples: dict[str, list[float]] = {"product": [], "by_units": [], "baseline": []}
    for _ in range(1 + DB_REPEATS):  # the first round is reported apart: pool, statement cache and page cache warm up
        for name, run in (("product", product), ("by_units", by_units), ("baseline", baseline)):
            seconds, record = await timed(run)
            samples[name].append(seconds)
            if _compared(record) != expected:
                raise Disagreement(f"{name} decided {_compared(record)}, the in-memory engine {expected}")

    tracemalloc.start()
    try:
        await product()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    seconds = statistics.median(samples["product"][1:])
    baseline_seconds = statistics.median(samples["baseline"][1:])
    return {
        "seconds": round(seconds, 4),
        "peak_mib": round(peak / 2**20, 2),
        "first_seconds": round(samples["product"][0], 4),
        "by_units_seconds": round(statistics.median(samples["by_units"][1:]), 4),
        "baseline_seconds": round(baseline_seconds, 4),
        "ratio": round(seconds / baseline_seconds, 2),
        "outcome": expected["outcome"],
    }


def bench_database(settings: Settings, community: Community, load: Callable[[Database, Prepared], Awaitable[None]],
                   ) -> dict[str, object]:
    """Migrate, load ``community`` (untimed), then time deciding its motion from the database."""
    prepared = prepare(community)
    migrate.upgrade(settings)  # outside the event loop, as the CLI does

    async def run() -> dict[str, object]:
        database = Database.from_settings(settings)
        try:
            start = time.perf_counter()
            await load_scaffold(database, prepared.buildings)
            await load(database, prepared)
            load_seconds = time.perf_counter() - start
            figures = await time_decisions(database, prepared.expected)
        finally:
            await database.dispose()
        ballots = len(prepared.ballots)
        return {
            **figures,
            "ballots_per_s": round(ballots / figures["seconds"]),  # type: ignore[operator]
            "s_per_100k_ballots": round(figures["seconds"] * 100_000 / ballots, 4),  # type: ignore[operator]
            "load_seconds": round(load_seconds, 1),
        }

    return asyncio.run(run())


def bench_sqlite(community: Community, repeats: int) -> dict[str, object]:
    """Decide from a fresh SQLite file in a temporary directory, with the app's engine and pragmas."""
    with tempfile.TemporaryDirectory(prefix="vote-bench-tally-") as workdir:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{workdir}/tally.db", data_dir=Path(workdir))
        return bench_database(settings, community, load_sqlite)


def bench_postgres(community: Community, repeats: int) -> dict[str, object]:
    """Decide from a fresh durable PostgreSQL cluster on loopback, stopped and deleted afterwards."""
    try:
        postgres = TemporaryPostgres(durable=True)
    except PostgresUnavailable as error:
        raise SectionSkipped(str(error)) from error
    with postgres, tempfile.TemporaryDirectory(prefix="vote-bench-tally-") as workdir:
        settings = Settings(database_url=postgres.url(), data_dir=Path(workdir))
        return bench_database(settings, community, lambda _database, prepared: load_postgres(postgres.url(), prepared))


SECTIONS: dict[str, Callable[[Community, int], dict[str, object]]] = {
    "memory": bench_memory, "sqlite": bench_sqlite, "postgres": bench_postgres,
}


def goal(results: Sequence[dict[str, Any]]) -> dict[str, dict[str, object]]:
    """Issue 3's goal per database section: 100k ballots decided in under 0.5 s, growing linearly.

    ``growth`` is the time per ballot at the largest size over that at the next smaller one: 1.0 is
    linear, above 1 grows faster than the ballots (fixed per-query costs make small sizes look worse).
    """
    verdicts: dict[str, dict[str, object]] = {}
    for section in ("sqlite", "postgres"):
        rows = sorted((r for r in results if r["section"] == section), key=lambda r: r["members"])
        at_goal = next((r for r in rows if r["members"] == GOAL_MEMBERS), None)
        if at_goal is None:
            continue
        per_ballot = [r["seconds"] / r["ballots"] for r in rows]
        growth = round(per_ballot[-1] / per_ballot[-2], 2) if len(rows) > 1 else None
        verdicts[section] = {"s_per_100k_ballots": at_goal["s_per_100k_ballots"], "limit_s": GOAL_SECONDS,
                             "met": at_goal["s_per_100k_ballots"] < GOAL_SECONDS, "growth": growth}
    return verdicts


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
            try:
                figures = SECTIONS[section](community, 1 if size >= 1_000_000 else repeats)
            except SectionSkipped as reason:
                print(f"{section:>8} {size:>9,} members: skipped ({reason})", flush=True)
                continue
            row = {"section": section, "members": size, "units": len(community.units),
                   "ballots": len(community.ballots), **figures}
            results.append(row)
            extras = ", ".join(f"{k}={v}" for k, v in figures.items() if k not in ("seconds", "peak_mib"))
            print(f"{section:>8} {size:>9,} members {len(community.units):>9,} units: {row['seconds']:.3f} s, "
                  f"peak {row['peak_mib']} MiB; {extras} (data built in {built:.1f} s)", flush=True)
        del community
        prepare.cache_clear()
        gc.collect()

    summary = {
        "bench": "tally",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "goal": goal(results),
        "results": results,
    }
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
