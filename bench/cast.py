"""Benchmark: owners casting ballots concurrently through the real web app, SQLite and PostgreSQL.

    python bench/cast.py [--quick] [--voters 300] [--concurrency 50] [--databases sqlite,postgres]

For each database: a fresh migrated database (a SQLite file; a durable throwaway PostgreSQL cluster
from the machine's binaries), one community with ``--voters`` single-owner flats, an owner account
per flat (password + TOTP), and a meeting open for voting with one motion. A real server
(``vote serve``, uvicorn, one process) runs on a free loopback port. Every owner logs in over HTTP
(not timed), then the owners cast their ballots through the ballot form's cast endpoint
(``POST /c/<slug>/meetings/<id>/ballot/cast``), at most ``--concurrency`` at a time. Each cast is
timed from request to response.

In the same run, the database's raw durable commit rate is measured as the ceiling: a loop of
single-row ``INSERT`` + ``COMMIT`` on one connection to the same database with the same settings
(SQLite: WAL, synchronous=FULL; PostgreSQL: fsync on), once before and once after the casts (fsync
latency on virtual disks is noisy); ``ceiling_per_s`` is their mean and ``ratio`` = cast throughput /
ceiling. A second baseline is the server's request floor: right after the casts, every logged-in voter
requests ``GET /healthz`` once at the same concurrency (the same middleware, session lookup and HTTP
client, no handler work); ``floor_per_s`` and ``ratio_to_floor`` = cast throughput / floor show how much
of the cost is the cast itself and how much is serving any request in this stack.

``--ledger-overhead`` runs each database a second time against ``bench/serve_without_ledger.py`` (the
same server with the ballot ledger patched out) and reports the difference in the server's CPU time
per cast (read from ``/proc`` during the casts), ``ledger_cpu_overhead_pct``.

Printed: one line per database, then ONE JSON object on the last line with ``throughput_per_s``,
``p50_ms``, ``p95_ms``, ``p99_ms``, ``ceiling_per_s`` and ``ratio`` at the top level (the SQLite run,
the issue's target) and the same keys per database under ``"sqlite"`` and ``"postgres"``.
Everything stays on 127.0.0.1 and is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

try:
    import vote  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import asyncpg
import httpx
import pyotp
from sqlalchemy import func, select

from vote.config import Settings
from vote.db import migrate
from vote.db.engine import SQLITE_PRAGMAS, Database, begin_write
from vote.db.models import (
    Account,
    Ballot,
    Building,
    Community,
    Meeting,
    Member,
    Motion,
    MotionRevision,
    Role,
    Unit,
)
from vote.devtools.postgres import PostgresUnavailable, TemporaryPostgres
from vote.domain.accounts import totp
from vote.domain.meetings.snapshot import freeze_rules
from vote.domain.roster.services import OwnerRecord, RegisterRow, RosterService
from vote.lib.clock import Clock
from vote.lib.crypto import SecretBox
from vote.lib.security import hash_password

SECRET_KEY = "bench-secret-key-" + "x" * 32
PASSWORD = "bench-password-2026"  # noqa: S105 - a throwaway database on loopback
SLUG = "bench"
CSRF_COOKIE = "vote_csrf"
LOGIN_CONCURRENCY = 4  # Argon2 is CPU-bound: logging in is setup, not what is measured
PHASE_TIMEOUT_S = 300
REQUEST_TIMEOUT_S = 60
SERVER_START_TIMEOUT_S = 60
WITHOUT_LEDGER = Path(__file__).resolve().parent / "serve_without_ledger.py"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Voter:
    """An owner who will cast: login, TOTP secret and the voting member."""

    login: str
    secret: str
    member_id: int


@dataclass(frozen=True)
class Seeded:
    """What the server will be asked to do."""

    meeting_id: int
    motion_id: int
    voters: list[Voter]


@dataclass(frozen=True)
class CastRun:
    """Latencies and outcome of the concurrent casting phase."""

    latencies_s: list[float]
    seconds: float
    errors: list[str]


# ----------------------------------------------------------------------------------- setup


async def seed(settings: Settings, voters: int) -> Seeded:
    """One community, ``voters`` single-owner flats with an owner account each, a meeting open now."""
    database = Database.from_settings(settings)
    box = SecretBox(settings.secret_key, "totp")
    password_hash = await hash_password(PASSWORD)  # one Argon2 hash shared by every bench account
    try:
        async with database.sessionmaker() as db:
            await begin_write(db)
            now = Clock().now()
            community = Community(slug=SLUG, name="压测小区", address="127.0.0.1", created_at=now)
            db.add(community)
            await db.flush()
            rows = [
                RegisterRow(f"{i // 100 + 1}号楼", f"{i % 100 + 101}", "flat", 9000 + i % 50 * 100, "registry",
                            (OwnerRecord(f"业主{i}", f"11010119900101{i:04d}"),))
                for i in range(voters)
            ]
            version = await RosterService(db, settings.secret_key).create_version(
                community.id, rows, source_name="bench", now=now, actor_account_id=None
            )
            units = (
                await db.execute(
                    select(Building.name, Unit.number, Unit.member_id)
                    .join(Building, Building.id == Unit.building_id)
                    .where(Unit.register_version_id == version.id)
                )
            ).all()
            member_of = {f"{b}{n}": m for b, n, m in units}
            voter_of = dict((await db.execute(select(Member.id, Member.voter_person_id)
                                              .where(Member.register_version_id == version.id))).all())
            result: list[Voter] = []
            for i, row in enumerate(rows):
                member_id = member_of[f"{row.building}{row.number}"]
                secret = totp.new_secret()
                account = Account(login=f"owner{i}", display_name=f"owner{i}", person_id=voter_of[member_id],
                                  password_hash=password_hash, totp_secret=box.seal(secret), created_at=now,
                                  activated_at=now)
                db.add(account)
                await db.flush()
                db.add(Role(account_id=account.id, community_id=community.id, role="owner", granted_at=now))
                result.append(Voter(account.login, secret, member_id))
            meeting = Meeting(community_id=community.id, register_version_id=version.id, title="压测会议",
                              status="noticed", noticed_at=now - timedelta(days=16), opens_at=now - timedelta(hours=1),
                              closes_at=now + timedelta(days=1), created_at=now - timedelta(days=16))
            freeze_rules(meeting, community)  # a published meeting carries the rules of its notice
            db.add(meeting)
            await db.flush()
            motion = Motion(meeting_id=meeting.id, position=1, kind="question", matter=4)
            db.add(motion)
            await db.flush()
            db.add(MotionRevision(motion_id=motion.id, number=1, title="续聘物业服务企业", body_md="",
                                  created_at=meeting.noticed_at, published_at=meeting.noticed_at))
            await db.commit()
            return Seeded(meeting.id, motion.id, result)
    finally:
        await database.dispose()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(settings: Settings, workdir: Path, *, ledger: bool = True) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``vote serve`` on a free loopback port, stopped on exit (``ledger=False``: the ledger patched out)."""
    port = free_port()
    env = {**os.environ, "VOTE_DATABASE_URL": settings.database_url, "VOTE_SECRET_KEY": settings.secret_key,
           "VOTE_ENV": "development", "VOTE_DATA_DIR": str(workdir), "VOTE_LOG_LEVEL": "WARNING"}
    log = (workdir / "server.log").open("wb")
    command = [sys.executable, "-m", "vote", "serve"] if ledger else [sys.executable, str(WITHOUT_LEDGER)]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n" + (workdir / "server.log").read_text())
            time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (Linux ``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mib(pid: int) -> float | None:
    """The peak resident memory of a live process (Linux ``VmHWM``), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


# ----------------------------------------------------------------------------------- load


async def log_in(url: str, voter: Voter) -> httpx.AsyncClient:
    """A client with the voter's session and CSRF cookies (password + TOTP over HTTP)."""
    # uvicorn closes a connection idle for 5 s; a client reusing it at that moment would see the server
    # hang up, so clients drop idle connections first and reconnect, as a phone would.
    client = httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=httpx.Limits(keepalive_expiry=4.0))
    await client.get("/login")
    response = await client.post("/login", data={
        "login": voter.login, "password": PASSWORD, "code": pyotp.TOTP(voter.secret).now(), "next": "/",
        "_csrf_token": client.cookies[CSRF_COOKIE],
    })
    if response.status_code != 303:
        await client.aclose()
        raise RuntimeError(f"login of {voter.login} failed with HTTP {response.status_code}")
    return client


async def log_in_all(url: str, voters: list[Voter]) -> list[httpx.AsyncClient]:
    """Log every voter in, a few at a time."""
    gate = asyncio.Semaphore(LOGIN_CONCURRENCY)

    async def one(voter: Voter) -> httpx.AsyncClient:
        async with gate:
            return await log_in(url, voter)

    return list(await asyncio.wait_for(asyncio.gather(*(one(v) for v in voters)), PHASE_TIMEOUT_S))


async def cast_all(seeded: Seeded, clients: list[httpx.AsyncClient], concurrency: int) -> CastRun:
    """Every voter casts one ballot form, at most ``concurrency`` in flight; each cast is timed."""
    gate = asyncio.Semaphore(concurrency)
    path = f"/c/{SLUG}/meetings/{seeded.meeting_id}/ballot/cast"
    latencies: list[float] = []
    errors: list[str] = []

    async def one(voter: Voter, client: httpx.AsyncClient) -> None:
        form = {"_csrf_token": client.cookies[CSRF_COOKIE], "member_id": str(voter.member_id),
                "idempotency_key": secrets.token_urlsafe(16), f"m{seeded.motion_id}": "yes"}
        async with gate:
            start = time.perf_counter()
            response = await client.post(path, data=form)
            latencies.append(time.perf_counter() - start)
        if response.status_code != 303 or "done=cast" not in response.headers.get("location", ""):
            errors.append(f"{voter.login}: HTTP {response.status_code}")

    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one(v, c) for v, c in zip(seeded.voters, clients, strict=True))),
                           PHASE_TIMEOUT_S)
    return CastRun(latencies, time.perf_counter() - start, errors)


async def floor_all(clients: list[httpx.AsyncClient], concurrency: int) -> float:
    """The server's request floor: every logged-in voter requests ``GET /healthz`` once (same
    concurrency, same middleware and session lookup, no handler work); returns requests per second."""
    gate = asyncio.Semaphore(concurrency)

    async def one(client: httpx.AsyncClient) -> None:
        async with gate:
            response = await client.get("/healthz")
        response.raise_for_status()

    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one(c) for c in clients)), PHASE_TIMEOUT_S)
    return len(clients) / (time.perf_counter() - start)


async def count_ballots(settings: Settings, motion_id: int) -> int:
    """How many ballots the database holds for the motion."""
    database = Database.from_settings(settings)
    try:
        async with database.sessionmaker() as db:
            return (await db.execute(select(func.count()).select_from(Ballot).where(Ballot.motion_id == motion_id))
                    ).scalar_one()
    finally:
        await database.dispose()


# ----------------------------------------------------------------------------------- ceiling


def sqlite_ceiling(path: Path, seconds: float) -> float:
    """Single-row INSERT + COMMIT per second on the SQLite file, with the app's pragmas."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in SQLITE_PRAGMAS:
            connection.execute(pragma)
        connection.execute("CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        commits = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO bench_commit (payload) VALUES (?)", (secrets.token_hex(16),))
            connection.execute("COMMIT")
            commits += 1
        rate = commits / (time.perf_counter() - start)
        connection.execute("DROP TABLE bench_commit")
        return rate
    finally:
        connection.close()


async def postgres_ceiling(url: str, seconds: float) -> float:
    """Single-row INSERT + COMMIT per second on one connection to the same (durable) database."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute("CREATE TABLE bench_commit (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)")
        commits = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            await connection.execute("INSERT INTO bench_commit (payload) VALUES ($1)", secrets.token_hex(16))
            commits += 1  # autocommit: each statement is its own durable transaction
        rate = commits / (time.perf_counter() - start)
        await connection.execute("DROP TABLE bench_commit")
        return rate
    finally:
        await connection.close()


def measure_ceiling(kind: str, settings: Settings, workdir: Path, seconds: float) -> float:
    """The raw durable commit rate of this run's database."""
    if kind == "sqlite":
        return sqlite_ceiling(workdir / "bench.db", seconds)
    return asyncio.run(postgres_ceiling(settings.database_url, seconds))


# ----------------------------------------------------------------------------------- runs


def percentile_ms(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(-(-fraction * len(ordered) // 1)) - 1))
    return round(ordered[index] * 1000, 1)


def run_database(kind: str, voters: int, concurrency: int, ceiling_seconds: float, *,
                 ledger: bool = True) -> dict[str, object]:
    """Set up one database, serve it, log in, cast, measure the ceiling; return the figures."""
    workdir = Path(tempfile.mkdtemp(prefix=f"vote-bench-{kind}-"))
    postgres: TemporaryPostgres | None = None
    try:
        if kind == "sqlite":
            database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        else:
            postgres = TemporaryPostgres(durable=True).start()
            asyncio.run(_create_database(postgres))
            database_url = postgres.url("vote_bench")
        settings = Settings(environment="development", secret_key=SECRET_KEY, database_url=database_url,
                            data_dir=workdir)
        migrate.upgrade(settings)
        seeded = asyncio.run(seed(settings, voters))
        ceilings = [measure_ceiling(kind, settings, workdir, ceiling_seconds)]
        with server(settings, workdir, ledger=ledger) as (url, process):
            async def load() -> tuple[CastRun, float, float | None, float]:
                clients = await log_in_all(url, seeded.voters)
                # Hundreds of clients are a big heap: keep the load generator's garbage collector from
                # walking it in the middle of the timed phases (the server is another process).
                gc.collect()
                gc.freeze()
                try:
                    before = cpu_seconds(process.pid)
                    run = await cast_all(seeded, clients, concurrency)
                    cast_cpu = cpu_seconds(process.pid) - before
                    floor = await floor_all(clients, concurrency)
                finally:
                    await asyncio.gather(*(c.aclose() for c in clients))
                return run, floor, peak_rss_mib(process.pid), cast_cpu

            run, floor, server_peak, cast_cpu = asyncio.run(load())
        stored = asyncio.run(count_ballots(settings, seeded.motion_id))
        ceilings.append(measure_ceiling(kind, settings, workdir, ceiling_seconds))
        ceiling = sum(ceilings) / len(ceilings)
        throughput = len(run.latencies_s) / run.seconds
        return {
            "ballots": len(run.latencies_s),
            "stored": stored,
            "errors": len(run.errors),
            "concurrency": concurrency,
            "throughput_per_s": round(throughput, 1),
            "p50_ms": percentile_ms(run.latencies_s, 0.50),
            "p95_ms": percentile_ms(run.latencies_s, 0.95),
            "p99_ms": percentile_ms(run.latencies_s, 0.99),
            "ceiling_per_s": round(ceiling, 1),
            "ceiling_samples_per_s": [round(c, 1) for c in ceilings],
            "ratio": round(throughput / ceiling, 3),
            "floor_per_s": round(floor, 1),
            "ratio_to_floor": round(throughput / floor, 3),
            "server_cpu_ms_per_cast": round(cast_cpu * 1000 / max(1, len(run.latencies_s)), 2),
            "server_peak_rss_mib": server_peak,
            "first_errors": run.errors[:3],
        }
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def _create_database(postgres: TemporaryPostgres) -> None:
    connection = await asyncpg.connect(postgres.url().replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute("CREATE DATABASE vote_bench")
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    """Run each database; print one line per database and the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 voters, a 1 s ceiling loop")
    parser.add_argument("--voters", type=int, help="owners casting one ballot each (default 300; quick 100)")
    parser.add_argument("--concurrency", type=int, default=50, help="casts in flight at once (default 50)")
    parser.add_argument("--databases", default="sqlite,postgres", help="any of sqlite, postgres")
    parser.add_argument("--ledger-overhead", action="store_true",
                        help="also run each database with the ballot ledger patched out, and report the difference")
    args = parser.parse_args(argv)
    voters = args.voters or (100 if args.quick else 300)
    if not 1 <= voters <= 5000 or not 1 <= args.concurrency <= 500:
        parser.error("--voters must be 1..5000 and --concurrency 1..500")
    kinds = [k for k in args.databases.split(",") if k]
    if any(k not in ("sqlite", "postgres") for k in kinds):
        parser.error("--databases takes sqlite and/or postgres")
    ceiling_seconds = 1.0 if args.quick else 5.0

    results: dict[str, dict[str, object]] = {}
    for kind in kinds:
        try:
            figures = run_database(kind, voters, args.concurrency, ceiling_seconds)
        except PostgresUnavailable as error:
            print(f"{kind:>8}: skipped ({error})", flush=True)
            continue
        if args.ledger_overhead:
            without = run_database(kind, voters, args.concurrency, ceiling_seconds, ledger=False)
            with_cpu, without_cpu = figures["server_cpu_ms_per_cast"], without["server_cpu_ms_per_cast"]
            figures["without_ledger"] = {key: without[key] for key in (
                "throughput_per_s", "p50_ms", "p99_ms", "server_cpu_ms_per_cast")}
            figures["ledger_cpu_overhead_pct"] = round(100 * (with_cpu - without_cpu) / without_cpu, 1)
            print(f"{kind:>8}: without the ledger {without['throughput_per_s']}/s, p99 {without['p99_ms']} ms, "
                  f"server CPU {without_cpu} ms per cast; with it {with_cpu} ms: "
                  f"{figures['ledger_cpu_overhead_pct']:+}%", flush=True)
        results[kind] = figures
        print(f"{kind:>8}: {figures['ballots']} ballots by {figures['concurrency']} concurrent voters: "
              f"{figures['throughput_per_s']}/s, p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
              f"p99 {figures['p99_ms']} ms; durable commit ceiling {figures['ceiling_per_s']}/s, "
              f"ratio {figures['ratio']}; request floor (GET /healthz, logged in) {figures['floor_per_s']}/s, "
              f"ratio {figures['ratio_to_floor']}; server CPU {figures['server_cpu_ms_per_cast']} ms per cast; "
              f"{figures['stored']} stored, {figures['errors']} errors; "
              f"server peak RSS {figures['server_peak_rss_mib']} MiB", flush=True)

    headline = results.get("sqlite") or next(iter(results.values()), {})
    keys = ("throughput_per_s", "p50_ms", "p95_ms", "p99_ms", "ceiling_per_s", "ratio")
    summary = {
        **{key: headline.get(key) for key in keys},
        "database": "sqlite" if "sqlite" in results else next(iter(results), None),
        **results,
        "bench": "cast",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "client_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(summary, separators=(",", ":"), ensure_ascii=False))
    failed = not results or any(r["errors"] or r["stored"] != r["ballots"] for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
