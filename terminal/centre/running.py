"""The centre as one process: the collector, the command sender and the web application (the
security desk and the board, under uvicorn in a thread of its own), over one store."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import uvicorn

from terminal.centre.collector import Collector
from terminal.centre.config import CentreConfig
from terminal.centre.errors import CentreError
from terminal.centre.sender import CommandSender
from terminal.centre.store import ROLES, Store, StoreError, open_store
from terminal.centre.upkeep import Upkeep
from terminal.centre.users import check_new_password, check_user_name
from terminal.common.clock_sync import SyncStatus

log = logging.getLogger(__name__)
# the running loop looks at the clock and the retention purge's schedule this often
UPKEEP_EVERY_S = 30.0


class WebServer:
    """Starlette under uvicorn in a daemon thread, on a socket bound here (so that a port in use
    is one clear line at start, not an exception in a thread)."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._socket = socket.create_server((host, port), family=family)
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
            raise CentreError(f"web.port: cannot listen on {host}:{port}: {reason}") from None
        bound_port = self._socket.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown_host}:{bound_port}/"
        config = uvicorn.Config(
            app,
            log_config=None,  # the centre's logging, not uvicorn's own
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            # behind the reverse proxy: the client's address and scheme from its headers
            proxy_headers=True,
        )
        self._server = uvicorn.Server(config)
        self._app = app
        self._thread = threading.Thread(target=self._serve, name="centre-web", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # ends here: the collector goes on storing
            log.error("the centre's web application stopped: %s", type(exc).__name__)

    @property
    def started(self) -> bool:
        return bool(self._server.started)

    def stop(self, timeout_s: float = 5.0) -> None:
        # the pages' live streams end first (they look at this event every 0.1 s): otherwise
        # uvicorn waits for them, then cuts them with an error for each open page
        stopping = getattr(getattr(self._app, "state", None), "stopping", None)
        if isinstance(stopping, threading.Event):
            stopping.set()
            time.sleep(0.2)
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self._socket.close()


def _build_app(
    store: Store,
    config: CentreConfig,
    sender: CommandSender | None,
    clock_synchronised: Callable[[], bool],
) -> Any:
    try:
        from terminal.centre.web.app import build_app
    except ImportError as exc:  # a centre installed without its pages: collector alone
        raise CentreError(f"the centre's web application cannot be loaded: {exc}") from None
    return build_app(store, config, sender, clock_synchronised=clock_synchronised)


@dataclass
class RunningCentre:
    config: CentreConfig
    store: Store
    collector: Collector
    sender: CommandSender | None
    web: WebServer | None
    upkeep: Upkeep
    _stopped: bool = field(default=False, repr=False)

    @property
    def web_url(self) -> str:
        return self.web.url if self.web else ""

    @property
    def alive(self) -> bool:
        """The collector's worker (it stores what the gates send) and the web application's
        thread still run: what the centre's systemd watchdog vouches for."""
        worker = getattr(self.collector, "_worker", None)
        web_thread = getattr(self.web, "_thread", None)
        return (worker is None or worker.is_alive()) and (
            web_thread is None or web_thread.is_alive()
        )

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.web is not None:
            self.web.stop()
        self.collector.stop()
        if self.sender is not None:
            self.sender.close()
        self.store.close()


def start_centre(
    config: CentreConfig,
    *,
    client_id: str | None = None,
    web: bool = True,
    web_port: int | None = None,
    broker_wait_s: float = 10.0,
    clock_synchronised: Callable[[], bool] | None = None,
) -> RunningCentre:
    """Open the store, start the collector (subscribed when this returns), the sender (when
    ``[commands]`` is set) and the web application; non-blocking. ``web_port=0``: any free
    port (see ``.web_url``). ``clock_synchronised``: whether this machine's clock is (systemd's
    NTP status unless given; a simulation's is by definition)."""
    synchronised = clock_synchronised or SyncStatus().synchronised
    store = open_store(config.database_url(), config.board_settings(), config.database.password())
    collector: Collector | None = None
    sender: CommandSender | None = None
    server: WebServer | None = None
    try:
        collector = Collector(
            store,
            config.mqtt,
            config.park,
            share_group=config.collector.share_group,
            client_id=client_id,
            batch_max=config.collector.batch_max,
        ).start(timeout_s=broker_wait_s, required=False)  # without a broker, pages still serve
        if config.commands is not None:
            sender = CommandSender.connect(config, store, collector=collector)
        if web:
            port = config.web.port if web_port is None else web_port
            app = _build_app(store, config, sender, synchronised)
            server = WebServer(app, config.web.host, port)
            server.start()
    except BaseException:
        if server is not None:
            server.stop()
        if sender is not None:
            sender.close()
        if collector is not None:
            collector.stop()
        store.close()
        raise
    upkeep = Upkeep(store, config.retention, synchronised)
    running = RunningCentre(config, store, collector, sender, server, upkeep)
    log.info(
        "centre for park %s: database %s; %s",
        config.park,
        store.url,
        f"pages at {running.web_url}" if server else "collector only",
    )
    return running


def serve_forever(config: CentreConfig, *, client_id: str | None = None, web: bool = True) -> int:
    """``gate-terminal centre``: run until SIGTERM or Ctrl-C; then hand the share of messages to
    the other collectors and stop."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    from terminal.common.notify import Notifier

    notifier = Notifier.from_environment()  # Type=notify under systemd (gate-centre.service)
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        running = start_centre(config, client_id=client_id, web=web)
        if running.web_url:
            print(f"gate-terminal centre: open {running.web_url}", flush=True)
        notifier.ready(f"centre for park {config.park} running")
        wait_s = min(notifier.watchdog_s / 4, UPKEEP_EVERY_S) if notifier.watchdog_s else None
        try:
            running.upkeep.run_due()  # the clock's state said at the start
            # WATCHDOG=1 only while the collector and the pages run: a dead thread is a restart
            while not stop.wait(wait_s or UPKEEP_EVERY_S):
                if running.alive:
                    notifier.watchdog()
                running.upkeep.run_due()
            notifier.stopping()
        finally:
            running.stop()
            notifier.close()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def add_user(store: Store, name: str, role: str, password: str) -> None:
    """A new member of staff, the password hashed with argon2. Raises :class:`StoreError` with
    one line when the name, the role or the password will not do."""
    from terminal.centre.web.auth import hash_password

    check_user_name(name)
    if role not in ROLES:
        raise StoreError(f"role {role!r}: not one of {', '.join(ROLES)}")
    check_new_password(password)
    store.add_user(name, role, hash_password(password))
