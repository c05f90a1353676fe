# syntax=docker/dockerfile:1
# The worker and its operator CLI on Node 24 LTS. test/integration/container-image.test.ts replays these steps natively
# (no container engine runs in CI): keep the two in step.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Our fixes to dependencies (patches/, applied by patch-package in postinstall): npm ci fails if one no longer applies.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY consumers ./consumers
COPY jobs ./jobs
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The CLI on PATH: `docker compose exec worker billing-enforcer status sub-42`.
ENV PATH=/app/bin:$PATH
# The image's own unprivileged user (uid 1000); nothing under /app is writable by it.
USER node
EXPOSE 8080
# V8 sizes its heap from the memory it sees: on a 24 GB host a 4 GB heap with 64 MB semi-spaces, and the worker
# catching up a backlog peaked at 451-464 MB RSS, mostly garbage not yet collected; with the heap capped at 256 MB (both
# generations) it peaked at 185-204 MB at comparable throughput (npm run bench; docs/deployment.md, "Memory"). Keep
# it well under the pod's memory limit (deploy/helm/billing-enforcer/values.yaml, resources.limits.memory).
CMD ["node", "--max-heap-size=256", "dist/src/main.js"]
