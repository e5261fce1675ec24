"""``GET /v1/metrics``: Prometheus text format, for admins or whoever holds ``METRICS_TOKEN``.

Two kinds of numbers:

* **per process** — requests by route, method and status with a latency histogram, counted by
  a response middleware into a :class:`CollectorRegistry` that belongs to this app (no global
  registry, so every test app and every worker counts on its own);
* **from the database at scrape time** — messages by source tier, hand-offs, queue depth, job
  states and failures, LLM calls, tokens and cost. Read through the database's
  :class:`~nura_appliance.storage.base.MetricsStore` (a reader thread, never the event loop) and cached for a few seconds so a tight scrape interval stays cheap. They are the
  appliance's durable totals, so every worker reports the same values.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from sanic import Blueprint, HTTPResponse, Request, Sanic

from nura_appliance import __version__
from nura_appliance.auth.access import PUBLIC, ROLE_RANK, access
from nura_appliance.errors import Forbidden, Unauthorized

bp = Blueprint("metrics", url_prefix="/v1")
SNAPSHOT_SECONDS = 5.0
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    """The per-app registry and the request counters the middleware feeds."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "nura_http_requests",
            "HTTP requests by route, method and status.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "nura_http_request_duration_seconds",
            "HTTP request latency by route.",
            ("route", "method"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        ProcessCollector(registry=self.registry)
        self.snapshot: tuple[float, list[Metric]] | None = None
        # (route, method, status) → its counter and histogram children: ``labels()`` validates the
        # values and takes a lock on every call, half the cost of counting a request. As many
        # entries as the metrics have label sets (routes are patterns, not paths).
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(route, method, str(status)), self.latency.labels(route, method))
            self._children[key] = children
        count, latency = children
        count.inc()
        latency.observe(seconds)


def read_database_metrics(figures: dict[str, list[dict[str, Any]]]) -> list[Metric]:
    """Build the database-derived metric families from :meth:`MetricsStore.figures` rows."""
    out: list[Metric] = []
    info = GaugeMetricFamily("nura_build_info", "Version of the running appliance.", labels=("version",))
    info.add_metric((__version__,), 1)
    out.append(info)

    messages = CounterMetricFamily(
        "nura_messages", "Answered customer messages by source tier and channel.", labels=("source", "channel")
    )
    for row in figures["messages"]:
        messages.add_metric((row["source"], row["channel"]), row["n"])
    out.append(messages)

    handoffs = CounterMetricFamily("nura_handoffs", "Sessions handed off to a person, by reason.", labels=("reason",))
    for row in figures["handoffs"]:
        handoffs.add_metric((row["reason"],), row["n"])
    out.append(handoffs)

    queue = GaugeMetricFamily("nura_queue_depth", "Sessions waiting for or held by an agent.", labels=("status",))
    depth = {r["status"]: r["n"] for r in figures["queue"]}
    for status in ("pending_handoff", "human_active"):
        queue.add_metric((status,), depth.get(status, 0))
    out.append(queue)

    jobs = GaugeMetricFamily("nura_jobs", "Background jobs in the outbox by kind and state.", labels=("kind", "state"))
    failures = GaugeMetricFamily("nura_job_failures", "Jobs that used up their attempts, by kind.", labels=("kind",))
    for row in figures["jobs"]:
        jobs.add_metric((row["kind"], row["status"]), row["n"])
        if row["status"] == "failed":
            failures.add_metric((row["kind"],), row["n"])
    out += [jobs, failures]

    calls = CounterMetricFamily(
        "nura_llm_calls", "LLM calls by provider, purpose and outcome.", labels=("provider", "purpose", "outcome")
    )
    tokens = CounterMetricFamily(
        "nura_llm_tokens", "LLM tokens by provider and direction.", labels=("provider", "direction")
    )
    cost = CounterMetricFamily(
        "nura_llm_cost_usd", "Estimated LLM cost in US dollars by provider.", labels=("provider",)
    )
    per_provider: dict[str, list[float]] = {}
    for row in figures["llm"]:
        calls.add_metric((row["provider"], row["purpose"], "ok" if row["ok"] else "error"), row["n"])
        sums = per_provider.setdefault(row["provider"], [0, 0, 0.0])
        sums[0] += row["p"] or 0
        sums[1] += row["c"] or 0
        sums[2] += row["usd"] or 0.0
    for provider, (prompt, completion, usd) in sorted(per_provider.items()):
        tokens.add_metric((provider, "prompt"), prompt)
        tokens.add_metric((provider, "completion"), completion)
        cost.add_metric((provider,), usd)
    out += [calls, tokens, cost]

    out += _backup_metrics(figures)

    whatsapp = GaugeMetricFamily(
        "nura_whatsapp_messages", "Messages sent to WhatsApp customers, by delivery status.", labels=("status",)
    )
    for row in figures["whatsapp"]:
        whatsapp.add_metric((row["status"],), row["n"])
    out.append(whatsapp)

    articles = GaugeMetricFamily("nura_knowledge_articles", "Articles in the knowledge base.")
    rows = figures["articles"]
    articles.add_metric((), rows[0]["n"] if rows else 0)
    out.append(articles)
    return out


def _backup_metrics(figures: dict[str, list[dict[str, Any]]]) -> list[Metric]:
    """Scheduled backups (ops/scheduled_backups.py): when the last one succeeded and failed, how
    big the last good archive is, whether the last run succeeded, and runs by outcome."""
    ok = figures["backup_last_ok"][0] if figures["backup_last_ok"] else None
    failed = figures["backup_last_failed"][0] if figures["backup_last_failed"] else None
    families: list[Metric] = []
    for name, text, value in (
        (
            "nura_backup_last_success_timestamp_seconds",
            "When the last successful backup finished (UNIX time; 0: never).",
            ok["finished_at"] if ok else 0,
        ),
        (
            "nura_backup_last_failure_timestamp_seconds",
            "When the last failed backup finished (UNIX time; 0: never).",
            failed["finished_at"] if failed else 0,
        ),
        ("nura_backup_last_success_bytes", "Size of the last successful backup archive.", ok["bytes"] if ok else 0),
        (
            "nura_backup_last_run_ok",
            "1 when the most recent backup succeeded, 0 when it failed or none has run.",
            int(ok is not None and (failed is None or (ok["finished_at"] or 0) >= (failed["finished_at"] or 0))),
        ),
    ):
        gauge = GaugeMetricFamily(name, text)
        gauge.add_metric((), float(value or 0))
        families.append(gauge)
    counts = {r["status"]: int(r["n"]) for r in figures["backup_counts"]}
    runs = CounterMetricFamily("nura_backups", "Backups the appliance made, by result.", labels=("result",))
    for result in ("ok", "failed"):
        runs.add_metric((result,), counts.get(result, 0))
    families.append(runs)
    return families


class _Families:
    """A collector that hands out families read beforehand (so collecting never touches SQLite)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


class WorkerBoardView(Protocol):
    """The supervisor's shared-memory board of API workers (``cli.supervisor.WorkerBoard``)."""

    def snapshot(self) -> dict[str, Any]: ...


class SupervisionView:
    """What a worker knows about its supervisor's workers (``ctx.supervision``)."""

    def __init__(self, board: WorkerBoardView, slot: int) -> None:
        self.board = board
        self.slot = slot

    def describe(self) -> dict[str, Any]:
        snapshot = self.board.snapshot()
        return {"ok": snapshot["serving"] == snapshot["expected"], "this_worker": f"api-{self.slot}", **snapshot}


def supervision_metrics(app: Sanic) -> list[Metric]:
    """API workers of ``nura serve --workers`` as their supervisor counts them (shared memory,
    read fresh: the same in every worker). Empty for a single-process server."""
    view = app.ctx.nura.supervision
    if view is None:
        return []
    snapshot = view.board.snapshot()
    workers = GaugeMetricFamily("nura_api_workers", "API worker processes by state.", labels=("state",))
    workers.add_metric(("serving",), snapshot["serving"])
    workers.add_metric(("starting",), snapshot["starting"])
    workers.add_metric(("expected",), snapshot["expected"])
    restarts = CounterMetricFamily(
        "nura_api_worker_restarts", "API workers started again by the supervisor after one died."
    )
    restarts.add_metric((), snapshot["restarts"])
    return [workers, restarts]


async def render(app: Sanic) -> bytes:
    metrics: RequestMetrics = app.ctx.request_metrics
    cached = metrics.snapshot
    if cached is None or time.monotonic() - cached[0] > SNAPSHOT_SECONDS:
        families = read_database_metrics(await app.ctx.nura.stores.metrics.figures())
        metrics.snapshot = cached = (time.monotonic(), families)
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Families(cached[1] + supervision_metrics(app)))
    return generate_latest(metrics.registry) + generate_latest(scrape)


def _authorize(request: Request) -> None:
    """Admins, or the METRICS_TOKEN bearer (compared in constant time)."""
    expected = request.app.ctx.nura.settings.metrics_token
    header = request.headers.get("authorization", "")
    if expected and header.lower().startswith("bearer "):
        if hmac.compare_digest(header[7:].strip().encode(), str(expected).encode()):
            return
    principal = getattr(request.ctx, "principal", None)
    if principal is None:
        raise Unauthorized("send 'Authorization: Bearer <METRICS_TOKEN>' or an admin token")
    if ROLE_RANK.get(principal.role, 0) < ROLE_RANK["admin"]:
        raise Forbidden("metrics need the admin role or METRICS_TOKEN")


@bp.get("/metrics")
@access(PUBLIC)  # checked in the handler: admins or the METRICS_TOKEN bearer
async def metrics(request: Request) -> HTTPResponse:
    """Prometheus metrics (text exposition format).

    openapi:
    ---
    summary: Prometheus metrics for admins or the METRICS_TOKEN bearer
    tags: [operations]
    """
    _authorize(request)
    body = await render(request.app)
    return HTTPResponse(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def route_label(request: Request) -> str:
    """The route pattern, not the concrete path: ids in paths would explode label cardinality."""
    route = request.route
    if route is None:
        return "unmatched"
    return "/" + route.path.lstrip("/")


def setup(app: Sanic) -> None:
    app.ctx.request_metrics = RequestMetrics()

    @app.on_response(priority=90)
    async def count_request(request: Request, response: HTTPResponse) -> None:
        started = getattr(request.ctx, "started", None)
        if started is None or request.method == "OPTIONS":
            return
        app.ctx.request_metrics.observe(
            route_label(request), request.method, response.status, time.perf_counter() - started
        )

    app.blueprint(bp)
