package importer

import (
	"errors"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// scanInPieces writes data to a worksheet scanner in pieces of the given sizes
// (cycled; the rest in one piece when sizes is empty), through writeSheet or
// through writeTags, and returns what the scanner said.
func scanInPieces(data []byte, sizes []byte, maxGap int, fast bool) error {
	m := newMarkupScanner("xl/worksheets/sheet1.xml", Limits{})
	m.maxGap = maxGap
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(sizes) > 0 {
			n = min(n, int(sizes[i%len(sizes)])+1)
		}
		write := m.writeTags
		if fast {
			write = m.writeSheet
		}
		if _, err := write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// scanVerdict names an outcome of a scan, so that the two paths can be compared:
// a chunk with both a declaration and a long gap may be reported either way.
func scanVerdict(err error) string {
	var e *connect.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &e) && strings.Contains(e.Message, "document type"):
		return "doctype"
	case errors.As(err, &e) && strings.Contains(e.Message, "longer than"):
		return "too long"
	}
	return err.Error()
}

// FuzzMarkupScannerSheet checks that the fast worksheet scan finds what the
// tag-by-tag scan finds, however the part is cut into writes.
func FuzzMarkupScannerSheet(f *testing.F) {
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>`), []byte{3, 7}, uint8(8))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet/>`), []byte{4}, uint8(30))
	f.Add([]byte(`<a>`+strings.Repeat("x", 40)+`</a>`), []byte{}, uint8(20))
	f.Add([]byte(`<a>`+strings.Repeat("x", 20)+`<!DOC`+`TYPE`), []byte{1, 2, 3}, uint8(20))
	f.Fuzz(func(t *testing.T, data, sizes []byte, gap uint8) {
		maxGap := int(gap%64) + 1
		// writeTags holds a tag name cut off at the end of a write until the next
		// one; a part never ends in one, so neither does this input.
		data = append(data, ' ')
		fast, slow := scanInPieces(data, sizes, maxGap, true), scanInPieces(data, sizes, maxGap, false)
		if (fast == nil) != (slow == nil) {
			t.Fatalf("writeSheet: %s, writeTags: %s", scanVerdict(fast), scanVerdict(slow))
		}
		if fast != nil && scanVerdict(fast) != scanVerdict(slow) {
			// Both may be right when the part has both faults; it must have both.
			both := strings.Contains(string(data), "<!DOCTYPE") && scanInPieces([]byte(strings.ReplaceAll(string(data), "<!DOCTYPE", "<xDOCTYPE")), sizes, maxGap, false) != nil
			if !both {
				t.Fatalf("writeSheet: %s, writeTags: %s", scanVerdict(fast), scanVerdict(slow))
			}
		}
	})
}

func TestMarkupScannerSheetFindsWhatTheTagScanFinds(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, tc := range []struct {
		name, data string
		want       string
	}{
		{"a sheet", `<worksheet><row><c><v>42</v></c></row></worksheet>`, "ok"},
		{"a declaration", `<?xml?><!DOCTYPE lol [<!ENTITY a "aaaa">]><worksheet/>`, "doctype"},
		{"a declaration cut by the first write", `<?xml version="1.0"?><!DOCTYPE x><worksheet/>`, "doctype"},
		{"a declaration mid-sheet", `<worksheet><row>` + long[:50] + `</row><!DOCTYPE x></worksheet>`, "doctype"},
		{"a run as long as allowed", `<v>` + long[:62] + `</v>`, "ok"},
		{"a run one byte longer", `<v>` + long[:63] + `</v>`, "too long"},
		{"a long run at the end", `<v>` + long, "too long"},
	} {
		for _, sizes := range [][]byte{nil, {0}, {2}, {6, 1}, {21}, {30}} {
			for _, fast := range []bool{true, false} {
				if got := scanVerdict(scanInPieces([]byte(tc.data), sizes, 64, fast)); got != tc.want {
					t.Errorf("%s in pieces %v (fast %v): %s, want %s", tc.name, sizes, fast, got, tc.want)
				}
			}
		}
	}
}
