# One image for every service of docker-compose.yml: the bot replicas, the indexer and the
# Chroma server (`chroma run` from the same chromadb the bot uses, so their versions agree).
# Two stages: the build stage installs the runtime and exports the embedding model to ONNX
# with a torch that lives for that one step (scripts/export-models); the final stage takes
# the runtime and the export, and has no torch (BENCHMARKS.md, "Start-up without torch").
FROM python:3.11-slim AS build
WORKDIR /app
# The dependencies first, in a layer of their own, so that a change to the code alone
# rebuilds in seconds. The editable install needs only the packages' folders to exist.
COPY pyproject.toml ./
COPY scripts ./scripts
RUN mkdir -p bot index && touch README.md bot/__init__.py index/__init__.py && scripts/setup
# A CPU-only torch for the export: PyPI's default Linux wheel is a multi-GB CUDA build. Pass
# --build-arg NEWSDESK_TORCH_INDEX= to take torch from your own pip index instead.
ARG NEWSDESK_TORCH_INDEX=https://download.pytorch.org/whl/cpu
COPY bot ./bot
COPY index ./index
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 NEWSDESK_MODELS_DIR=/app/models
RUN scripts/export-models

FROM python:3.11-slim
WORKDIR /app
# The same paths as in the build stage: the export is found by the bundled model's path.
COPY --from=build /app/.venv ./.venv
COPY --from=build /app/models ./models
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY index ./index
ENV PATH=/app/.venv/bin:$PATH HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False NEWSDESK_HOME=/data NEWSDESK_MODELS_DIR=/app/models
CMD ["newsdesk", "bot"]
