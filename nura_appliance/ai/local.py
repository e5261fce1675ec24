"""The in-process llama.cpp provider (``llama-cpp-python``, the optional ``local`` extra).

Why a dedicated worker thread: a llama.cpp context runs one completion at a time and a
completion blocks for seconds, so it must never run on the event loop. Requests wait in a
bounded queue; when it is full the caller falls back at once instead of piling up. Every request
carries a deadline and a cancel flag that the worker checks between tokens, so a timed-out answer
stops generating instead of holding the model for the next customer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nura_appliance.ai.providers import ChatResult, Message, ProviderError, TokenCallback
from nura_appliance.settings import Settings

log = logging.getLogger(__name__)
# How long a shut-down waits for the worker thread to leave llama.cpp (the abort callback makes a
# decode return at its next graph step; a loaded 2-core machine once took seconds per step).
CLOSE_WAIT_S = 30.0
STOPPING = "the local model is stopping (shut-down)"


def llama_available() -> bool:
    """Whether llama-cpp-python is installed (it is an optional extra)."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return True


def models_dir(settings: Settings) -> Path:
    return settings.data_dir / "models"


def find_local_model(settings: Settings) -> Path | None:
    """The chat model to use: ``NURA_LOCAL_MODEL`` when set, else the first ``*.gguf`` in
    ``DATA_DIR/models/`` (by name) that is not the configured embedding model."""
    configured = str(settings.nura_local_model or "").strip()
    if configured:
        path = Path(configured).expanduser()
        if not path.is_absolute():
            path = models_dir(settings) / path
        return path if path.is_file() else None
    folder = models_dir(settings)
    if not folder.is_dir():
        return None
    embedding = Path(str(settings.local_embedding_model or "")).name
    for path in sorted(folder.glob("*.gguf")):
        if path.name != embedding and path.is_file():
            return path
    return None


def inspect_model(path: Path) -> dict[str, Any]:
    """Read a GGUF's metadata without loading its weights: name, architecture, chat template."""
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), vocab_only=True, verbose=False)
    try:
        meta = dict(llm.metadata)
    finally:
        llm.close()
    return {
        "path": str(path),
        "bytes": path.stat().st_size,
        "name": meta.get("general.name"),
        "architecture": meta.get("general.architecture"),
        "chat_template": bool(meta.get("tokenizer.chat_template")),
    }


@dataclass
class _Job:
    messages: list[Message]
    max_tokens: int
    temperature: float
    deadline: float
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[ChatResult]
    on_token: TokenCallback | None
    cancel: threading.Event = field(default_factory=threading.Event)


class LocalLlamaProvider:
    """A GGUF chat model run by llama.cpp in one worker thread."""

    name = "local"
    source = "local_llm"
    remote = False

    def __init__(self, model_path: Path, *, n_ctx: int = 4096, n_threads: int = 0, queue_size: int = 4) -> None:
        self.model_path = model_path
        self.model = model_path.name
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._llm: Any = None
        self._closing = threading.Event()  # set by close(): the generation in progress stops
        self._abort: Any = None  # the llama.cpp abort callback of a shut-down (kept alive for C)
        self.load_error: str | None = None
        self.loaded_at: float | None = None

    # -- public -----------------------------------------------------------------------------------
    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    async def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        temperature: float,
        timeout: float,
        on_token: TokenCallback | None = None,
    ) -> ChatResult:
        if self.load_error:
            raise ProviderError(self.load_error, kind="no_model")
        self._ensure_thread()
        loop = asyncio.get_running_loop()
        job = _Job(messages, max_tokens, temperature, time.monotonic() + timeout, loop, loop.create_future(), on_token)
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            # Requests whose callers already gave up must not keep the slots: drop them, try again.
            self._purge_abandoned()
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                raise ProviderError("the local model is busy (queue full)", kind="busy") from None
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), timeout)
        except TimeoutError:
            job.cancel.set()  # the worker stops generating at the next token
            raise ProviderError(f"the local model did not answer within {timeout:g} s", kind="timeout") from None

    async def probe(self, timeout: float) -> str:
        """Load the model (in the worker thread) and report it; raises ProviderError when it cannot."""
        if self.load_error:
            raise ProviderError(self.load_error, kind="no_model")
        if self._llm is not None:
            return f"loaded {self.model}"
        if not self.model_path.is_file():
            raise ProviderError(f"model file {self.model_path} is missing", kind="no_model")
        return f"model file {self.model} present (loads on first use)"

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        thread = self._thread
        if thread is None:
            return
        # Unblock the worker even when the queue is full: drain pending jobs first.
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                self._settle(job, ProviderError(STOPPING, kind="busy"))
        self._closing.set()  # a stream stops at its next token
        self._abort_decoding()  # a prompt being read stops at llama.cpp's next step
        self._queue.put(None)
        thread.join(timeout=CLOSE_WAIT_S)
        if thread.is_alive():
            # Freeing the model under a running llama_decode crashed the server at shut-down
            # (SIGSEGV, exit -11; seen in the frozen bundle on a loaded machine). The process is
            # ending: its memory goes back with it.
            log.warning("the local model was still generating after %g s; not freeing it", CLOSE_WAIT_S)
            return
        self._thread = None
        if self._llm is not None:
            try:
                self._llm.close()
            except Exception:  # noqa: BLE001 - freeing native memory at shutdown must not raise
                log.exception("closing the local model failed")
            self._llm = None
        self._closing.clear()  # a later request loads the model again in a new worker thread

    def _abort_decoding(self) -> None:
        """Make a ``llama_decode`` in progress, and any later one, return early (llama.cpp checks
        the abort callback between the steps of its compute graph). Installed only at close: a
        Python callback per graph step would slow every generation."""
        llm = self._llm
        if llm is None:
            return
        try:
            import llama_cpp

            self._abort = llama_cpp.ggml_abort_callback(lambda _data: True)
            llama_cpp.llama_set_abort_callback(llm._ctx.ctx, self._abort, None)
        except Exception:  # noqa: BLE001 - another llama-cpp-python layout: the join below waits
            log.debug("cannot set llama.cpp's abort callback", exc_info=True)

    def _purge_abandoned(self) -> None:
        now = time.monotonic()
        with self._queue.mutex:
            live = [j for j in self._queue.queue if j is None or not (j.cancel.is_set() or now > j.deadline)]
            if len(live) != len(self._queue.queue):
                self._queue.queue.clear()
                self._queue.queue.extend(live)
                self._queue.not_full.notify_all()

    # -- worker thread ------------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="nura-llama", daemon=True)
                self._thread.start()

    def _load(self) -> Any:
        if self._llm is None:
            from llama_cpp import Llama

            started = time.perf_counter()
            try:
                # Batch threads = generation threads: llama.cpp's default (all cores) spins against
                # other work on a busy appliance and measured twice as slow here under load.
                llm = Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads,
                    verbose=False,
                )
            except Exception as exc:  # noqa: BLE001 - a broken file disables the provider with a reason
                self.load_error = f"cannot load {self.model_path.name}: {exc}"[:300]
                raise ProviderError(self.load_error, kind="no_model") from None
            if not llm.metadata.get("tokenizer.chat_template"):
                # A base model without a chat template echoes the prompt (DESIGN.md §10).
                llm.close()
                self.load_error = f"{self.model_path.name} has no chat template; use an instruct/chat GGUF"
                raise ProviderError(self.load_error, kind="no_model")
            self._llm = llm
            self.loaded_at = time.time()
            log.info("local model %s loaded in %.1f s", self.model, time.perf_counter() - started)
        return self._llm

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.cancel.is_set() or time.monotonic() > job.deadline:
                continue  # the caller has already fallen back
            try:
                result = self._generate(job)
            except Exception as exc:  # noqa: BLE001 - llama.cpp errors become provider errors
                if self._closing.is_set():  # stopped (or aborted inside llama.cpp) by close()
                    self._settle(job, ProviderError(STOPPING, kind="busy"))
                elif isinstance(exc, ProviderError):
                    self._settle(job, exc)
                else:
                    self._settle(job, ProviderError(f"local model failed: {exc}"[:300], kind="server_error"))
            else:
                self._settle(job, result)

    def _generate(self, job: _Job) -> ChatResult:
        llm = self._load()
        started = time.perf_counter()
        parts: list[str] = []
        finish: str | None = None
        first: float | None = None
        chunks = 0
        # The GGUF's own chat template formats the messages (llama-cpp-python reads
        # tokenizer.chat_template from the file when no chat_format is forced).
        stream = llm.create_chat_completion(
            messages=job.messages, max_tokens=job.max_tokens, temperature=job.temperature, stream=True
        )
        for chunk in stream:
            if job.cancel.is_set() or self._closing.is_set():
                finish = "cancelled"
                break
            choice = chunk["choices"][0]
            delta = choice.get("delta", {}).get("content")
            if delta:
                chunks += 1
                if first is None:
                    first = (time.perf_counter() - started) * 1000
                parts.append(delta)
                if job.on_token is not None:
                    job.loop.call_soon_threadsafe(job.on_token, delta)
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
        if finish == "cancelled":
            raise ProviderError("cancelled after the deadline", kind="timeout")
        text = "".join(parts)
        prompt_text = "\n".join(m["content"] for m in job.messages)
        prompt_tokens = len(llm.tokenize(prompt_text.encode("utf-8"), add_bos=True)) + 4 * len(job.messages)
        # Each content chunk of the stream is one sampled token (a token ending mid-character joins
        # the next chunk). Tokenizing the text again undercounts: runs such as "#####" merge into
        # fewer tokens than the model generated (64 generated read back as 17).
        completion_tokens = max(chunks, len(llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0)
        return ChatResult(
            text,
            finish,
            prompt_tokens,
            completion_tokens,
            self.model,
            self.name,
            (time.perf_counter() - started) * 1000,
            first_token_ms=first,
        )

    @staticmethod
    def _settle(job: _Job, outcome: ChatResult | ProviderError) -> None:
        def apply() -> None:
            if job.future.done():
                return
            if job.cancel.is_set():
                job.future.cancel()  # the caller timed out; nothing must report an unretrieved error
                return
            if isinstance(outcome, ProviderError):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)

        try:
            job.loop.call_soon_threadsafe(apply)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting any more
