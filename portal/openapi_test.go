package portal_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/dispatchkit/connect"
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

// apiFieldPaths says where the JSON API's OrderInput holds each order field.
var apiFieldPaths = map[connect.Field]string{
	connect.FieldUnit: "address.unit", connect.FieldAddressLine1: "address.line1",
	connect.FieldAddressLine2: "address.line2", connect.FieldCity: "address.city",
	connect.FieldState: "address.state", connect.FieldZip: "address.zip", connect.FieldCountry: "address.country",
	connect.FieldNotes: "notes", connect.FieldSize: "size", connect.FieldRecipientName: "recipient.name",
	connect.FieldStopType: "stop_type", connect.FieldRecipientEmail: "recipient.email",
	connect.FieldRecipientPhone: "recipient.phone", connect.FieldRef: "ref",
	connect.FieldPackageCount: "package_count", connect.FieldProducts: "products",
	connect.FieldLatitude: "address.latitude", connect.FieldLongitude: "address.longitude",
}

// openAPIDescriptions reads the described properties of a schema in openapi.yaml,
// as dotted paths ("address.line1") to their descriptions. It knows the block style
// the file writes schemas in: a property's description on a line of its own.
func openAPIDescriptions(t *testing.T, schema string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`^( *)([A-Za-z0-9_$]+):(.*)$`)
	type key struct {
		indent int
		name   string
	}
	var stack []key
	in := false
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		m := keyRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		indent := len(m[1])
		switch {
		case line == "    "+schema+":":
			in, stack = true, nil
			continue
		case !in:
			continue
		case indent <= 4:
			return out
		}
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		if m[2] != "description" {
			stack = append(stack, key{indent, m[2]})
			continue
		}
		var path []string
		for _, k := range stack {
			if k.name != "properties" && k.name != "items" {
				path = append(path, k.name)
			}
		}
		desc := strings.TrimSpace(m[3])
		if strings.HasPrefix(desc, `"`) {
			if err := json.Unmarshal([]byte(desc), &desc); err != nil {
				t.Fatalf("description of %s: %v", strings.Join(path, "."), err)
			}
		}
		out[strings.Join(path, ".")] = desc
	}
	return out
}

// The OpenAPI document describes each order field where the API holds it, with the
// order-field table's glossary, and nothing else.
func TestOpenAPIDescribesTheOrderFieldsAsTheFieldTable(t *testing.T) {
	t.Parallel()
	want := map[string]string{}
	for _, s := range connect.FieldSpecs() {
		path, ok := apiFieldPaths[s.Field]
		if !ok {
			t.Fatalf("the API holds %s nowhere", s.Field)
		}
		want[path] = s.Glossary
	}
	if d := cmp.Diff(want, openAPIDescriptions(t, "OrderInput")); d != "" {
		t.Fatalf("OrderInput's descriptions (-table +openapi.yaml):\n%s", d)
	}
}

// apiValue is field f's value in in as the API writes it: decimals as strings, the
// package count as a number, products as objects.
func apiValue(f connect.Field, in *connect.OrderInput) any {
	switch f {
	case connect.FieldPackageCount:
		return float64(in.PackageCount)
	case connect.FieldProducts:
		var ps []any
		for _, p := range in.Products {
			o := map[string]any{"name": p.Name, "quantity": float64(p.Quantity)}
			if p.SKU != "" {
				o["sku"] = p.SKU
			}
			ps = append(ps, o)
		}
		return ps
	}
	return f.Format(in)
}

// Every order field, written where apiFieldPaths says, is read into that field, and
// comes back there: the API and the paths the document describes agree.
func TestTheAPIHoldsEachOrderFieldWhereTheDocumentSays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	tok := e.apiKey(tm)
	var in connect.OrderInput
	body := map[string]any{}
	for _, s := range connect.FieldSpecs() {
		if err := s.Parse(&in, s.Example); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range connect.FieldSpecs() {
		setPath(body, apiFieldPaths[s.Field], apiValue(s.Field, &in))
	}
	status, created := e.api(tok, http.MethodPost, "/api/v1/orders", body)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, created)
	}
	o, err := e.svc.Order(e.ctx, tm.owner, connect.OrderID(created["id"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, o.OrderInput, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); d != "" {
		t.Fatalf("stored (-sent +got):\n%s", d)
	}
	for _, s := range connect.FieldSpecs() {
		if d := cmp.Diff(apiValue(s.Field, &in), getPath(created, apiFieldPaths[s.Field])); d != "" {
			t.Errorf("%s at %s (-want +got):\n%s", s.Field, apiFieldPaths[s.Field], d)
		}
	}
}

// setPath sets a dotted path of m to v, making the objects on the way.
func setPath(m map[string]any, path string, v any) {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		m[head] = v
		return
	}
	sub, _ := m[head].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
		m[head] = sub
	}
	setPath(sub, rest, v)
}

// getPath returns the value at a dotted path of m, nil when there is none.
func getPath(m map[string]any, path string) any {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		return m[head]
	}
	sub, _ := m[head].(map[string]any)
	return getPath(sub, rest)
}
