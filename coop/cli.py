"""The `coop` command: serve, migrate, demo, user, token, export, import, backup, restore."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import os
import sys
import time
from pathlib import Path

from coop import db, privacy
from coop.backup import private_file
from coop.settings import Settings


def _setup() -> Settings:
    os.environ.setdefault("PICCOLO_CONF", "coop.piccolo_conf")
    settings = Settings.from_env()
    db.bind(db.engine_for(settings))
    privacy.configure(settings.secrets())
    return settings


async def _migrate(settings: Settings) -> None:
    await db.start(settings)
    await db.migrate()


def cmd_migrate(args) -> None:
    settings = _setup()
    if args.check:
        pending = asyncio.run(db.pending_migrations())
        if pending:
            print(f"Pending migrations ({settings.engine_name}):")
            for app, migration in pending:
                print(f"  {app} {migration}")
            sys.exit(1)
        print(f"No migrations pending ({settings.engine_name}).")
        return
    asyncio.run(_migrate(settings))
    print(f"Migrations applied ({settings.engine_name}).")


def cmd_demo(args) -> None:
    import time

    from coop import demo

    if args.members < 0:
        sys.exit("--members takes a number of members, 0 or more.")
    settings = _setup()

    async def run():
        await _migrate(settings)
        added = await demo.load()
        print(
            f"{added} demo members added." if added else "Demo members already present.",
            flush=True,
        )
        if args.members:
            started = time.perf_counter()
            print(f"Adding {args.members:,} generated members...", flush=True)
            count = await demo.add_members(args.members, lambda line: print(line, flush=True))
            await db.analyze(full=True)
            print(f"Added {count:,} members in {time.perf_counter() - started:.1f} s.")
        await db.stop(settings)

    asyncio.run(run())
    print("Demo data loaded. Sign in as demo-admin, demo-federation, demo-village or demo-judge")
    print(f"with the password {demo.DEMO_PASSWORD}.")


def cmd_serve(args) -> None:
    import uvicorn

    settings = _setup()
    asyncio.run(_migrate(settings))  # once, before any worker starts
    print(f"Coop Union on http://{args.host}:{args.port} ({settings.engine_name})", flush=True)
    uvicorn.run(
        "coop.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=args.access_log,
        **proxy_options(settings),
    )


def proxy_options(settings: Settings) -> dict:
    """The one place forwarded headers are believed: X-Forwarded-For and -Proto count only
    when they come from an address in COOP_TRUSTED_PROXIES (uvicorn would otherwise trust
    127.0.0.1, so any same-host proxy passing a client's header through would be believed)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": sorted(settings.trusted_proxies)}


def _scope_ids(scopes: list[str]) -> dict:
    """--scope federation=NAME|ID, cooperative=…, village=… into IDs."""
    from coop.forms import whole_number
    from coop.orgs.tables import Cooperative, Union, Village

    tables = {"federation": Union, "cooperative": Cooperative, "village": Village}
    found: dict[str, list[int]] = {"federation": [], "cooperative": [], "village": []}

    async def lookup():
        for item in scopes:
            kind, _, value = item.partition("=")
            table = tables.get(kind)
            if table is None or not value:
                sys.exit(f"--scope takes federation=…, cooperative=… or village=…, not {item!r}")
            number = whole_number(value)
            where = table.id == number if number is not None else table.name == value
            rows = await table.select(table.id).where(where).run()
            if not rows:
                sys.exit(f"No {kind} {value!r}.")
            if len(rows) > 1:
                sys.exit(f"{kind} {value!r}: {len(rows)} matches; give its number instead")
            found[kind].append(rows[0]["id"])

    asyncio.run(lookup())
    return found


def cmd_user_create(args) -> None:
    from coop.accounts import domain as accounts
    from coop.i18n import translate
    from coop.validation import ValidationError

    _setup()
    password = os.environ.get("COOP_PASSWORD") or getpass.getpass("Password: ")
    ids = _scope_ids(args.scope)
    data = accounts.UserInput(
        username=args.username.strip().lower(),
        display_name=args.name or args.username,
        role=accounts.Role(args.role),
        federation_id=ids["federation"][0] if ids["federation"] else None,
        cooperative_ids=ids["cooperative"],
        village_ids=ids["village"],
        password=password,
    )
    try:
        user_id = asyncio.run(accounts.save_user(accounts.command_line_viewer(), data))
    except ValidationError as error:
        sys.exit("\n".join(f"{field}: {translate(msg)}" for field, msg in error.errors.items()))
    print(f"User {data.username} created (id {user_id}).")


def cmd_token_create(args) -> None:
    from coop.accounts import domain as accounts
    from coop.forms import whole_number
    from coop.validation import NotFound

    expires_days = None
    if args.expires_days is not None:
        expires_days = whole_number(args.expires_days)
        days = accounts.TOKEN_EXPIRES_DAYS
        if expires_days not in days:
            sys.exit(f"--expires-days takes a whole number from {days[0]} to {days[-1]}.")
    if len(args.label) > accounts.TOKEN_LABEL_MAX:
        sys.exit(f"--label takes at most {accounts.TOKEN_LABEL_MAX} characters.")
    _setup()
    try:
        token = asyncio.run(accounts.create_api_token(args.user, args.label, expires_days))
    except NotFound:
        sys.exit(f"No user {args.user!r}.")
    print("API token (shown once; send it as `Authorization: Bearer <token>`):")
    print(token)


def _moment(value) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def cmd_token_list(args) -> None:
    from coop.accounts import domain as accounts

    _setup()
    rows = asyncio.run(accounts.list_api_tokens())
    print("id\tuser\tlabel\tcreated\texpires\tlast used\trevoked")
    for row in rows:
        moments = ("created_at", "expires_at", "last_used_at", "revoked_at")
        print(
            "\t".join(
                [str(row["id"]), row["username"], row["label"] or "-"]
                + [_moment(row[name]) for name in moments]
            )
        )


def cmd_token_revoke(args) -> None:
    from coop.accounts import domain as accounts
    from coop.forms import whole_number
    from coop.validation import NotFound

    token_id = whole_number(args.id)
    if token_id is None:
        sys.exit(f"A token is named by its number (see `coop token list`), not {args.id!r}.")
    _setup()
    try:
        asyncio.run(accounts.revoke_api_token(token_id))
    except NotFound:
        sys.exit(f"No token {token_id} that is not already revoked.")
    print(f"Token {token_id} revoked.")


def cmd_maintenance(args) -> None:
    from coop import housekeeping

    settings = _setup()

    async def run():
        await db.start(settings)
        try:
            await housekeeping.run_once()
        finally:
            await db.stop(settings)

    asyncio.run(run())
    print("Expired sessions, sign-in throttles, rate counts and form keys deleted.")


def cmd_backup(args) -> None:
    from coop import backup

    settings = _setup()
    out = Path(args.out).resolve()
    try:
        backup.backup(settings, out)
    except backup.BackupError as error:
        sys.exit(str(error))
    print(f"Backup written to {out}.")


def cmd_restore(args) -> None:
    from coop import backup

    settings = _setup()
    try:
        backup.restore(settings, Path(args.file), force=args.force)
    except backup.BackupError as error:
        sys.exit(str(error))
    where = settings.data_dir if settings.engine_name == "sqlite" else "the PostgreSQL database"
    print(f"Restored {args.file} into {where}. Start the app again.")


def cmd_export_members(args) -> None:
    """The roster, as the export page writes it, to a file; masked unless --full-numbers."""
    from coop.accounts.domain import command_line_viewer
    from coop.members import domain, exports
    from coop.spreadsheets import xlsx_file
    from coop.validation import ValidationError

    settings = _setup()
    where = domain.MemberFilter(
        cooperative_id=args.cooperative, village_id=args.village, status=args.status or ""
    )
    from coop.members.domain import export_profiles

    profile = None
    if args.profile:
        try:
            profile = export_profiles.find(
                args.profile, settings.data_dir / "export-profiles", exports.profile_fields()
            )
        except export_profiles.ProfileError as error:
            sys.exit(str(error))
    export = exports.RosterExport(
        command_line_viewer(),
        where,
        exports.STANDARD,
        args.full_numbers,
        args.format,
        profile=profile,
    )

    async def run() -> tuple[int, float]:
        await db.start(settings)
        started = time.perf_counter()  # the export itself, without start-up
        try:
            await domain.check_roster(export.viewer, where, full_numbers=args.full_numbers)
            # personal data, full numbers perhaps: for this account only, as backups are
            with private_file(Path(args.out)) as out:
                if args.format == "xlsx":
                    sheet, titles = export.sheet()
                    count = await xlsx_file(sheet, export.header(), export.rows(), out, titles)
                else:
                    async for chunk in export.chunks():
                        out.write(chunk)
                    count = export.count
            return count, time.perf_counter() - started
        finally:
            await db.stop(settings)

    try:
        count, seconds = asyncio.run(run())
    except ValidationError as error:
        sys.exit("; ".join(f"{k}: {_say(m)}" for k, m in error.errors.items()))
    print(f"{count} members written to {args.out} in {seconds:.2f} s.")


def _say(message) -> str:
    return message.text.format(**message.params)


def cmd_import_members(args) -> None:
    """Check a roster file row by row, as the import page does; with --commit, import it."""
    from coop.accounts.domain import command_line_viewer
    from coop.members import imports
    from coop.validation import ValidationError

    settings = _setup()
    viewer = command_line_viewer()
    defaults = imports.Defaults(args.cooperative, args.village)

    async def run() -> None:
        await db.start(settings)
        try:
            with open(args.file, "rb") as file:  # past the limit is refused: no need to read it
                sheet = await imports.read_upload(file.read(imports.MAX_BYTES + 1))
            mapping = imports.guess_mapping(sheet.header)
            found = await imports.preview(viewer, sheet, mapping, defaults)
            for row in found.rows:
                for field, problem in row.problems:
                    print(f"line {row.line}: {_say(field)}: {_say(problem)}")
            print(
                f"{found.count('new')} new, {found.count('existing')} already registered, "
                f"{found.count('error')} with errors."
            )
            if args.commit:
                print("Importing…", flush=True)
                result = await imports.commit(
                    viewer,
                    sheet,
                    mapping,
                    defaults,
                    skip_errors=args.skip_errors,
                    expected_new=None,
                    filename=Path(args.file).name,
                )
                print(f"Imported {result.created} new applicants.")
        finally:
            await db.stop(settings)

    try:
        asyncio.run(run())
    except ValidationError as error:
        sys.exit("; ".join(f"{k}: {_say(m)}" for k, m in error.errors.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="coop", description="Coop Union")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations and serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument(
        "--check",
        action="store_true",
        help="apply nothing; list pending migrations and exit 1 if there are any",
    )
    migrate.set_defaults(func=cmd_migrate)
    commands.add_parser(
        "maintenance", help="delete what ran out (the server does it hourly by itself)"
    ).set_defaults(func=cmd_maintenance)
    demo = commands.add_parser("demo", help="load demo data (idempotent)")
    demo.add_argument(
        "--members",
        type=int,
        default=0,
        metavar="N",
        help="then add N more generated members (a benchmark data set; adds N on every run)",
    )
    demo.set_defaults(func=cmd_demo)

    user = commands.add_parser("user", help="manage users").add_subparsers(
        dest="action", required=True
    )
    create = user.add_parser(
        "create", help="create a user (password from COOP_PASSWORD or a prompt)"
    )
    create.add_argument("--username", required=True)
    create.add_argument("--name", help="display name")
    create.add_argument(
        "--role",
        required=True,
        choices=["union_admin", "federation_organizer", "village_organizer", "judge"],
    )
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="KIND=NAME|ID",
        help="federation=…, cooperative=… or village=…; repeat for several",
    )
    create.set_defaults(func=cmd_user_create)

    token = commands.add_parser("token", help="API tokens").add_subparsers(
        dest="action", required=True
    )
    token_create = token.add_parser("create", help="create a bearer token for a user")
    token_create.add_argument("--user", required=True)
    token_create.add_argument("--label", default="", help="what the token is for")
    token_create.add_argument(
        "--expires-days", metavar="N", help="stop working after N days (1 to 3650; default never)"
    )
    token_create.set_defaults(func=cmd_token_create)
    token.add_parser(
        "list", help="every token: id, user, label, when created, expires, last used, revoked"
    ).set_defaults(func=cmd_token_list)
    token_revoke = token.add_parser("revoke", help="stop a token working, at once and for good")
    token_revoke.add_argument("id", help="the token's number in `coop token list`")
    token_revoke.set_defaults(func=cmd_token_revoke)

    backup = commands.add_parser(
        "backup", help="a consistent copy of the live database and the secrets, as one file"
    )
    backup.add_argument("--out", required=True)
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser("restore", help="put a backup back (stop the app first)")
    restore.add_argument("file")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that is not empty"
    )
    restore.set_defaults(func=cmd_restore)

    export = commands.add_parser("export", help="write a roster file").add_subparsers(
        dest="what", required=True
    )
    export_members = export.add_parser("members", help="the member roster (会员花名册)")
    export_members.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export_members.add_argument("--out", required=True)
    export_members.add_argument(
        "--profile", metavar="NAME_OR_FILE", help="an export profile (上报模板): name or .toml file"
    )
    export_members.add_argument("--cooperative", type=int, metavar="ID")
    export_members.add_argument("--village", type=int, metavar="ID")
    export_members.add_argument(
        "--status", choices=["applicant", "member", "transferred_out", "left"]
    )
    export_members.add_argument(
        "--full-numbers", action="store_true", help="full ID and mobile numbers (audited)"
    )
    export_members.set_defaults(func=cmd_export_members)

    import_ = commands.add_parser("import", help="read a roster file").add_subparsers(
        dest="what", required=True
    )
    import_members = import_.add_parser("members", help="new applicants from a roster file")
    import_members.add_argument("file", help="XLSX, XLS or CSV (UTF-8, UTF-8 with BOM, GB18030)")
    import_members.add_argument("--commit", action="store_true", help="import (else only check)")
    import_members.add_argument(
        "--skip-errors", action="store_true", help="import the valid rows, skip the others"
    )
    import_members.add_argument(
        "--cooperative", type=int, metavar="ID", help="for rows naming none"
    )
    import_members.add_argument("--village", type=int, metavar="ID", help="for rows naming none")
    import_members.set_defaults(func=cmd_import_members)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
