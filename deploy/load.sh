#!/bin/sh
# Sends a few tickets to the demo service so that traces show up in Jaeger as
# soon as the stack is up, and prints a link to each trace. The `load` service
# of docker-compose.yml runs it; from the host:
#
#   sh deploy/load.sh                      # TARGET defaults to http://localhost:8080
#
# TARGET is the service's base URL, JAEGER_UI the Jaeger UI's as seen from
# your browser.
set -eu

target="${TARGET:-http://localhost:8080}"
ui="${JAEGER_UI:-http://localhost:16686}"

# The service may still be starting: wait up to a minute.
tries=0
until curl -fsS -o /dev/null "$target/healthz" 2>/dev/null; do
	tries=$((tries + 1))
	if [ "$tries" -ge 60 ]; then
		echo "load.sh: $target/healthz is not answering" >&2
		exit 1
	fi
	sleep 1
done

for ticket in \
	"Checkout is down for all users since 9:00. Nobody can pay." \
	"The export button crashes the app when the report is empty." \
	"Login fails with error 500 for SSO users." \
	"Please add a dark mode to the settings page."; do
	echo "POST $target/triage: $ticket"
	# A retry covers an LLM stub that is still starting (the service answers 502).
	reply=$(curl -fsS --retry 3 --retry-all-errors --retry-delay 1 \
		-H 'Content-Type: text/plain' --data-binary "$ticket" "$target/triage")
	echo "  $reply"
	id=$(echo "$reply" | sed -n 's/.*"trace_id":"\([0-9a-f]*\)".*/\1/p')
	if [ -n "$id" ]; then
		echo "  trace: $ui/trace/$id"
	fi
done
echo "Open $ui, pick Service: bex-httpserver and press Find Traces."
