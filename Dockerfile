# syntax=docker/dockerfile:1
# Every image of the system, one target each, on two shared base stages:
#   docker build --target profile -t mentor-match/profile .
# (targets: profile, matching, messaging, notifications, web; docker-compose.yml
# builds each with its target). `build` makes the virtualenv that each service's build
# stage installs the shared package and that service into, with the project's pinned
# versions; `runtime` is what every image runs in: the production environment and the
# non-root user. Each image copies only its own virtualenv into it, so no compiler,
# pip cache or source tree ships, and the base stages are built once for all images.

ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:22-bookworm-slim

# --- shared base stages --------------------------------------------------------------

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
COPY requirements/constraints.txt requirements/constraints.txt
COPY shared shared

FROM ${PYTHON_IMAGE} AS runtime
# HOST: listen on every interface inside the container (the default 127.0.0.1 is for
# `make run`).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENVIRONMENT=production \
    HOST=0.0.0.0 \
    DATA_DIR=/var/lib/mentor-match/data
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home \
       --home-dir /var/lib/mentor-match --shell /usr/sbin/nologin app \
    && mkdir -p /var/lib/mentor-match/data \
    && chown -R app:app /var/lib/mentor-match
WORKDIR /var/lib/mentor-match

# The four services (not the web frontend): a folder for signing keys, and
# OMP_NUM_THREADS, which must be in the environment before torch or FAISS load.
FROM runtime AS service-runtime
ENV OMP_NUM_THREADS=1
RUN mkdir -p /var/lib/mentor-match/keys \
    && chown app:app /var/lib/mentor-match/keys \
    && chmod 0700 /var/lib/mentor-match/keys
USER 10001:10001

# --- profile: `python -m profile_service` on port 8001 -------------------------------

FROM build AS profile-build
COPY services/profile services/profile
RUN pip install -c requirements/constraints.txt ./shared ./services/profile

FROM service-runtime AS profile
ENV PROFILE_PORT=8001
COPY --from=profile-build /opt/venv /opt/venv
EXPOSE 8001
# Liveness only (the process answers); readiness (/readyz: store and broker) is for
# the orchestrator: compose health checks and Kubernetes readiness probes.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PROFILE_PORT', '8001'), timeout=2)"]
CMD ["python", "-m", "profile_service"]

# --- matching: `python -m matching_service` on port 8002 -----------------------------
# Its virtualenv has the runtime dependencies only (ONNX Runtime, tokenizers, FAISS,
# numpy); the int8 model is exported with torch from a second, build-only virtualenv,
# and the image takes the first virtualenv and the model folder: no torch ships.

FROM build AS matching-build
COPY services/matching services/matching
RUN pip install -c requirements/constraints.txt ./shared ./services/matching
# torch comes from the PyTorch CPU index: the PyPI wheel for Linux pulls several GB of
# CUDA libraries. Its version 2.13.0+cpu satisfies the torch==2.13.0 pin of the
# [export] extra, so the next pip install keeps it.
RUN python -m venv /opt/export \
    && /opt/export/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && /opt/export/bin/pip install -c requirements/constraints.txt ./shared "./services/matching[export]" \
    && /opt/export/bin/python -m matching_service.adapters.model_export /opt/model
RUN if /opt/venv/bin/python -c "import torch" 2>/dev/null; then \
        echo "torch must not be in the runtime virtualenv" >&2; exit 1; \
    fi

FROM service-runtime AS matching
ENV MATCHING_PORT=8002 \
    MATCHING_MODEL_DIR=/opt/model
COPY --from=matching-build /opt/venv /opt/venv
COPY --from=matching-build /opt/model /opt/model
EXPOSE 8002
# Liveness only, as for profile; the model loads before the first answer.
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MATCHING_PORT', '8002'), timeout=2)"]
CMD ["python", "-m", "matching_service"]

# --- messaging: `python -m messaging_service` on port 8003 ---------------------------

FROM build AS messaging-build
COPY services/messaging services/messaging
RUN pip install -c requirements/constraints.txt ./shared ./services/messaging

FROM service-runtime AS messaging
ENV MESSAGING_PORT=8003
COPY --from=messaging-build /opt/venv /opt/venv
EXPOSE 8003
# Liveness only, as for profile.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MESSAGING_PORT', '8003'), timeout=2)"]
CMD ["python", "-m", "messaging_service"]

# --- notifications: `python -m notifications_service` on port 8004 -------------------

FROM build AS notifications-build
COPY services/notifications services/notifications
RUN pip install -c requirements/constraints.txt ./shared ./services/notifications

FROM service-runtime AS notifications
ENV NOTIFICATIONS_PORT=8004
COPY --from=notifications-build /opt/venv /opt/venv
EXPOSE 8004
# Liveness only, as for profile.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NOTIFICATIONS_PORT', '8004'), timeout=2)"]
CMD ["python", "-m", "notifications_service"]

# --- web: the frontend, `python -m web_service` on port 8000 -------------------------
# An npm stage fetches GOV.UK Frontend at the exact version of package-lock.json (as
# `make install` does); the image takes only its built files, so no Node.js ships.

FROM ${NODE_IMAGE} AS assets
WORKDIR /src
COPY services/web/package.json services/web/package-lock.json ./
# --omit=dev: axe-core is for the accessibility tests only. --ignore-scripts: nothing
# in the lock file needs an install script, so none may run.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM build AS web-build
COPY services/web services/web
RUN pip install -c requirements/constraints.txt ./shared ./services/web

FROM runtime AS web
# NODE_MODULES_DIR: where the app finds GOV.UK Frontend (its default is the source
# tree's node_modules, which an installed package does not have).
ENV WEB_PORT=8000 \
    NODE_MODULES_DIR=/opt/web/node_modules
COPY --from=web-build /opt/venv /opt/venv
# Only the built files the app serves (CSS, JavaScript, fonts, images), read-only.
COPY --from=assets /src/node_modules/govuk-frontend/dist /opt/web/node_modules/govuk-frontend/dist
USER 10001:10001
EXPOSE 8000
# Liveness only; readiness (/readyz: the session store and the GOV.UK Frontend files)
# is for the orchestrator: compose health checks and Kubernetes readiness probes.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8000'), timeout=2)"]
CMD ["python", "-m", "web_service"]
