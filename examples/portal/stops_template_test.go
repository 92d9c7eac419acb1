package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dispatchkit/connect"
)

// The console's stops template is a real workbook (written by the importer
// through excelize): a dispatcher fills a row of it in, as Excel would, and
// the console checks and imports it back through the same importer.
func TestTheStopsTemplateImportsBackThroughTheConsole(t *testing.T) {
	th := startHost(t, t.TempDir())
	ctx := context.Background()
	owner, err := th.svc.AcceptInvite(ctx, strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	c := th.client()
	th.form(t, c, "/demo/login", url.Values{"email": {dispatcherEmail}, "password": {th.state.DispatcherPassword}})
	res, err := c.Get(th.base + "/dispatch/stops/template.xlsx")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("template: %v %v", res, err)
	}
	f, err := excelize.OpenReader(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("the template is not a workbook: %v", err)
	}
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("template rows: %v %v", rows, err)
	}
	header := rows[0]
	set := func(column, value string) {
		t.Helper()
		i := slices.Index(header, column)
		if i < 0 {
			t.Fatalf("the template has no %q column: %q", column, header)
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		if err := f.SetCellValue(sheet, cell, value); err != nil {
			t.Fatal(err)
		}
	}
	set("Client ID", string(owner.Client.Number))
	set("Id", "TPL-1")
	set("Address Line 1", "9 Template Road")
	set("Recipient Name", "Rita")
	filled, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("step", "check")
	fw, _ := mw.CreateFormFile("file", "stops.xlsx")
	_, _ = fw.Write(filled.Bytes())
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, th.base+"/dispatch/stops/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", th.base)
	up, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	up.Body.Close()
	// The columns first, matched by the template's headers; then the check.
	columns := up.Header.Get("Location")
	read := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := c.Get(th.base + path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body) // th.post closes the body: this page is read
		res.Body.Close()
		return res, string(raw)
	}
	if res, page := read(columns); res.StatusCode != http.StatusOK || !strings.Contains(page, `<option value="client_number" selected>`) {
		t.Fatalf("columns (%q): %d\n%s", columns, res.StatusCode, page)
	}
	check, page := read(columns + "/check")
	if check.StatusCode != http.StatusOK || !strings.Contains(page, `id="stops-valid">1<`) || !strings.Contains(page, "TPL-1") {
		t.Fatalf("check: %d\n%s", check.StatusCode, page)
	}
	action := regexp.MustCompile(`action="(/dispatch/stop-imports/[^"]+)"`).FindStringSubmatch(page)
	if action == nil {
		t.Fatalf("no import form:\n%s", page)
	}
	if done := th.form(t, c, action[1], url.Values{}); done.StatusCode != http.StatusOK {
		t.Fatalf("import: %d", done.StatusCode)
	}
	stops, _, err := th.svc.UnassignedStops(ctx, dispatcherActor(), "", "", 10)
	if err != nil || len(stops) != 1 || stops[0].Order.Ref != "TPL-1" || stops[0].Order.Recipient.Name != "Rita" {
		t.Fatalf("stops after the import: %+v, %v", stops, err)
	}
}
