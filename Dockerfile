# syntax=docker/dockerfile:1
#
# One image for every finsentry service; docker-compose.yml picks the service with `command`, e.g.
#   docker run --rm finsentry node --import tsx apps/scorer/src/main.ts
# TypeScript runs as-is through tsx (no build step), so the image holds the sources.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- manifests: only what `npm ci` needs, so the dependency layer below stays cached until
#     package.json / package-lock.json / .npmrc change (not on every source edit).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /out \
 && cp package.json package-lock.json .npmrc /out/ \
 && find apps packages -mindepth 2 -maxdepth 2 -name package.json -exec cp --parents {} /out/ \;

# --- runtime
FROM ${NODE_IMAGE}
WORKDIR /app

COPY --from=manifests /out/ ./
# Full install (dev dependencies included): services run through tsx, which is a devDependency.
# .npmrc (onnxruntime-node-install=skip) keeps onnxruntime-node from downloading its CUDA add-on;
# its CPU binaries ship in the npm package itself.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

# Sources, migrations and the bundled model (models/default). See .dockerignore for what stays out.
COPY --chown=node:node . .

# Writable by the unprivileged user: where the trainer can put model versions it produces
# (a named volume in docker-compose.yml takes this directory's ownership on first use).
RUN mkdir -p /var/lib/finsentry/models && chown -R node:node /var/lib/finsentry

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_LEVEL=info

USER node
EXPOSE 3000

# Default: the all-in-one app (embedded bus and PGlite). Compose overrides this per service.
CMD ["node", "--import", "tsx", "apps/standalone/src/main.ts"]
