// Command llmstub serves the offline LLM stub over HTTP: the demo script of
// package llmstub (llmstub.Default), which answers the SPEC's ticket-triage
// pipeline sensibly without a real model, on OpenAI's Chat Completions API
// (POST /v1/chat/completions) and Anthropic's Messages API (POST
// /v1/messages). docker-compose.yml runs it as the `llmstub` service, the
// LLM provider of the demo service.
//
// ADDR (or -addr) is the listen address, default 127.0.0.1:8081; the
// container listens on :8081.
//
//	go run ./examples/llmstub &
//	curl -s localhost:8081/v1/chat/completions -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"One line headline for: the printer is on fire"}]}'
package main

import (
	"flag"
	"log"
	"os"

	"github.com/bexrun/bex/runtime/llm/llmstub"
)

// defaultAddr keeps a run on a laptop private to it; the container sets ADDR.
const defaultAddr = "127.0.0.1:8081"

func main() {
	addr := flag.String("addr", listenAddr(), "listen address (default $ADDR, else "+defaultAddr+")")
	flag.Parse()
	log.Printf("llmstub: serving the demo script on %s (POST /v1/chat/completions, /v1/messages)", *addr)
	log.Fatal(llmstub.ListenAndServe(*addr, llmstub.Default()))
}

// listenAddr returns $ADDR, or defaultAddr when it is unset.
func listenAddr() string {
	if a := os.Getenv("ADDR"); a != "" {
		return a
	}
	return defaultAddr
}
