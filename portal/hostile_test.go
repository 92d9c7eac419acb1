package portal_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// Hostile requests (issue #9): bodies too large for their route, JSON nested too
// deep, bodies of the wrong type. Each is refused with a 4xx that says why,
// reads no more of the body than the route's limit, keeps the heap flat, and
// stores nothing. All run in a second or two; there is no slow variant.
//
//	input                                   → test
//	a 2 MiB form post, a 2 MiB JSON body    → TestBodiesAreBounded (status only)
//	64 MiB JSON body, 64 MiB form post,     → TestHostileRequestsAreRefused (status, bytes read, heap peak, nothing stored)
//	  60 MiB upload (raw and multipart),
//	  JSON nested 500,000 deep, JSON sent
//	  as text/plain or as a form, a form
//	  sent as JSON, a multipart upload
//	  without its boundary
//	cross-site posts                        → TestCrossOriginRequestsAreRefused
//	the spreadsheet itself                  → importer's TestHostileSpreadsheets (the portal hands uploads to the
//	                                          importer through Config.Spreadsheets; these tests use a fake)
//
// The portal decodes JSON with encoding/json and forms with net/http: it has no
// hand-written parser of its own to fuzz.

// hostileBody yields n bytes of a repeated pattern (after a prefix) without
// holding them, and counts what is read of it.
type hostileBody struct {
	mu      sync.Mutex
	prefix  string
	pattern string
	n, read int64
}

func (b *hostileBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.read >= b.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), b.n-b.read)]
	for i := range p {
		at := b.read + int64(i)
		if at < int64(len(b.prefix)) {
			p[i] = b.prefix[at]
		} else {
			p[i] = b.pattern[(at-int64(len(b.prefix)))%int64(len(b.pattern))]
		}
	}
	b.read += int64(len(p))
	return len(p), nil
}

func (b *hostileBody) bytesRead() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.read
}

// heapPeak runs fn while sampling the live heap (runtime/metrics' heap objects)
// every millisecond, and returns how far the heap rose above where it started.
// The test calling it must not be parallel, so that the rest of the package is
// paused while it runs.
func heapPeak(fn func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var (
		peak = base
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				peak = max(peak, read())
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return max(peak, read()) - base
}

// hostileHeapBound is the most the heap may rise while a hostile request is
// refused. The largest limit that protects these routes is 1 MiB (forms and
// JSON); uploads are copied to disk 32 KiB at a time. The rest is the request's
// own machinery and what the GC has not yet collected: 16 MiB leaves room for
// that and is a sixth of the 60 MiB the largest request sends.
const hostileHeapBound = 16 << 20

func TestHostileRequestsAreRefused(t *testing.T) {
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	key, err := e.svc.CreateAPIKey(e.ctx, tm.owner, "k")
	if err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(tm.email)
	base, _ := url.Parse(e.base)
	cookies := b.c.Jar.Cookies(base)

	api := func(method, path, contentType string) func(body io.Reader) *http.Request {
		return func(body io.Reader) *http.Request {
			req := httptest.NewRequest(method, path, body)
			req.Header.Set("Authorization", "Bearer "+key.Token)
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			return req
		}
	}
	page := func(path, contentType string) func(body io.Reader) *http.Request {
		return func(body io.Reader) *http.Request {
			req := httptest.NewRequest(http.MethodPost, path, body)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			req.Header.Set("Origin", e.base)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.Header.Set("Content-Type", contentType)
			return req
		}
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	part, _ := mw.CreateFormFile("file", "orders.csv")
	_, _ = part.Write([]byte("Address Line 1,City\n"))
	multipartHead := mp.String()
	const (
		mib      = 1 << 20
		order    = `{"address":{"line1":"1 Main St","city":"Bern"},"recipient":{"name":"Ann"}}`
		orderCSV = "1 Main St,Bern\n"
	)
	cases := []struct {
		name    string
		req     func(io.Reader) *http.Request
		body    *hostileBody
		status  []int  // any of these
		says    string // in the answer
		maxRead int64  // the most of the body the portal may read
	}{
		{"a 64 MiB JSON body", api(http.MethodPost, "/api/v1/orders", "application/json"),
			&hostileBody{prefix: `{"notes":"`, pattern: "a", n: 64 * mib},
			[]int{http.StatusRequestEntityTooLarge}, "too large", 2 * mib},
		{"JSON nested 500,000 deep", api(http.MethodPost, "/api/v1/orders", "application/json"),
			&hostileBody{prefix: `{"notes":`, pattern: "[", n: 500_000},
			[]int{http.StatusBadRequest, http.StatusUnprocessableEntity}, "not valid JSON", mib},
		{"JSON sent as text/plain", api(http.MethodPost, "/api/v1/orders", "text/plain"),
			&hostileBody{pattern: order, n: int64(len(order))},
			[]int{http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}, "application/json", mib},
		{"JSON sent as a form", api(http.MethodPost, "/api/v1/orders", "application/x-www-form-urlencoded"),
			&hostileBody{pattern: order, n: int64(len(order))},
			[]int{http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}, "application/json", mib},
		{"a 60 MiB upload", api(http.MethodPost, "/api/v1/imports?filename=orders.csv", "text/csv"),
			&hostileBody{prefix: "Address Line 1,City\n", pattern: orderCSV, n: 60 * mib},
			[]int{http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}, "larger than 50 MB", 52 * mib},
		{"a 60 MiB multipart upload", api(http.MethodPost, "/api/v1/imports", mw.FormDataContentType()),
			&hostileBody{prefix: multipartHead, pattern: orderCSV, n: 60 * mib},
			[]int{http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}, "larger than 50 MB", 52 * mib},
		{"a multipart upload without its boundary", api(http.MethodPost, "/api/v1/imports", "multipart/form-data"),
			&hostileBody{prefix: multipartHead, pattern: orderCSV, n: mib},
			[]int{http.StatusBadRequest, http.StatusUnprocessableEntity}, "not a valid form", mib},
		{"a 64 MiB form post", page("/orders/new", "application/x-www-form-urlencoded"),
			&hostileBody{prefix: "notes=", pattern: "a", n: 64 * mib},
			[]int{http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusBadRequest}, "too large", 2 * mib},
		{"a form sent as JSON", page("/orders/new", "application/json"),
			&hostileBody{pattern: order, n: int64(len(order))},
			[]int{http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}, "required", mib},
		{"a 60 MiB page upload", page("/imports", mw.FormDataContentType()),
			&hostileBody{prefix: multipartHead, pattern: orderCSV, n: 60 * mib},
			[]int{http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusBadRequest}, "larger than 50 MB", 52 * mib},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			grew := heapPeak(func() { e.h.ServeHTTP(w, c.req(c.body)) })
			t.Logf("%d %q; read %d KiB of %d KiB; heap +%.1f MiB", w.Code, truncate(w.Body.String(), 160),
				c.body.bytesRead()>>10, c.body.n>>10, float64(grew)/mib)
			ok := false
			for _, s := range c.status {
				ok = ok || w.Code == s
			}
			if !ok || !strings.Contains(w.Body.String(), c.says) {
				t.Errorf("answered %d %q, want one of %v saying %q", w.Code, truncate(w.Body.String(), 300), c.status, c.says)
			}
			if read := c.body.bytesRead(); read > c.maxRead {
				t.Errorf("read %d bytes of the body, want at most %d", read, c.maxRead)
			}
			if grew > hostileHeapBound {
				t.Errorf("the heap grew by %.1f MiB, over the bound of %d MiB", float64(grew)/mib, hostileHeapBound>>20)
			}
		})
	}
	page1, err := e.svc.Orders(e.ctx, tm.owner, connect.ListOrdersParams{View: connect.ViewDrafts, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page1.Orders) != 0 {
		t.Errorf("%d orders stored by refused requests, want none", len(page1.Orders))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}
