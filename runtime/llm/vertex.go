// vertex.go resolves vertex-ai endpoints: the URL from project and location,
// and an OAuth access token from Google credentials through
// golang.org/x/oauth2/google.

package llm

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// TokenFetchTimeout bounds one OAuth token request of a vertex-ai client
// (to the credentials' token endpoint or the GCE metadata server). Tokens
// are cached until shortly before they expire, so a fetch happens about
// once an hour per credential.
const TokenFetchTimeout = 30 * time.Second

// vertexScope is the OAuth scope of Vertex AI requests.
const vertexScope = "https://www.googleapis.com/auth/cloud-platform"

func (r *Runtime) vertexEndpoint(ctx context.Context, c *client, ep *endpoint) error {
	creds, err := r.googleCredentials(ctx, c)
	if err != nil {
		return err
	}
	ep.modelInURL, ep.modelPath = true, "/"+ep.model
	if u, ok, err := r.stringOption(c, "base_url"); err != nil {
		return err
	} else if ok && u != "" {
		ep.baseURL = strings.TrimRight(u, "/")
	} else {
		loc, _, err := r.stringOption(c, "location")
		if err != nil {
			return err
		}
		project, _, err := r.stringOption(c, "project_id")
		if err != nil {
			return err
		}
		if project == "" {
			project = creds.ProjectID
		}
		if project == "" {
			return &ConfigError{Pos: c.pos, Client: c.name, Msg: "vertex-ai: no project_id, and the credentials name no project"}
		}
		host := loc + "-aiplatform.googleapis.com"
		if loc == "global" {
			host = "aiplatform.googleapis.com"
		}
		ep.baseURL = "https://" + host + "/v1/projects/" + project + "/locations/" + loc + "/publishers/google/models"
	}
	tok, err := creds.TokenSource.Token()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("client %s: %w", c.name, cerr)
		}
		return &TransportError{Client: c.name, Err: fmt.Errorf("vertex-ai: getting an access token: %w", err)}
	}
	ep.bearer = tok.AccessToken
	return nil
}

// googleCredentials finds c's Google credentials, as BAML does: the
// credentials option (a path, JSON text or a block), credentials_content
// (JSON text), $GOOGLE_APPLICATION_CREDENTIALS (a path or JSON text),
// $GOOGLE_APPLICATION_CREDENTIALS_CONTENT, else Application Default
// Credentials (gcloud's well-known file, the GCE metadata server).
// Credentials are cached per content, so their token source (which reuses
// a token until it nearly expires) serves every call.
func (r *Runtime) googleCredentials(ctx context.Context, c *client) (*google.Credentials, error) {
	data, err := r.credentialsJSON(c)
	if err != nil {
		return nil, err
	}
	key := "adc"
	if data != nil {
		sum := sha256.Sum256(data)
		key = string(sum[:])
	}
	if v, ok := r.gcreds.Load(key); ok {
		return v.(*google.Credentials), nil
	}
	// The token source keeps this ctx for all its fetches: it carries the
	// bounded HTTP client, never a call's ctx (which ends with the call).
	tctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: r.http.Transport, Timeout: TokenFetchTimeout})
	var creds *google.Credentials
	if data == nil {
		creds, err = google.FindDefaultCredentials(tctx, vertexScope)
	} else {
		creds, err = credentialsFromJSON(tctx, data)
	}
	if err != nil {
		return nil, &ConfigError{Pos: c.pos, Client: c.name, Msg: "vertex-ai credentials: " + err.Error()}
	}
	v, _ := r.gcreds.LoadOrStore(key, creds)
	return v.(*google.Credentials), nil
}

// credentialsFromJSON accepts the credential types a user's own
// configuration holds, named by the file's "type".
func credentialsFromJSON(ctx context.Context, data []byte) (*google.Credentials, error) {
	var f struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	switch t := google.CredentialsType(f.Type); t {
	case google.ServiceAccount, google.AuthorizedUser, google.ExternalAccount, google.ImpersonatedServiceAccount:
		return google.CredentialsFromJSONWithType(ctx, data, t, vertexScope)
	}
	return nil, fmt.Errorf("unsupported credentials type %q", f.Type)
}

// credentialsJSON returns the JSON of c's explicit credentials, or nil for
// Application Default Credentials.
func (r *Runtime) credentialsJSON(c *client) ([]byte, error) {
	if m, ok := c.options["credentials"].(map[string]any); ok {
		resolved, err := r.resolveValue(c, "credentials", m)
		if err != nil {
			return nil, err
		}
		return json.Marshal(resolved)
	}
	for _, k := range []string{"credentials", "credentials_content"} {
		s, ok, err := r.stringOption(c, k)
		if err != nil {
			return nil, err
		}
		if ok && s != "" {
			return r.jsonOrFile(c, k, s)
		}
	}
	for _, name := range []string{"GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS_CONTENT"} {
		if s, ok := r.env(name); ok && s != "" {
			return r.jsonOrFile(c, name, s)
		}
	}
	return nil, nil
}

// jsonOrFile returns s when it is JSON text, else the content of the file s
// names (relative to the working directory).
func (r *Runtime) jsonOrFile(c *client, what, s string) ([]byte, error) {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
		return []byte(t), nil
	}
	b, err := os.ReadFile(s)
	if err != nil {
		return nil, &ConfigError{Pos: c.pos, Client: c.name, Msg: fmt.Sprintf("%s: cannot read the credentials file: %v", what, err)}
	}
	return b, nil
}
