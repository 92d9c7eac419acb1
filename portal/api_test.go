package portal_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// apiKey issues an API key for the team.
func (e *env) apiKey(tm team) string {
	e.t.Helper()
	k, err := e.svc.CreateAPIKey(e.ctx, tm.owner, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return k.Token
}

func TestAPIRequiresAValidKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tok := range []string{"", "ck_nope", "not-a-key"} {
		status, body := e.api(tok, http.MethodGet, "/api/v1/orders", nil)
		if status != http.StatusUnauthorized {
			t.Errorf("token %q: %d %v", tok, status, body)
		}
		if code := body["error"].(map[string]any)["code"]; code != "unauthorized" {
			t.Errorf("token %q: code %v", tok, code)
		}
		// A key that is not one is told so, not asked to sign in.
		want := "Send an API key as Authorization: Bearer"
		if tok != "" {
			want = "This API key is not valid"
		}
		if msg, _ := body["error"].(map[string]any)["message"].(string); !strings.HasPrefix(msg, want) {
			t.Errorf("token %q: message %q, want it to start %q", tok, msg, want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.base+"/api/v1/orders", nil)
	req.Header.Set("Authorization", "Basic eDp5")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("basic auth: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	if status, _ := e.api("", http.MethodGet, "/api/v1/nope", nil); status != http.StatusNotFound {
		t.Errorf("unknown endpoint: %d", status)
	}
}

func TestAPIDraftLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldZip)})
	tok := e.apiKey(tm)

	status, c := e.api(tok, http.MethodGet, "/api/v1/client", nil)
	if status != http.StatusOK || c["number"] != string(tm.client.Number) || c["allow_upload"] != true {
		t.Fatalf("client: %d %v", status, c)
	}

	// Field errors name the fields.
	status, body := e.api(tok, http.MethodPost, "/api/v1/orders", map[string]any{"ref": "API-1", "address": map[string]any{"line1": ""}})
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid order: %d %v", status, body)
	}
	fields := body["error"].(map[string]any)["fields"].([]any)
	got := map[string]bool{}
	for _, f := range fields {
		got[f.(map[string]any)["field"].(string)] = true
	}
	if !got["address_line_1"] || !got["zip"] {
		t.Fatalf("field errors %v", fields)
	}
	if status, _ := e.api(tok, http.MethodPost, "/api/v1/orders", map[string]any{"bogus": 1}); status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown field: %d", status)
	}

	in := map[string]any{"ref": "API-1", "stop_type": "delivery", "size": "2.50", "package_count": 2,
		"address":   map[string]any{"line1": "1 Main St", "zip": "12345", "latitude": 51.5, "longitude": "-0.12"},
		"recipient": map[string]any{"name": "Rita", "phone": "+44 20 7946 0000"},
		"products":  []map[string]any{{"name": "Apples", "quantity": 3, "sku": "A1"}}}
	status, o := e.api(tok, http.MethodPost, "/api/v1/orders", in)
	if status != http.StatusCreated || o["status"] != "draft" || o["size"] != "2.5" || o["version"] != float64(1) {
		t.Fatalf("create: %d %v", status, o)
	}
	id := o["id"].(string)
	if addr := o["address"].(map[string]any); addr["latitude"] != "51.5" || addr["longitude"] != "-0.12" {
		t.Fatalf("coordinates: %v", addr)
	}

	status, o = e.api(tok, http.MethodGet, "/api/v1/orders/"+id, nil)
	if status != http.StatusOK || len(o["history"].([]any)) != 1 {
		t.Fatalf("get: %d %v", status, o)
	}

	in["version"] = 1
	in["notes"] = "ring twice"
	status, o = e.api(tok, http.MethodPut, "/api/v1/orders/"+id, in)
	if status != http.StatusOK || o["notes"] != "ring twice" || o["version"] != float64(2) {
		t.Fatalf("update: %d %v", status, o)
	}
	if status, _ := e.api(tok, http.MethodPut, "/api/v1/orders/"+id, in); status != http.StatusConflict {
		t.Fatalf("stale update: %d", status)
	}

	status, list := e.api(tok, http.MethodGet, "/api/v1/orders?view=drafts", nil)
	if status != http.StatusOK || len(list["orders"].([]any)) != 1 {
		t.Fatalf("list: %d %v", status, list)
	}

	status, sub := e.api(tok, http.MethodPost, "/api/v1/orders/submit", map[string]any{"ids": []string{id}})
	if status != http.StatusOK || sub["orders"].([]any)[0].(map[string]any)["status"] != "submitted" {
		t.Fatalf("submit: %d %v", status, sub)
	}
	if status, _ := e.api(tok, http.MethodPut, "/api/v1/orders/"+id, in); status != http.StatusConflict {
		t.Fatalf("update after submit: %d", status)
	}
	status, o = e.api(tok, http.MethodPost, "/api/v1/orders/"+id+"/withdraw", nil)
	if status != http.StatusOK || o["status"] != "draft" {
		t.Fatalf("withdraw: %d %v", status, o)
	}
	if status, _ := e.api(tok, http.MethodGet, "/api/v1/orders?status=draft,submitted&limit=1", nil); status != http.StatusOK {
		t.Fatalf("list by status: %d", status)
	}
	if status, _ := e.api(tok, http.MethodGet, "/api/v1/orders?view=nope", nil); status != http.StatusUnprocessableEntity {
		t.Fatalf("bad view: %d", status)
	}
	if status, _ := e.api(tok, http.MethodDelete, "/api/v1/orders/"+id+"?version=1", nil); status != http.StatusConflict {
		t.Fatalf("delete with a stale version: %d", status)
	}
	if status, _ := e.api(tok, http.MethodDelete, "/api/v1/orders/"+id, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	if status, _ := e.api(tok, http.MethodGet, "/api/v1/orders/"+id, nil); status != http.StatusNotFound {
		t.Fatalf("get deleted: %d", status)
	}
}

func TestAnAPIKeyOfOneClientCannotReadAnothersOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.signUp("Alpha", uploads)
	b := e.signUp("Beta", uploads)
	theirs := e.draft(b.owner, "B-SECRET")
	e.draft(a.owner, "A-MINE")
	tok := e.apiKey(a)
	id := string(theirs.ID)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/api/v1/orders/" + id, nil},
		{http.MethodPut, "/api/v1/orders/" + id, map[string]any{"address": map[string]any{"line1": "x"}}},
		{http.MethodDelete, "/api/v1/orders/" + id, nil},
		{http.MethodPost, "/api/v1/orders/" + id + "/withdraw", nil},
		{http.MethodPost, "/api/v1/orders/submit", map[string]any{"ids": []string{id}}},
	} {
		status, body := e.api(tok, c.method, c.path, c.body)
		if status != http.StatusNotFound {
			t.Errorf("%s %s: %d %v, want 404", c.method, c.path, status, body)
		}
	}
	_, list := e.api(tok, http.MethodGet, "/api/v1/orders", nil)
	raw, _ := json.Marshal(list)
	if strings.Contains(string(raw), "B-SECRET") || !strings.Contains(string(raw), "A-MINE") {
		t.Fatalf("list: %s", raw)
	}
	if o, err := e.svc.Order(e.ctx, b.owner, theirs.ID); err != nil || o.Version != 1 {
		t.Fatalf("their order changed: %v %v", o, err)
	}
}

func TestAPIKeysActAsMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", connect.ClientSettings{})
	tok := e.apiKey(tm)
	// Uploads off: the key reads, and may not add orders.
	if status, _ := e.api(tok, http.MethodGet, "/api/v1/orders", nil); status != http.StatusOK {
		t.Fatalf("list: %d", status)
	}
	if status, _ := e.api(tok, http.MethodPost, "/api/v1/orders", map[string]any{"address": map[string]any{"line1": "x"}}); status != http.StatusForbidden {
		t.Fatalf("create with uploads off: %d", status)
	}
}

func TestAPIWithTheSessionCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	r := b.do(http.MethodPost, "/api/v1/orders", strings.NewReader(`{"address":{"line1":"1 Main St"}}`), "application/json", nil)
	r.is(t, http.StatusCreated)
	b.get("/api/v1/orders").is(t, http.StatusOK).has(t, "1 Main St")
}

// multipartFile builds a multipart form with a file part.
func multipartFile(t *testing.T, name, content string, fields map[string]string) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(fw, content)
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

const ordersCSV = "Id,Address Line 1,City,Recipient Name,Package Count,Colour\n" +
	"S-1,1 Main St,Springfield,Rita,2,red\n" +
	"S-2,,Springfield,Bob,1,blue\n" +
	"S-3,3 Main St,Shelbyville,Cleo,lots,green\n" +
	"S-4,4 Main St,Springfield,Dan,,\n"

func TestAPIImportsASpreadsheet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	tok := e.apiKey(tm)
	send := func(query string, body io.Reader, ct string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/api/v1/imports"+query, body)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", ct)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	body, ct := multipartFile(t, "orders.csv", ordersCSV, nil)
	status, res := send("?preview=true", body, ct)
	if status != http.StatusOK || res["read"] != float64(4) || res["refused"] != float64(2) || res["imported"] != float64(0) {
		t.Fatalf("preview: %d %v", status, res)
	}
	errs := res["errors"].([]any)
	first := errs[0].(map[string]any)
	if first["row"] != float64(3) || first["column"] != "Address Line 1" {
		t.Fatalf("first error %v", first)
	}
	status, res = send("?all_or_nothing=true&filename=orders.csv", strings.NewReader(ordersCSV), "text/csv")
	if status != http.StatusUnprocessableEntity || res["imported"] != float64(0) {
		t.Fatalf("all or nothing: %d %v", status, res)
	}
	status, res = send("?filename=orders.csv", strings.NewReader(ordersCSV), "text/csv")
	if status != http.StatusOK || res["imported"] != float64(2) {
		t.Fatalf("import: %d %v", status, res)
	}
	// The same file again: every Id is taken.
	status, res = send("?filename=orders.csv", strings.NewReader(ordersCSV), "text/csv")
	if status != http.StatusOK || res["imported"] != float64(0) || res["duplicates"] != float64(2) {
		t.Fatalf("again: %d %v", status, res)
	}
	// A mapping given with the file.
	body, ct = multipartFile(t, "o.csv", "Ref,Street\nX-1,9 High St\n", map[string]string{"mapping": `{"Ref":"id","Street":"address_line_1"}`})
	status, res = send("", body, ct)
	if status != http.StatusOK || res["imported"] != float64(1) {
		t.Fatalf("mapped import: %d %v", status, res)
	}
	if status, res = send("", strings.NewReader(""), "text/csv"); status != http.StatusUnprocessableEntity {
		t.Fatalf("empty body: %d %v", status, res)
	}

	// A workbook's sheets and hidden rows, chosen in the query or in the form.
	status, res = send("?preview=true&filename=weeks.book&sheet=Week+2&skip_hidden_rows=true", strings.NewReader(twoWeeks), "text/plain")
	if status != http.StatusOK || res["read"] != float64(2) || res["hidden_rows"] != float64(1) || res["skip_hidden_rows"] != true {
		t.Fatalf("preview of Week 2: %d %v", status, res)
	}
	sheets, _ := json.Marshal(res["sheets"])
	if want := `[{"chosen":false,"maps":true,"name":"Week 1","rows":2,"same_header":true},` +
		`{"chosen":true,"maps":true,"name":"Week 2","rows":3,"same_header":true},` +
		`{"chosen":false,"hidden":true,"maps":true,"name":"Notes","rows":1,"same_header":false}]`; string(sheets) != want {
		t.Fatalf("sheets %s, want %s", sheets, want)
	}
	body, ct = multipartFile(t, "weeks.book", twoWeeks, map[string]string{"sheets": `["Week 1","Week 2"]`})
	status, res = send("?preview=true", body, ct)
	if status != http.StatusOK || res["read"] != float64(5) {
		t.Fatalf("preview of both weeks: %d %v", status, res)
	}
	body, ct = multipartFile(t, "weeks.book", twoWeeks, map[string]string{"sheets": `"Week 1"`})
	if status, res = send("?preview=true", body, ct); status != http.StatusUnprocessableEntity {
		t.Fatalf("sheets not an array: %d %v", status, res)
	}
	if status, res = send("?preview=true&filename=weeks.book&sheet=Week+1&sheet=Notes", strings.NewReader(twoWeeks), "text/plain"); status != http.StatusUnprocessableEntity {
		t.Fatalf("sheets with other columns: %d %v", status, res)
	}
}
