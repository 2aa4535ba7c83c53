# Startalk Next application image. Runs TypeScript directly (scripts/ts-loader.mjs: esbuild strips types; no build step).
FROM node:20-bookworm-slim
WORKDIR /app
# DATA_DIR (uploads' temp files, local files, an embedded database) lives on a volume the
# unprivileged "node" user owns: /app stays root-owned and read-only to it.
ENV NODE_ENV=production DATA_DIR=/data
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
# dev dependencies are needed (`prisma generate` runs at install); NODE_ENV=production would omit them
RUN npm ci --include=dev --no-audit --no-fund
COPY src ./src
COPY bridge ./bridge
COPY tsconfig.json schema.graphql ./
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080 5222 5202
CMD ["node", "--import", "./scripts/register-ts.mjs", "src/server/main.ts"]
