package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dispatchkit/connect"
)

// demoPrivacy is the demo host's side of Shopify's privacy requests
// (connect.Privacy): it deletes the proof photos and signatures it stored when
// a redaction names them, and writes a customer data export to
// DATA_DIR/privacy-exports, where a real host would email it to the client.
type demoPrivacy struct {
	files   string // where saveImage keeps the demo's files
	exports string // where exports are written
	baseURL string
	log     *slog.Logger
}

var _ connect.Privacy = (*demoPrivacy)(nil)

// EraseProofFiles deletes the demo's own files among urls; a file already
// gone is fine, and a URL elsewhere is not the demo's to delete (it is logged).
func (p *demoPrivacy) EraseProofFiles(ctx context.Context, e connect.ProofFilesErasure) error {
	for _, u := range e.URLs {
		name, ok := strings.CutPrefix(u, p.baseURL+"/demo/files/")
		if !ok || !fileName.MatchString(name) {
			p.log.WarnContext(ctx, "privacy: a proof file elsewhere than the demo's files is left", "url", u, "order", e.Order)
			continue
		}
		if err := os.Remove(filepath.Join(p.files, name)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	p.log.InfoContext(ctx, "privacy: proof files erased", "order", e.Order, "files", len(e.URLs))
	return nil
}

// unsafeKey is what a file name made of an outbox key may not hold.
var unsafeKey = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SendCustomerData writes the export, named after its key (the same key
// writes the same file, so a repeated delivery does it once).
func (p *demoPrivacy) SendCustomerData(ctx context.Context, x connect.CustomerDataExport) error {
	if err := os.MkdirAll(p.exports, 0o700); err != nil {
		return err
	}
	path := filepath.Join(p.exports, unsafeKey.ReplaceAllString(x.Key, "_")+".json")
	if err := os.WriteFile(path, x.JSON, 0o600); err != nil {
		return err
	}
	p.log.InfoContext(ctx, "privacy: customer data export ready to send to the client", "client", x.Client,
		"shop", x.Shop, "request", x.RequestID, "orders", x.Orders, "file", path)
	return nil
}
