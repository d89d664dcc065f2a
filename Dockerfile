# syntax=docker/dockerfile:1
#
# One image for every role of Pleiades; the command picks the role:
#   docker run IMAGE worker --queues tracker --concurrency 16
#   docker run IMAGE scheduler | dashboard | simulator --port 8181 | migrate | doctor | start
# Node 24 runs the TypeScript sources directly (type stripping): there is no compile step and no dist/.
# The image bakes Node's compile cache of those sources instead: warm, no process loads Node's
# TypeScript stripper (~18 MB of RSS each; app/cli/compile-cache.ts).
# docs/deploy.md describes compose, Kubernetes, managed Redis/Postgres and sizing.

ARG NODE_IMAGE=node:24-slim

# --- production dependencies only (the `node` devDependency, test and build tools stay out) ---
# Optional packages stay out too: typescript (an optional peer of Bull Board's validator) and native
# helpers nothing needs (deploy/production-install.ts prints what this install weighs).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The workspace package's manifest: npm links node_modules/@pleiades/youtube-simulator to it.
COPY packages/youtube-simulator/package.json ./packages/youtube-simulator/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --omit=optional --no-audit --no-fund --loglevel=warn

# --- the overview page's script: dashboard/client bundled with Chart.js by esbuild (a devDependency) ---
FROM ${NODE_IMAGE} AS assets
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/youtube-simulator/package.json ./packages/youtube-simulator/
# Scripts off: nothing here needs them (esbuild's binary comes as its own package), and the `node`
# devDependency would fetch a second Node. Only the bundle leaves this stage.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=warn
COPY packages ./packages
COPY src ./src
COPY app ./app
COPY dashboard ./dashboard
RUN node dashboard/build.ts

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM/SIGINT to Node (so workers stop taking jobs and finish the running
# ones) and reaps zombies. With tini in the image, no `init: true` or `docker run --init` is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

# MALLOC_ARENA_MAX and NODE_COMPILE_CACHE are what `pleiades worker` would otherwise re-execute Node to
# add (app/cli/heap.ts): fewer glibc malloc arenas, and the compile cache baked below.
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/app/.compile-cache \
    MALLOC_ARENA_MAX=2 \
    LOG_FORMAT=json \
    HOST=0.0.0.0 \
    PORT=3000 \
    VAULT_DIR=/app/data/vault

WORKDIR /app
# Code and dependencies belong to root and are read-only for the process; only /app/data (the local
# vault; mount a volume there) is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
# The simulator (the `simulator` role, and the clock and quota table the product shares with it).
COPY packages ./packages
COPY src ./src
COPY app ./app
COPY queues ./queues
COPY workers ./workers
COPY dashboard ./dashboard
COPY --from=assets /app/dashboard/public/dist ./dashboard/public/dist
COPY sql ./sql
COPY deploy/healthcheck.ts ./deploy/healthcheck.ts
RUN mkdir -p /app/data/vault /app/.compile-cache \
    && chown -R node:node /app/data /app/.compile-cache \
    && ln -s /app/bin/pleiades.js /usr/local/bin/pleiades

# Node's compile cache: the type-stripped sources and V8 code caches of every module, filled as `node`
# (Node keys the cache by uid), then handed to root like the rest of the code (it is code: a process
# that could write it could change what the next one runs). Node reads it and skips writing quietly.
USER node
RUN node app/cli/compile-cache.ts
USER root
RUN chown -R root:root /app/.compile-cache && chmod -R a+rX,go-w /app/.compile-cache

# The `node` user of the official image (uid 1000), never root.
USER node
EXPOSE 3000

# One check for every role: it reads the role from PID 1's command line (deploy/healthcheck.ts).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["node", "deploy/healthcheck.ts"]

ENTRYPOINT ["/usr/bin/tini", "--", "node", "app/cli/main.ts"]
CMD ["start"]
