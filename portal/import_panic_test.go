package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// TestAnImportThatPanicsFailsAlone: an import runs on a goroutine of the
// portal's, where a parser's panic would end the host's process; it is the
// import's error instead (nothing imported, the page says so), and the portal
// goes on serving.
func TestAnImportThatPanicsFailsAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	body, ct := multipartFile(t, "panic.csv", "Id,Address Line 1\nP-1,1 High St\nP-2,2 High St\nP-3,3 High St\n", nil)
	r := b.do(http.MethodPost, "/imports", body, ct, nil).is(t, http.StatusSeeOther)
	id := strings.TrimPrefix(r.header.Get("Location"), "/imports/")
	b.post("/imports/"+id+"/run", url.Values{}).is(t, http.StatusSeeOther)
	b.waitImport("/imports/" + id)
	b.get("/imports/"+id+"/status").is(t, http.StatusOK).has(t, `"finished":true`, `"stored":0`, `"error":"something went wrong on our side`)
	page, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{View: connect.ViewDrafts})
	if err != nil || len(page.Orders) != 0 {
		t.Fatalf("drafts after the import that failed: %v, %v", page, err)
	}
	b.get("/home").is(t, http.StatusOK)
}
