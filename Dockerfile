# Startalk Next application image. Runs TypeScript directly (scripts/ts-loader.mjs: esbuild strips types; no build step).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
# dev dependencies are needed: `prisma generate` runs at install
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY bridge ./bridge
COPY tsconfig.json schema.graphql ./
USER node
EXPOSE 8080 5222 5202
CMD ["node", "--import", "./scripts/register-ts.mjs", "src/server/main.ts"]
