package connect_test

import (
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestRepeatOrderCopiesTheFieldsWithAFreeReference: a delivered order
// repeated is a new draft with its fields, and the next free reference each
// time; an order without a reference repeats without one; a client without
// uploads may not repeat.
func TestRepeatOrderCopiesTheFieldsWithAFreeReference(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	o := w.OrderFrom(w.owner, connect.StatusDelivered, connect.OrderInput{Ref: "A-7", Address: connect.Address{Line1: "1 High St"},
		Recipient: connect.Recipient{Name: "Ada"}, Notes: "ring twice", PackageCount: 2, Products: []connect.Product{{Name: "Milk", Quantity: 3}}})
	w.draft(w.owner, "a-7-3") // taken, without case
	var refs []string
	for range 2 {
		r, err := w.svc.RepeatOrder(w.ctx, w.owner, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != connect.StatusDraft || r.ID == o.ID || r.Source != connect.SourceManual {
			t.Fatalf("the repeat: status %s, id %s, source %s; want a new manual draft", r.Status, r.ID, r.Source)
		}
		want := o.OrderInput
		want.Ref = r.Ref
		if d := cmp.Diff(want, r.OrderInput, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("the repeat's fields (-want +got):\n%s", d)
		}
		refs = append(refs, r.Ref)
	}
	if d := cmp.Diff([]string{"A-7-2", "A-7-4"}, refs); d != "" {
		t.Fatalf("references (-want +got):\n%s", d)
	}
	plain := w.OrderFrom(w.owner, connect.StatusDraft, connect.OrderInput{Address: connect.Address{Line1: "2 High St"}})
	r, err := w.svc.RepeatOrder(w.ctx, w.owner, plain.ID)
	if err != nil || r.Ref != "" {
		t.Fatalf("repeating an order without a reference: %v, ref %q", err, r.Ref)
	}
	_, tracker := w.signUpClient(w.disp, "Tracker Only", connect.ClientSettings{})
	_, err = w.svc.RepeatOrder(w.ctx, tracker, o.ID)
	wantCode(t, err, connect.Forbidden)
}
