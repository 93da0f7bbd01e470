"""The ``vote`` command: serve, db, demo, tally, verify, audit."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from vote.config import Settings, SettingsError
from vote.rules import DEFAULT_PRESET, PRESETS

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"vote: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _now(settings: Settings) -> datetime:
    """The deployment's clock (with the demo offset, which production refuses)."""
    from vote.lib.clock import Clock

    return Clock(offset=timedelta(seconds=settings.clock_offset_seconds)).now()


def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` with one database session, then close the engine: what every maintenance command does."""
    from vote.db.engine import Database
    from vote.lib.aio import run_sync

    async def run() -> T:
        database = Database.from_settings(settings)
        try:
            async with database.sessionmaker() as db:
                return await work(db)
        finally:
            await database.dispose()

    return run_sync(run())


def cmd_serve(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Serve the web app with uvicorn."""
    import uvicorn

    from vote.app import create_app
    from vote.db import migrate

    settings = settings or _settings()
    if args.migrate:
        migrate.upgrade(settings)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_level=settings.log_level.lower(),
    )
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """Database migrations."""
    from vote.db import migrate

    settings = _settings()
    if args.action == "upgrade":
        migrate.upgrade(settings, args.revision or "head")
        print(f"database at {args.revision or 'head'}")
    elif args.action == "downgrade":
        migrate.downgrade(settings, args.revision or "-1")
    elif args.action == "revision":
        if not args.message:
            print("vote db revision: -m MESSAGE is required", file=sys.stderr)
            return 2
        migrate.revision(settings, args.message)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Migrate a fresh SQLite database, seed the demo community, print the logins, serve."""
    from vote.db import migrate
    from vote.demo.meetings import seed_demo_meetings
    from vote.demo.seed import DEMO_PASSWORD, seed_demo

    base = _settings()
    if base.is_production:
        print("vote demo: refused in production mode (VOTE_ENV=production)", file=sys.stderr)
        return 2
    data_dir = Path(args.data_dir)
    db_file = data_dir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    settings = base.with_(data_dir=data_dir, database_url=f"sqlite+aiosqlite:///{db_file}", demo_mode=True)
    migrate.upgrade(settings)
    accounts = asyncio.run(seed_demo(settings))
    asyncio.run(seed_demo_meetings(settings))
    url = f"http://{args.host}:{args.port}"
    width = max(len(a.login) for a in accounts)
    print()
    print(f"vote demo: 示范花园小区 (Demo Garden) is ready at {url}")
    print(f"  Log in at {url}/login   password for every account: {DEMO_PASSWORD}")
    print(f"  The 6-digit codes change every 30 s: see {url}/demo, or add a key to an authenticator app.")
    print()
    for account in accounts:
        print(f"  {account.role:<10} login: {account.login:<{width}}  key: {account.totp_secret}  ({account.description})")
    print()
    sys.stdout.flush()
    if args.no_serve:
        return 0
    serve_args = argparse.Namespace(host=args.host, port=args.port, migrate=False, proxy_headers=False,
                                    forwarded_allow_ips=None)
    return cmd_serve(serve_args, settings)


def cmd_tally(args: argparse.Namespace) -> int:
    """Recompute a decision or an election from a scenario file (docs/tally-format.md)."""
    from vote.rules.tally_cli import main as tally_main

    return tally_main([args.file])


def cmd_verify(args: argparse.Namespace) -> int:
    """Check a meeting's ledger downloads offline (docs/ledger.md): signatures, growth, a receipt, the recount."""
    from vote.ledger.verify_cli import run

    return run(args)


def cmd_notifications(args: argparse.Namespace) -> int:
    """Deliver the outbox: e-mail and SMS still pending (for cron; pages deliver after each request)."""
    from vote.db.engine import Database
    from vote.domain.notifications.senders import senders_for
    from vote.domain.notifications.services import Delivery
    from vote.lib.aio import run_sync
    from vote.lib.clock import Clock

    settings = _settings()

    async def run() -> int:
        database = Database.from_settings(settings)
        try:
            delivery = Delivery(sessionmaker=database.sessionmaker, senders=senders_for(settings),
                                base_url=settings.base_url, language=settings.default_language,
                                clock=Clock(offset=timedelta(seconds=settings.clock_offset_seconds)))
            sent, failed = await delivery.drain()
        finally:
            await database.dispose()
        print(f"notifications: {sent} sent, {failed} failed")
        if failed:
            print("vote notifications deliver: some messages could not be sent; see the log", file=sys.stderr)
        return 1 if failed else 0

    return run_sync(run())


def cmd_audit(args: argparse.Namespace) -> int:
    """Verify the audit log's hash chain."""
    from vote.domain.audit.services import verify_chain

    settings = _settings()
    try:
        key = bytes.fromhex(args.key) if args.key else None
    except ValueError:
        key = b""
    if key is not None and len(key) != 32:
        print("vote audit verify: --key must be 64 hex characters (the public key)", file=sys.stderr)
        return 2

    report = _in_session(settings, lambda db: verify_chain(db, key))
    if report.ok:
        signed = (f"; matches the checkpoint of {report.checkpoint_size} entries signed at "
                  f"{report.checkpoint_at.isoformat()}" if report.checkpoint_at else "; no checkpoint yet")
        print(f"audit log intact: {report.entries} entries{signed}")
        return 0
    if report.checkpoint_failed:
        print(f"audit log BROKEN against its checkpoint: {report.reason}")
    else:
        print(f"audit log BROKEN at entry id {report.first_broken_id}: {report.reason}")
    return 1


def cmd_meetings(args: argparse.Namespace) -> int:
    """Meeting maintenance: ``close-due`` closes every meeting whose voting window has ended (for cron)."""
    from vote.domain.results.closing import ClosingService

    settings = _settings()
    now = _now(settings)
    closed, failures = _in_session(settings, lambda db: ClosingService(db).close_due(now, trigger="cron"))
    for meeting in closed:
        outcomes = ", ".join(f"motion {motion_id}: {outcome}" for motion_id, outcome in meeting.outcomes.items())
        print(f"closed meeting {meeting.meeting_id} ({meeting.title}): {outcomes or 'no motions'}")
    for failure in failures:
        print(f"vote meetings close-due: {failure}", file=sys.stderr)
    if not closed and not failures:
        print("no meeting is due to close")
    return 1 if failures else 0


def cmd_ledger(args: argparse.Namespace) -> int:
    """Ledger maintenance: ``checkpoint`` signs a checkpoint of every meeting open for voting that needs one
    (voting opened, or the last one is an hour old), for cron; ``vote serve`` does it in its closing job."""
    from vote.ledger.services import checkpoint_open_meetings

    settings = _settings()
    now = _now(settings)
    done = _in_session(settings, lambda db: checkpoint_open_meetings(db, now))
    for meeting_id, (size, checkpoint_id) in done.signed.items():
        print(f"meeting {meeting_id}: checkpoint {checkpoint_id} signed ({size} ballots)")
    if not done.signed:
        print("no meeting needs a checkpoint")
    return 0


def cmd_community(args: argparse.Namespace) -> int:
    """Create a community (the web equivalent is /operator/communities)."""
    from vote.db.engine import Database
    from vote.domain.operator.schemas import CommunityForm
    from vote.domain.operator.services import CommunityAdminService, FormErrors
    from vote.lib.aio import run_sync
    from vote.lib.clock import Clock
    from vote.lib.i18n import current_language

    settings = _settings()
    current_language.set(settings.default_language)
    form = CommunityForm(
        slug=args.slug, name=args.name, address=args.address, rule_preset=args.rule,
        notice_days=str(args.notice_days), parking_counts="yes" if args.parking_counts else "no",
        ballot_inspection="yes" if args.ballot_inspection else "no",
    )

    async def run() -> int:
        database = Database.from_settings(settings)
        try:
            async with database.sessionmaker() as db:
                community = await CommunityAdminService(db).create(form, actor_account_id=None, now=Clock().now())
        except FormErrors as exc:
            options = {"rule_preset": "rule"}
            for field, message in exc.errors.items():
                option = options.get(field, field).replace("_", "-")
                print(f"vote community create: --{option}: {message}", file=sys.stderr)
            return 2
        finally:
            await database.dispose()
        print(f"community {community.slug} created (id {community.id}, rule {community.rule_preset})")
        return 0

    return run_sync(run())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="vote", description="E-voting for owners' assemblies (业主大会).")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--migrate", action="store_true", help="upgrade the database first")
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* from a reverse proxy")
    serve.add_argument("--forwarded-allow-ips", default=None)
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "revision"])
    db.add_argument("revision", nargs="?", default=None)
    db.add_argument("-m", "--message", default=None)
    db.set_defaults(func=cmd_db)

    demo = sub.add_parser("demo", help="run a demo community on SQLite")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", default="data/demo")
    demo.add_argument("--no-serve", action="store_true", help="seed and print the logins, then exit")
    demo.set_defaults(func=cmd_demo)

    tally = sub.add_parser("tally", help="recompute a decision from a JSON scenario")
    tally.add_argument("file")
    tally.set_defaults(func=cmd_tally)

    from vote.ledger.verify_cli import add_arguments as verify_arguments

    verify = sub.add_parser("verify", help="check a meeting's ledger downloads offline: signed checkpoints, "
                                           "the log only grew, a receipt's inclusion, the recount")
    verify_arguments(verify)
    verify.set_defaults(func=cmd_verify)

    meetings = sub.add_parser("meetings", help="meeting maintenance (run close-due from cron)")
    meetings.add_argument("action", choices=["close-due"], help="close every meeting whose voting window has ended")
    meetings.set_defaults(func=cmd_meetings)

    ledger = sub.add_parser("ledger", help="ballot ledger maintenance (run checkpoint from cron)")
    ledger.add_argument("action", choices=["checkpoint"],
                        help="sign a checkpoint of every meeting open for voting that needs one")
    ledger.set_defaults(func=cmd_ledger)

    notifications = sub.add_parser("notifications", help="the notification outbox (run deliver from cron)")
    notifications.add_argument("action", choices=["deliver"], help="send the e-mail and SMS still pending")
    notifications.set_defaults(func=cmd_notifications)

    community = sub.add_parser("community", help="create communities")
    community_sub = community.add_subparsers(dest="action", required=True)
    create = community_sub.add_parser("create", help="create a community")
    create.add_argument("--slug", required=True, help="address on the site: /c/SLUG (a-z, 0-9, -)")
    create.add_argument("--name", required=True)
    create.add_argument("--address", default="")
    create.add_argument("--rule", default=DEFAULT_PRESET, help=f"rule preset: {', '.join(sorted(PRESETS))}")
    create.add_argument("--notice-days", type=int, default=15)
    create.add_argument("--parking-counts", action=argparse.BooleanOptionalAction, default=True,
                        help="whether parking spaces count in votes (default: yes)")
    create.add_argument("--ballot-inspection", action=argparse.BooleanOptionalAction, default=True,
                        help="whether owners may inspect each unit's ballot after the final result (default: yes)")
    create.set_defaults(func=cmd_community)

    audit = sub.add_parser("audit", help="audit log tools")
    audit.add_argument("action", choices=["verify"])
    audit.add_argument("--key", default="", help="the deployment's public key (hex) to trust for the checkpoints")
    audit.set_defaults(func=cmd_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``vote`` command."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
