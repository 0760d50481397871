# syntax=docker/dockerfile:1
# The offline LLM stub examples/llmstub (OpenAI and Anthropic APIs, the demo
# script), built from the repository root:
#
#   docker build -f deploy/llmstub.Dockerfile -t bex-llmstub .

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/llmstub ./examples/llmstub

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/llmstub /llmstub
ENV ADDR=:8081
EXPOSE 8081
USER nonroot:nonroot
ENTRYPOINT ["/llmstub"]
