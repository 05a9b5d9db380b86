# briefbot: the Telegram bot (`briefbot run`) in a slim Python image, as a non-root user.
# Build: docker build -t briefbot .   Run: see compose.yaml and README "Deploy".
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BRIEFBOT_DATA_DIR=/data \
    BRIEFBOT_TELEGRAM_WEBHOOK_LISTEN=0.0.0.0

RUN useradd --system --uid 10001 --create-home --home-dir /home/briefbot briefbot \
    && mkdir /data && chown briefbot:briefbot /data

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY seeds ./seeds
COPY prompts ./prompts
# the extra brings the PostgreSQL driver (BRIEFBOT_DATABASE_URL=postgresql://…)
RUN pip install ".[postgres]"

USER briefbot
WORKDIR /data
VOLUME ["/data"]
# webhook mode only: updates, GET /healthz and GET /metrics
EXPOSE 8443
HEALTHCHECK --interval=60s --timeout=10s --start-period=90s --retries=3 CMD ["briefbot", "health"]
CMD ["briefbot", "run"]
