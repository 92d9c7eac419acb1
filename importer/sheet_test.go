package importer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

func TestOpenPicksTheFormatByContentThenByName(t *testing.T) {
	t.Parallel()
	xlsx := workbook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"From", "XLSX"}))
	})
	csv := []byte("From,CSV\n")
	fromXLSX := sheetRows{Header: row(1, "From", "XLSX")}
	fromCSV := sheetRows{Header: row(1, "From", "CSV")}
	cases := []struct {
		name     string
		data     []byte
		fileName string
		want     sheetRows
	}{
		{"a workbook named .xlsx", xlsx, "orders.xlsx", fromXLSX},
		{"a workbook named .csv", xlsx, "orders.csv", fromXLSX},
		{"a workbook without a name", xlsx, "", fromXLSX},
		{"CSV named .csv", csv, "orders.csv", fromCSV},
		{"CSV named .TXT", csv, "ORDERS.TXT", fromCSV},
		{"CSV without a name", csv, "", fromCSV},
		{"text named .xls, as some systems export it", []byte("From\tCSV\n"), "export.xls", fromCSV},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := importer.Open(bytes.NewReader(c.data), int64(len(c.data)), c.fileName, importer.Options{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if d := cmp.Diff(c.want, readAll(t, s)); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
		})
	}
}

func TestOpenRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	cases := []struct {
		name, fileName string
		data           []byte
		opts           importer.Options
		message        string
	}{
		{"a legacy .xls workbook", "orders.xls", ole, importer.Options{}, "legacy .xls"},
		{"a password-protected workbook", "orders.xlsx", ole, importer.Options{}, "password-protected"},
		{"text named .xlsx", "orders.xlsx", []byte("a,b\n"), importer.Options{}, "not a valid .xlsx workbook"},
		{"a file over the size limit", "orders.csv", []byte("a,b\n1,2\n"),
			importer.Options{Limits: importer.Limits{MaxFileBytes: 4}}, "larger than 4 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := importer.Open(bytes.NewReader(c.data), int64(len(c.data)), c.fileName, c.opts)
			if e := invalid(t, err); !strings.Contains(e.Message, c.message) {
				t.Errorf("message %q should say %q", e.Message, c.message)
			}
		})
	}
}
