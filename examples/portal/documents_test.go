package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pdfread"
)

// The demo host's documents are real PDFs end to end: a delivered order's
// proof, downloaded from its page, reads back (pdftotext) with the demo brand,
// the recipient and the driver's notes, and holds the photo the driver
// uploaded (pdfimages); the labels of the drafts tab's selection, on A4, carry
// QR codes that decode back to the orders, a label per package. Both files
// are kept in $CONNECT_E2E_ARTIFACTS/documents when it is set.
func TestDocumentsAreRealPDFsEndToEnd(t *testing.T) {
	th := startHost(t, t.TempDir())
	ctx := context.Background()
	c := th.signedInOwner(t)
	owner, err := th.svc.SignIn(ctx, "gina@greengrocer.test", "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	a := owner[0].Actor
	mk := func(ref string, packages int) *connect.Order {
		o, err := th.svc.CreateOrder(ctx, a, connect.OrderInput{Ref: ref, PackageCount: packages,
			Recipient: connect.Recipient{Name: "Rita " + ref}, Address: connect.Address{Line1: "1 Main St", City: "Springfield"}})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	done, one, three := mk("DOC-1", 0), mk("DOC-2", 1), mk("DOC-3", 3)
	if _, err := th.svc.SubmitOrders(ctx, a, []connect.OrderID{done.ID}); err != nil {
		t.Fatal(err)
	}
	host := connect.AsRouteSync(demoAccount)
	photo, err := th.svc.StoreProofFile(ctx, host, done.ID, bytes.NewReader(pngBytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := th.svc.ApplyRouteEvents(ctx, host, []connect.RouteEvent{
		{ID: "doc-s", Order: done.ID, Event: connect.EventSchedule, At: now, Route: connect.RouteStop{RouteID: "R-1", Position: 1}},
		{ID: "doc-r", Order: done.ID, Event: connect.EventStart, At: now.Add(time.Second), ETA: now.Add(time.Hour)},
		{ID: "doc-c", Order: done.ID, Event: connect.EventComplete, At: now.Add(2 * time.Second), Proof: &connect.ProofOfDelivery{
			PhotoURLs: []string{photo}, RecipientName: "Rita at the door", Notes: "Left in the porch", At: now.Add(2 * time.Second)}},
	}); err != nil {
		t.Fatal(err)
	}

	artifacts := os.Getenv("CONNECT_E2E_ARTIFACTS")
	keep := func(name, body string) {
		if artifacts == "" {
			return
		}
		dir := filepath.Join(artifacts, "documents")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	status, proof := th.get(t, c, "/orders/"+string(done.ID)+"/proof.pdf")
	if status != http.StatusOK || !strings.HasPrefix(proof, "%PDF-") {
		t.Fatalf("proof: %d %.200q", status, proof)
	}
	keep("proof-of-delivery.pdf", proof)
	text := strings.Join(pdfread.Text(t, []byte(proof)), " ")
	for _, s := range []string{"Swift Couriers (demo)", "Proof of delivery", "DOC-1", "Rita DOC-1", "Rita at the door", "Left in the porch", "Delivered"} {
		if !strings.Contains(text, s) {
			t.Errorf("the proof lacks %q:\n%s", s, text)
		}
	}
	if n := len(slices.Concat(pdfread.Images(t, []byte(proof))...)); n != 1 {
		t.Errorf("the proof holds %d images, want the driver's photo", n)
	}

	q := url.Values{"id": {string(one.ID), string(three.ID)}, "sheet": {"a4"}}
	status, labels := th.get(t, c, "/orders/labels.pdf?"+q.Encode())
	if status != http.StatusOK || !strings.HasPrefix(labels, "%PDF-") {
		t.Fatalf("labels: %d %.200q", status, labels)
	}
	keep("labels-a4.pdf", labels)
	var codes []string
	for _, page := range pdfread.Images(t, []byte(labels)) {
		for _, img := range page {
			code, err := pdfread.QR(img)
			if err != nil {
				t.Fatal(err)
			}
			codes = append(codes, code)
		}
	}
	want := []string{string(one.ID), string(three.ID), string(three.ID), string(three.ID)}
	if !slices.Equal(codes, want) {
		t.Fatalf("the labels' codes: %q, want %q", codes, want)
	}
	for _, code := range codes {
		if _, err := th.svc.Order(ctx, a, connect.OrderID(code)); err != nil {
			t.Fatalf("a label's code %q finds no order: %v", code, err)
		}
	}
}
