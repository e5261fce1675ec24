"""``nura import-original``: an original NURA's database and knowledge files into NURA Appliance.

What it does, in order (docs/MIGRATING.md explains each mapping):

1. knowledge: ``articals.json`` + ``topic_tree.json`` (when given) become articles and the tree;
2. staff: ``admin_users`` (bcrypt hashes kept and checked; others need a new password),
   ``canned_replies``;
3. conversations: every session with its transcript (``sessions.history``, else ``chat_turns``,
   else rebuilt from ``conversation_logs``), hand-off reason and timings, its
   ``conversation_logs`` linked to the turns, ``message_insights`` (and the knowledge gaps they
   flagged), ``session_outcomes``;
4. the rest of the history: gap reviews, feedback, LLM usage, tree clicks, widget events,
   security and audit logs, ingestion runs, suggestion cases (as suggestions);
5. what has no equivalent here (other support cases, case activity, departments, voice calls)
   is archived verbatim in the ledger; derived daily counters are skipped (recomputed);
6. the dashboard's daily aggregates are recomputed for every day that received rows.

Every source row ends in the ledger (``original_import_rows``) as imported, merged, archived or
skipped (with the reason) in the same transaction as what it became: running it again imports
nothing twice and picks up where an interrupted run stopped. ``dry_run`` makes the same
decisions and writes nothing.
"""

from __future__ import annotations

import functools
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from nura_appliance.analytics import aggregates
from nura_appliance.analytics.gaps import GroupIndex, record_gap
from nura_appliance.conversation.pipeline import Pipeline
from nura_appliance.errors import ConfigError
from nura_appliance.knowledge.normalize import normalize
from nura_appliance.knowledge.pack import PackError, from_legacy
from nura_appliance.original import convert
from nura_appliance.original.source import epoch, source_key
from nura_appliance.storage.base import GapStore, KnowledgeStore, OriginalImportStore, Transaction
from nura_appliance.storage.original_rows import Insert, LedgerEntry
from nura_appliance.storage.original_source import KNOWN_TABLES, OriginalDatabase
from nura_appliance.storage.stores import Stores

REBUILT = "(sessions rebuilt from logs)"
SESSION_BATCH = 100
_ARCHIVED = ("support_case_activity", "support_departments", "voice_calls")
_DERIVED = ("daily_message_stats", "daily_cost_stats", "daily_handoff_stats")
_SESSION_TABLES = ("sessions", "conversation_logs", "chat_turns", "session_outcomes", "message_insights")
USERNAME_RULE = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


@dataclass
class TableReport:
    """What became of one source table's rows."""

    table: str
    source_rows: int = 0
    imported: int = 0
    merged: int = 0
    archived: int = 0
    skipped: int = 0
    already: int = 0  # dealt with by an earlier run
    reasons: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)  # a few source keys per reason

    @property
    def accounted(self) -> int:
        return self.imported + self.merged + self.archived + self.skipped + self.already

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "source_rows": self.source_rows,
            "imported": self.imported,
            "merged": self.merged,
            "archived": self.archived,
            "skipped": self.skipped,
            "already_imported": self.already,
            "skip_reasons": dict(self.reasons),
            "skip_examples": self.examples,
        }


@dataclass
class ImportReport:
    dry_run: bool
    schema_version: str | None = None
    tables: dict[str, TableReport] = field(default_factory=dict)
    unknown_tables: dict[str, int] = field(default_factory=dict)
    knowledge: dict[str, Any] = field(default_factory=dict)
    password_resets: list[str] = field(default_factory=list)
    open_handoffs: int = 0
    aggregated_days: int = 0
    seconds: float = 0.0

    def table(self, name: str) -> TableReport:
        return self.tables.setdefault(name, TableReport(name))

    @property
    def complete(self) -> bool:
        """Every source row is accounted for (unknown tables are reported, never imported)."""
        return all(t.accounted == t.source_rows for t in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "schema_version": self.schema_version,
            "complete": self.complete,
            "tables": [t.as_dict() for t in self.tables.values()],
            "unknown_tables": self.unknown_tables,
            "knowledge": self.knowledge,
            "password_resets": self.password_resets,
            "open_handoffs": self.open_handoffs,
            "aggregated_days": self.aggregated_days,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class WritablePlan:
    """A session plan with its converted rows and the ledger keys of what it folds in."""

    plan: convert.SessionPlan
    session_table: str
    logs: list[tuple[dict[str, Any], str]]
    insights: list[tuple[dict[str, Any], str, dict[str, Any] | None]]
    outcome: tuple[dict[str, Any], str] | None
    merged: list[LedgerEntry]
    state: str = "{}"  # the ledger's note on the session: its state on both sides at the import

    @property
    def turn_keys(self) -> list[str | None]:
        return self.plan.turn_keys

    def source_keys(self) -> list[tuple[str, str]]:
        """Every source row this conversation is made of (to forget an earlier run's copy)."""
        keys = [("conversation_logs", k) for _row, k in self.logs]
        keys += [("message_insights", k) for _row, k, _gap in self.insights]
        keys += [("chat_turns", k) for k in self.turn_keys if k is not None]
        keys += [(e.source_table, e.source_key) for e in self.merged]
        if self.outcome is not None:
            keys.append(("session_outcomes", self.outcome[1]))
        return keys


def read_knowledge(articles: Path | None, tree: Path | None) -> dict[str, Any] | None:
    """The pack made of the original's knowledge files (errors name the file and the field)."""
    if articles is None:
        if tree is not None:
            raise ConfigError("topic_tree.json needs its articals.json (--articles)")
        return None

    def load(path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not valid UTF-8 JSON ({exc})") from None

    try:
        return from_legacy(load(articles), load(tree) if tree is not None else None)
    except PackError as exc:
        raise ConfigError(exc.message) from None


class ImportSite(Protocol):
    """What the import writes through of the target's app context (docs/DEVELOPING.md, "Layers"):
    the stores (the import's own, gaps, analytics), the knowledge store (the pack) and the answer
    pipeline (refreshed after the pack); mypy checks in ``context.py`` that the AppContext fits."""

    @property
    def stores(self) -> Stores: ...
    @property
    def knowledge(self) -> KnowledgeStore: ...
    @property
    def pipeline(self) -> Pipeline: ...


class _SessionContext(NamedTuple):
    """What every batch of conversations is planned against, read once before the first."""

    outcomes: dict[str, dict[str, Any]]  # session id → its session_outcomes row
    reviewed: set[int]  # insight ids with a knowledge-gap review
    cases: dict[str, list[str]]  # session id → its support case numbers
    done: set[str]  # session ids an earlier run imported (or rebuilt)


class OriginalImporter:
    """One run of the import. ``ctx`` is the target's app context (None for a dry run against a
    target that does not exist yet); ``progress`` a rich Progress or None."""

    def __init__(
        self,
        source: OriginalDatabase,
        ctx: ImportSite | None,
        *,
        dry_run: bool = False,
        progress: Any = None,
        now: float | None = None,
    ) -> None:
        self.source = source
        self.ctx = ctx
        self.store: OriginalImportStore | None = ctx.stores.original if ctx is not None else None
        self.gap_store: GapStore | None = ctx.stores.gaps if ctx is not None else None
        self.dry_run = dry_run
        self.progress = progress
        self.now = time.time() if now is None else now
        self.report = ImportReport(dry_run=dry_run)
        self._tasks: dict[str, Any] = {}

    # -- helpers ---------------------------------------------------------------------------------
    async def _done(self, table: str) -> set[str]:
        return await self.store.done_keys(table) if self.store is not None else set()

    def _task(self, table: str, total: int) -> None:
        if self.progress is not None and table not in self._tasks:
            self._tasks[table] = self.progress.add_task(table, total=total)

    def _advance(self, table: str, n: int) -> None:
        if self.progress is not None and table in self._tasks:
            self.progress.advance(self._tasks[table], n)

    def _count(self, entries: list[LedgerEntry]) -> None:
        for entry in entries:
            report = self.report.table(entry.source_table)
            if entry.outcome == "skipped":
                reason = entry.data or "skipped"
                report.skipped += 1
                report.reasons[reason] += 1
                keys = report.examples.setdefault(reason, [])
                if len(keys) < 5:
                    keys.append(entry.source_key)
            else:
                setattr(report, entry.outcome, getattr(report, entry.outcome) + 1)

    async def _write(self, inserts: list[Insert], others: list[LedgerEntry]) -> None:
        self._count(others)
        for item in inserts:
            self.report.table(item.source_table).imported += 1
        if not self.dry_run and self.store is not None:
            await self.store.write_rows(inserts, others)

    @staticmethod
    def _skip(table: str, key: str, reason: str) -> LedgerEntry:
        return LedgerEntry(table, key, "skipped", data=reason)

    # -- the run ---------------------------------------------------------------------------------
    async def run(self, knowledge: dict[str, Any] | None = None, *, replace_knowledge: bool = False) -> ImportReport:
        started = time.perf_counter()
        source = self.source
        self.report.schema_version = source.schema_version()
        for table in KNOWN_TABLES:
            if source.has(table):
                self.report.table(table).source_rows = source.count(table)
                self._task(table, self.report.table(table).source_rows)
        for table in source.unknown_tables():
            self.report.unknown_tables[table] = source.count(table)
        await self._knowledge(knowledge, replace_knowledge)
        await self._users()
        await self._canned()
        await self._sessions()
        await self._gap_reviews()
        await self._feedback()
        await self._simple("llm_usage_logs", "llm_usage_logs", self._usage_row)
        await self._simple("tree_clicks", "tree_clicks", convert.tree_click_row)
        await self._simple("widget_events", "widget_events", self._widget_row)
        await self._simple("security_logs", "security_logs", self._security_row)
        await self._simple("admin_audit_logs", "audit_log", self._audit_row)
        await self._simple("ingestion_logs", "ingestion_logs", self._ingestion_row)
        await self._cases()
        for table in _ARCHIVED:
            await self._archive(table)
        for table in _DERIVED:
            await self._derived(table)
        wrote = any(t.imported or t.merged for t in self.report.tables.values())
        if wrote and not self.dry_run and self.ctx is not None:
            self.report.aggregated_days = await self._rebuild_aggregates()
        self.report.seconds = time.perf_counter() - started
        return self.report

    # -- knowledge -------------------------------------------------------------------------------
    async def _knowledge(self, pack: dict[str, Any] | None, replace: bool) -> None:
        if pack is None:
            return
        nodes = _tree_ids(pack.get("topic_tree"))
        articles = self.report.table("articals.json")
        tree = self.report.table("topic_tree.json")
        articles.source_rows, tree.source_rows = len(pack["articles"]), len(nodes)
        done = await self._done("articals.json")
        self.report.knowledge = {"articles": len(pack["articles"]), "tree_nodes": len(nodes), "replace": replace}
        if done:
            # Imported by an earlier run, perhaps edited since: never overwritten by a re-run.
            articles.already, tree.already = len(pack["articles"]), len(nodes)
            self.report.knowledge["already_imported"] = True
            return
        entries = [
            LedgerEntry("articals.json", str(i), "imported", "articles", a["id"])
            for i, a in enumerate(pack["articles"])
        ] + [LedgerEntry("topic_tree.json", n, "imported", "topic_nodes", n) for n in nodes]
        self._count(entries)
        if self.dry_run or self.ctx is None or self.store is None:
            return
        await self.ctx.knowledge.load_pack(pack, merge=not replace)
        await self.ctx.pipeline.refresh(force=True)
        await self.store.record(entries)

    # -- staff -----------------------------------------------------------------------------------
    async def _users(self) -> None:
        import re

        allowed = re.compile(USERNAME_RULE)
        done = await self._done("admin_users")
        taken = await self.store.usernames() if self.store is not None else set()
        for batch in self.source.rows("admin_users"):
            inserts, others = [], []
            for row in batch:
                key = source_key("admin_users", row)
                if key in done:
                    self.report.table("admin_users").already += 1
                    continue
                mapped, usable = convert.user_row(row, self.now)
                name = mapped["username"]
                if not allowed.match(name):
                    others.append(
                        self._skip("admin_users", key, "username not allowed here (letters, digits, . _ @ -)")
                    )
                elif name.lower() in taken:
                    others.append(self._skip("admin_users", key, "a user with this name exists here (kept as it is)"))
                else:
                    taken.add(name.lower())
                    inserts.append(Insert("users", mapped, "admin_users", key))
                    if not usable:
                        self.report.password_resets.append(name)
            await self._write(inserts, others)
            self._advance("admin_users", len(batch))

    async def _canned(self) -> None:
        done = await self._done("canned_replies")
        taken = await self.store.canned_ids() if self.store is not None else set()
        for batch in self.source.rows("canned_replies"):
            inserts, others = [], []
            for row in batch:
                key = source_key("canned_replies", row)
                if key in done:
                    self.report.table("canned_replies").already += 1
                    continue
                mapped = convert.canned_row(row, self.now)
                if not mapped["text"].strip():
                    others.append(self._skip("canned_replies", key, "empty reply text"))
                elif mapped["id"] in taken:
                    others.append(self._skip("canned_replies", key, "a canned reply with this id exists here"))
                else:
                    taken.add(mapped["id"])
                    inserts.append(Insert("canned_replies", mapped, "canned_replies", key))
            await self._write(inserts, others)
            self._advance("canned_replies", len(batch))

    # -- conversations ---------------------------------------------------------------------------
    async def _sessions(self) -> None:
        source = self.source
        outcomes: dict[str, dict[str, Any]] = {}
        for batch in source.rows("session_outcomes"):
            for row in batch:
                outcomes[row["session_id"]] = row
        reviewed = {
            row["insight_id"]
            for batch in source.rows("knowledge_gap_reviews")
            for row in batch
            if row.get("insight_id") is not None
        }
        cases: dict[str, list[str]] = {}
        for batch in source.rows("support_cases"):
            for row in batch:
                if row.get("session_id"):
                    cases.setdefault(row["session_id"], []).append(str(row["case_number"]))
        done = await self._done("sessions") | await self._done(REBUILT)
        # Keys of the conversations' rows imported before: what an earlier run already has.
        self._related_done = {t: await self._done(t) for t in _SESSION_TABLES[1:]}
        context = _SessionContext(outcomes, reviewed, cases, done)
        pending: list[tuple[str, dict[str, Any] | None]] = []
        for batch in source.rows("sessions"):
            for row in batch:
                pending.append((row["session_id"], row))
                if len(pending) >= SESSION_BATCH:
                    await self._session_batch(pending, context)
                    pending = []
        if pending:
            await self._session_batch(pending, context)
        rebuilt = source.session_ids_without_row()
        if rebuilt:
            self.report.table(REBUILT).source_rows = len(rebuilt)
        for start in range(0, len(rebuilt), SESSION_BATCH):
            await self._session_batch([(sid, None) for sid in rebuilt[start : start + SESSION_BATCH]], context)

    async def _session_batch(self, items: list[tuple[str, dict[str, Any] | None]], context: _SessionContext) -> None:
        outcomes, reviewed, cases, done = context
        source = self.source
        ids = [sid for sid, _row in items]
        rows = {table: _by_session(source.rows_for_sessions(table, ids)) for table in _SESSION_TABLES[1:]}
        related_of = {sid: {t: rows[t].get(sid, []) for t in _SESSION_TABLES[1:]} for sid in ids}
        todo, refresh = await self._sort_out_done(items, related_of, done)
        todo_ids = [sid for sid, _row in todo]
        taken = await self.store.existing_sessions(todo_ids) if self.store is not None else set()
        taken -= refresh  # ours because an earlier run imported them: replaced below
        plans: list[WritablePlan] = []
        others: list[LedgerEntry] = []
        for sid, row in todo:
            table = "sessions" if row is not None else REBUILT
            related = related_of[sid]
            if sid in taken:
                reason = "a session with this id exists here (kept as it is)"
                others.append(self._skip(table, sid, reason))
                for t, found in related.items():
                    others.extend(self._skip(t, source_key(t, r), "its session was skipped") for r in found)
                continue
            plans.append(self._plan(sid, row, related, outcomes.get(sid), reviewed, cases.get(sid), table))
        self._count(others)
        for item in plans:
            self._count_plan(item)
        if not self.dry_run and self.store is not None and (plans or others):
            await self.store.write_sessions(plans, others, gaps=self._gap_recorder, replace=refresh)
        self._advance("sessions", sum(1 for _sid, row in items if row is not None))
        for table in _SESSION_TABLES[1:]:
            self._advance(table, sum(len(rows[table].get(sid, [])) for sid in ids))

    async def _sort_out_done(
        self,
        items: list[tuple[str, dict[str, Any] | None]],
        related_of: dict[str, dict[str, list[dict[str, Any]]]],
        done: set[str],
    ) -> tuple[list[tuple[str, dict[str, Any] | None]], set[str]]:
        """Split a batch: conversations to import, and among earlier runs' ones those that changed
        in the original since (``refresh``: imported again whole, when nobody touched them here).

        A conversation that changed on both sides keeps what is here; the original's later rows
        of it are reported as skipped."""
        todo = [(sid, row) for sid, row in items if sid not in done]
        earlier = [(sid, row) for sid, row in items if sid in done]
        refresh: set[str] = set()
        if not earlier:
            return todo, refresh
        states = await self.store.session_states([sid for sid, _row in earlier]) if self.store is not None else {}
        others: list[LedgerEntry] = []
        for sid, row in earlier:
            table = "sessions" if row is not None else REBUILT
            related = related_of[sid]
            state = states.get(sid) or {}
            recorded = state.get("recorded") or {}
            if recorded.get("source") == source_state(row, related):
                self.report.table(table).already += 1
                for t, found in related.items():
                    self.report.table(t).already += len(found)
            elif state.get("updated_at") is not None and state.get("turns") == recorded.get("turns"):
                # Nobody wrote in it here (our idle sweep may have closed it: that is no message).
                refresh.add(sid)
                todo.append((sid, row))
            else:
                self.report.table(table).already += 1
                for t, found in related.items():
                    for r in found:
                        key = source_key(t, r)
                        if key in self._related_done[t]:
                            self.report.table(t).already += 1
                        else:
                            others.append(
                                self._skip(
                                    t,
                                    key,
                                    "came after its conversation was imported, which has continued here since:"
                                    " not merged",
                                )
                            )
        self._count(others)
        if others and not self.dry_run and self.store is not None:
            await self.store.record(others)
        return todo, refresh

    def _plan(
        self,
        sid: str,
        row: dict[str, Any] | None,
        related: dict[str, list[dict[str, Any]]],
        outcome: dict[str, Any] | None,
        reviewed: set[int],
        case_numbers: list[str] | None,
        table: str,
    ) -> WritablePlan:
        plan = convert.plan_session(
            sid,
            row,
            related["conversation_logs"],
            related["chat_turns"],
            related["message_insights"],
            outcome,
            now=self.now,
        )
        if case_numbers:
            plan.record.meta["original"]["cases"] = case_numbers
        if plan.record.status in ("pending_handoff", "human_active"):
            self.report.open_handoffs += 1
        record = plan.record
        logs = [(convert.log_row(log, record), source_key("conversation_logs", log)) for log, _c, _b in plan.logs]
        insights = []
        for insight, _turn in plan.insights:
            gap = None
            if insight.get("is_knowledge_gap") and insight["id"] not in reviewed and insight.get("message_text"):
                gap = {
                    "question": str(insight["message_text"]),
                    "reason": convert.gap_reason(insight.get("gap_reason")),
                }
            row_out = convert.insight_row(insight, record)
            if gap is not None:
                gap.update(lang=row_out["lang"], created_at=row_out["created_at"])
            insights.append((row_out, source_key("message_insights", insight), gap))
        result = None
        if plan.outcome is not None:
            result = (convert.outcome_row(plan.outcome, record), source_key("session_outcomes", plan.outcome))
        merged = [LedgerEntry(t, k, "merged", "sessions", sid) for t, k in plan.merged]
        # What the session looked like on both sides, so a later run can tell whether it changed.
        state = {
            "source": source_state(row, related),
            "updated_at": record.updated_at,
            "turns": len(plan.turns),
        }
        return WritablePlan(plan, table, logs, insights, result, merged, json.dumps(state))

    def _count_plan(self, item: WritablePlan) -> None:
        self.report.table(item.session_table).imported += 1
        self.report.table("conversation_logs").imported += len(item.logs)
        self.report.table("message_insights").imported += len(item.insights)
        self.report.table("chat_turns").imported += sum(1 for k in item.turn_keys if k is not None)
        if item.outcome is not None:
            self.report.table("session_outcomes").imported += 1
        self._count(item.merged)

    def _gap_recorder(self, conn: Transaction) -> Callable[[dict[str, Any]], None]:
        """Records the gaps insights flagged, grouped like live ones (one group index per write)."""
        store = self.gap_store
        assert store is not None
        index = GroupIndex.load(store, conn)

        def record(gap: dict[str, Any]) -> None:
            record_gap(
                store,
                conn,
                question=gap["question"],
                lang=gap["lang"],
                reason=gap["reason"],
                session_id=gap["session_id"],
                message_id=gap["message_id"],
                now=gap["created_at"],
                index=index,
            )

        return record

    async def _gap_reviews(self) -> None:
        done = await self._done("knowledge_gap_reviews")
        for batch in self.source.rows("knowledge_gap_reviews"):
            gaps, others = [], []
            for row in batch:
                key = source_key("knowledge_gap_reviews", row)
                if key in done:
                    self.report.table("knowledge_gap_reviews").already += 1
                    continue
                question = str(row.get("customer_message") or "").strip()
                if not question:
                    others.append(self._skip("knowledge_gap_reviews", key, "no question text"))
                    continue
                session_id, message_id = None, None
                if row.get("insight_id") is not None and self.store is not None:
                    session_id, message_id = await self.store.insight_turn(str(row["insight_id"]))
                created = epoch(row.get("created_at")) or self.now
                gaps.append(
                    (
                        {
                            "question": question,
                            "normalized": normalize(question),
                            "lang": convert.lang_of(None, question),
                            "reason": convert.gap_reason(row.get("gap_reason")),
                            "session_id": session_id or row.get("session_id"),
                            "message_id": message_id,
                            "status": convert.GAP_STATUSES.get(str(row.get("status") or "pending"), "open"),
                            "answer": row.get("approved_answer") or row.get("proposed_answer") or None,
                            "reviewed_by": row.get("reviewed_by") or None,
                            "reviewed_at": epoch(row.get("reviewed_at")),
                            "created_at": created,
                        },
                        key,
                    )
                )
            self._count(others)
            self.report.table("knowledge_gap_reviews").imported += len(gaps)
            if not self.dry_run and self.store is not None:
                await self.store.write_gaps(gaps, others, self._gap_groups)
            self._advance("knowledge_gap_reviews", len(batch))

    def _gap_groups(self, conn: Transaction) -> Callable[[dict[str, Any]], str]:
        """Open reviewed gaps join the open groups of similar questions; closed ones keep their own."""
        import uuid

        store = self.gap_store
        assert store is not None
        index: GroupIndex | None = None

        def group(gap: dict[str, Any]) -> str:
            nonlocal index
            if gap["status"] != "open":
                return uuid.uuid4().hex[:16]
            index = index or GroupIndex.load(store, conn)
            key = index.find(gap["normalized"])
            if key is None:
                key = uuid.uuid4().hex[:16]
                index.add(key, gap["normalized"])
            return key

        return group

    # -- logs and events -------------------------------------------------------------------------
    async def _feedback(self) -> None:
        done = await self._done("message_feedback")
        for batch in self.source.rows("message_feedback"):
            inserts, others = [], []
            for row in batch:
                key = source_key("message_feedback", row)
                if key in done:
                    self.report.table("message_feedback").already += 1
                    continue
                value = convert.feedback_value(row.get("score"))
                if value is None:
                    others.append(self._skip("message_feedback", key, f"unknown score {str(row.get('score'))[:20]!r}"))
                    continue
                at = epoch(row.get("created_at")) or self.now
                message_id = await self.store.bot_turn_before(row["session_id"], at) if self.store is not None else None
                mapped = {
                    "session_id": row["session_id"],
                    "message_id": message_id,
                    "value": value,
                    "comment": row.get("reason") or None,
                    "created_at": at,
                }
                inserts.append(Insert("message_feedback", mapped, "message_feedback", key))
            await self._write(inserts, others)
            self._advance("message_feedback", len(batch))

    async def _simple(self, table: str, target: str, mapper: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """A log table whose rows map one to one (a row without a time is skipped)."""
        done = await self._done(table)
        for batch in self.source.rows(table):
            inserts, others = [], []
            for row in batch:
                key = source_key(table, row)
                if key in done:
                    self.report.table(table).already += 1
                    continue
                mapped = mapper(row)
                time_column = "started_at" if target == "ingestion_logs" else "created_at"
                if mapped.get(time_column) is None:
                    others.append(self._skip(table, key, "no time recorded"))
                    continue
                inserts.append(Insert(target, mapped, table, key))
            await self._write(inserts, others)
            self._advance(table, len(batch))

    @staticmethod
    def _usage_row(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "session_id": row.get("session_id"),
            "provider": "openai",
            "model": row.get("model") or None,
            "purpose": str(row.get("operation") or "chat")[:40],
            "prompt_tokens": int(row.get("prompt_tokens") or 0),
            "completion_tokens": int(row.get("completion_tokens") or 0),
            "total_tokens": int(row.get("total_tokens") or 0),
            "cost_usd": float(row.get("estimated_cost") or 0.0),
            "ok": 1,
            "created_at": epoch(row.get("created_at")),
        }

    @staticmethod
    def _widget_row(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "session_id": row.get("session_id"),
            "customer_id": row.get("customer_id"),
            "event_type": str(row.get("event_type") or "event")[:64],
            "label": row.get("label"),
            "meta": row.get("meta"),
            "channel": "web",
            "created_at": epoch(row.get("created_at")),
        }

    @staticmethod
    def _security_row(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "event": str(row.get("event_type") or "event"),
            "ip": row.get("ip") or None,
            "detail": row.get("detail") or None,
            "created_at": epoch(row.get("created_at")),
        }

    @staticmethod
    def _audit_row(row: dict[str, Any]) -> dict[str, Any]:
        detail = str(row.get("detail") or "")
        if row.get("ip"):
            detail = f"{detail} (ip {row['ip']})".strip()
        return {
            "actor": str(row.get("actor") or "original-nura"),
            "action": str(row.get("action") or "unknown"),
            "target": row.get("target") or None,
            "detail": detail or None,
            "created_at": epoch(row.get("created_at")),
        }

    @staticmethod
    def _ingestion_row(row: dict[str, Any]) -> dict[str, Any]:
        at = epoch(row.get("created_at"))
        return {
            "source": str(row.get("filename") or "original NURA ingestion"),
            "status": str(row.get("status") or "done"),
            "files": 1,
            "skipped": 0,
            "chunks": int(row.get("chunks_stored") or 0),
            "detail": "imported from the original NURA (its ChromaDB chunks are not carried over)",
            "started_at": at,
            "finished_at": at,
        }

    # -- cases, archives, derived counters -------------------------------------------------------
    async def _cases(self) -> None:
        done = await self._done("support_cases")
        for batch in self.source.rows("support_cases"):
            inserts, others = [], []
            for row in batch:
                key = source_key("support_cases", row)
                if key in done:
                    self.report.table("support_cases").already += 1
                elif convert.is_suggestion_case(row):
                    inserts.append(Insert("suggestions", convert.suggestion_row(row, self.now), "support_cases", key))
                else:
                    # No case desk here: kept verbatim; its session shows the case number.
                    others.append(LedgerEntry("support_cases", key, "archived", data=convert.archived(row)))
            await self._write(inserts, others)
            self._advance("support_cases", len(batch))

    async def _archive(self, table: str) -> None:
        done = await self._done(table)
        for batch in self.source.rows(table):
            others = []
            for row in batch:
                key = source_key(table, row)
                if key in done:
                    self.report.table(table).already += 1
                else:
                    others.append(LedgerEntry(table, key, "archived", data=convert.archived(row)))
            await self._write([], others)
            self._advance(table, len(batch))

    async def _derived(self, table: str) -> None:
        done = await self._done(table)
        for batch in self.source.rows(table):
            others = []
            for row in batch:
                key = source_key(table, row)
                if key in done:
                    self.report.table(table).already += 1
                else:
                    others.append(self._skip(table, key, "derived daily counts: recomputed from the imported rows"))
            await self._write([], others)
            self._advance(table, len(batch))

    async def _rebuild_aggregates(self) -> int:
        """Recompute the dashboard's daily aggregates of the past days that got imported rows
        (a day aggregated before the import would otherwise keep its old counts)."""
        assert self.ctx is not None and self.store is not None  # called only for a run that writes
        days = await self.store.imported_days()
        boundary = aggregates.day_of(aggregates.today_start(time.time() - aggregates.SEAL_DELAY_SECONDS))
        past = [d for d in days if d < boundary]
        analytics = self.ctx.stores.analytics
        for start in range(0, len(past), 31):  # a month per transaction: other writes interleave
            chunk = past[start : start + 31]
            rows = await analytics.snapshot(functools.partial(aggregates.compute_days, days=chunk))
            # The refresh watermark stays where it was: live refreshes carry on unchanged.
            await analytics.store_days(chunk, rows, None)
        return len(past)


def source_state(row: dict[str, Any] | None, related: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A conversation's state in the original: its last change and how many rows it has."""
    return {
        "updated": epoch(row.get("updated_at")) if row is not None else None,
        "rows": {t: len(found) for t, found in sorted(related.items())},
    }


def _by_session(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["session_id"], []).append(row)
    return out


def _tree_ids(node: dict[str, Any] | None) -> list[str]:
    if node is None:
        return []
    out = [node["id"]]
    for child in node.get("children", []):
        out.extend(_tree_ids(child))
    return out
