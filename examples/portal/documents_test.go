package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
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

// BenchmarkProofExport streams the bulk proof export of 10k delivered orders
// (CONNECT_BENCH_PROOFS orders, if set), each with a 320×240 JPEG photo,
// through the demo host: GET /orders/proofs.zip, read to the end. It reports
// the ZIP's size, the time per order, and the peaks over the export, above
// the live heap before it (sampled every 10 ms), of the heap's objects
// (garbage included) and of the live heap as collections mark it: one
// order's files and PDF are held at a time, the summary grows by a line an
// order.
func BenchmarkProofExport(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("CONNECT_BENCH_PROOFS")); err == nil && v > 0 {
		n = v
	}
	th := startHost(b, b.TempDir())
	ctx := context.Background()
	owner, err := th.svc.AcceptInvite(ctx, strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"})
	if err != nil {
		b.Fatal(err)
	}
	c := th.client()
	c.Timeout = 0 // 10k orders take longer than a page's 20 seconds
	res, err := c.PostForm(th.base+"/signin", url.Values{"email": {"gina@greengrocer.test"}, "password": {"long enough password"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign in: %v %v", res, err)
	}
	res.Body.Close()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for x := range 320 {
		for y := range 240 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, img, &jpeg.Options{Quality: 80}); err != nil {
		b.Fatal(err)
	}
	host := connect.AsRouteSync(demoAccount)
	const chunk = 250
	now := time.Now()
	for start := 0; start < n; start += chunk {
		var ids []connect.OrderID
		for i := start; i < min(start+chunk, n); i++ {
			o, err := th.svc.CreateOrder(ctx, owner.Actor, connect.OrderInput{Ref: fmt.Sprintf("B-%05d", i),
				Address:   connect.Address{Line1: fmt.Sprintf("%d Main St", i), City: "Springfield", Zip: "12345"},
				Recipient: connect.Recipient{Name: "Rita Recipient", Phone: "020 7946 0018"}, Notes: "Leave with the concierge"})
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		if _, err := th.svc.SubmitOrders(ctx, owner.Actor, ids); err != nil {
			b.Fatal(err)
		}
		var events []connect.RouteEvent
		for i, id := range ids {
			u, err := th.svc.StoreProofFile(ctx, host, id, bytes.NewReader(photo.Bytes()))
			if err != nil {
				b.Fatal(err)
			}
			at := now.Add(time.Duration(start+i) * time.Millisecond)
			events = append(events,
				connect.RouteEvent{ID: "s-" + string(id), Order: id, Event: connect.EventSchedule, At: at, Route: connect.RouteStop{RouteID: "R", Position: i + 1}},
				connect.RouteEvent{ID: "r-" + string(id), Order: id, Event: connect.EventStart, At: at, ETA: at.Add(time.Hour)},
				connect.RouteEvent{ID: "c-" + string(id), Order: id, Event: connect.EventComplete, At: at, Proof: &connect.ProofOfDelivery{
					PhotoURLs: []string{u}, RecipientName: "Rita", Notes: "Left in the porch", At: at}})
		}
		if _, err := th.svc.ApplyRouteEvents(ctx, host, events); err != nil {
			b.Fatal(err)
		}
	}
	// Streamed: the ZIP is the answer to the GET. In the background: the
	// orders page's form starts a job that pipes the ZIP into a blob (the
	// demo's files directory), polled until done, then downloaded.
	streamed := func() (*http.Response, error) { return c.Get(th.base + "/orders/proofs.zip") }
	background := func() (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, th.base+"/orders/proofs", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", th.base)
		res, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		res.Body.Close()
		job := strings.TrimSuffix(res.Header.Get("Location"), "/progress")
		if res.StatusCode != http.StatusSeeOther || job == res.Header.Get("Location") {
			return nil, fmt.Errorf("starting the export: %s to %q", res.Status, res.Header.Get("Location"))
		}
		// The job's progress stream, as the page follows it: it ends with "done".
		events, err := c.Get(th.base + job + "/events")
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(events.Body)
		events.Body.Close()
		if err != nil || !strings.Contains(string(body), "event: done") {
			return nil, fmt.Errorf("the export's progress stream ended without done: %v\n%s", err, body)
		}
		return c.Get(th.base + job + "/export.zip")
	}
	for _, bc := range []struct {
		name   string
		export func() (*http.Response, error)
	}{{"streamed", streamed}, {"background", background}} {
		b.Run(bc.name, func(b *testing.B) {
			runtime.GC()
			base := heapInUse()
			stopSampling := samplePeakHeap(10 * time.Millisecond)
			var size int64
			for b.Loop() {
				res, err := bc.export()
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("export: %v %v", res, err)
				}
				if size, err = io.Copy(io.Discard, res.Body); err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
			}
			b.StopTimer()
			peak, live := stopSampling()
			b.ReportMetric(float64(n), "orders")
			b.ReportMetric(float64(size)/(1<<20), "zip-MiB")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/order")
			b.ReportMetric(float64(peak-min(base, peak))/(1<<20), "peak-heap-above-MiB")
			b.ReportMetric(float64(live-min(base, live))/(1<<20), "peak-live-above-MiB")
		})
	}
}
