package storagetest

import (
	"fmt"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/shopspring/decimal"
)

// RunAddressBook runs the tests of connect.AddressBookStore, and of the
// client's address book setting.
func RunAddressBook(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"AddressesRoundTripAndDedupeOnTheirKey", testAddresses},
		{"AddressesAreSearchedAndPagedMostRecentFirst", testAddressSearch},
		{"AddressUpdateIsACompareAndSetAndKeepsKeysUnique", testAddressUpdate},
		{"AddressBookSettingRoundTrips", testAddressBookSetting},
		{"AddressesStayInTheirTenant", testAddressesIsolation},
	})
}

// address returns (without storing) an entry of the client used at f.at(n).
func (f *fixture) address(c *connect.Client, name, line1 string, n int) *connect.AddressEntry {
	e := &connect.AddressEntry{ID: connect.AddressID(f.id("ad")), Account: c.Account, Client: c.ID,
		Recipient: connect.Recipient{Name: name, Email: "x@example.com", Phone: "+44 20 7946 0000"},
		Address: connect.Address{Unit: "Flat 2", Line1: line1, City: "London", Zip: "N1 9GU", Country: "GB",
			Latitude: decimal.NewNullDecimal(decimal.RequireFromString("51.5321")), Longitude: decimal.NewNullDecimal(decimal.RequireFromString("-0.1054"))},
		LastUsedAt: f.at(n), Version: 1, CreatedAt: f.at(n), UpdatedAt: f.at(n)}
	e.Key = connect.AddressKey(e.Recipient, e.Address)
	return e
}

// testAddresses: an entry round-trips; saving the same key again keeps the
// first id (and sets it on the entry saved) and takes the newer fields and
// time; an older time does not win.
func testAddresses(t *testing.T, f *fixture) {
	c := f.client(f.account())
	e := f.address(c, "Ada Lovelace", "12 St James's Square", 1)
	must(t, f.s.SaveAddresses(f.ctx, scopeOf(c), []*connect.AddressEntry{e}))
	same(t, "the entry read back", e, second2(f.s.AddressEntry(f.ctx, scopeOf(c), e.ID)))

	again := f.address(c, "Ada Lovelace", "12 St James's Square", 5)
	againID := again.ID
	again.Recipient.Phone = "+44 20 7946 0999"
	must(t, f.s.SaveAddresses(f.ctx, scopeOf(c), []*connect.AddressEntry{again}))
	if again.ID != e.ID {
		t.Fatalf("the second save of the key has the id %q; want the stored entry's, %q", again.ID, e.ID)
	}
	want := *e
	want.Recipient.Phone, want.LastUsedAt, want.UpdatedAt, want.Version = again.Recipient.Phone, f.at(5), f.at(5), 2
	same(t, "the entry after a save of its key", &want, second2(f.s.AddressEntry(f.ctx, scopeOf(c), e.ID)))
	wantCode(t, "the second save's own id", second(f.s.AddressEntry(f.ctx, scopeOf(c), againID)), connect.NotFound)

	late := f.address(c, "Ada Lovelace", "12 St James's Square", 3)
	must(t, f.s.SaveAddresses(f.ctx, scopeOf(c), []*connect.AddressEntry{late}))
	if got := second2(f.s.AddressEntry(f.ctx, scopeOf(c), e.ID)); !got.LastUsedAt.Equal(f.at(5)) {
		t.Fatalf("a save with an older time moved LastUsedAt to %v; want %v", got.LastUsedAt, f.at(5))
	}
	must(t, f.s.DeleteAddressEntry(f.ctx, scopeOf(c), e.ID))
	wantCode(t, "the deleted entry", second(f.s.AddressEntry(f.ctx, scopeOf(c), e.ID)), connect.NotFound)
	wantCode(t, "DeleteAddressEntry again", f.s.DeleteAddressEntry(f.ctx, scopeOf(c), e.ID), connect.NotFound)
	stray := f.address(c, "B", "1 Stray St", 1)
	stray.Client = connect.ClientID(f.id("cl"))
	wantCode(t, "SaveAddresses for a client the account lacks", f.s.SaveAddresses(f.ctx, connect.Scope{Account: c.Account}, []*connect.AddressEntry{stray}), connect.NotFound)
}

// testAddressSearch: most recently used first; the search matches any part
// without case, wildcards taken literally; pages continue after an entry.
func testAddressSearch(t *testing.T, f *fixture) {
	c := f.client(f.account())
	var all []*connect.AddressEntry
	for i := range 5 {
		e := f.address(c, fmt.Sprintf("Person %d", i), fmt.Sprintf("%d High St", i), i+1)
		all = append(all, e)
	}
	all[2].Address.Line1 = "100% Fake Lane"
	all[2].Key = connect.AddressKey(all[2].Recipient, all[2].Address)
	must(t, f.s.SaveAddresses(f.ctx, scopeOf(c), all))
	newest := []*connect.AddressEntry{all[4], all[3], all[2], all[1], all[0]}
	same(t, "every entry", newest, second2(f.s.AddressEntries(f.ctx, scopeOf(c), connect.AddressQuery{Limit: 10})))
	page := second2(f.s.AddressEntries(f.ctx, scopeOf(c), connect.AddressQuery{Limit: 2}))
	same(t, "the first page", newest[:2], page)
	same(t, "the next page", newest[2:4], second2(f.s.AddressEntries(f.ctx, scopeOf(c),
		connect.AddressQuery{Limit: 2, AfterUsed: page[1].LastUsedAt, AfterID: page[1].ID})))
	same(t, "a search by name", []*connect.AddressEntry{all[3]}, second2(f.s.AddressEntries(f.ctx, scopeOf(c), connect.AddressQuery{Search: "person 3", Limit: 10})))
	same(t, "a search with a percent sign", []*connect.AddressEntry{all[2]}, second2(f.s.AddressEntries(f.ctx, scopeOf(c), connect.AddressQuery{Search: "100%", Limit: 10})))
	if got := second2(f.s.AddressEntries(f.ctx, scopeOf(c), connect.AddressQuery{Search: "_", Limit: 10})); len(got) != 0 {
		t.Fatalf("a search for _ found %d entries; want none (no wildcard)", len(got))
	}
}

// testAddressUpdate: an update is a compare-and-set; a key another entry has
// is a conflict.
func testAddressUpdate(t *testing.T, f *fixture) {
	c := f.client(f.account())
	a, b := f.address(c, "A", "1 A St", 1), f.address(c, "B", "2 B St", 2)
	must(t, f.s.SaveAddresses(f.ctx, scopeOf(c), []*connect.AddressEntry{a, b}))
	stale := *a
	a.Recipient.Name, a.UpdatedAt = "A Smith", f.at(3)
	a.Key = connect.AddressKey(a.Recipient, a.Address)
	must(t, f.s.UpdateAddressEntry(f.ctx, scopeOf(c), a))
	if a.Version != 2 {
		t.Fatalf("UpdateAddressEntry set Version %d; want 2", a.Version)
	}
	same(t, "the updated entry", a, second2(f.s.AddressEntry(f.ctx, scopeOf(c), a.ID)))
	wantCode(t, "UpdateAddressEntry at a stale version", f.s.UpdateAddressEntry(f.ctx, scopeOf(c), &stale), connect.Conflict)
	b.Recipient, b.Address, b.Key = a.Recipient, a.Address, a.Key
	wantCode(t, "UpdateAddressEntry to another entry's key", f.s.UpdateAddressEntry(f.ctx, scopeOf(c), b), connect.Conflict)
}

// testAddressBookSetting: a client's AddressBook.Off is stored.
func testAddressBookSetting(t *testing.T, f *fixture) {
	c := f.client(f.account())
	c.AddressBook.Off = true
	must(t, f.s.UpdateClient(f.ctx, connect.Scope{Account: c.Account}, c))
	if got := second2(f.s.Client(f.ctx, scopeOf(c), c.ID)); !got.AddressBook.Off {
		t.Fatal("AddressBook.Off was not kept")
	}
}

// testAddressesIsolation: every method from a sibling's, another account's
// and the other account's scope finds nothing and changes nothing.
func testAddressesIsolation(t *testing.T, f *fixture) {
	c := f.client(f.account())
	sibling := f.client(c.Account)
	foreign := f.client(f.account())
	e := f.address(c, "Ada", "1 Own St", 1)
	must(t, f.s.SaveAddresses(f.ctx, scopeOf(c), []*connect.AddressEntry{e}))
	for _, sc := range []connect.Scope{scopeOf(sibling), scopeOf(foreign), {Account: foreign.Account}} {
		name := fmt.Sprintf("from %+v", sc)
		wantCode(t, name+": AddressEntry", second(f.s.AddressEntry(f.ctx, sc, e.ID)), connect.NotFound)
		if got := second2(f.s.AddressEntries(f.ctx, sc, connect.AddressQuery{Limit: 10})); len(got) != 0 {
			t.Fatalf("%s: AddressEntries listed %d of another tenant's", name, len(got))
		}
		wantCode(t, name+": SaveAddresses", f.s.SaveAddresses(f.ctx, sc, []*connect.AddressEntry{f.address(c, "Eve", "1 Own St", 2)}), connect.NotFound)
		changed := *e
		changed.Recipient.Name = "Eve"
		wantCode(t, name+": UpdateAddressEntry", f.s.UpdateAddressEntry(f.ctx, sc, &changed), connect.NotFound)
		wantCode(t, name+": DeleteAddressEntry", f.s.DeleteAddressEntry(f.ctx, sc, e.ID), connect.NotFound)
	}
	same(t, "the entry after foreign calls", e, second2(f.s.AddressEntry(f.ctx, scopeOf(c), e.ID)))
}
