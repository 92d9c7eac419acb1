package portal_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dispatchkit/connect/portal"
)

// openAPIOperations reads "METHOD /path" of every operation in openapi.yaml: the
// paths are the keys two spaces in under "paths:", the methods four spaces in.
func openAPIOperations(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pathRE := regexp.MustCompile(`^  (/[^:]*):\s*$`)
	methodRE := regexp.MustCompile(`^    (get|put|post|delete|patch|head|options):\s*$`)
	var ops []string
	inPaths, path := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "paths:":
			inPaths = true
		case inPaths && line != "" && !strings.HasPrefix(line, " "):
			inPaths = false
		case !inPaths:
		case pathRE.MatchString(line):
			path = pathRE.FindStringSubmatch(line)[1]
		case methodRE.MatchString(line):
			ops = append(ops, strings.ToUpper(methodRE.FindStringSubmatch(line)[1])+" "+path)
		}
	}
	if len(ops) == 0 {
		t.Fatal("no operations in openapi.yaml")
	}
	slices.Sort(ops)
	return ops
}

func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var served []string
	for _, p := range portal.Routes(e.h) {
		method, path, ok := strings.Cut(p, " ")
		if ok && strings.HasPrefix(path, "/api/") {
			served = append(served, method+" "+path)
		}
	}
	slices.Sort(served)
	documented := openAPIOperations(t)
	for _, op := range served {
		if !slices.Contains(documented, op) {
			t.Errorf("%s is served but not in openapi.yaml", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(served, op) {
			t.Errorf("%s is in openapi.yaml but not served", op)
		}
		// The mux sends a request for it to that very route, not the catch-all.
		method, path, _ := strings.Cut(op, " ")
		req := httptest.NewRequest(method, strings.NewReplacer("{id}", "x").Replace(path), nil)
		if got := portal.Pattern(e.h, req); got != op {
			t.Errorf("%s is served by %q", op, got)
		}
	}
	// The document is served.
	b := e.browser()
	b.get("/api/v1/openapi.yaml").is(t, http.StatusOK).has(t, "openapi: 3.1.0")
}
