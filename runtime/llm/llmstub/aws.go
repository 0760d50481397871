// aws.go holds the stub's Bedrock side: SigV4 verification with the AWS
// SDK's signer, and ConverseStream replies in the AWS event stream encoding.

package llmstub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// awsAuth verifies SigV4 signatures with one set of test credentials.
type awsAuth struct {
	creds  aws.Credentials
	region string
}

// WithAWSCredentials makes the server check every Bedrock request's SigV4
// signature: it recomputes the signature with these credentials and the
// AWS SDK's own signer (service "bedrock", region) over the headers the
// request signed, and answers 403 InvalidSignatureException on a mismatch,
// another key or a body whose hash differs.
func WithAWSCredentials(accessKeyID, secretAccessKey, sessionToken, region string) Option {
	return func(srv *Server) {
		srv.Handler.aws = &awsAuth{creds: aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, SessionToken: sessionToken}, region: region}
	}
}

var errSignature = errors.New("The request signature we calculated does not match the signature you provided.")

func (a *awsAuth) verify(r *http.Request, body []byte) error {
	authz := r.Header.Get("Authorization")
	cred := between(authz, "Credential=", ",")
	signed := between(authz, "SignedHeaders=", ",")
	if !strings.HasPrefix(authz, "AWS4-HMAC-SHA256 ") || cred == "" || signed == "" {
		return errors.New("missing or malformed SigV4 Authorization header")
	}
	if parts := strings.Split(cred, "/"); len(parts) != 5 || parts[0] != a.creds.AccessKeyID || parts[2] != a.region || parts[3] != "bedrock" {
		return fmt.Errorf("unexpected credential scope %s", cred)
	}
	if r.Header.Get("X-Amz-Security-Token") != a.creds.SessionToken {
		return errors.New("The security token included in the request is invalid.")
	}
	t, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return errors.New("missing X-Amz-Date")
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != hash {
		return errSignature
	}
	re, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	re.Host, re.ContentLength = r.Host, int64(len(body)) // net/http moves both out of the header
	for _, name := range strings.Split(signed, ";") {
		if name != "host" {
			re.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	re.Header.Del("Authorization")
	if err := v4.NewSigner().SignHTTP(context.Background(), a.creds, re, hash, "bedrock", a.region, t); err != nil {
		return err
	}
	if re.Header.Get("Authorization") != authz {
		return errSignature
	}
	return nil
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return strings.TrimSpace(v)
}

// bedrockEvents are the events of a ConverseStream reply.
func bedrockEvents(f replyFacts, parts []string) []streamEvent {
	evs := []streamEvent{{name: "messageStart", data: map[string]any{"role": "assistant"}}}
	for _, p := range parts {
		evs = append(evs, streamEvent{name: "contentBlockDelta", data: map[string]any{"contentBlockIndex": 0, "delta": map[string]any{"text": p}}})
	}
	return append(evs,
		streamEvent{name: "contentBlockStop", data: map[string]any{"contentBlockIndex": 0}},
		streamEvent{name: "messageStop", data: map[string]any{"stopReason": f.finish}, final: true},
		streamEvent{name: "metadata", data: map[string]any{"usage": bedrockUsage(f.u), "metrics": map[string]any{"latencyMs": 1}}, final: true})
}

// encodeAWS encodes ev as an AWS event-stream message.
func encodeAWS(ev streamEvent) []byte {
	b, _ := json.Marshal(ev.data)
	var hs eventstream.Headers
	hs.Set(":event-type", eventstream.StringValue(ev.name))
	hs.Set(":content-type", eventstream.StringValue("application/json"))
	hs.Set(":message-type", eventstream.StringValue("event"))
	var buf bytes.Buffer
	_ = eventstream.NewEncoder().Encode(&buf, eventstream.Message{Headers: hs, Payload: b})
	return buf.Bytes()
}
