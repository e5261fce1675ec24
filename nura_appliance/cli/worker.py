"""``nura worker``: run background jobs in their own process (set ``JOB_WORKER_ENABLED=false`` on
``nura serve`` then). The worker builds the same AppContext and runs every feature's start-up
hook, so it knows the same job kinds as the server; it does not serve HTTP."""

from __future__ import annotations

import asyncio
import logging
import signal
from importlib import import_module

from nura_appliance.errors import ConfigError
from nura_appliance.private import make_private
from nura_appliance.settings import Settings

log = logging.getLogger(__name__)


async def _run(settings: Settings, modules: list[str], ready_message: bool) -> None:
    from nura_appliance.app import create_app, start_context

    app = create_app(settings)
    app.ctx.start_job_consumer = False  # this process starts it itself, below
    ctx = await start_context(app, settings, load_knowledge=False)
    loop = asyncio.get_running_loop()
    try:
        jobs = ctx.jobs
        if jobs is None:  # create_app always sets the jobs feature up; a custom FEATURES list may not
            raise ConfigError("nura worker needs the jobs feature (nura_appliance.jobs.routes)")
        for name in modules:
            # Extensions (and tests) add job kinds with a module-level register_jobs(jobs).
            import_module(name).register_jobs(jobs)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if not jobs.start_consumer(loop):
            log.warning("background jobs are disabled (BACKGROUND_JOBS_ENABLED=false); nothing to run")
            return
        if ready_message:
            log.info("nura worker ready: %s thread(s), kinds: %s", settings.job_workers, ", ".join(jobs.kinds()))
        await stop.wait()
    finally:
        # Closing joins the consumer threads: do it off the loop.
        await loop.run_in_executor(None, ctx.close)


def run_worker(settings: Settings, modules: list[str] | None = None, *, ready_message: bool = True) -> None:
    from nura_appliance.ops.logs import configure_logging

    configure_logging(json_lines=bool(settings.log_json), process="worker")
    make_private(settings.data_dir)
    asyncio.run(_run(settings, list(modules or []), ready_message))
