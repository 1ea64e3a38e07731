# syntax=docker/dockerfile:1
# Portfolio Tracker: a multi-stage image. The build stage installs the locked dependencies
# and the app into a virtualenv; the runtime stage copies only that venv and runs as a
# non-root user. Migrations: the default command `serve --migrate` migrates on start; with
# several processes run `portfolio-tracker migrate` once as a separate step and plain `serve`
# (compose.yaml does that with a one-shot `migrate` service).

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.txt ./
RUN /opt/venv/bin/pip install -r requirements.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install --no-deps .

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
# postgresql-client: pg_dump/pg_restore for `portfolio-tracker backup` and `restore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /app/data/backups \
    && chown -R app:app /app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite:////app/data/portfolio.db \
    BACKUP_DIR=/app/data/backups
WORKDIR /app
USER app
VOLUME ["/app/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=4)"]
ENTRYPOINT ["portfolio-tracker"]
CMD ["serve", "--migrate"]
