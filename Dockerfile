# The Switchyard router (docs/deployment.md, "Running with Docker Compose").
#   docker build -t switchyard .
#   docker run -p 8088:8088 -e SWITCHYARD_ADMIN_TOKEN=… -v $PWD/my.yaml:/etc/switchyard/switchyard.yaml:ro switchyard

# Build: better-sqlite3 compiles from source here, so this stage has the toolchain. `npm install` follows the
# lockfile and builds every workspace through the root `prepare` script (turbo), with the npm version the root
# package.json names (`packageManager`).
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && npm install -g npm@11.19.1
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1
COPY . .
RUN npm install --no-audit --no-fund \
 && test -f cli/dist/main.js && test -d dashboard/dist/page

# Runtime: the built workspace (node_modules as installed, with the compiled better-sqlite3) without the toolchain.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# The default config: no server needed, listening on every interface of the container.
COPY --chown=root:root deploy/switchyard.container.yaml /etc/switchyard/switchyard.yaml
RUN mkdir -p /var/lib/switchyard && chown node:node /var/lib/switchyard
USER node
# The storage dir (queue with `queue: sqlite`, privacy replica, connection files, router.lock): one per router.
VOLUME /var/lib/switchyard
# server.port of the config (8088 in deploy/switchyard.*.yaml); the HEALTHCHECK below asks the same port.
EXPOSE 8088
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8088/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/cli/dist/main.js", "start"]
CMD ["--config", "/etc/switchyard/switchyard.yaml"]
