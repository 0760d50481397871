// google.go holds the stub's OAuth 2.0 token endpoint, which gives Vertex
// clients access tokens for a service-account key's signed JWT.

package llmstub

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// TokenPath is the path of the stub's OAuth token endpoint: use
// URL()+TokenPath as the token_uri of a test service-account key.
const TokenPath = "/token"

// googleAuth issues and checks access tokens.
type googleAuth struct {
	key    *rsa.PublicKey
	mu     sync.Mutex
	issued map[string]bool
}

// WithGoogleServiceAccount serves an OAuth token endpoint at TokenPath for
// the service account whose public key is key: a JWT-bearer grant whose
// assertion is signed (RS256) by the matching private key gets an access
// token; any other gets 400 invalid_grant. Gemini requests that carry an
// "Authorization: Bearer" header (Vertex) must then carry a token it
// issued, or get 401.
func WithGoogleServiceAccount(key *rsa.PublicKey) Option {
	return func(srv *Server) { srv.Handler.google = &googleAuth{key: key, issued: map[string]bool{}} }
}

// ServiceAccountKey returns a Google service-account key file (JSON) for
// an account of project whose private key is key and whose token endpoint
// is tokenURL: the credentials of a Vertex AI client for a stub started
// WithGoogleServiceAccount(&key.PublicKey), with URL()+TokenPath.
func ServiceAccountKey(key *rsa.PrivateKey, project, tokenURL string) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]string{
		"type": "service_account", "project_id": project, "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "bex-test@" + project + ".iam.gserviceaccount.com", "client_id": "1", "token_uri": tokenURL,
	})
}

// TokensIssued returns how many access tokens the token endpoint issued.
func (s *Server) TokensIssued() int {
	g := s.Handler.google
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.issued)
}

func (g *googleAuth) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		writeJSON(w, 400, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	if err := g.verifyJWT(r.PostForm.Get("assertion")); err != nil {
		writeJSON(w, 400, map[string]any{"error": "invalid_grant", "error_description": err.Error()})
		return
	}
	g.mu.Lock()
	tok := fmt.Sprintf("stub-access-token-%04d", len(g.issued)+1)
	g.issued[tok] = true
	g.mu.Unlock()
	writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}

// verifyJWT checks an RS256 JWT's signature and that it asks for a scope.
func (g *googleAuth) verifyJWT(jwt string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("bad signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(g.key, crypto.SHA256, sum[:], sig); err != nil {
		return fmt.Errorf("invalid JWT signature")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("bad claims encoding")
	}
	var claims struct {
		Scope string `json:"scope"`
		Iss   string `json:"iss"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Scope == "" || claims.Iss == "" {
		return fmt.Errorf("the JWT names no issuer or scope")
	}
	return nil
}

func (g *googleAuth) valid(tok string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.issued[tok]
}
