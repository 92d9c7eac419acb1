package portal_test

import (
	"net/http"
	"testing"
)

// The client's systems keep its address book through the API: add (the same
// recipient and address twice is one entry), list and search a page at a
// time, read, change at the version read, delete.
func TestTheAPIKeepsTheAddressBook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	tok := e.apiKey(tm)
	add := func(name, line1 string) map[string]any {
		t.Helper()
		status, body := e.api(tok, http.MethodPost, "/api/v1/addresses", map[string]any{
			"recipient": map[string]any{"name": name, "phone": "020 7946 0018"},
			"address":   map[string]any{"line1": line1, "city": "London"}})
		if status != http.StatusCreated {
			t.Fatalf("adding %s: %d %v", name, status, body)
		}
		return body
	}
	rita := add("Rita Recipient", "1 High St")
	add("Bob Baker", "2 Mill Lane")
	if again := add("RITA recipient", "1, High St."); again["id"] != rita["id"] {
		t.Fatalf("the same recipient and address made a second entry: %v and %v", again["id"], rita["id"])
	}
	status, list := e.api(tok, http.MethodGet, "/api/v1/addresses?limit=1", nil)
	entries, _ := list["addresses"].([]any)
	if status != http.StatusOK || len(entries) != 1 || list["next"] == nil {
		t.Fatalf("first page: %d %v", status, list)
	}
	_, rest := e.api(tok, http.MethodGet, "/api/v1/addresses?limit=1&after="+list["next"].(string), nil)
	if more, _ := rest["addresses"].([]any); len(more) != 1 || more[0].(map[string]any)["id"] == entries[0].(map[string]any)["id"] {
		t.Fatalf("second page: %v", rest)
	}
	_, found := e.api(tok, http.MethodGet, "/api/v1/addresses?q=mill", nil)
	if got, _ := found["addresses"].([]any); len(got) != 1 || got[0].(map[string]any)["recipient"].(map[string]any)["name"] != "Bob Baker" {
		t.Fatalf("search: %v", found)
	}
	id := rita["id"].(string)
	_, one := e.api(tok, http.MethodGet, "/api/v1/addresses/"+id, nil)
	status, changed := e.api(tok, http.MethodPut, "/api/v1/addresses/"+id, map[string]any{"version": one["version"],
		"recipient": map[string]any{"name": "Rita Recipient"}, "address": map[string]any{"line1": "3 New Road", "city": "London"}})
	if status != http.StatusOK || changed["address"].(map[string]any)["line1"] != "3 New Road" {
		t.Fatalf("change: %d %v", status, changed)
	}
	if status, body := e.api(tok, http.MethodPut, "/api/v1/addresses/"+id, map[string]any{"version": one["version"],
		"address": map[string]any{"line1": "4 Stale St"}}); status != http.StatusConflict {
		t.Fatalf("a change at a stale version: %d %v", status, body)
	}
	if status, body := e.api(tok, http.MethodPost, "/api/v1/addresses", map[string]any{"recipient": map[string]any{"name": "No Address"}}); status != http.StatusUnprocessableEntity {
		t.Fatalf("an entry without an address: %d %v", status, body)
	}
	if status, _ := e.api(tok, http.MethodDelete, "/api/v1/addresses/"+id, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	if status, _ := e.api(tok, http.MethodGet, "/api/v1/addresses/"+id, nil); status != http.StatusNotFound {
		t.Fatalf("a deleted entry: %d", status)
	}
	// Another client's key sees none of it.
	other := e.apiKey(e.signUp("Blue Bakery", uploads))
	_, theirs := e.api(other, http.MethodGet, "/api/v1/addresses", nil)
	if got, _ := theirs["addresses"].([]any); len(got) != 0 {
		t.Fatalf("another client lists %v", got)
	}
}
