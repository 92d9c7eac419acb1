package importer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
)

// refusedFile imports a corpus file and writes its refused rows as the portal
// offers them: in the file's delimiter.
func refusedFile(t *testing.T, p *portal, name string) (*connect.ImportResult, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	must(t, err)
	src := p.source(data, name)
	res, err := p.svc.Import(t.Context(), p.owner, src, connect.ImportOptions{})
	must(t, err)
	var buf bytes.Buffer
	must(t, importer.WriteRefused(&buf, src.Header(), res.RefusedRows, importer.RefusedOptions{Delimiter: src.Layout().Delimiter}))
	return res, buf.Bytes()
}

// TestRefusedRowsFixedImportExactly: the refused rows of a German semicolon file,
// and of a workbook whose numbers are formatted, written to a file, fixed by the
// user and uploaded again, import as the orders the client typed: the file keeps
// the semicolons and decimal commas, the numbers as stored rather than as shown,
// the zip's leading zero, the phone's digits.
func TestRefusedRowsFixedImportExactly(t *testing.T) {
	t.Parallel()
	t.Run("semicolons and decimal commas", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t, connect.ClientSettings{AllowUpload: true})
		_, file := refusedFile(t, p, "excel-windows-de-semicolon.csv")
		text := string(file)
		if !strings.HasPrefix(text, "\xEF\xBB\xBF") || !strings.Contains(text, ";Original row;Error\r\n") {
			t.Fatalf("file %q: want UTF-8 with a byte order mark, semicolons, an Original row and an Error column", text)
		}
		if want := `ORD-1007;12 Rue de l'Église;Besançon;25000;;Jérôme Dœuf;Pickup;;"2ème étage` + "\r\n" + `porte gauche";1,256;;;;;6;`; !strings.Contains(text, want) {
			t.Fatalf("file %q, want the row as read: %q", text, want)
		}
		fixed := strings.Replace(text, ";1,256;", ";1.256;", 1)
		again := p.importFile([]byte(fixed), "refused-rows.csv", connect.ImportOptions{})
		if again.Imported != 1 || again.Refused != 0 {
			t.Fatalf("fixed file: imported %d, refused %v", again.Imported, again.Errors)
		}
		want := baseOrders[2]
		want.ref, want.size = "ORD-1007", "1.256"
		stored := sortedOrders(storedOrders(p.drafts()))
		if d := cmp.Diff(want.want(), stored[len(stored)-1]); d != "" {
			t.Fatalf("stored (-typed +stored):\n%s", d)
		}
	})
	t.Run("a workbook's formatted numbers", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t, connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldSize)})
		res, file := refusedFile(t, p, "excel-windows.xlsx")
		if res.Refused != 3 {
			t.Fatalf("refused %d rows: %v", res.Refused, res.Errors)
		}
		text := string(file)
		for _, want := range []string{
			"1002,Müllerstraße 5,Zürich,8001,020 0000 0001,'+41 44 668 18 00,47.376887,8.541694,,1,,3,", // not 47.38, 8.54
			"1004,1 Main St,Springfield,02134,020 0000 0003,,,,,3,,5,",                                  // the zip's 0
		} {
			if !strings.Contains(text, want) {
				t.Fatalf("file %q, want %q", text, want)
			}
		}
		fixed := strings.Replace(text, "47.376887,8.541694,,", "47.376887,8.541694,0.5,", 1)
		fixed = strings.Replace(fixed, "02134,020 0000 0003,,,,,", "02134,020 0000 0003,,,,4,", 1)
		fixed = strings.Replace(fixed, "02136,020 0000 0004,,,,,", "02136,020 0000 0004,,,,1,", 1)
		again := p.importFile([]byte(fixed), "refused-rows.csv", connect.ImportOptions{})
		if again.Imported != 3 || again.Refused != 0 {
			t.Fatalf("fixed file: imported %d, refused %v", again.Imported, again.Errors)
		}
		got := map[string]map[connect.Field]string{}
		for _, o := range storedOrders(p.drafts()) {
			got[o[connect.FieldRef]] = o
		}
		want := map[connect.Field]string{connect.FieldRef: "1002", connect.FieldAddressLine1: "Müllerstraße 5",
			connect.FieldCity: "Zürich", connect.FieldZip: "8001", connect.FieldRecipientPhone: "+41 44 668 18 00",
			connect.FieldLatitude: "47.376887", connect.FieldLongitude: "8.541694", connect.FieldSize: "0.5",
			connect.FieldPackageCount: "1"}
		if d := cmp.Diff(want, got["1002"]); d != "" {
			t.Fatalf("1002 (-typed +stored):\n%s", d)
		}
		if got["1004"][connect.FieldZip] != "02134" || got["1006"][connect.FieldSize] != "1" {
			t.Fatalf("1004 %v, 1006 %v", got["1004"], got["1006"])
		}
	})
}
