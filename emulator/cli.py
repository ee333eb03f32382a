"""Command line: ``wix-loyalty-emulator`` and ``python -m emulator``.

Every option can also come from an environment variable, named in its help text.
Command-line options win over environment variables.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

from .errors import WixError
from .faults import parse_rule
from .seed import apply_seed
from .settings import CLOCK_MODES, JOB_MODES, PROGRAM_STATUSES, Settings
from .snapshot import export_state, import_state, write_atomically
from .store import Store

logger = logging.getLogger("emulator")

ENV_PREFIX = "WIX_EMULATOR_"


def _env(name: str, default: Any) -> Any:
    return os.environ.get(ENV_PREFIX + name, default)


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="wix-loyalty-emulator",
        description="Serve an offline emulator of the Wix Loyalty and Async Job REST APIs.",
    )
    add = parser.add_argument
    add(
        "--host",
        default=_env("HOST", "127.0.0.1"),
        help="address to bind (env WIX_EMULATOR_HOST; default 127.0.0.1)",
    )
    add(
        "--port",
        type=int,
        default=_env("PORT", "8080"),
        help="port to bind, 0 for a free one (env WIX_EMULATOR_PORT; default 8080)",
    )
    add(
        "--log-level",
        default=_env("LOG_LEVEL", "info"),
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level (env WIX_EMULATOR_LOG_LEVEL; default info)",
    )
    add(
        "--clock",
        default=_env("CLOCK", defaults.clock),
        choices=CLOCK_MODES,
        help="'system' follows wall-clock time; 'manual' moves only through "
        "POST /_emulator/clock/advance (env WIX_EMULATOR_CLOCK; default system)",
    )
    add(
        "--job-mode",
        default=_env("JOB_MODE", defaults.job_mode),
        choices=JOB_MODES,
        help="'timed' jobs wait --job-delay then apply --job-rate accounts per second; "
        "'immediate' jobs finish before the bulk response returns; 'manual' jobs move "
        "only through /_emulator/jobs calls (env WIX_EMULATOR_JOB_MODE; default timed)",
    )
    add(
        "--job-delay",
        type=float,
        default=_env("JOB_DELAY", str(defaults.job_start_delay)),
        help="seconds a timed job stays INITIALIZED (env WIX_EMULATOR_JOB_DELAY; "
        f"default {defaults.job_start_delay})",
    )
    add(
        "--job-rate",
        type=float,
        default=_env("JOB_RATE", str(defaults.job_rate)),
        help="accounts per second a timed job applies (env WIX_EMULATOR_JOB_RATE; "
        f"default {defaults.job_rate:g})",
    )
    add(
        "--program-status",
        default=_env("PROGRAM_STATUS", defaults.initial_program_status),
        choices=PROGRAM_STATUSES,
        help="program status of a new site (env WIX_EMULATOR_PROGRAM_STATUS; default ACTIVE)",
    )
    add(
        "--seed",
        default=_env("SEED", None),
        metavar="FILE",
        help="JSON seed file to load at start, in the /_emulator/seed format; a list of "
        "such objects seeds several sites (env WIX_EMULATOR_SEED)",
    )
    add(
        "--faults",
        default=_env("FAULTS", None),
        metavar="FILE",
        help='JSON file of fault rules to load at start: a list, or {"rules": [...]} '
        "(env WIX_EMULATOR_FAULTS)",
    )
    add(
        "--import",
        dest="import_file",
        default=_env("IMPORT", None),
        metavar="FILE",
        help="snapshot file to load at start, as written by GET /_emulator/snapshot "
        "(env WIX_EMULATOR_IMPORT)",
    )
    add(
        "--export-on-exit",
        default=_env("EXPORT_ON_EXIT", None),
        metavar="FILE",
        help="write a snapshot of the whole state to FILE when the server stops "
        "(env WIX_EMULATOR_EXPORT_ON_EXIT)",
    )
    add(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set any other setting listed by GET /_emulator/settings, e.g. "
        "--set fetch_by_missing=not_found (may repeat)",
    )
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    settings = Settings(
        job_mode=args.job_mode,
        job_start_delay=args.job_delay,
        job_rate=args.job_rate,
        clock=args.clock,
        initial_program_status=args.program_status,
    )
    changes = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set expects NAME=VALUE, got {item!r}")
        changes[name.strip()] = value.strip()
    settings.update(changes)
    settings.check()
    return settings


def load_seed_file(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    seeds = data if isinstance(data, list) else [data]
    if not all(isinstance(seed, dict) for seed in seeds):
        raise SystemExit(f"seed file {path} must hold a JSON object or a list of objects")
    return seeds


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # With IPPROTO_TCP named, asyncio sets TCP_NODELAY on accepted connections, which
    # spares keep-alive clients a 40 ms delayed-ACK wait on every request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = settings_from_args(args)
    except WixError as exc:
        raise SystemExit(f"invalid setting: {exc.description}") from None

    import uvicorn

    from .rest.app import create_app

    app = create_app(settings)
    store = app.state.store
    try:
        load_start_files(store, args, app.state.operations)
    except WixError as exc:
        raise SystemExit(f"cannot start: {exc.description}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"cannot start: {exc}") from None

    # argparse converts string defaults with the option's type, so a bad environment
    # variable fails with the same usage message as a bad option.
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        raise SystemExit(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(
        app, log_level=args.log_level, access_log=args.log_level == "debug", lifespan="off"
    )
    server = uvicorn.Server(config)
    logger.info(
        "Wix Loyalty emulator serving on http://%s:%d (clock %s, jobs %s)",
        shown_host,
        port,
        settings.clock,
        settings.job_mode,
    )
    sys.stdout.flush()
    # uvicorn stops gracefully on SIGINT or SIGTERM, then raises the signal again. The
    # handler below turns the repeated SIGTERM into an exception, so the snapshot below
    # is written on either signal.
    signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, Stopped):
        pass
    finally:
        if args.export_on_exit:
            with store.lock:
                write_atomically(args.export_on_exit, export_state(store))
            logger.info("wrote a snapshot of the state to %s", args.export_on_exit)
    logger.info("emulator stopped")
    return 0


class Stopped(Exception):
    """Raised by the SIGTERM handler once uvicorn has shut down."""


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(f"stopped by signal {signum}")


def load_start_files(store: Store, args: argparse.Namespace, operations: set[str]) -> None:
    """Load the snapshot, seed and fault files named on the command line, in that order."""
    if args.import_file:
        with open(args.import_file, encoding="utf-8") as handle:
            sites = import_state(store, json.load(handle))
        logger.info("imported %d sites from %s", len(sites), args.import_file)
    if args.seed:
        for seed in load_seed_file(args.seed):
            site_id = seed.get("siteId")
            if not isinstance(site_id, str) or not site_id:
                raise SystemExit(f"every seed in {args.seed} needs a siteId")
            apply_seed(store.site(site_id), store.clock.now(), seed)
            logger.info("loaded seed for site %s from %s", site_id, args.seed)
    if args.faults:
        with open(args.faults, encoding="utf-8") as handle:
            data = json.load(handle)
        raw_rules = data.get("rules") if isinstance(data, dict) else data
        if not isinstance(raw_rules, list):
            raise SystemExit(f"fault file {args.faults} must hold a list of rules")
        for index, raw in enumerate(raw_rules):
            store.faults.add(parse_rule(raw, f"rules[{index}]", operations))
        logger.info("loaded %d fault rules from %s", len(raw_rules), args.faults)
