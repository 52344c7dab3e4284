# One image for every service of docker-compose.yml: the bot replicas, the indexer and the
# Chroma server (`chroma run` from the same chromadb the bot uses, so their versions agree).
# Two stages: the build stage installs the runtime from the lock (requirements/, made by
# scripts/lock), builds and installs newsdesk's wheel, and exports the embedding model to ONNX
# with a torch that lives for that one step (scripts/export-models); the final stage takes
# the virtualenv and the export, and has no torch, no build tools, no dev or test packages
# (BENCHMARKS.md, "Start-up without torch"), and runs as an unprivileged user.
#
# Build arguments:
#   NEWSDESK_EXTRAS        extras to install, e.g. postgres (docker-compose.yml passes it);
#                          each set has its lock, requirements/runtime-EXTRAS.txt
#   NEWSDESK_TORCH_INDEX,  where the export's CPU-only torch comes from (below)
#   NEWSDESK_TORCH_FIND_LINKS
#   NEWSDESK_BASE_IMAGE    the Python base image, for a registry of your own
ARG NEWSDESK_BASE_IMAGE=python:3.11-slim

FROM ${NEWSDESK_BASE_IMAGE} AS build
WORKDIR /app
ARG NEWSDESK_EXTRAS=
# The dependencies first, in a layer of their own, so that a change to the code alone
# rebuilds in seconds: exactly the lock's pins, each file checked against its hashes.
COPY requirements ./requirements
RUN lock="requirements/runtime${NEWSDESK_EXTRAS:+-$(echo "$NEWSDESK_EXTRAS" | tr , -)}.txt" \
    && python -m venv /app/.venv \
    && /app/.venv/bin/pip install --no-cache-dir --disable-pip-version-check --quiet \
       --no-deps --require-hashes -r "$lock"
# newsdesk itself, as the wheel `pip wheel .` builds: the prompts and the sample inside.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY index ./index
RUN /app/.venv/bin/pip install --no-cache-dir --disable-pip-version-check --quiet --no-deps .
# A CPU-only torch for the export: PyPI's default Linux wheel is a multi-GB CUDA build. Pass
# --build-arg NEWSDESK_TORCH_INDEX= to take torch from your own pip index instead, or
# NEWSDESK_TORCH_FIND_LINKS=URL for a page or folder holding the CPU wheel.
ARG NEWSDESK_TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG NEWSDESK_TORCH_FIND_LINKS=
COPY scripts ./scripts
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 NEWSDESK_MODELS_DIR=/app/models
# The export's folders are made private (0700) by root here: readable by the runtime's user.
RUN scripts/export-models && chmod -R a+rX /app/models

FROM ${NEWSDESK_BASE_IMAGE}
WORKDIR /app
# The volumes' mount points belong to the unprivileged user, so named volumes start so too.
RUN useradd --uid 10001 --user-group --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin newsdesk \
    && mkdir -p /data /chroma && chown newsdesk:newsdesk /data /chroma
# The same paths as in the build stage: the export is found by the bundled model's path.
COPY --from=build /app/.venv ./.venv
COPY --from=build /app/models ./models
ENV PATH=/app/.venv/bin:$PATH HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False NEWSDESK_HOME=/data NEWSDESK_MODELS_DIR=/app/models \
    NEWSDESK_METRICS_PORT=9100
USER newsdesk
# /healthz beside the metrics (NEWSDESK_METRICS_PORT, on 127.0.0.1 by default), in polling and
# webhook mode alike; Python's urllib, so the image needs no curl. The Chroma service has its
# own check (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
  CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:${NEWSDESK_METRICS_PORT:-9100}/healthz', timeout=4)"
CMD ["newsdesk", "bot"]
