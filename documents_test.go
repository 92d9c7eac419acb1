package connect_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// An order has a label per package (one when it gives no count), in the order
// asked, each saying which package of how many, with the client's name and
// number; an id asked twice is labelled once.
func TestPackageLabelsAreOnePerPackageInTheOrderAsked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	three := w.OrderFrom(w.owner, connect.StatusSubmitted, connect.OrderInput{Ref: "THREE", PackageCount: 3,
		Recipient: connect.Recipient{Name: "Ann"}, Address: connect.Address{Line1: "1 High St", City: "Leeds"}})
	one := w.draft(w.owner, "ONE")
	got, err := w.svc.PackageLabels(w.ctx, w.owner, []connect.OrderID{one.ID, three.ID, one.ID})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := w.svc.Client(w.ctx, w.owner, w.client.ID)
	if err != nil {
		t.Fatal(err)
	}
	label := func(o *connect.Order, n, of int) connect.PackageLabel {
		return connect.PackageLabel{Order: o.ID, Ref: o.Ref, Client: "Green Grocer", ClientNumber: cl.Number, StopType: o.StopType,
			Recipient: o.Recipient, Address: o.Address, Depot: o.Depot, Package: n, Packages: of}
	}
	want := []connect.PackageLabel{label(one, 1, 1), label(three, 1, 3), label(three, 2, 3), label(three, 3, 3)}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("labels (-want +got):\n%s", d)
	}
	if got[1].Code() != string(three.ID) {
		t.Fatalf("a label's code is %q, not its order's id", got[1].Code())
	}
	// The dispatcher labels the same orders.
	if d, err := w.svc.PackageLabels(w.ctx, w.disp, []connect.OrderID{one.ID, three.ID}); err != nil || len(d) != 4 {
		t.Fatalf("dispatcher's labels: %d, %v", len(d), err)
	}
}

func TestPackageLabelsRefuseNoOrdersTooManyAndUnknownOnes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	many := make([]connect.OrderID, connect.MaxLabelOrders+1)
	for i := range many {
		many[i] = connect.OrderID(strings.Repeat("x", i+1))
	}
	for _, c := range []struct {
		name string
		ids  []connect.OrderID
		want connect.Code
	}{
		{"no orders", nil, connect.Invalid},
		{"too many orders", many, connect.Invalid},
		{"an unknown order", []connect.OrderID{w.draft(w.owner, "A").ID, "no-such-order"}, connect.NotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.svc.PackageLabels(w.ctx, w.owner, c.ids)
			wantCode(t, err, c.want)
		})
	}
	big := w.OrderFrom(w.owner, connect.StatusDraft, connect.OrderInput{Ref: "BIG", PackageCount: connect.MaxLabels + 1,
		Address: connect.Address{Line1: "1 High St"}})
	_, err := w.svc.PackageLabels(w.ctx, w.owner, []connect.OrderID{big.ID})
	wantCode(t, err, connect.Invalid)
}

// The proof document holds the order with its timeline, the client's name and
// the photo connect keeps, read; a link to a file the host keeps is listed.
// Before the order is delivered there is none; a tracking link holder gets it
// once delivered, without who changed the order or the client's notes.
func TestProofDocumentHoldsTheOrderItsTimelineAndItsFiles(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, keepProofFiles)
	o := w.OrderFrom(w.owner, connect.StatusSubmitted, connect.OrderInput{Ref: "P-1", Notes: "Ring twice",
		Address: connect.Address{Line1: "1 High St"}})
	_, err := w.svc.ProofDocument(w.ctx, w.owner, o.ID)
	wantCode(t, err, connect.Conflict)
	link := must(w.svc.CreateTrackingLink(w.ctx, w.owner, o.ID))(t)
	_, err = w.svc.TrackedProofDocument(w.ctx, link.Token)
	wantCode(t, err, connect.Conflict)

	photo := must(w.svc.StoreProofFile(w.ctx, connect.AsRouteSync(w.acct), o.ID, bytes.NewReader(connecttest.PNG)))(t)
	complete := ev("p-3", o.ID, connect.EventComplete, 2)
	complete.Proof = &connect.ProofOfDelivery{PhotoURLs: []string{photo, "https://host.example/p/9.jpg"},
		RecipientName: "Rita", Notes: "Left with Rita", At: t0.Add(2 * time.Minute)}
	w.route(ev("p-1", o.ID, connect.EventSchedule, 0), ev("p-2", o.ID, connect.EventStart, 1), complete)

	d, err := w.svc.ProofDocument(w.ctx, w.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Client != "Green Grocer" || d.Order.ID != o.ID || d.Order.Notes != "Ring twice" || d.Tracked {
		t.Fatalf("document: client %q, order %s, notes %q, tracked %v", d.Client, d.Order.ID, d.Order.Notes, d.Tracked)
	}
	want := []connect.ProofImage{{ContentType: "image/png", Data: connecttest.PNG}}
	if diff := cmp.Diff(want, d.Images); diff != "" {
		t.Fatalf("images (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"https://host.example/p/9.jpg"}, d.Elsewhere); diff != "" {
		t.Fatalf("elsewhere (-want +got):\n%s", diff)
	}
	if n := len(d.Order.History); n < 4 || d.Order.History[n-1].To != connect.StatusDelivered || d.Order.History[0].By == "" {
		t.Fatalf("timeline: %+v", d.Order.History)
	}

	td, err := w.svc.TrackedProofDocument(w.ctx, link.Token)
	if err != nil {
		t.Fatal(err)
	}
	if !td.Tracked || td.Order.Notes != "" || len(td.Images) != 1 || td.Order.Proof.RecipientName != "Rita" {
		t.Fatalf("tracked document: tracked %v, notes %q, %d images, proof %+v", td.Tracked, td.Order.Notes, len(td.Images), td.Order.Proof)
	}
	for _, ev := range td.Order.History {
		if ev.By != "" {
			t.Fatalf("the tracked timeline names %q", ev.By)
		}
	}
}

// A bulk export yields the proof documents of the delivered and failed orders,
// newest first, within the days asked or among the orders chosen; an order
// chosen that is not the caller's is refused.
func TestProofDocumentsYieldsTheCompletedOrdersOfARangeOrASelection(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Clock.Set(t0)
	d1 := w.OrderFrom(w.owner, connect.StatusDelivered, connect.OrderInput{Ref: "D1", Address: connect.Address{Line1: "1 High St"}})
	w.advance(48 * time.Hour)
	f1 := w.OrderFrom(w.owner, connect.StatusFailed, connect.OrderInput{Ref: "F1", Address: connect.Address{Line1: "1 High St"}})
	w.OrderFrom(w.owner, connect.StatusSubmitted, connect.OrderInput{Ref: "S1", Address: connect.Address{Line1: "1 High St"}})
	refs := func(p connect.ProofExportParams) []string {
		t.Helper()
		var out []string
		more, err := w.svc.ProofDocuments(w.ctx, w.owner, p, func(d *connect.ProofDocument) error {
			if len(d.Order.History) == 0 || d.Client != "Green Grocer" {
				t.Fatalf("document of %s: %d events, client %q", d.Order.Ref, len(d.Order.History), d.Client)
			}
			out = append(out, d.Order.Ref)
			return nil
		})
		if err != nil || more {
			t.Fatalf("export: more %v, %v", more, err)
		}
		return out
	}
	if got := refs(connect.ProofExportParams{}); !cmp.Equal(got, []string{"F1", "D1"}) {
		t.Fatalf("all: %q", got)
	}
	if got := refs(connect.ProofExportParams{From: t0.Add(24 * time.Hour)}); !cmp.Equal(got, []string{"F1"}) {
		t.Fatalf("since the next day: %q", got)
	}
	if got := refs(connect.ProofExportParams{To: t0.Add(24 * time.Hour)}); !cmp.Equal(got, []string{"D1"}) {
		t.Fatalf("until the next day: %q", got)
	}
	if got := refs(connect.ProofExportParams{IDs: []connect.OrderID{d1.ID}}); !cmp.Equal(got, []string{"D1"}) {
		t.Fatalf("chosen: %q", got)
	}
	var read []int
	if _, err := w.svc.ProofDocuments(w.ctx, w.owner, connect.ProofExportParams{Progress: func(n int) { read = append(read, n) }},
		func(*connect.ProofDocument) error { return nil }); err != nil || !cmp.Equal(read, []int{1, 2}) {
		t.Fatalf("progress: %v, %v", read, err)
	}
	_, err := w.svc.ProofDocuments(w.ctx, w.owner, connect.ProofExportParams{IDs: []connect.OrderID{f1.ID, "no-such-order"}},
		func(*connect.ProofDocument) error { return nil })
	wantCode(t, err, connect.NotFound)
}
