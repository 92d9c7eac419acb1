package connect_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/dispatchkit/connect"
)

// TestDomainTypesHaveJSONNames: the types a host passes on in its own API
// marshal with the portal API's snake_case names (empty optional values left
// out), and an order read back is the order written.
func TestDomainTypesHaveJSONNames(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)
	o := &connect.Order{
		OrderInput: connect.OrderInput{Ref: "A-1", Address: connect.Address{Line1: "1 Main St", Zip: "12345",
			Latitude: decimal.NewNullDecimal(decimal.RequireFromString("52.5"))},
			Recipient: connect.Recipient{Name: "Rita"}, Size: decimal.NewNullDecimal(decimal.NewFromInt(2)),
			Products: []connect.Product{{Name: "Apples", Quantity: 3}}},
		ID: "o-1", Account: "acct", Client: "c-1", Source: connect.SourceSpreadsheet, Status: connect.StatusScheduled,
		Version: 3, Route: connect.RouteStop{RouteID: "r-7", Position: 2}, CreatedAt: at, UpdatedAt: at,
		History: []connect.OrderEvent{{Order: "o-1", Account: "acct", Client: "c-1", Event: connect.EventSchedule,
			From: connect.StatusSubmitted, To: connect.StatusScheduled, At: at, By: "route sync"}},
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"ref": "A-1", "address": map[string]any{"line1": "1 Main St", "zip": "12345", "latitude": "52.5", "longitude": nil},
		"recipient": map[string]any{"name": "Rita"}, "size": "2", "products": []any{map[string]any{"name": "Apples", "quantity": 3.0}},
		"id": "o-1", "account": "acct", "client": "c-1", "source": "spreadsheet", "status": "scheduled", "version": 3.0,
		"route": map[string]any{"route_id": "r-7", "position": 2.0}, "created_at": "2026-12-04T09:30:00Z", "updated_at": "2026-12-04T09:30:00Z",
		"history": []any{map[string]any{"order": "o-1", "account": "acct", "client": "c-1", "event": "schedule", "from": "submitted",
			"to": "scheduled", "at": "2026-12-04T09:30:00Z", "by": "route sync"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("order JSON (-want +got):\n%s", d)
	}
	var back connect.Order
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(o, &back); d != "" {
		t.Errorf("order read back (-want +got):\n%s", d)
	}

	res := connect.RouteEventsResult{Applied: 1, Errors: []connect.RouteEventError{{ID: "e9", Err: connect.Errorf(connect.NotFound, "order o-9 not found")}}}
	b, err = json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"applied":1,"replayed":0,"stale":0,"errors":[{"id":"e9","code":"not_found","message":"order o-9 not found"}]}`; string(b) != want {
		t.Errorf("route events result JSON\n got %s\nwant %s", b, want)
	}
	var ev connect.RouteEvent
	if err := json.Unmarshal([]byte(`{"id":"e1","order":"o-1","event":"start","at":"2026-12-04T09:30:00Z","eta":"2026-12-04T10:00:00Z"}`), &ev); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(connect.RouteEvent{ID: "e1", Order: "o-1", Event: connect.EventStart, At: at, ETA: at.Add(30 * time.Minute)}, ev); d != "" {
		t.Errorf("route event from the host's JSON (-want +got):\n%s", d)
	}

	// Invites and tracking links go out with their tokens only where they are
	// issued: their stored hashes never.
	inv := connect.IssuedInvite{Invite: &connect.Invite{ID: "i-1", Account: "acct", Client: "c-1", Kind: connect.InviteMember,
		Email: "gina@example.com", Role: connect.RoleMember, TokenHash: []byte("secret hash"), ExpiresAt: at, CreatedAt: at, Version: 1},
		Token: "tok", Link: "https://portal.example/invite/tok"}
	link := connect.IssuedTrackingLink{Link: &connect.TrackingLink{ID: "t-1", Account: "acct", Client: "c-1", Order: "o-1",
		Hash: []byte("secret hash"), CreatedBy: "Gina", CreatedAt: at}, Token: "tok2"}
	for name, v := range map[string]any{"invite": inv, "tracking link": link} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "c2VjcmV0IGhhc2g") || strings.Contains(strings.ToLower(string(b)), "hash") ||
			strings.Contains(string(b), "accepted_at") || strings.Contains(string(b), "revoked_at") {
			t.Errorf("%s JSON shows its hash, or zero times: %s", name, b)
		}
	}
	b, err = json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"invite":{"id":"i-1","account":"acct","client":"c-1","kind":"member","email":"gina@example.com","role":"member","expires_at":"2026-12-04T09:30:00Z","version":1,"created_at":"2026-12-04T09:30:00Z"},"token":"tok","link":"https://portal.example/invite/tok"}`; string(b) != want {
		t.Errorf("issued invite JSON\n got %s\nwant %s", b, want)
	}
	ir := connect.ImportResult{Read: 3, Imported: 2, Refused: 1, Errors: []connect.FieldError{{Row: 4, Column: "Zip", Field: connect.FieldZip, Reason: "Zip is required"}},
		RefusedRows: []connect.RefusedRow{{Number: 4, Cells: []string{"S-3", ""}, Errors: []connect.FieldError{{Row: 4, Reason: "Zip is required"}}}}}
	b, err = json.Marshal(ir)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"read":3,"imported":2,"refused":1,"duplicates":0,"errors":[{"row":4,"column":"Zip","field":"zip","reason":"Zip is required"}],"refused_rows":[{"number":4,"cells":["S-3",""],"errors":[{"row":4,"reason":"Zip is required"}]}]}`; string(b) != want {
		t.Errorf("import result JSON\n got %s\nwant %s", b, want)
	}
}
