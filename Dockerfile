# One image for every service of docker-compose.yml: the bot replicas, the indexer and the
# Chroma server (`chroma run` from the same chromadb the bot uses, so their versions agree).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY scripts ./scripts
COPY bot ./bot
COPY index ./index
COPY prompts ./prompts
COPY data ./data
RUN scripts/setup
ENV PATH=/app/.venv/bin:$PATH HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False NEWSDESK_HOME=/data
CMD ["newsdesk", "bot"]
