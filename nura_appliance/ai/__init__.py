"""AI answers: LLM providers (OpenAI-compatible HTTP, in-process llama.cpp), the AI switch,
grounded prompts with an answer guard, and the token and cost ledger. See docs/AI.md."""
