package portal_test

// Tests of issue #17's findings, each an attack over HTTP that worked before.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

func TestBearerHeaderBesideSessionDoesNotSkipCrossOriginCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	evil := http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"},
		"Authorization": {"Bearer junk"}}
	r := b.do(http.MethodPost, "/settings/team/invites", strings.NewReader("role=admin"),
		"application/x-www-form-urlencoded", evil)
	r.is(t, http.StatusForbidden)
	invites, err := e.svc.Invites(e.ctx, tm.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invites {
		if inv.Role == connect.RoleAdmin {
			t.Fatalf("a cross-site post with a bearer header created an admin invite: %+v", inv)
		}
	}
	// Same-origin, the API takes a key or a session, never both.
	r = b.do(http.MethodPost, "/api/v1/orders", strings.NewReader(`{"address":{"line1":"1 Main St"}}`),
		"application/json", http.Header{"Authorization": {"Bearer junk"}})
	if r.status == http.StatusCreated || r.status == http.StatusOK {
		t.Fatalf("an API call with a junk key and a session was taken: %d %s", r.status, r.body)
	}
	if !strings.Contains(r.body, "not both") {
		t.Errorf("the refusal does not say why: %s", r.body)
	}
	// A key alone still works from any origin (no cookie: nothing ambient).
	key, err := e.svc.CreateAPIKey(e.ctx, tm.owner, "k")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := e.api(key.Token, http.MethodGet, "/api/v1/client", nil); status != http.StatusOK {
		t.Fatalf("a key alone: %d %v", status, body)
	}
}
