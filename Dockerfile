# One image for every service of docker-compose.yml: the bot replicas, the indexer and the
# Chroma server (`chroma run` from the same chromadb the bot uses, so their versions agree).
FROM python:3.11-slim
WORKDIR /app
# The dependencies first, in a layer of their own, so that a change to the code alone
# rebuilds in seconds. The editable install needs only the packages' folders to exist.
COPY pyproject.toml ./
COPY scripts ./scripts
# A CPU-only torch: PyPI's default Linux wheel is a multi-GB CUDA build. Pass
# --build-arg NEWSDESK_TORCH_INDEX= to take torch from your own pip index instead.
ARG NEWSDESK_TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN mkdir -p bot index && touch README.md bot/__init__.py index/__init__.py && scripts/setup
COPY bot ./bot
COPY index ./index
COPY prompts ./prompts
COPY data ./data
ENV PATH=/app/.venv/bin:$PATH HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False NEWSDESK_HOME=/data
CMD ["newsdesk", "bot"]
