package llm

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkTransport: the cost of the bounds on a request, beside the same
// transport without the body's bound and net/http's own transport (the
// server's share is the same in all).
func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	defer srv.Close()
	for _, tt := range []struct {
		name string
		rt   http.RoundTripper
	}{
		{"bounded", NewHTTPClient().Transport},
		{"plain", newTransport(headerTimeout, writeTimeout)},
		{"net/http", &http.Transport{}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			c := &http.Client{Transport: tt.rt}
			defer c.CloseIdleConnections()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.Post(srv.URL, "application/json", bytes.NewReader([]byte(`{}`)))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
		})
	}
}
