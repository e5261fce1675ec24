"""Shared fixtures: every test gets its own data dir (real SQLite files in a temp dir) and, where
needed, a fresh app with an async test client."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic import Sanic

from nura_appliance.app import create_app
from nura_appliance.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

Sanic.test_mode = True


def _reuse_compiled_routers() -> None:
    """Render and compile each distinct route table once per test process.

    Every app start finalizes its router three times (sanic-ext adds the automatic HEAD routes,
    then the OPTIONS routes, then Sanic's own start-up), and each finalize renders the route
    table as Python source (walking the route tree), parses it, un-parses it again
    (``find_route_src_compiled``, kept only for people reading it) and compiles it: ~0.09 s CPU of
    each ~0.3 s app start here before any of this, ~0.02-0.04 s for the rendering alone once the
    compile was shared. The source is a function of the table's shape alone: which groups sit in
    the static, dynamic and regex tables, in that order, and for each of their routes its raw path
    (the parameters and their types), methods, requirements (hosts), strictness, unquoting and
    priority, plus the router's parameter types. The compiled ``find_route`` reads every table
    through its ``router`` argument, so routers of the same shape share the source, the function
    and each regex group's index into the matchers (the one thing rendering sets on the groups).
    A router of a shape not seen before is rendered and compiled as before. Test-only: ``nura
    serve`` starts one app per process and renders as before."""
    from sanic_routing.router import BaseRouter

    render = BaseRouter._render
    rendered: dict[tuple[Any, ...], tuple[str, Any, Any, str, tuple[int, ...]]] = {}

    def group_shape(segments: tuple[str, ...], group: Any) -> tuple[Any, ...]:
        routes = tuple(
            (
                route.raw_path,
                tuple(sorted(route.methods)),
                repr(route.requirements),
                route.strict,
                route.unquote,
                route.priority,
            )
            for route in group.routes
        )
        return (segments, routes)

    def shape(router: BaseRouter) -> tuple[Any, ...]:
        # The static table is only looked up by its key in the source (its order does not show);
        # the order of the other two decides the order of the source's checks, so it is kept.
        static = tuple(sorted(group_shape(segments, group) for segments, group in router.static_routes.items()))
        dynamic = tuple(group_shape(segments, group) for segments, group in router.dynamic_routes.items())
        regex = tuple(group_shape(segments, group) for segments, group in router.regex_routes.items())
        types = tuple(sorted((label, repr(value)) for label, value in router.regex_types.items()))
        return (type(router), router.delimiter, static, dynamic, regex, types)

    def _render(self: BaseRouter, do_compile: bool = True, do_optimize: bool = False) -> None:
        if not do_compile or do_optimize:
            render(self, do_compile, do_optimize)
            return
        key = shape(self)
        known = rendered.get(key)
        if known is None:
            render(self, do_compile=True)
            indices = tuple(group.pattern_idx for group in self.regex_routes.values())
            rendered[key] = (
                self.find_route_src,
                self._find_route,
                self._matchers,
                self.find_route_src_compiled,
                indices,
            )
            return
        self.find_route_src, self._find_route, self._matchers, self.find_route_src_compiled, indices = known
        for group, index in zip(self.regex_routes.values(), indices, strict=True):
            group.pattern_idx = index

    BaseRouter._render = _render  # type: ignore[method-assign]


def _read_touchup_sources_once() -> None:
    """Sanic's start-up "touch-up" re-reads the source of the same nine ``Sanic`` methods for
    every app (in test mode it always starts from the untouched originals) and tokenizes their
    whole blocks to find them: ~0.02 s CPU of each app start. The originals never change during a
    run, so read each once per process; the touch-up itself (which signals an app has) still runs
    for every app."""
    import inspect

    from sanic.touchup.schemes import base as touchup

    touchup.getsource = functools.cache(inspect.getsource)  # type: ignore[attr-defined]
    _touch_up_once_per_signal_set()


def _touch_up_once_per_signal_set() -> None:
    """The rest of the touch-up (parse each of the nine methods, run the schemes' AST visitors,
    compile, ``exec``) was ~0.03 s CPU of each app start here, and its result is a function of
    three things only: the method (its original source), the names of the signals the app has
    (``OptionalDispatchEvent`` removes the ``dispatch`` calls of the others) and the HTTP versions
    and ports of the app's servers (``AltSvcCheck``; none under ASGI). The touched function is set
    on the ``Sanic`` class and so shared by every app already; here one is built per distinct
    (method, signals, servers) and reused. The schemes are still instantiated for every app
    (``OptionalDispatchEvent.__init__`` syncs the signals of running servers: a side effect kept).
    Test-only, like the two above: a served app is touched once per process anyway."""
    from sanic.touchup.schemes.base import BaseScheme

    build = BaseScheme.build.__func__  # type: ignore[attr-defined]
    built: dict[tuple[Any, ...], Any] = {}

    def cached_build(cls: type[BaseScheme], method: Any, module_globals: dict[str, Any], app: Any) -> Any:
        for scheme in BaseScheme._registry:
            scheme(app)()  # each scheme's own start-up, as build would (the result is in the key)
        key = (
            getattr(method, "__code__", method),
            tuple(sorted(signal.name for signal in app.signal_router.routes)),
            tuple((info.settings["version"], info.settings["port"]) for info in app.state.server_info),
            app.state.verbosity,
        )
        known = built.get(key)
        if known is None:
            known = built[key] = build(cls, method, module_globals, app)
        return known

    BaseScheme.build = classmethod(cached_build)  # type: ignore[method-assign,assignment]


def _analyse_route_handlers_once() -> None:
    """Sanic analyses every handler it routes, for every app: ``inspect.signature`` (twice for a
    path with parameters: the parameter names, and the annotations of ``<name>`` parameters), and
    ``_determine_error_format``, which reads the handler's source and parses it to find what its
    ``return`` statements build. sanic-ext's automatic HEAD and OPTIONS routes add ~160
    ``functools.partial`` handlers per app on top of our ~115 routes, and a partial's signature
    costs a trial ``bind_partial``. With the route paths split into parts (``path_to_parts``,
    pure on two strings) that was ~0.045 s CPU of each ~0.105 s app start here (cProfile, 20
    starts on initialised copies). Each analysis is a function of the handler's code (its
    ``__code__``, the names of a partial's bound arguments; the annotations for a signature), which
    every app shares: the handlers are the same functions, or closures of the same code made per
    app, and no file changes during a run. So each is made once per process and code. Anything
    else (a ``__signature__``, a ``__wrapped__``, a callable object) is analysed as before.
    Test-only, like the two above."""
    import inspect
    import types

    import sanic.mixins.routes as sanic_routes
    import sanic.router as sanic_router
    import sanic_routing.route as routing_route
    import sanic_routing.router as routing_router
    import sanic_routing.utils as routing_utils

    def plain(handler: Any) -> types.FunctionType | None:
        if type(handler) is types.FunctionType and not hasattr(handler, "__wrapped__"):
            if not hasattr(handler, "__signature__"):
                return handler
        return None

    def code_key(function: types.FunctionType) -> tuple[Any, ...]:
        annotations = tuple((name, repr(value)) for name, value in function.__annotations__.items())
        return (function.__code__, annotations)

    signatures: dict[tuple[Any, ...], inspect.Signature] = {}

    def signature(handler: Any) -> inspect.Signature:
        function = plain(handler)
        if function is not None:
            key: tuple[Any, ...] | None = code_key(function)
        elif type(handler) is functools.partial and plain(handler.func) is not None:
            key = (*code_key(handler.func), len(handler.args), tuple(sorted(handler.keywords)))
        else:
            key = None
        if key is None:
            return inspect.signature(handler)
        known = signatures.get(key)
        if known is None:
            known = signatures[key] = inspect.signature(handler)
        return known

    error_formats: dict[Any, str] = {}
    determine = sanic_routes.RouteMixin._determine_error_format

    def _determine_error_format(self: Any, handler: Any) -> str:
        function = plain(handler)
        if function is None:
            return determine(self, handler)
        code = function.__code__
        if code not in error_formats:
            error_formats[code] = determine(self, handler)
        return error_formats[code]

    sanic_routes.signature = signature  # type: ignore[attr-defined]
    sanic_router.signature = signature  # type: ignore[attr-defined]
    sanic_routes.RouteMixin._determine_error_format = _determine_error_format  # type: ignore[method-assign]
    split = functools.lru_cache(maxsize=None)(routing_utils.path_to_parts)
    routing_route.path_to_parts = split  # type: ignore[attr-defined]
    routing_router.path_to_parts = split  # type: ignore[attr-defined]


_reuse_compiled_routers()
_read_touchup_sources_once()
_analyse_route_handlers_once()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's environment or ./data."""
    for name in list(os.environ):
        if name.startswith(
            ("NURA_", "OPENAI_", "HANDOFF_", "TELEGRAM_", "WHATSAPP_", "ADMIN_", "JOB_", "RAG_", "PASSWORD_HASH_")
        ) or name in (
            "API_KEY",
            "APP_ENV",
            "CORS_ORIGINS",
            "COMPANY_NAME",
            "AGENT_NAME",
            "BACKGROUND_JOBS_ENABLED",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NURA_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


# The API key (admin scope) of settings made by make_settings: there is no shipped default any more.
TEST_API_KEY = "suite-api-key-Vb4Rz8Kq2Wn6Tx9M"


# Still argon2id, at 256 KiB and 1 pass (~0.3 ms a hash) instead of the production 19 MiB and 2
# passes (~0.03 s here): the suite hashes and verifies a few hundred passwords (logins, users,
# first admins), ~12 s CPU at the production cost. tests/test_auth.py checks the production
# default parameters and the re-hash between the two.
CHEAP_PASSWORD_HASHES: dict[str, Any] = {"PASSWORD_HASH_MEMORY_KIB": 256, "PASSWORD_HASH_TIME_COST": 1}


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    # Always open for agents, so hand-off outcomes do not depend on the hour the tests run at
    # (tests of working hours set BUSINESS_HOURS themselves). No scheduled backups either: a test
    # running across 03:00 would otherwise find a backup job in the queue (tests/test_backup_schedule.py
    # sets its own schedule).
    base: dict[str, Any] = {
        "APP_ENV": "test",
        "JOB_WORKER_ENABLED": False,
        "BUSINESS_HOURS": "",
        "BACKUP_SCHEDULE": "off",
        "API_KEY": TEST_API_KEY,
    }
    if overrides.get("APP_ENV") != "production":  # production refuses them; its tests keep the real cost
        base.update(CHEAP_PASSWORD_HASHES)
    base.update(overrides)
    return load_settings(overrides=base, data_dir=data_dir, environ={})


@contextlib.asynccontextmanager
async def default_pack_context(
    data_dir: Path, pack: dict[str, Any] | None = None, **overrides: Any
) -> AsyncIterator[Any]:
    """A context (no app, no server) on ``data_dir`` with the shipped default pack (or ``pack``)
    loaded and indexed and the pipeline's rules and scope message read:
    ``ctx.pipeline.answer(text, lang)`` at once. ``overrides``: settings for ``make_settings``."""
    from nura_appliance.context import build_context, load_default_knowledge
    from nura_appliance.knowledge.service import install_knowledge

    if pack is None and not overrides:
        # A copy of a first start's data dir: the default pack is already imported and indexed
        # there (importing it costs ~0.45 s CPU here), so load_default_knowledge finds it and
        # loads nothing. With overrides the pack is imported here, as before.
        initialised_copy(data_dir)
    ctx = build_context(make_settings(data_dir, **overrides))
    try:
        if pack is None:
            await load_default_knowledge(ctx)
        else:
            await ctx.knowledge.load_pack(pack)
        await install_knowledge(ctx, background_reindex=False)
        await ctx.pipeline.refresh(force=True)
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
async def default_pipeline(data_dir: Path) -> AsyncIterator[Any]:
    """The app context of ``default_pack_context`` with default settings (the article tier's
    tests: ``default_pipeline.pipeline.answer(text, lang)``)."""
    async with default_pack_context(data_dir) as ctx:
        yield ctx


class InitialisedDirs:
    """Data dirs on which an app has started and stopped once — migrations run, secrets written,
    the knowledge pack imported — one per set of first-start settings, built on first use and
    never opened again: tests get a copy of the files (``copy_to``), never a shared live database.
    A first start costs ~0.7 s CPU here, a start on a copy ~0.15 s."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self.built: dict[tuple[tuple[str, str], ...], Path] = {}

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="nura-initialised-"))
            atexit.register(shutil.rmtree, self._root, True)
        return self._root

    def remove(self) -> None:
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
            self.built.clear()

    def template(self, **first_start: Any) -> Path:
        key = tuple(sorted((name, repr(value)) for name, value in first_start.items()))
        if key not in self.built:
            folder = self.root / f"initialised-{len(self.built)}" / "data"

            async def build() -> None:
                async with running_app(make_settings(folder, **first_start)):
                    pass

            # Its own thread and event loop: callable from a sync fixture and from an async test alike.
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, build()).result()
            self.built[key] = folder
        return self.built[key]

    def migrated_database(self) -> Path:
        """A data dir whose only content is an empty ``nura.db`` with every SQLite migration applied,
        built once per process (``sqlite_db`` copies its files instead of migrating: ~25 ms CPU a
        test here, for the ~150 SQLite runs of the store contract tests)."""
        key = (("<migrated nura.db>", ""),)
        if key not in self.built:
            from nura_appliance.storage.stores import open_database

            folder = self.root / "migrated-sqlite"
            _, db = open_database(make_settings(folder))
            db.close()
            self.built[key] = folder
        return self.built[key]

    def copy_to(self, data_dir: Path, **first_start: Any) -> Path:
        """``data_dir`` holding a copy of the template for ``first_start`` (settings that change
        what a first start builds, e.g. ``LOAD_DEFAULT_KNOWLEDGE=False``); pass the same ones to
        ``make_settings`` afterwards."""
        return copy_initialised(self.template(**first_start), data_dir)


INITIALISED = InitialisedDirs()


def initialised_copy(data_dir: Path, **first_start: Any) -> Path:
    """``data_dir`` as a first start with ``first_start`` settings left it (a copy; see
    ``InitialisedDirs``). For helpers that build their own settings: ``make_settings(
    initialised_copy(data_dir, LOAD_DEFAULT_KNOWLEDGE=False), LOAD_DEFAULT_KNOWLEDGE=False, …)``.
    Not for PostgreSQL/Redis settings nor for tests of the first start itself."""
    return INITIALISED.copy_to(data_dir, **first_start)


@pytest.fixture(scope="session")
def initialised_data_dir() -> Path:
    """The template of ``make_settings``' defaults (see ``InitialisedDirs``)."""
    return INITIALISED.template()


def copy_initialised(template: Path, data_dir: Path) -> Path:
    """Copy the files of ``initialised_data_dir`` into ``data_dir`` (its lock file excepted)."""
    shutil.copytree(template, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("nura.lock"))
    return data_dir


@pytest.fixture
def ready_data_dir(data_dir: Path, initialised_data_dir: Path) -> Path:
    """``data_dir`` holding a copy of ``initialised_data_dir``. For a test (or a module's own
    ``settings`` fixture) that passes overrides which do not change what a first start builds
    (not the knowledge pack, ``LOAD_DEFAULT_KNOWLEDGE``, the database or the secrets):
    ``make_settings(ready_data_dir, RATE_LIMIT_…=2)``. The app then starts as it would after a
    restart with changed settings."""
    return copy_initialised(initialised_data_dir, data_dir)


@pytest.fixture
def settings(ready_data_dir: Path) -> Settings:
    """Default settings on a copy of ``initialised_data_dir`` (what a first start would have made);
    a test that needs an empty data dir uses ``make_settings(data_dir)`` instead."""
    return make_settings(ready_data_dir)


@pytest.fixture
def app(settings: Settings) -> Iterator[Sanic]:
    application = create_app(settings)
    yield application


class AppClient(httpx.AsyncClient):
    """httpx client bound to the app over ASGI. Unlike sanic-testing's client, the app's
    start-up and shut-down listeners run once per test, not once per request, so state such
    as the event bus lives for the whole test."""


class _Lifespan:
    """One ASGI ``lifespan`` conversation with an app: the public ASGI interface that uvicorn and
    every other ASGI server use to run an app's start-up and shut-down listeners."""

    def __init__(self, app: Sanic) -> None:
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self.task = asyncio.create_task(app(scope, self.to_app.get, self.from_app.put))

    async def step(self, event: str) -> None:
        await self.to_app.put({"type": f"lifespan.{event}"})
        getter = asyncio.ensure_future(self.from_app.get())
        done, _ = await asyncio.wait({getter, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            self.task.result()  # the app's lifespan handler ended early: raise what it raised
            raise RuntimeError(f"the app ended its lifespan before {event} completed")
        reply = getter.result()
        if reply["type"] != f"lifespan.{event}.complete":
            raise RuntimeError(f"{event} failed: {reply.get('message', reply)}")


_LIFESPANS: dict[int, _Lifespan] = {}


async def start_app(app: Sanic) -> None:
    """Run ``app``'s start-up listeners the way an ASGI server does (``lifespan.startup``), then
    start its rate limiters' windows afresh (``rate_windows_from_now``)."""
    lifespan = _LIFESPANS[id(app)] = _Lifespan(app)
    await lifespan.step("startup")  # a failed start-up raises here; stop_app still shuts down
    ctx = getattr(app.ctx, "nura", None)
    for limiter in (getattr(ctx, "limits", None), getattr(ctx, "handoff_limiter", None)):
        if limiter is not None:
            limiter.clock = rate_windows_from_now()


def rate_windows_from_now() -> Callable[[], float]:
    """A clock for ``RateLimiter.clock`` that runs with the real one but reads one second into a
    fresh hour now. The limiter counts in windows of the clock (a minute, mostly; every window
    divides an hour), so a test's burst of calls cannot straddle a window's edge and see its count
    start again (on the wall clock a test that began at hh:mm:59 did, under load)."""
    shift = 3600 - time.time() % 3600 + 1
    return lambda: time.time() + shift


async def stop_app(app: Sanic) -> None:
    """Run ``app``'s shut-down listeners (``lifespan.shutdown``)."""
    lifespan = _LIFESPANS.pop(id(app))
    await lifespan.step("shutdown")
    await lifespan.task


@contextlib.asynccontextmanager
async def serving(app: Sanic) -> AsyncIterator[AppClient]:
    """Start ``app`` once, yield an httpx client on it over ASGI, stop it afterwards. Start-up
    and shut-down go through the ASGI ``lifespan`` protocol (``start_app``/``stop_app``), requests
    through ``httpx.ASGITransport``: public interfaces only, no Sanic internals."""
    try:
        await start_app(app)
    except BaseException:
        await stop_app(app)
        raise
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with AppClient(transport=transport, base_url="http://testserver") as test_client:
            yield test_client
    finally:
        await stop_app(app)


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[Sanic, AppClient]]:
    """A fresh app for ``settings`` and a client on it, for tests that need custom settings."""
    app = create_app(settings)
    async with serving(app) as test_client:
        yield app, test_client


@pytest.fixture
async def client(app: Sanic) -> AsyncIterator[AppClient]:
    async with serving(app) as test_client:
        yield test_client


async def new_session(client: httpx.AsyncClient, text: str = "مرحبا", **extra: Any) -> dict[str, Any]:
    """Start a session with one message; returns the /v1/message answer."""
    resp = await client.post(
        "/v1/message", json={"session_id": None, "customer_id": "cust-001", "channel": "web", "message": text, **extra}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


# Under pytest-xdist (``make test``, ``make test-fast``), the order in which the controller hands
# out work: the long tests first (the PyInstaller bundle's group, the built wheel, fuzzing, mypy),
# then Chromium, llama.cpp and the fault tests, then the rest, so no long test starts last and forms
# the run's tail alone on one worker while the others are idle (``--no-loadscope-reorder`` in the
# Makefile keeps this order; xdist would otherwise put the largest groups first).
_FIRST_MARKERS = (("slow",), ("browser", "llm", "fault", "system"))


def _shared_fixture_module(item: pytest.Item) -> str | None:
    """The module of ``item`` when it takes a fixture of module (or package or class) scope: such a
    fixture (the PyInstaller bundle, the built wheel, a seeded live server, a fuzzed server, the
    original app's PostgreSQL database) is built once per process that runs a test of the module,
    so under ``--dist loadgroup`` the module's tests stay on one worker and it is built once per run.
    Session-scoped fixtures (``initialised_data_dir``) are per process by design and cheap; they do
    not group."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    for definitions in info.name2fixturedefs.values():
        if any(d.scope in ("module", "package", "class") for d in definitions):
            return item.nodeid.split("::", 1)[0]
    return None


def _group_of(item: pytest.Item) -> str | None:
    names = sorted(
        {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
    )
    module = _shared_fixture_module(item)
    if module is not None:
        names.append(module)
    return "_".join(names) or None


def _join_group(item: pytest.Item, group: str) -> None:
    """What ``--dist loadgroup`` reads: the group after an ``@`` at the end of the test's node id.
    pytest-xdist 3.8 writes it into ``item._nodeid``, which pytest 9.2's structured node ids no
    longer read (pytest-dev/pytest-xdist#1386: the ``xdist_group`` mark silently stops grouping), so
    it is written here, into whichever of the two this pytest has, and no mark is added for xdist to
    write again. A suffix written twice (a fixed xdist and an ``xdist_group`` mark) still names the
    same group: the scheduler reads what follows the last ``@``."""
    nodeid = f"{item.nodeid}@{group}"
    if hasattr(item, "_id"):
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(nodeid)
    else:
        item._nodeid = nodeid
    assert item.nodeid == nodeid, "this pytest keeps node ids elsewhere: tests/conftest.py, _join_group"


# First: the browser mark must be there before ``-m`` deselects (the mark plugin's hook).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that takes a Chromium fixture is a browser test wherever the fixture comes from, so
    `make test-fast` (``-m "not browser …"``) never starts Chromium for an unmarked one. In a
    pytest-xdist worker, the long tests go first and, under ``--dist loadgroup``, the tests sharing
    a module-scoped fixture form one group (above)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)
    if not hasattr(config, "workerinput"):  # the controller or a plain run: collection order kept
        return

    def rank(item: pytest.Item) -> int:
        for position, names in enumerate(_FIRST_MARKERS):
            if any(item.get_closest_marker(name) is not None for name in names):
                return position
        return len(_FIRST_MARKERS)

    groups = {id(item): _group_of(item) for item in items}
    # A group moves as one: it ranks as its most urgent test.
    group_rank: dict[str, int] = {}
    for item in items:
        if (group := groups[id(item)]) is not None:
            group_rank[group] = min(group_rank.get(group, len(_FIRST_MARKERS)), rank(item))
    items.sort(key=lambda item: group_rank[group] if (group := groups[id(item)]) is not None else rank(item))
    if config.getvalue("loadgroup"):
        for item in items:
            if (group := groups[id(item)]) is not None:
                _join_group(item, group)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so a fixture's teardown can tell a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# How long a ``nura serve`` subprocess may take to answer its health check. 30 s was too little
# beside other work: at a load of 15 on 2 cores a first start took 16-18 s when it was quick and
# more than 30 s once (make test-fast, 2026-12-07); one that hangs still fails.
SERVE_START_TIMEOUT = 120.0


@contextlib.contextmanager
def serving_subprocess(folder: Path, extra_env: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """``nura serve`` as a real subprocess on a free port with its data dir under ``folder``;
    yields its base URL and data dir (and stops it afterwards)."""
    data = folder / "live-data"
    port = free_port()
    log_path = folder / "server.log"
    env = {
        **os.environ,
        "NURA_DATA_DIR": str(data),
        "APP_ENV": "test",
        "ADMIN_PASSWORD": "test-admin-pass-123",
        "API_KEY": os.environ.get("API_KEY", TEST_API_KEY),
        "BUSINESS_HOURS": os.environ.get("BUSINESS_HOURS", ""),
        "BACKUP_SCHEDULE": os.environ.get("BACKUP_SCHEDULE", "off"),
        **(extra_env or {}),
    }
    if env["APP_ENV"] != "production":
        env = {**{name: str(value) for name, value in CHEAP_PASSWORD_HASHES.items()}, **env}
    # The server's output goes to a file: a pipe nobody reads fills up (64 KiB) and then blocks
    # the server on its next log line.
    log_file = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nura_appliance", "serve", "--port", str(port)],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + SERVE_START_TIMEOUT
    while time.time() < deadline:
        if proc.poll() is not None:
            log_file.close()
            raise RuntimeError(log_path.read_text(errors="replace") or "server exited")
        if health_answers(base):
            break
        time.sleep(0.1)
    else:
        proc.kill()
        log_file.close()
        raise RuntimeError(
            f"nura serve did not become healthy in {SERVE_START_TIMEOUT:.0f} s:\n"
            f"{log_path.read_text(errors='replace')[-4000:]}"
        )
    try:
        yield {"url": base, "data_dir": data, "process": proc, "port": port, "log": log_path}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()


@pytest.fixture
def live_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """``nura serve`` as a real subprocess on a free port; yields its base URL and data dir."""
    with serving_subprocess(tmp_path) as info:
        try:
            yield info
        finally:
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:  # shown under "Captured stdout teardown"
                log = info["log"]
                print(f"--- the server's output ({log}) ---\n{log.read_text(errors='replace')[-8000:]}")


@functools.cache
def _polling_client() -> httpx.Client:
    # Built once per process: an httpx.Client builds an SSL context (loads the CA bundle), ~0.02 s
    # CPU here (0.06 s under load), and ``httpx.get`` builds a client per call, so a wait that
    # polled ``/v1/health`` every 0.05-0.2 s spent more CPU in the test process than the server did
    # starting. No keep-alive: each poll is its own connection and leaves none open, as before.
    return httpx.Client(timeout=1, limits=httpx.Limits(max_keepalive_connections=0))


def health_answers(base: str) -> bool:
    """Whether ``GET {base}/v1/health`` answers 200 within 1 s (the polls of the start-up waits)."""
    try:
        return _polling_client().get(f"{base}/v1/health").status_code == 200
    except httpx.HTTPError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def need_service(host: str, port: int, what: str) -> None:
    """Skip when a service is missing locally; under CI=true a missing service fails the test."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return
    except OSError:
        message = f"{what} is not reachable on {host}:{port}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


# -- store backends (the contract mixins in tests/test_store_*.py) ------------------------------------
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Any]:
    """A migrated SQLite ``Database`` in a temp dir, a copy of ``INITIALISED.migrated_database()``
    (the migrations themselves are tested on empty files: tests/test_core_storage.py)."""
    from nura_appliance.storage.stores import open_database

    # A copy of the migrated template (its database files only); open_database finds nothing to apply.
    folder = tmp_path / "sqlite-store"
    folder.mkdir()
    for file in INITIALISED.migrated_database().glob("nura.db*"):
        shutil.copyfile(file, folder / file.name)
    _, db = open_database(make_settings(folder))
    try:
        yield db
    finally:
        db.close()


class PgTemplate:
    """A PostgreSQL database with every migration applied, made once per test process (so once per
    pytest-xdist worker) and dropped at its exit. ``CREATE DATABASE … TEMPLATE`` copies it in ~0.1 s,
    where running the migrations on an empty database takes ~1–1.5 s. Nothing ever connects to it
    after it is built (PostgreSQL copies only a template nobody is connected to)."""

    def __init__(self) -> None:
        self.name: str | None = None

    def get(self) -> str:
        if self.name is None:
            import uuid

            import psycopg

            from nura_appliance.storage.stores import open_pg_database

            # The creating process's id is in the name: a run that was killed (no session finish,
            # no atexit) leaves its template behind, and the next run drops it.
            name = f"nura_template_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                stale = [
                    row[0]
                    for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'nura_template_%'")
                    if _creator_gone(row[0])
                ]
                conn.execute(f'CREATE DATABASE "{name}"')
            for old in stale:
                _drop_pg_database(old)
            self.name = name
            atexit.register(self.drop)
            open_pg_database(f"postgresql://postgres@127.0.0.1:5432/{name}").close()
        return self.name

    def drop(self) -> None:
        """Drop the template (at the end of the session; atexit as a fallback)."""
        if self.name is not None:
            _drop_pg_database(self.name)
            self.name = None


def _creator_gone(name: str) -> bool:
    """Whether the process that built template ``name`` (``nura_template_<pid>_<hex>``) has ended
    (a name without a pid is left alone: nothing tells whether its run still uses it)."""
    parts = name.split("_")
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _drop_pg_database(name: str) -> None:
    import psycopg

    with contextlib.suppress(Exception), psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PG_TEMPLATE = PgTemplate()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove this process's PostgreSQL template and initialised data dirs. In each pytest-xdist
    worker too, where atexit handlers do not always run."""
    PG_TEMPLATE.drop()
    INITIALISED.remove()


@contextlib.contextmanager
def fresh_pg_database(*, migrated: bool = False) -> Iterator[str]:
    """A new PostgreSQL database on 127.0.0.1:5432 (dropped on exit); its URL. Empty, or with
    ``migrated=True`` a copy of the migrated ``PG_TEMPLATE`` (for tests whose subject is not the
    first migration). Skips when PostgreSQL is missing locally, fails under CI=true."""
    import uuid

    import psycopg

    need_service("127.0.0.1", 5432, "PostgreSQL")
    name = f"nura_store_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{PG_TEMPLATE.get()}"' if migrated else ""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{template}')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture
def pg_db() -> Iterator[Any]:
    """A migrated ``PgDatabase`` on a fresh PostgreSQL database (a copy of ``PG_TEMPLATE``; opening
    it checks that every migration is applied)."""
    from nura_appliance.storage.stores import open_pg_database

    with fresh_pg_database(migrated=True) as url:
        db = open_pg_database(url)
        try:
            yield db
        finally:
            db.close()


# -- raw SQL in tests, on either backend (the product has no translator: each backend gets its own text) --
_QMARK = re.compile(r"('(?:[^']|'')*')|(\?)|(?<!:):([A-Za-z_]\w*)|(%)")


def is_pg(db_or_conn: Any) -> bool:
    """Whether a database or a connection handed to ``fn(conn)`` is PostgreSQL's."""
    return getattr(db_or_conn, "dialect", "sqlite") == "postgres"


def pg_text(sql_qmark: str, params: Any = ()) -> str:
    """Test SQL written with SQLite's parameters (``?``, ``:name``) in psycopg's (``%s``,
    ``%(name)s``; a literal ``%`` doubled when there are parameters). Only the parameter style:
    the statement itself must be valid on both backends (or pick a text per backend with ``is_pg``)."""

    def swap(match: re.Match[str]) -> str:
        if match.group(2):
            return "%s"
        if match.group(3):
            return f"%({match.group(3)})s"
        if match.group(4):
            return "%%" if params else "%"
        return match.group(0)

    return _QMARK.sub(swap, sql_qmark)


def run_sql(conn: Any, sql_qmark: str, params: Any = ()) -> list[dict[str, Any]]:
    """Run test SQL (``?`` parameters) on a connection of either backend inside ``db.read`` /
    ``db.write``; its rows (none for a statement without any)."""
    if is_pg(conn):
        return conn.sql(pg_text(sql_qmark, params), params).fetchall()
    return list(conn.execute(sql_qmark, params))


def execute_sql(db: Any, sql_qmark: str, params: Any = ()) -> int:
    """A write of test SQL on either backend, in the database's writer; the rows it changed."""

    def run(conn: Any) -> int:
        run_sql(conn, sql_qmark, params)
        return int(conn.changes())

    return int(db.write_sync(run))


async def fetch_rows(db: Any, sql_qmark: str, params: Any = ()) -> list[dict[str, Any]]:
    """``query_rows`` for async tests (on the database's readers, off the event loop)."""
    return list(await db.read(lambda c: run_sql(c, sql_qmark, params)))


async def fetch_row(db: Any, sql_qmark: str, params: Any = ()) -> dict[str, Any] | None:
    """The first row of ``fetch_rows`` (None without rows)."""
    rows = await fetch_rows(db, sql_qmark, params)
    return rows[0] if rows else None


async def write_sql(db: Any, sql_qmark: str, params: Any = ()) -> int:
    """``execute_sql`` for async tests: a write of test SQL in the database's writer; rows changed."""

    def run(conn: Any) -> int:
        run_sql(conn, sql_qmark, params)
        return int(conn.changes())

    return int(await db.write(run))


def seed_rows(db: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert test rows on either backend (each backend's own parameter style, no translation)."""
    for row in rows:
        cols = ", ".join(row)
        text = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in row)})"
        db.write_sync(lambda c, text=text, row=row: run_sql(c, text, tuple(row.values())))


def query_rows(db: Any, sql_qmark: str, params: Any = ()) -> list[dict[str, Any]]:
    """Read rows on either backend; ``sql_qmark`` uses ``?`` / ``:name`` (psycopg's style on PostgreSQL)."""
    return db.read_sync(lambda c: run_sql(c, sql_qmark, params))


def article_snapshot(texts: Sequence[str]) -> Any:
    """An article index snapshot of one article per text, holding only the terms and their document
    frequencies (no vectors): what the article tier's word rules read."""
    import numpy as np

    from nura_appliance.knowledge.retrieval import _Snapshot, analyse

    empty = np.zeros((0, 1), dtype=np.float32)
    ids = [f"a{i}" for i in range(len(texts))]
    snap = _Snapshot("v", "", ids, np.zeros(0, dtype=np.int64), empty, empty, np.zeros(0, dtype=np.int64))
    snap.terms = [frozenset(analyse(text)[0]) for text in texts]
    for terms in snap.terms:
        for term in terms:
            snap.df[term] = snap.df.get(term, 0) + 1
    return snap
