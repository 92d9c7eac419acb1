package shopify

import (
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// FuzzParseRef: a pasted reference names an order by id or by name, or says
// why it cannot; an id is always a well-formed order gid, so nothing else
// reaches nodes(ids:).
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"#1001", "1001", "5900000000123", "gid://shopify/Order/5900000000123", "gid://shopify/Customer/1",
		"https://admin.shopify.com/store/acme/orders/5900000000123?x=1", "EN-1001", " # ", "", "gid://shopify/Order/12/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := parseRef(s)
		if (r.problem != "") == (r.id != "" || r.name != "") {
			t.Fatalf("parseRef(%q) = %+v: want a problem, or an id or name, not both", s, r)
		}
		if r.id != "" && !isDigits(strings.TrimPrefix(r.id, orderGID)) {
			t.Fatalf("parseRef(%q) gave the id %q", s, r.id)
		}
	})
}

// FuzzOpenState: only a state this adapter signed opens, whatever is sent.
func FuzzOpenState(f *testing.F) {
	a := &Adapter{cfg: Config{Secret: "secret"}, stateTTL: time.Minute}
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	good := a.signState(installState{Account: "acct", Client: "client", Shop: "acme.myshopify.com",
		Expires: now.Add(time.Minute).Unix(), Nonce: "fixed"}) // the same in every fuzz worker
	for _, s := range []string{good, good + "x", "x." + good, ".", "", "e30.AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := a.openState(s, now)
		if err == nil && s != good {
			t.Fatalf("openState(%q) opened %+v", s, st)
		}
		if err != nil && connect.ErrorCode(err) != connect.Forbidden {
			t.Fatalf("openState(%q) = %v; want Forbidden", s, err)
		}
	})
}
