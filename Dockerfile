# Slim, non-root image that runs the bot. The SQLite ledger lives on the /data volume.
#   docker build -t ideogram-bot .
#   docker run -d --name ideogram-bot --stop-timeout 70 -e DISCORD_TOKEN -e AIHUBMIX_API_KEY \
#     -v ideogram-data:/data -v "$PWD/config.toml:/app/config.toml:ro" ideogram-bot
# On SIGTERM the bot gives jobs in flight up to 60 s; --stop-timeout 70 lets it (docker's default is 10 s).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data /app \
    && chown bot:bot /data /app

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install . && rm -rf build *.egg-info
COPY config.example.toml ./

USER bot
VOLUME ["/data"]
# The example config with the database moved onto the volume; mount your own config.toml over it.
RUN sed 's#^path = "data/bot.sqlite3"#path = "/data/bot.sqlite3"#' config.example.toml > config.toml

STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "--config", "/app/config.toml"]
