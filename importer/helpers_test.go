package importer_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/shopspring/decimal"
)

// sheetRows is what a test expects of a whole sheet.
type sheetRows struct {
	Header importer.Row
	Rows   []importer.Row
}

// readAll reads every row of s, failing the test on any error.
func readAll(t *testing.T, s importer.Sheet) sheetRows {
	t.Helper()
	got := sheetRows{Header: s.Header()}
	for {
		row, err := s.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatalf("Next after %d rows: %v", len(got.Rows), err)
		}
		got.Rows = append(got.Rows, row)
	}
}

// readUntilError reads s until an error other than io.EOF and returns it, failing
// the test if there is none.
func readUntilError(t *testing.T, s importer.Sheet) error {
	t.Helper()
	for i := 0; ; i++ {
		_, err := s.Next()
		if err == io.EOF {
			t.Fatalf("read %d rows and io.EOF, want an error", i)
		}
		if err != nil {
			return err
		}
	}
}

// readCSV reads data with ReadCSV, failing the test on any error.
func readCSV(t *testing.T, data []byte, opts importer.Options) sheetRows {
	t.Helper()
	s, err := importer.ReadCSV(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("ReadCSV: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return readAll(t, s)
}

// readXLSX reads data with ReadXLSX, failing the test on any error.
func readXLSX(t *testing.T, data []byte, opts importer.Options) sheetRows {
	t.Helper()
	s, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatalf("ReadXLSX: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return readAll(t, s)
}

// invalid asserts err is a *connect.Error with Code Invalid and returns it.
func invalid(t *testing.T, err error) *connect.Error {
	t.Helper()
	var e *connect.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *connect.Error", err, err)
	}
	if e.Code != connect.Invalid {
		t.Fatalf("error %q has code %q, want %q", e, e.Code, connect.Invalid)
	}
	return e
}

// row builds a Row.
func row(n int, cells ...string) importer.Row {
	return importer.Row{Number: n, Cells: cells}
}

func dec(s string) decimal.NullDecimal {
	return decimal.NewNullDecimal(decimal.RequireFromString(s))
}

func products(ps ...connect.Product) []connect.Product { return ps }

func item(name string, qty int, sku string) connect.Product {
	return connect.Product{Name: name, Quantity: qty, SKU: sku}
}
