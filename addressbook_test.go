package connect_test

import (
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
)

// addressNames lists the address book's recipients and first lines, most
// recently used first.
func addressNames(t *testing.T, w *world, a connect.Actor, search string) []string {
	t.Helper()
	book, err := w.svc.AddressBook(w.ctx, a, connect.AddressBookParams{Search: search})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range book {
		out = append(out, e.Recipient.Name+" @ "+e.Address.Line1)
	}
	return out
}

// TestOrdersByHandFillTheAddressBookOnce: an order added by hand saves its
// recipient; the same recipient at the same place spelt otherwise is the
// same entry, moved to the top with the newest spelling and phone; a draft's
// edit saves too; with saving turned off nothing more is saved.
func TestOrdersByHandFillTheAddressBookOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	add := func(name, line1, phone string) {
		t.Helper()
		if _, err := w.svc.CreateOrder(w.ctx, w.owner, connect.OrderInput{Address: connect.Address{Line1: line1, Zip: "N1 9GU"},
			Recipient: connect.Recipient{Name: name, Phone: phone}}); err != nil {
			t.Fatal(err)
		}
	}
	add("Ada Lovelace", "12 St. James's Square", "+44 20 7946 0018")
	add("Charles Babbage", "1 Dorset St", "")
	add("ada lovelace", "12 St James’s  Square", "+44 20 7946 0019") // another apostrophe, no full stop, two spaces
	if d := cmp.Diff([]string{"ada lovelace @ 12 St James’s  Square", "Charles Babbage @ 1 Dorset St"}, addressNames(t, w, w.owner, "")); d != "" {
		t.Fatalf("address book (-want +got):\n%s", d)
	}
	book, _ := w.svc.AddressBook(w.ctx, w.owner, connect.AddressBookParams{Search: "LOVELACE"})
	if len(book) != 1 || book[0].Recipient.Phone != "+44 20 7946 0019" || book[0].Version != 2 {
		t.Fatalf("the searched entry: %+v; want the newest phone at version 2", book)
	}
	d := w.draft(w.owner, "EDITED")
	in := d.OrderInput
	in.Recipient.Name = "Mary Somerville"
	if _, err := w.svc.UpdateDraft(w.ctx, w.owner, d.ID, 0, in); err != nil {
		t.Fatal(err)
	}
	if got := addressNames(t, w, w.owner, "somerville"); len(got) != 1 {
		t.Fatalf("after editing a draft: %v; want its recipient saved", got)
	}
	if _, err := w.svc.SetAddressBookSaving(w.ctx, w.owner, false); err != nil {
		t.Fatal(err)
	}
	add("Grace Hopper", "1 Navy Way", "")
	if got := addressNames(t, w, w.owner, "hopper"); len(got) != 0 {
		t.Fatalf("with saving off the book gained %v", got)
	}
	member := w.join(w.owner, "member@example.com", connect.RoleMember)
	_, err := w.svc.SetAddressBookSaving(w.ctx, member, true)
	wantCode(t, err, connect.Forbidden)
}

// TestAddressBookEntriesAreEditedDeletedAndStartOrders: an entry is added by
// hand, edited (a stale version and another entry's recipient+address are
// conflicts), starts an order and a schedule, and is deleted.
func TestAddressBookEntriesAreEditedDeletedAndStartOrders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	e, err := w.svc.AddAddressEntry(w.ctx, w.owner, connect.AddressEntryInput{Recipient: connect.Recipient{Name: " Ada "},
		Address: connect.Address{Line1: "1 A St", City: "London"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Recipient.Name != "Ada" {
		t.Fatalf("name %q; want it trimmed", e.Recipient.Name)
	}
	other, err := w.svc.AddAddressEntry(w.ctx, w.owner, connect.AddressEntryInput{Recipient: connect.Recipient{Name: "Bob"}, Address: connect.Address{Line1: "2 B St"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.AddAddressEntry(w.ctx, w.owner, connect.AddressEntryInput{Recipient: connect.Recipient{Name: "No address"}})
	wantCode(t, err, connect.Invalid)
	edited, err := w.svc.UpdateAddressEntry(w.ctx, w.owner, e.ID, e.Version, connect.AddressEntryInput{Recipient: connect.Recipient{Name: "Ada", Email: "ada@example.com"},
		Address: connect.Address{Line1: "1 A St", City: "London"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.UpdateAddressEntry(w.ctx, w.owner, e.ID, e.Version, connect.AddressEntryInput{Address: connect.Address{Line1: "3 C St"}})
	wantCode(t, err, connect.Conflict)
	_, err = w.svc.UpdateAddressEntry(w.ctx, w.owner, other.ID, 0, connect.AddressEntryInput{Recipient: connect.Recipient{Name: "ADA"}, Address: connect.Address{Line1: "1 a st", City: "london"}})
	wantCode(t, err, connect.Conflict)

	got, err := w.svc.AddressEntry(w.ctx, w.owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	o, err := w.svc.CreateOrder(w.ctx, w.owner, got.OrderInput())
	if err != nil {
		t.Fatal(err)
	}
	if o.Recipient != edited.Recipient || o.Address != edited.Address || o.StopType != connect.Delivery {
		t.Fatalf("the order from the entry: %+v; want the entry's recipient and address", o.OrderInput)
	}
	if err := w.svc.DeleteAddressEntry(w.ctx, w.owner, e.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, w.svc.DeleteAddressEntry(w.ctx, w.owner, e.ID), connect.NotFound)
	if _, err := w.svc.Order(w.ctx, w.owner, o.ID); err != nil {
		t.Fatalf("the order made from a deleted entry: %v", err)
	}
}
