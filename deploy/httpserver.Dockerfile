# syntax=docker/dockerfile:1
# The demo service examples/httpserver, built from the repository root:
#
#   docker build -f deploy/httpserver.Dockerfile -t bex-httpserver .
#
# docker-compose.yml builds it this way; see docs/compose.md.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/httpserver ./examples/httpserver

# A static binary needs no more than certificates and a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/httpserver /httpserver
ENV ADDR=:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/httpserver"]
