"""The ``dealcoach`` command.

``dealcoach export --format json|csv [--owner ID] [--db PATH]``

Prints every deal (or one salesperson's) with its facts and stakeholders. Values
are the canonical ids of the entity contract, ``null`` (JSON) or empty (CSV)
where unknown. A stakeholder's ``assumed_roles`` are those of its ``roles`` taken
from the job title alone, not confirmed. CSV has one row per stakeholder (one row
with empty stakeholder columns for a deal without any), roles joined by ``;``.

``dealcoach serve``: the servers and the chat page (see ``dealcoach.serving.serve``).

``dealcoach train [--out DIR]``: ``rasa train`` with its output in ``var/train.log``
and one progress line on the terminal (see ``dealcoach.serving.training``); ``make train``,
``make chat`` and ``make test`` train through it.

``dealcoach prune-conversations [--older-than DAYS] [--tracker-db PATH]``: removes
conversation events older than DAYS (default 90) from Rasa's tracker store
(``$DEALCOACH_TRACKER_DB`` or ``var/tracker.db``), except each salesperson's current
session; deals, reviews, advice and quiz scores (the deal store) are never touched
(see ``dealcoach.serving.sessions``). ``make prune`` runs it.

``dealcoach migrate [--from PATH] [--to URL] [--replace]``: copies a SQLite deal store
(``$DEALCOACH_DB`` or ``var/dealcoach.db``, upgraded to the current schema first) into
PostgreSQL (``$DEALCOACH_DATABASE_URL``), prints each table's rows in both and exits
1 when they differ (nothing is then kept), or when the target already holds deals
(unless ``--replace``: empty it first). See ``dealcoach.storage.transfer``.

``dealcoach docs [--out PATH] [--check]``: writes the trainer's review page (every
advice rule and the advice each representative deal gets, ``dealcoach.serving.review_page``)
to ``docs/advice_review.md``; with ``--check``, only says whether it is up to date
(exit 1 when not).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence, TextIO

from dealcoach import settings
from dealcoach.deals.deal import Deal, name_key
from dealcoach.serving.review_page import PAGE
from dealcoach.serving.sessions import RETENTION_DAYS, prune_conversations
from dealcoach.storage import (
    SchemaTooNew,
    Store,
    database_path,
    database_url,
    is_database_url,
    open_store,
)

DEAL_COLUMNS = (
    "owner",
    "company",
    "sector",
    "company_size",
    "employees",
    "purchase_situation",
    "supplier_position",
    "buying_stage",
    "perceived_risk",
    "updated_at",
)
STAKEHOLDER_COLUMNS = ("name", "title", "roles", "assumed_roles", "stance", "met")


def deal_record(deal: Deal) -> Dict[str, Any]:
    """One deal as the export shows it."""
    record: Dict[str, Any] = {column: getattr(deal, column) for column in DEAL_COLUMNS}
    record["stakeholders"] = [
        {
            "name": person.name if person.named else None,
            "title": person.title,
            "roles": list(person.roles),
            "assumed_roles": list(person.assumed),
            "stance": person.stance,
            "met": person.met,
        }
        for person in deal.stakeholders
    ]
    return record


def export(store: Store, fmt: str, owner: str | None, out: TextIO) -> int:
    """Write one owner's deals (most recently updated first), or every owner's (by
    owner, then client name); the number of deals written."""
    if owner is not None:
        deals = store.deals.list_for(owner)
    else:
        deals = [
            deal
            for each in store.deals.owners()
            for deal in sorted(store.deals.list_for(each), key=lambda d: name_key(d.company))
        ]
    records = [deal_record(deal) for deal in deals]
    if fmt == "json":
        json.dump(records, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        writer = csv.writer(out)
        writer.writerow(DEAL_COLUMNS + tuple(f"stakeholder_{c}" for c in STAKEHOLDER_COLUMNS))
        for record in records:
            base = ["" if record[c] is None else record[c] for c in DEAL_COLUMNS]
            people: List[Dict[str, Any]] = record["stakeholders"] or [{}]
            for person in people:
                writer.writerow(base + [_csv_value(person.get(c)) for c in STAKEHOLDER_COLUMNS])
    return len(records)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def write_docs(path: Path, check: bool = False) -> int:
    """Write (or with ``check``, compare) the trainer's review page; the exit status."""
    from dealcoach.coaching.representative import load_representative_deals
    from dealcoach.knowledge_base.loader import load_knowledge
    from dealcoach.serving.review_page import review_page, write_page

    kb = load_knowledge()
    deals = load_representative_deals(kb)
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != review_page(kb, deals):
            print(f"dealcoach: {path} is out of date: run make docs", file=sys.stderr)
            return 1
        return 0
    changed = write_page(kb, deals, path)
    print(f"{'wrote' if changed else 'up to date:'} {path}")
    return 0


def tracker_db_path() -> Path:
    """Rasa's conversations: ``DEALCOACH_TRACKER_DB`` if set, else ``var/tracker.db``."""
    return settings.path("tracker_db")


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not days >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (0 or more)")
    return days


def prune_command(tracker_db: Path, older_than_days: float) -> int:
    """``prune-conversations``: say what was removed; the exit status."""
    try:
        report = prune_conversations(tracker_db, older_than_days)
    except FileNotFoundError as error:
        print(f"dealcoach: {error}", file=sys.stderr)
        return 1
    print(
        f"removed {report.events_removed} conversation events older than "
        f"{older_than_days:g} days from {report.conversations_touched} conversations; "
        f"{report.events_left} left; {tracker_db}: {report.bytes_before / 1e6:.1f} MB -> "
        f"{report.bytes_after / 1e6:.1f} MB"
    )
    return 0


def train_command(out: str) -> int:
    """``train``: Rasa's training with a progress line; the exit status."""
    from dealcoach.serving.training import ANNOUNCE, rasa_train_command, run_with_progress

    log = Path("var") / "train.log"
    try:
        return run_with_progress(rasa_train_command(out), log, ANNOUNCE)
    except KeyboardInterrupt:
        print("\nTraining stopped; the model was not changed.", file=sys.stderr)
        return 130


def migrate_command(source: Path, url: str | None, replace: bool) -> int:
    """``migrate``: copy the SQLite store into PostgreSQL, table counts side by side."""
    import psycopg2

    from dealcoach.storage.postgres import safe_location
    from dealcoach.storage.transfer import TransferError, copy_sqlite_to_postgres

    if not url or not is_database_url(url):
        print(
            "dealcoach: say where to copy to: --to postgresql://user:password@host:port/"
            "database, or set DEALCOACH_DATABASE_URL",
            file=sys.stderr,
        )
        return 1
    try:
        counts = copy_sqlite_to_postgres(source, url, replace=replace)
    except (TransferError, SchemaTooNew) as error:
        print(f"dealcoach: {error}", file=sys.stderr)
        return 1
    except psycopg2.Error as error:
        print(f"dealcoach: cannot use {safe_location(url)}: {error}".strip(), file=sys.stderr)
        return 1
    print(f"copied {source} -> {safe_location(url)}")
    print(f"{'table':<14}{'sqlite':>8}{'postgresql':>12}")
    for count in counts:
        print(f"{count.table:<14}{count.source:>8}{count.target:>12}")
    total = sum(count.source for count in counts)
    print(f"every row accounted for: {total} rows in {len(counts)} tables")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dealcoach", description="dealcoach deal data")
    commands = parser.add_subparsers(dest="command", required=True)
    exporter = commands.add_parser("export", help="print every deal with its facts and people")
    exporter.add_argument("--format", choices=("json", "csv"), default="json")
    exporter.add_argument("--owner", help="only this salesperson's deals (their sender id)")
    exporter.add_argument(
        "--db", help=f"database file (default: $DEALCOACH_DB or {database_path()})"
    )
    commands.add_parser(
        "serve", help="run the Rasa server, the action server and the chat page (make serve)"
    )
    prune = commands.add_parser(
        "prune-conversations",
        help="remove old conversation events from Rasa's tracker store (never deals)",
    )
    prune.add_argument(
        "--older-than",
        type=_days,
        default=RETENTION_DAYS,
        metavar="DAYS",
        help=f"remove events older than this many days (default {RETENTION_DAYS})",
    )
    prune.add_argument(
        "--tracker-db", type=Path, help=f"tracker database (default: {tracker_db_path()})"
    )
    trainer = commands.add_parser(
        "train", help="train the Rasa model, its output in var/train.log (make train)"
    )
    trainer.add_argument("--out", default="models", help="model folder (default: models)")
    migrate = commands.add_parser(
        "migrate", help="copy the SQLite deal store into PostgreSQL, every row counted"
    )
    migrate.add_argument(
        "--from",
        dest="source",
        type=Path,
        help=f"SQLite deal database (default: $DEALCOACH_DB or {database_path()})",
    )
    migrate.add_argument(
        "--to", dest="url", help="postgresql:// URL (default: $DEALCOACH_DATABASE_URL)"
    )
    migrate.add_argument(
        "--replace",
        action="store_true",
        help="empty a target that already holds deal data (refused without it)",
    )
    docs = commands.add_parser("docs", help="write the trainer's review page (make docs)")
    docs.add_argument("--out", type=Path, default=settings.ROOT / PAGE, help=f"default: {PAGE}")
    docs.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    if args.command == "serve":
        from dealcoach.serving.serve import serve

        return serve()
    if args.command == "train":
        return train_command(args.out)
    if args.command == "docs":
        return write_docs(args.out, check=args.check)
    if args.command == "prune-conversations":
        return prune_command(args.tracker_db or tracker_db_path(), args.older_than)
    if args.command == "migrate":
        url = args.url or os.environ.get("DEALCOACH_DATABASE_URL", "").strip()
        return migrate_command(args.source or database_path(), url, args.replace)
    # --db names a SQLite file; without it, the deal store the coach itself uses.
    location = args.db or database_url() or database_path()
    if not is_database_url(str(location)) and not Path(location).is_file():
        print(f"dealcoach: no deal database at {location}", file=sys.stderr)
        return 1
    try:
        store = open_store(location)
    except SchemaTooNew as error:
        print(f"dealcoach: {error}", file=sys.stderr)
        return 1
    try:
        export(store, args.format, args.owner, sys.stdout)
    finally:
        store.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
