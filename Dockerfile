# ml-connector serve as a container: non-root, the state database on a volume, a health check on
# /healthz. Build: docker build -t ml-connector . ; run: see docs/operations.md ("Container").
# Node 20 LTS on Debian 12; pin the digest in your registry mirror for reproducible builds.

FROM node:20-bookworm-slim AS build
# sqlite3 downloads a prebuilt binary for this platform, or compiles SQLite with these.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY schema ./schema
COPY configs ./configs
# `npm ci` runs `prepare`, which compiles src/ to dist/; then drop the build-time dependencies.
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# git and ssh for pull-based GitOps (serve --git-remote); CA certificates for git over https.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/ml-connector /config \
 && chown node:node /var/lib/ml-connector
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/schema ./schema
COPY --from=build /app/configs ./configs
ENV NODE_ENV=production \
    ML_CONNECTOR_STATE=/var/lib/ml-connector/state.db
# The state database (links, watermarks, runs, audit, encrypted secrets) must outlive the container.
VOLUME ["/var/lib/ml-connector"]
# The image's own user (uid 1000), never root.
USER node
EXPOSE 8080
# 200 while serving; 503 while draining on SIGTERM; no answer when it could not listen (exit 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# tini forwards SIGTERM to node and reaps git's child processes.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/ml-connector.js"]
# The configuration: mount a directory at /config (read-only), or use --git-remote.
CMD ["serve", "--config", "/config", "--port", "8080", "--host", "0.0.0.0"]
