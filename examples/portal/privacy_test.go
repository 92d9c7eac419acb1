package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/dispatchkit/connect"
)

// TestTheDemoErasesItsProofFilesAndWritesExports: the demo's Privacy port
// deletes the files it saved that a redaction names (a repeat is fine, a URL
// elsewhere is left), and writes an export once per key.
func TestTheDemoErasesItsProofFilesAndWritesExports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := &demoPrivacy{files: filepath.Join(dir, "files"), exports: filepath.Join(dir, "exports"),
		baseURL: "https://demo.example", log: slog.New(slog.DiscardHandler)}
	if err := os.MkdirAll(p.files, 0o700); err != nil {
		t.Fatal(err)
	}
	name := "0123456789abcdef0123456789abcdef.jpg"
	if err := os.WriteFile(filepath.Join(p.files, name), []byte("photo"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := connect.ProofFilesErasure{Key: "k1", Order: "o1",
		URLs: []string{"https://demo.example/demo/files/" + name, "https://elsewhere.example/x.jpg"}}
	for range 2 {
		if err := p.EraseProofFiles(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(p.files, name)); !os.IsNotExist(err) {
		t.Errorf("the proof photo is still there (%v)", err)
	}
	x := connect.CustomerDataExport{Key: "data-request/acme.myshopify.com/9/cl-1", JSON: []byte(`{"orders":[]}`)}
	for range 2 {
		if err := p.SendCustomerData(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadDir(p.exports)
	if err != nil || len(got) != 1 {
		t.Fatalf("exports written: %v, %v", got, err)
	}
	if b, _ := os.ReadFile(filepath.Join(p.exports, got[0].Name())); string(b) != `{"orders":[]}` {
		t.Errorf("export file holds %q", b)
	}
}
