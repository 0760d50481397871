package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServesDemoScript runs the command on a free port and asks it for a
// headline, as the demo service does.
func TestServesDemoScript(t *testing.T) {
	exe, err := os.Executable() // this test binary: rerun it as the command
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(exe, "-test.run=^TestHelperMain$")
	cmd.Env = append(os.Environ(), "BEX_LLMSTUB_HELPER=1", "ADDR="+addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"One line headline for: the printer is on fire"}]}`
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err = http.Post("http://"+addr+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("the stub did not answer on %s: %v", addr, err)
	}
	defer resp.Body.Close()
	var reply struct {
		Model   string `json:"model"`
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if reply.Model != "gpt-4o-mini" || len(reply.Choices) != 1 || reply.Choices[0].Message.Content != "The printer is on fire" {
		t.Errorf("reply = %+v, want the demo script's headline", reply)
	}
}

// TestHelperMain is the command itself when TestServesDemoScript runs this
// binary with BEX_LLMSTUB_HELPER=1; otherwise it does nothing.
func TestHelperMain(t *testing.T) {
	if os.Getenv("BEX_LLMSTUB_HELPER") != "1" {
		return
	}
	os.Args = os.Args[:1]
	main()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
