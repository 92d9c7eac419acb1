package portal_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/portal"
)

// TestOneBaseURLMountsThePortal: a host that mounts the portal under a path
// gives that URL as BaseURL, with no Prefix: the pages answer under it, and the
// invite links and the API's documented server point under it too.
func TestOneBaseURLMountsThePortal(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	base := srv.URL + "/connect"
	w := newWorld(t, "", base)
	p, err := portal.New(portal.Config{Service: w.Service, BaseURL: base, SessionKey: []byte(strings.Repeat("k", 32)),
		UploadDir: t.TempDir(), Spreadsheets: fakeSheets{}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/connect/", p)
	srv.Config.Handler = mux
	get := func(u string) (int, string) {
		t.Helper()
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get(base + "/signin"); code != http.StatusOK {
		t.Fatalf("the sign-in page under the base URL: %d", code)
	}
	inv, err := w.Service.InviteClient(t.Context(), w.Dispatcher, connect.InviteClientParams{Name: "Green Grocer"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(inv.Link, base+"/invite/") {
		t.Fatalf("invite link %s, want it under %s", inv.Link, base)
	}
	if code, body := get(inv.Link); code != http.StatusOK || !strings.Contains(body, "Green Grocer") {
		t.Fatalf("the invite link: %d", code)
	}
	if code, body := get(base + "/api/v1/openapi.yaml"); code != http.StatusOK || !strings.Contains(body, "servers:\n  - url: "+base+"\n") {
		t.Fatalf("openapi.yaml: %d, its servers do not name %s", code, base)
	}
	// Links and the portal agree when the host also gives the Prefix.
	if got := (portal.Links{BaseURL: base, Prefix: "/connect"}).Invite("t"); got != base+"/invite/t" {
		t.Fatalf("Links with BaseURL and the same Prefix: %s", got)
	}
	if got := (portal.Links{BaseURL: srv.URL, Prefix: "/connect"}).Invite("t"); got != base+"/invite/t" {
		t.Fatalf("Links with the prefix apart: %s", got)
	}
}
