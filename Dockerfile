# Skein coordinator image. Every build step is plain shell, so the same steps work without Docker:
#   npm ci && npm run build && npm prune --omit=dev && node dist/src/cli/main.js serve
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY proto ./proto
COPY src ./src
COPY bin ./bin
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production SKEIN_HOST=0.0.0.0 SKEIN_PORT=31337
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
COPY --from=build /app/bin ./bin
USER node
EXPOSE 31337
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
