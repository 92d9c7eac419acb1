package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// bulkShop is a Shopify port whose every order name exists but those starting
// with "#gone"; the second lookup says it has begun (waiting), then waits until
// the test lets it go (hold).
type bulkShop struct {
	sideShop
	mu      sync.Mutex
	lookups int
	waiting chan struct{}
	hold    chan struct{}
}

func (s *bulkShop) LookupOrders(ctx context.Context, _ connect.Scope, refs []string) ([]connect.ShopifyOrder, error) {
	s.mu.Lock()
	s.lookups++
	n := s.lookups
	s.mu.Unlock()
	if n == 2 {
		close(s.waiting)
		select {
		case <-s.hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out := make([]connect.ShopifyOrder, len(refs))
	for i, r := range refs {
		out[i] = s.order(r)
		if strings.HasPrefix(r, "#gone") {
			out[i] = connect.ShopifyOrder{Name: r, Input: connect.OrderInput{Ref: r}, Problem: "order not found in the store"}
		}
	}
	return out, nil
}

// TestABulkShopifyImportRunsAsAJob pastes 5,000 order names into Bulk import:
// the request starts a job and sends the member to its progress page, which
// shows the orders read so far while Shopify is still being read; the result
// page and the refused rows file follow, as for a spreadsheet.
func TestABulkShopifyImportRunsAsAJob(t *testing.T) {
	t.Parallel()
	shop := &bulkShop{waiting: make(chan struct{}), hold: make(chan struct{})}
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) { c.Shopify = shop })})
	tm := e.signUp("Green Grocer", uploads)
	if _, err := e.svc.LinkShopify(e.ctx, tm.owner, "green.myshopify.com"); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(tm.email)
	refs := make([]string, 5000)
	for i := range refs {
		refs[i] = fmt.Sprintf("#%d", 10001+i)
	}
	refs[7] = "#gone-1"
	started := b.post("/orders/shopify", url.Values{"bulk": {strings.Join(refs, "\n")}}).is(t, http.StatusSeeOther)
	progress := started.header.Get("Location")
	if !strings.HasSuffix(progress, "/progress") {
		t.Fatalf("the bulk import sent the member to %q, want an import's progress page", progress)
	}
	job := strings.TrimSuffix(progress, "/progress")
	b.get(progress).is(t, http.StatusOK).has(t, "Importing 5000 Shopify orders", "of 5,000 rows read")

	status := func() map[string]any {
		t.Helper()
		r := b.get(job+"/status").is(t, http.StatusOK)
		var st map[string]any
		if err := json.Unmarshal([]byte(r.body), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	// The first batch's progress is reported before the second lookup begins.
	select {
	case <-shop.waiting:
	case <-time.After(30 * time.Second):
		t.Fatal("the job did not reach its second batch of Shopify lookups within 30 s")
	}
	if st := status(); st["read"] != float64(250) || st["total"] != float64(5000) || st["finished"] == true {
		t.Fatalf("while Shopify is read the job shows %v, want 250 of 5000 read", st)
	}
	close(shop.hold)
	b.waitImport(job) // its progress stream's "done" event
	if st := status(); st["finished"] != true {
		t.Fatalf("the job did not finish: %v", st)
	}
	b.get(job+"/result").is(t, http.StatusOK).has(t, "Draft orders successfully imported: 4,999", `id="refused-count">1<`)
	b.get(job+"/refused.csv").is(t, http.StatusOK).has(t, "Shopify order", "#gone-1")
	shop.mu.Lock()
	lookups := shop.lookups
	shop.mu.Unlock()
	if lookups != 20 {
		t.Errorf("Shopify was asked %d times, want 20 lookups of 250", lookups)
	}

	// A short paste stays in the request.
	b.post("/orders/shopify", url.Values{"bulk": {"#20001\n#20002"}}).is(t, http.StatusOK).has(t, "Draft orders successfully imported: 2")
}
