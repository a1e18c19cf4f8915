"""``gate-terminal``: run the gate service, simulate a shift, import a roster, show the shifts,
or run the park's operations centre."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import date
from pathlib import Path

from terminal.cli import codes as cli_codes
from terminal.cli import doctor as cli_doctor
from terminal.cli import logs as cli_logs
from terminal.cli import record as cli_record
from terminal.cli import roster as cli_roster
from terminal.cli import sensor as cli_sensor
from terminal.cli import shifts as cli_shifts
from terminal.cli import zone as cli_zone
from terminal.common.errors import GateError
from terminal.common.version import software_version
from terminal.config import Config, ConfigError, load

DEFAULT_SIMULATOR_CONFIG = Path("config/simulator.toml")
# ``simulate --day``: a whole day of shift groups, meals, leaving and a fire drill
DAY_CONFIG = Path("config/simulator-day.toml")
DAY_SCENARIO = Path("simulator/scenarios/day.csv")
DAY_PLOT_NAME = "simulated-day.png"
log = logging.getLogger("gate-terminal")


def _broker_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gate-terminal", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {software_version()}",
        help="print the version (the status's software_version) and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the gate service")
    run.add_argument("--config", type=_existing_file, required=True, metavar="FILE")

    _add_simulate(commands)

    report = commands.add_parser("report", help="print a day's zero-report from the record")
    report.add_argument("--config", type=_existing_file, required=True, metavar="FILE")
    report.add_argument("--date", type=_day, required=True, metavar="YYYY-MM-DD")
    report.add_argument("--json", action="store_true", help="the report's data as JSON")

    from terminal.cli import command as cli_command

    cli_command.add_parser(commands)
    cli_codes.add_commands(commands)
    cli_roster.add_commands(commands)
    cli_record.add_commands(commands)
    cli_shifts.add_commands(commands)
    cli_zone.add_commands(commands)
    cli_sensor.add_commands(commands, _existing_file)
    cli_doctor.add_commands(commands, _existing_file)
    from terminal.centre import cli as cli_centre

    cli_centre.add_parser(commands, _existing_file)
    return parser


def _add_simulate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = commands.add_parser("simulate", help="run a shift through a simulated gate")
    sim.add_argument(
        "--config",
        type=_existing_file,
        default=None,
        metavar="FILE",
        help=f"default: {DEFAULT_SIMULATOR_CONFIG}",
    )
    sim.add_argument("--workers", type=int, default=None, metavar="N")
    sim.add_argument("--seed", type=int, default=None, metavar="S")
    sim.add_argument(
        "--broker",
        type=_broker_address,
        default=None,
        metavar="HOST:PORT",
        help="an existing broker; without it a private Mosquitto is started",
    )
    sim.add_argument(
        "--scenario",
        type=_existing_file,
        default=None,
        metavar="FILE.csv",
        help="a planned crowd: person_id,arrival_s,core_c,ambient_c,code",
    )
    sim.add_argument(
        "--results",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="write person_id,decision,reason,temperature_c per person",
    )
    sim.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="FILE.sqlite",
        help="where the simulated record goes (default: the config's record.path)",
    )
    sim.add_argument(
        "--drain-timeout",
        type=_seconds,
        default=15.0,
        metavar="SECONDS",
        help="after the shift, wait at most this long for the outbox to drain (default 15)",
    )
    sim.add_argument(
        "--day",
        action="store_true",
        help=f"a whole simulated day: --config defaults to {DAY_CONFIG}, --scenario to"
        f" {DAY_SCENARIO}, --plot to {DAY_PLOT_NAME} beside the record",
    )
    sim.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="FILE.png",
        help="add the day's queue, persons per minute in each shift window and occupancy to the"
        " summary, and plot them over the day into this PNG",
    )
    sim.add_argument(
        "--screens",
        action="store_true",
        help="show the shift on the worker's display, the security desk and the centre's board;"
        " it starts now and runs in real time",
    )
    sim.add_argument(
        "--stay",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="with --screens: keep the screens up after the shift until Ctrl-C (make demo does);"
        " default --no-stay: they close when the shift is over and the run ends",
    )
    sim.add_argument(
        "--centre-port",
        type=int,
        default=8100,
        metavar="PORT",
        help="with --screens: the centre's pages (default 8100)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"expected 0 to 86400 seconds, got {text}")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _report(args: argparse.Namespace) -> int:
    from terminal.app.daily import format_report, stored_or_computed
    from terminal.record.store import Record

    config = load(args.config)
    path = config.resolved(config.record.path)
    if not path.is_file():
        print(f"gate-terminal: {path}: no record here (record.path in {config.source})",
              file=sys.stderr)  # fmt: skip
        return 2
    record = Record(path)
    try:
        data, kept = stored_or_computed(record, config, args.date)
    finally:
        record.close()
    sys.stdout.write(
        data.model_dump_json(indent=2) + "\n" if args.json else format_report(data, kept)
    )
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from simulator.runner import run_simulation
    from simulator.screens import ScreensOptions
    from simulator.summary import format_summary

    scenario, plot = args.scenario, args.plot
    people = None
    if args.day:
        if args.screens:
            raise ConfigError("--day runs faster than real time: it cannot be shown with --screens")
        config = load(args.config or DAY_CONFIG)
        if args.workers is not None and scenario is None:
            # a day of the config's own timetable, for this many workers
            from simulator.daycrowd import day_crowd

            if args.workers < 1:
                raise ConfigError(f"--workers must be at least 1, got {args.workers}")
            seed = args.seed if args.seed is not None else config.simulator.seed
            try:
                people = day_crowd(config, args.workers, seed)
            except ValueError as exc:
                print(f"gate-terminal: {exc}", file=sys.stderr)
                return 2
        scenario = scenario or (DAY_SCENARIO if people is None else None)
        plot = plot or (args.record or config.resolved(config.record.path)).parent / DAY_PLOT_NAME
    else:
        config = load(args.config or DEFAULT_SIMULATOR_CONFIG)
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    if args.stay and not args.screens:
        raise ConfigError("--stay keeps the screens up after the shift: give it with --screens")
    screens = None
    if args.screens:
        # asked for, not guessed from a terminal: a run in the background ends unless told
        screens = ScreensOptions(centre_port=args.centre_port, linger=args.stay)
    shift = run_simulation(
        config,
        workers=args.workers,
        seed=args.seed,
        broker=args.broker,
        scenario=scenario,
        people=people,
        results=args.results,
        record_path=args.record,
        drain_timeout_s=args.drain_timeout,
        screens=screens,
        plot=plot,
    )
    if not shift.summary_printed:
        sys.stdout.write(format_summary(shift.summary))
    return 0 if shift.summary.agrees() else 1


def _run(args: argparse.Namespace) -> int:
    from terminal.app.service import run_service
    from terminal.cli.hardware import device_factory

    config: Config = load(args.config)
    if not args.verbose:
        cli_logs.set_level(config.gate.log_level)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return run_service(config, stop, device_factory(config))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet = logging.INFO if args.command in ("run", "centre") else logging.WARNING
    cli_logs.configure(logging.DEBUG if args.verbose else quiet)
    try:
        if args.command == "codes":
            return cli_codes.run(args)
        if args.command == "report":
            return _report(args)
        if args.command == "command":
            from terminal.cli import command as cli_command

            return cli_command.run(args)
        if args.command == "roster":
            return cli_roster.run(args)
        if args.command == "record":
            return cli_record.run(args)
        if args.command == "shifts":
            return cli_shifts.run(args)
        if args.command == "zone":
            return cli_zone.run(args)
        if args.command == "sensor":
            return cli_sensor.dispatch(args)
        if args.command == "doctor":
            return cli_doctor.run(args)
        if args.command == "centre":
            from terminal.centre import cli as cli_centre

            return cli_centre.run(args)
        return _simulate(args) if args.command == "simulate" else _run(args)
    except GateError as exc:
        # every error the gate raises on purpose ends here: one line, and the code it asks for
        # (2: an input to fix before running again; 1: the command ran and failed)
        print(f"gate-terminal: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
