# syntax=docker/dockerfile:1
# The web app: built with Node from the committed lock, served by an
# unprivileged nginx (docker/nginx.conf: SPA fallback, /api, /media and /ws
# proxied to the gateway at GATEWAY_URL, long caching for hashed assets).
#
#   docker build -f docker/web.Dockerfile -t rentezy/web .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY frontend/package.json frontend/package-lock.json frontend/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM nginxinc/nginx-unprivileged:1.27-alpine
COPY docker/nginx.conf /etc/nginx/templates/default.conf.template
COPY --from=build /src/dist /usr/share/nginx/html
ENV GATEWAY_URL=http://gateway:8000
# The image's own unprivileged user (Kubernetes runs it as 10001: every path
# nginx writes is an emptyDir there).
USER 101
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
