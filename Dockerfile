# Slim, non-root image that runs the bot. The ledger lives on the /data volume.
#   docker build -t ideogram-bot .
#   docker run -d --name ideogram-bot --stop-timeout 70 -e DISCORD_TOKEN -e AIHUBMIX_API_KEY \
#     -v ideogram-data:/data -v "$PWD/config.toml:/app/config.toml:ro" ideogram-bot
# or, with the same settings written down: docker compose up -d (compose.yaml).
# On SIGTERM the bot gives jobs in flight up to 60 s; --stop-timeout 70 lets it (docker's default is 10 s).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BOT_HEARTBEAT_FILE=/tmp/bot-heartbeat

RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data /app \
    && chown bot:bot /data /app

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install . && rm -rf build *.egg-info
# The built-in settings (the example, unchanged); mount your own config.toml over it.
COPY config.example.toml ./config.toml

USER bot
VOLUME ["/data"]
# The bot runs in the volume: a relative [database] path (the example's "data/bot.sqlite3") resolves under
# /data, so the ledger survives upgrades whichever config is mounted. Only an absolute path elsewhere would not.
WORKDIR /data

# Healthy = connected to Discord: the bot refreshes $BOT_HEARTBEAT_FILE every 30 s while its gateway is open.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "-m", "bot", "health"]

STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "--config", "/app/config.toml"]
