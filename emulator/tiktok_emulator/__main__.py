"""``python -m tiktok_emulator``: serve the emulator on a port until Ctrl-C or SIGTERM.

Bad input (unknown scenario, malformed YAML, a bad --fault, a taken port) ends with one line on
stderr that names the culprit and exit code 2, so a script or Makefile shows the cause, not a trace.
"""
from __future__ import annotations

import argparse
import errno
import signal
import socket
import sys
from typing import Any

from . import scenario as scenarios
from .clock import fmt
from .faults import parse_fault_flag

EPILOG = """\
scenarios:
  default   one advertiser (USD), 10 campaigns / 40 ad groups / 160 ads, 60 days of history
  large     1,000 campaigns / 5,000 ad groups / 10,000 ads, 14 days of history (scale tests)
  PATH      any .yaml file; it is merged over scenarios/base.yaml, which documents every field,
            and unknown fields or wrong types fail with the file and field named
  --list-scenarios prints the packaged ones with their descriptions.

faults (--fault PATH:KIND[:RATE], repeatable; RATE 0..1, default 1):
  PATH   path after /open_api/<version>/, a glob: campaign/get/, report/*, * (every path)
  KIND   40100 (or any 5-digit TikTok code)  answer that code in the envelope (HTTP 200)
         http503 (http500/502/504)            a gateway error page instead of the API
         slow=MS                              answer after MS milliseconds
         drop                                 apply a write, then close the connection unanswered
         revoke                               revoke the caller's token first (-> 40105)
  e.g.   --fault campaign/get/:40100:0.2 --fault adgroup/update/:drop:0.1
         --fault report/integrated/get/:http503:0.1 --fault '*:slow=2000:0.05'
  A scenario file can list the same rules under `faults:` as {path, code|http_status|delay_ms|
  drop_after_apply|revoke_token, rate, methods}.

simulated clock:
  Time is frozen at the scenario's `now` (default 2026-11-01 00:00:00 UTC) and moves only when told:
    curl -X POST -d '{"hours": 24}' http://127.0.0.1:8765/__emulator/clock/advance
  The market then simulates delivery up to the new time; reports, token expiry and ad review follow it.

admin routes (no token; never under /open_api/):
  GET  /__emulator/credentials      app_id, secret, advertiser_ids and a long-lived access_token
  GET  /__emulator/clock            {"now": ...}
  POST /__emulator/clock/advance    {"hours": N}, 0 < N <= 9600
  GET  /__emulator/requests         request counts per endpoint
  POST /__emulator/tokens/revoke    {"access_token": ...}
  GET  /__emulator/truth, /__emulator/sales, /__emulator/faults   the hidden market and fault rules
OAuth consent page: GET /portal/auth?app_id=..&redirect_uri=..&state=.. (auto-consents).
"""


class CliError(Exception):
    """A user mistake worth one line on stderr."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tiktok_emulator", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="A local, faithful emulator of TikTok's Marketing API (v1.3, and the v1.2 paths)\n"
                    "with a simulated ad market behind it.")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--scenario", default="default", help="scenario name or path to a .yaml (default: default)")
    parser.add_argument("--seed", type=int, default=7, help="RNG seed; same scenario + seed = same market (default 7)")
    parser.add_argument("--fault", action="append", default=[], metavar="PATH:KIND[:RATE]",
                        help="inject a fault (repeatable; see below)")
    parser.add_argument("--no-rate-limits", action="store_true", help="turn TikTok's QPS/QPM limits off")
    parser.add_argument("--token-ttl-hours", type=float, default=None, metavar="H",
                        help="issue expiring OAuth tokens (with refresh tokens) instead of long-lived ones")
    parser.add_argument("--list-scenarios", action="store_true", help="list packaged scenarios and exit")
    return parser


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Command-line settings as a scenario overlay (merged and type-checked like a scenario file)."""
    out: dict[str, Any] = {}
    faults = []
    for text in args.fault:
        try:
            faults.append(parse_fault_flag(text))
        except ValueError as exc:
            raise CliError(f"--fault: {exc}") from None
    if faults:
        out["faults"] = faults
    if args.no_rate_limits:
        out["rate_limits"] = {"enabled": False}
    if args.token_ttl_hours is not None:
        if args.token_ttl_hours <= 0:
            raise CliError(f"--token-ttl-hours: must be > 0, got {args.token_ttl_hours:g}")
        out["oauth"] = {"token_ttl_hours": args.token_ttl_hours}
    return out


def list_scenarios() -> None:
    for name in scenarios.available():
        description = " ".join(str(scenarios.load(name).get("description") or "").split())
        print(f"{name:<10} {description}")


def serve(args: argparse.Namespace) -> None:
    from .emulator import Emulator
    from .server import EmulatorServer

    if not 0 <= args.port <= 65535:
        raise CliError(f"--port: must be 0..65535, got {args.port}")
    try:
        loaded = scenarios.load(args.scenario, overrides(args))
    except scenarios.ScenarioError as exc:
        raise CliError(str(exc)) from None
    _check_port(args.host, args.port)  # fail before the seconds spent simulating the market's history
    emulator = Emulator(loaded, seed=args.seed)
    try:
        server = EmulatorServer(emulator, host=args.host, port=args.port)
    except OSError as exc:
        emulator.close()
        raise _listen_error(exc, args.host, args.port) from None
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started from a shell that ignores SIGINT
    print(f"TikTok emulator on {server.base_url} (scenario {loaded['name']}, seed {emulator.seed}, "
          f"now {fmt(emulator.clock.now())} UTC)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
        emulator.close()


def _check_port(host: str, port: int) -> None:
    if port == 0:
        return
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
    except OSError as exc:
        raise _listen_error(exc, host, port) from None


def _listen_error(exc: OSError, host: str, port: int) -> CliError:
    if exc.errno == errno.EADDRINUSE:
        return CliError(f"port {port} is already in use; pick another with --port")
    return CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.list_scenarios:
            list_scenarios()
        else:
            serve(args)
    except CliError as exc:
        print(f"tiktok_emulator: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
