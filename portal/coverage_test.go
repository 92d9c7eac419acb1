package portal_test

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchkit/connect/portal"
)

// Every route the portal serves is exercised by some test: the test servers note
// the pattern of each request, and TestMain checks them against the routes when
// the whole package runs.
var (
	hitMu  sync.Mutex
	hit    = map[string]bool{}
	routes []string
)

// noteRoute records which route serves r.
func noteRoute(h http.Handler, r *http.Request) {
	p := portal.Pattern(h, r)
	hitMu.Lock()
	hit[p] = true
	if routes == nil {
		routes = append([]string(nil), portal.Routes(h)...)
	}
	hitMu.Unlock()
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		var missing []string
		for _, p := range routes {
			// The mounts of optional handlers the tests do not configure.
			if !hit[p] && !strings.Contains(p, "/shopify/") {
				missing = append(missing, p)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no test requests these routes:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
		if !slices.Contains(routes, "GET /{$}") {
			fmt.Fprintln(os.Stderr, "FAIL: the route list looks wrong")
			code = 1
		}
	}
	os.Exit(code)
}
