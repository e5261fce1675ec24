"""``nura serve --workers N``: one process per API worker under a supervisor of our own.

Why not Sanic's worker manager (25.12), which ran the workers before:

* it never restarted a worker that died (``kill -9``, the OOM killer): it only marked it failed,
  without a log line, and the service ran on with fewer workers;
* after the last worker died, its main process still held the listening socket: connections were
  accepted by the kernel and hung (no answer, no refusal), so no health probe failed and
  ``Restart=`` of systemd never fired;
* all workers accepted from one shared socket, and each took every pending connection at once
  (the event loop's accept loop): 20 keep-alive connections opened together all sat on one worker;
* a stop signal during start-up hung for its 30-s threshold (sanic-org/sanic#2997).

So the main process here is a small supervisor without an event loop or a server. Each worker is
the single-process server of ``nura serve`` (``single_process=True``, the tested path), started
by :mod:`multiprocessing` and listening on its **own** socket bound with ``SO_REUSEPORT``, so the
kernel spreads new connections over the workers and a dead worker's socket disappears with it.
Where ``SO_REUSEPORT`` does not balance (not Linux), the supervisor binds one socket and hands it
to every worker, as Sanic did.

Supervision:

* a worker that dies is started again at once (log line with its pid and exit status, counted in
  ``nura_api_worker_restarts_total``); one that keeps dying is started after 0.5, 1, 2, 4 s;
* the service gives up — stops the other workers and exits with status 3, so that systemd,
  launchd or the Windows service manager restarts the whole service — when no worker is serving
  any more (every worker died) or one worker died 5 times within a minute (a crash loop); a
  worker that dies during the first start-up, or does not start within ``START_TIMEOUT``, ends the
  service with status 1 (a start-up error, as before);
* while no worker serves, nothing listens on the port: connections are refused at once, so
  ``/v1/health`` fails instead of hanging.

Workers start from a fork server that has imported the application once (Linux), so a restart
does not pay for the imports again; elsewhere they are spawned. Stop signals: the supervisor
forwards SIGTERM/SIGINT to every worker. Workers are started with both signals blocked and
unblock them once their own handlers record a stop, so a signal that comes while a worker starts
is carried out when its start-up is over (``honour_stop_during_startup``), never lost and never
half-way through an import.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from ipaddress import ip_address
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any, Literal

from nura_appliance.settings import Settings

if TYPE_CHECKING:  # annotations only: the app is imported in the worker, not at `nura --help`
    from multiprocessing.context import BaseContext, ForkServerContext, SpawnContext

    from sanic import Sanic

    from nura_appliance.context import AppContext

log = logging.getLogger("nura_appliance.cli.supervisor")

APP_NAME = "nura"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_STARTUP_FAILED = 1
EXIT_WORKERS_LOST = 3
START_TIMEOUT = 120.0  # seconds a worker may take to start serving
STOP_TIMEOUT = 60.0  # seconds the workers get to stop (requests in flight, then closing)
CRASH_WINDOW = 60.0
CRASH_LIMIT = 5  # deaths of one worker within CRASH_WINDOW that end the service
BALANCED_REUSEPORT = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")

# Worker states on the board.
SPAWNED, STARTING, SERVING = 0.0, 1.0, 2.0
_GLOBAL_FIELDS = 2  # expected workers, restarts
_SLOT_FIELDS = 3  # state, pid, started (wall clock)


class WorkerBoard:
    """A few numbers in shared memory that the supervisor and its workers both see: each worker's
    state and pid, and the restart count. Workers read it for ``/v1/metrics`` and the detailed
    ``/v1/health``; it costs no round trip and survives any worker."""

    def __init__(self, context: BaseContext, workers: int) -> None:
        self.workers = workers
        self.values = context.RawArray("d", _GLOBAL_FIELDS + _SLOT_FIELDS * workers)
        self.values[0] = workers

    def _at(self, slot: int, offset: int) -> int:
        return _GLOBAL_FIELDS + _SLOT_FIELDS * (slot - 1) + offset

    def set_slot(self, slot: int, state: float, pid: int = 0, started: float = 0.0) -> None:
        self.values[self._at(slot, 0)] = state
        if pid or state == SPAWNED:
            self.values[self._at(slot, 1)] = pid
            self.values[self._at(slot, 2)] = started

    def set_state(self, slot: int, state: float) -> None:
        self.values[self._at(slot, 0)] = state

    def state(self, slot: int) -> float:
        return float(self.values[self._at(slot, 0)])

    def count_restart(self) -> None:
        self.values[1] += 1

    def snapshot(self) -> dict[str, Any]:
        slots = range(1, self.workers + 1)
        return {
            "expected": self.workers,
            "serving": sum(1 for s in slots if self.state(s) == SERVING),
            "starting": sum(1 for s in slots if self.state(s) != SERVING and self.values[self._at(s, 1)] > 0),
            "restarts": int(self.values[1]),
            "pids": {f"api-{s}": int(self.values[self._at(s, 1)]) for s in slots if self.values[self._at(s, 1)] > 0},
        }


class RestartPolicy:
    """When to start a dead worker again, and when to give up (pure: tested without processes)."""

    def __init__(self, window: float = CRASH_WINDOW, limit: int = CRASH_LIMIT) -> None:
        self.window = window
        self.limit = limit
        self.deaths: dict[int, collections.deque[float]] = {}

    def after_death(self, slot: int, now: float) -> float | None:
        """Seconds to wait before starting ``slot`` again, or None: it keeps dying, give up."""
        recent = self.deaths.setdefault(slot, collections.deque())
        recent.append(now)
        while recent and now - recent[0] > self.window:
            recent.popleft()
        if len(recent) >= self.limit:
            return None
        return 0.0 if len(recent) == 1 else min(8.0, 0.5 * 2 ** (len(recent) - 2))


@dataclass
class _Slot:
    number: int
    process: Any = None
    started: float = 0.0  # monotonic
    serving: bool = False
    restart_at: float | None = None
    exits: list[str] = field(default_factory=list)


def _block(signals: tuple[signal.Signals, ...]) -> Any:
    """Block ``signals`` in this thread (POSIX; Windows has no signal masks): returns the old mask."""
    return signal.pthread_sigmask(signal.SIG_BLOCK, signals) if hasattr(signal, "pthread_sigmask") else None


def _restore(mask: Any) -> None:
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def exit_description(code: int | None) -> str:
    if code is None:
        return "unknown status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _bind(host: str, port: int, backlog: int, *, reuse_port: bool) -> socket.socket:
    """A listening TCP socket (address family from the host, like Sanic's ``bind_socket``)."""
    try:
        sock = socket.socket(socket.AF_INET6 if ip_address(host).version == 6 else socket.AF_INET)
    except ValueError:  # a host name
        sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def _check_port_free(host: str, port: int) -> None:
    """Refuse a port that something listens on already: with SO_REUSEPORT another process of the
    same user that also set it (an old ``nura serve`` left running) would silently share it."""
    from nura_appliance.errors import ConfigError

    try:
        probe = _bind(host, port, 1, reuse_port=False)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    probe.close()


class Supervisor:
    """Runs ``workers`` API worker processes and keeps them serving (see the module docstring)."""

    def __init__(
        self, settings: Settings, workers: int, *, start_method: Literal["forkserver", "spawn"] | None = None
    ) -> None:
        self.settings = settings
        self.host = str(settings.nura_host)
        self.port = int(settings.nura_port)
        self.slots = [_Slot(n) for n in range(1, workers + 1)]
        method: Literal["forkserver", "spawn"] = start_method or ("forkserver" if BALANCED_REUSEPORT else "spawn")
        # Named per method: mypy knows a context's Process by the literal method (BaseContext has none).
        self.context: ForkServerContext | SpawnContext
        if method == "forkserver":
            self.context = multiprocessing.get_context("forkserver")
            # Imported once in the fork server: a worker (first or restarted) starts from a copy.
            self.context.set_forkserver_preload(["nura_appliance.cli.supervisor", "nura_appliance.cli.worker_preload"])
        else:
            self.context = multiprocessing.get_context("spawn")
        self.board = WorkerBoard(self.context, workers)
        # Workers get the reading end; the writing end stays here alone (see _watch_supervisor).
        self.lifeline, self._lifeline_writer = self.context.Pipe(duplex=False)
        self.policy = RestartPolicy()
        self.shared_socket: socket.socket | None = None
        self.stop_signal: int | None = None
        self.stop_during_startup = False
        self.serving_once = False
        # Some worker has been ready at least once: from then on a death is a crash (restarted,
        # within the crash-loop limit), not a failed start-up.
        self.ready_once = False

    # -- signals -----------------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame: Any) -> None:
        if self.stop_signal is None:
            self.stop_signal = signum
            self.stop_during_startup = not all(s.serving for s in self.slots)

    # -- workers -----------------------------------------------------------------------------------
    def _start(self, slot: _Slot) -> None:
        slot.restart_at = None
        slot.serving = False
        args = (
            dict(self.settings.values),
            dict(self.settings.origins),
            slot.number,
            self.board,
            self.shared_socket,
            self.lifeline,
        )
        process = self.context.Process(target=run_api_worker, args=args, name=f"nura-api-{slot.number}", daemon=True)
        # Started with the stop signals blocked (the mask is inherited): a stop that comes while the
        # worker boots waits until its own handlers record it, instead of killing it mid-import.
        previous = _block(STOP_SIGNALS)
        try:
            process.start()
        finally:
            _restore(previous)
        slot.process, slot.started = process, time.monotonic()
        self.board.set_slot(slot.number, SPAWNED, process.pid or 0, time.time())

    def _on_exit(self, slot: _Slot) -> int | None:
        """A worker process ended; returns an exit status when the service has to stop."""
        process, was_serving = slot.process, slot.serving or self.board.state(slot.number) == SERVING
        self.ready_once = self.ready_once or was_serving
        process.join(timeout=1)
        code = process.exitcode
        slot.process, slot.serving = None, False
        self.board.set_slot(slot.number, SPAWNED)
        if self.stop_signal is not None:
            return None
        what = exit_description(code)
        if not self.ready_once:
            log.error("API worker %d (pid %s) ended during start-up (%s)", slot.number, process.pid, what)
            return EXIT_STARTUP_FAILED
        # A worker that died after one of them was ready (even while another was still starting) is
        # a crash like any other, not a failed start-up. Alive and serving now: the board's state counts
        # too (a worker can be ready before this loop has seen it), and when several died at once
        # their exits may not be seen yet.
        if not any(
            (s.serving or self.board.state(s.number) == SERVING) and s.process is not None and s.process.is_alive()
            for s in self.slots
        ):
            log.error(
                "API worker %d (pid %s) died (%s) and no API worker is serving: stopping, so that the service"
                " manager starts nura again (exit status %d)",
                slot.number,
                process.pid,
                what,
                EXIT_WORKERS_LOST,
            )
            return EXIT_WORKERS_LOST
        delay = self.policy.after_death(slot.number, time.monotonic())
        if delay is None:
            log.error(
                "API worker %d keeps dying (%d times within %.0f s, last: %s): stopping, so that the service"
                " manager starts nura again (exit status %d)",
                slot.number,
                self.policy.limit,
                self.policy.window,
                what,
                EXIT_WORKERS_LOST,
            )
            return EXIT_WORKERS_LOST
        log.warning(
            "API worker %d (pid %s) %s (%s); starting it again%s",
            slot.number,
            process.pid,
            "died" if was_serving else "died while starting",
            what,
            f" in {delay:.1f} s" if delay else "",
        )
        slot.restart_at = time.monotonic() + delay
        return None

    def _watch(self, now: float) -> None:
        for slot in self.slots:
            if slot.process is None:
                if slot.restart_at is not None and now >= slot.restart_at:
                    self._start(slot)
                    self.board.count_restart()
                continue
            if slot.serving:
                continue
            if self.board.state(slot.number) == SERVING:
                slot.serving = self.ready_once = True
                log.info("API worker %d ready (pid %s) after %.1f s", slot.number, slot.process.pid, now - slot.started)
            elif now - slot.started > START_TIMEOUT:
                log.error(
                    "API worker %d (pid %s) did not start within %.0f s; killing it",
                    slot.number,
                    slot.process.pid,
                    START_TIMEOUT,
                )
                slot.process.kill()

    def _monitor(self) -> int:
        while True:
            live = {s.process.sentinel: s for s in self.slots if s.process is not None}
            for sentinel in wait(list(live), timeout=0.1) if live else ():
                status = self._on_exit(live[sentinel])
                if status is not None:
                    return status
            if self.stop_signal is not None:
                return 0
            self._watch(time.monotonic())
            if not self.serving_once and all(s.serving for s in self.slots):
                self.serving_once = True
                log.info("%d API workers serving on %s:%s", len(self.slots), self.host, self.port)
                from nura_appliance.cli.setup import log_addresses

                log_addresses(self.settings)
            if not live and not any(s.restart_at is not None for s in self.slots):
                return EXIT_WORKERS_LOST

    def _stop_all(self, status: int) -> None:
        signum = self.stop_signal or signal.SIGTERM
        if self.stop_signal is not None:
            if self.stop_during_startup:
                log.info("a stop signal came while the workers started: stopping now")
            else:
                log.info("received %s: stopping the API workers", signal.Signals(signum).name)
        for slot in self.slots:
            if slot.process is None or not slot.process.is_alive():
                continue
            if status and not slot.serving:
                slot.process.kill()  # giving up: a worker still starting has nothing to finish
            else:
                os.kill(slot.process.pid, signum)
        deadline = time.monotonic() + STOP_TIMEOUT
        for slot in self.slots:
            if slot.process is None:
                continue
            slot.process.join(max(0.1, deadline - time.monotonic()))
            if slot.process.is_alive():
                log.error("API worker %d (pid %s) did not stop in time; killing it", slot.number, slot.process.pid)
                slot.process.kill()
                slot.process.join(5)
        if status == 0:
            log.info("all API workers stopped")

    # -- the whole run -----------------------------------------------------------------------------
    def run(self) -> int:
        """Start the workers and supervise them until a stop signal (status 0) or until they cannot
        be kept serving (status 1 or 3). Call from the main thread."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)
        if BALANCED_REUSEPORT:
            _check_port_free(self.host, self.port)
        else:
            self.shared_socket = _bind(self.host, self.port, 1024, reuse_port=False)
            self.shared_socket.set_inheritable(True)
        log.info(
            "starting %d API workers on %s:%s (%s)",
            len(self.slots),
            self.host,
            self.port,
            "a socket each, SO_REUSEPORT" if BALANCED_REUSEPORT else "one shared socket",
        )
        status = 0
        try:
            # All of them, even after a stop signal: each carries it out once started, the ordinary
            # way (stopping a half-started server is what hung Sanic's manager, #2997).
            for slot in self.slots:
                self._start(slot)
            status = self._monitor()
        finally:
            self._stop_all(status)
            if self.shared_socket is not None:
                self.shared_socket.close()
        return status


# -- inside a worker process ---------------------------------------------------------------------
def _watch_supervisor(lifeline: Any) -> None:
    """Stop this worker when its supervisor is gone (even killed with SIGKILL): an orphan would
    keep its SO_REUSEPORT socket and take a share of the next service's connections. Only the
    supervisor holds the other end of ``lifeline``, so reading it ends (EOF) exactly then; the
    parent process id is no use here (a fork-server worker's parent is the fork server, which
    lives on while any worker does)."""

    def watch() -> None:
        try:
            while True:
                lifeline.recv()
        except (EOFError, OSError):
            pass
        log.warning("the supervisor is gone: stopping this API worker")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="nura-supervisor-watch", daemon=True).start()


def run_api_worker(
    values: dict[str, Any],
    origins: dict[str, str],
    slot: int,
    board: WorkerBoard,
    shared_socket: socket.socket | None,
    lifeline: Any,
) -> None:
    """One API worker: the single-process server on its own SO_REUSEPORT socket (or the shared
    one), reporting its state on the board."""
    from nura_appliance.cli.setup import freeze_startup_heap, honour_stop_during_startup, record_stop_signals

    requested = record_stop_signals()  # before the stop signals are unblocked (see Supervisor._start)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    board.set_state(slot, STARTING)
    settings = Settings(dict(values), dict(origins))

    from nura_appliance.ops.logs import configure_logging

    configure_logging(json_lines=bool(settings.log_json), process=f"api-{slot}")
    _watch_supervisor(lifeline)

    from nura_appliance.app import create_app
    from nura_appliance.health import register_check
    from nura_appliance.http import on_context
    from nura_appliance.ops.metrics import SupervisionView

    app = create_app(settings, name=APP_NAME)
    view = SupervisionView(board, slot)

    async def publish(_app: Sanic, ctx: AppContext) -> None:
        ctx.supervision = view

    async def workers_check(_ctx: Any) -> dict[str, Any]:
        return view.describe()

    async def serving(_app: Sanic) -> None:
        board.set_state(slot, SERVING)

    on_context(app, publish)
    register_check(app, "workers", workers_check)
    app.after_server_start(freeze_startup_heap)
    app.after_server_start(serving)
    honour_stop_during_startup(app, requested)
    sock = shared_socket or _bind(settings.nura_host, settings.nura_port, 1024, reuse_port=True)
    # Our stop-signal handlers only (honour_stop_during_startup): Sanic's could lose a stop.
    app.run(sock=sock, single_process=True, register_sys_signals=False, access_log=False, motd=False, backlog=1024)
