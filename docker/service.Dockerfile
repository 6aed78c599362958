# One image recipe for every process of the platform (the five services, the gateway, the console):
# docker-compose.yml builds each from it with its own arguments. By hand, from the repository root:
#
#   docker build -f docker/service.Dockerfile \
#     --build-arg SERVICE=plans --build-arg PACKAGE=plans-service --build-arg PORT=8101 -t hunan/plans .
#
# SERVICE is the module `python -m` runs, PACKAGE the workspace package whose dependencies are
# installed (nothing else is), PORT the port it listens on and is health-checked at (/readyz).
FROM python:3.11-slim
COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /usr/local/bin/uv
ARG SERVICE
ARG PACKAGE
ARG PORT
# fonts-noto-cjk: the contracts service draws the seal imprint's Chinese text from Noto Sans CJK SC
# (contracts/seal_art.py; SEAL_FONT_FILE names another font); fonts-arphic-uming: the TrueType CJK font
# the contract text embeds (reportlab embeds TrueType outlines only). In every image: one recipe.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk fonts-arphic-uming && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 PYTHONUNBUFFERED=1
COPY . .
RUN test -n "$SERVICE" && test -n "$PACKAGE" && test -n "$PORT" \
    || { echo "build with --build-arg SERVICE=... PACKAGE=... PORT=..." >&2; exit 1; }
RUN uv sync --frozen --no-dev --package "$PACKAGE"
# The process runs as an unprivileged user (numeric, so an orchestrator can check runAsNonRoot): it
# reads the code and the secrets (mounted readable, devstack keys) and writes only under /app/var.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app/var --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app/var && chown 10001:10001 /app/var
USER 10001:10001
ENV PATH=/app/.venv/bin:$PATH HOST=0.0.0.0 PORT=$PORT APP_MODULE=$SERVICE
EXPOSE $PORT
HEALTHCHECK --interval=10s --timeout=3s --retries=6 CMD python -c "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/readyz\", timeout=2)"
CMD ["sh", "-c", "exec python -m \"$APP_MODULE\""]
