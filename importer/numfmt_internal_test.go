package importer

import (
	"math"
	"testing"
)

// TestNumFormatShowsNumbersAsExcelDoes compares with what Excel (English, United
// States) shows for each format and value.
func TestNumFormatShowsNumbersAsExcelDoes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		format string
		value  float64
		want   string
	}{
		{"General", 0, "0"},
		{"General", 1234.5, "1234.5"},
		{"General", 0.1 + 0.2, "0.3"},
		{"General", 1.0 / 3, "0.333333333"},
		{"General", 12345678.9, "12345678.9"},
		{"General", 123456789.123, "123456789.1"},
		{"General", -5, "-5"},
		{"General", 1e-10, "1E-10"},
		{"General", 123456789012.5, "1.23457E+11"},
		{"General", 447911123456, "447911123456"}, // Excel: 4.47911E+11 (noted, see xlsxFile.number)
		{"General", 1.2345678901234567e18, "1234567890123460000"},
		{"GENERAL", 2.5, "2.5"}, // LibreOffice writes it in capitals
		{"0", 2.5, "3"},
		{"0", -2.5, "-3"},
		{"0", 1234.4, "1234"},
		{"0.00", 51.507351, "51.51"},
		{"0.00", 1.256, "1.26"},
		{"0.00", 1.005, "1.01"},
		{"0.00", -7, "-7.00"},
		{".00", 5.5, "5.50"},
		{"#.##", 3, "3"},
		{"0.0#", 2.5, "2.5"},
		{"#,##0", 1234567, "1,234,567"},
		{"#,##0", 0, "0"},
		{"#,##0", 999.5, "1,000"},
		{"#,##0.00", 1234.5, "1,234.50"},
		{"#,##0.00", 1e6, "1,000,000.00"},
		{"#,##0,", 1234567, "1,235"},
		{"0.0,,", 1234567, "1.2"},
		{"00000", 2134, "02134"},
		{"00000", 123456, "123456"},
		{"00000-0000", 123456789, "12345-6789"},
		{"000-00-0000", 123456789, "123-45-6789"},
		{"[<=9999999]###-####;(###) ###-####", 5551234, "555-1234"},
		{"[<=9999999]###-####;(###) ###-####", 2125551234, "(212) 555-1234"},
		{"0%", 0.25, "25%"},
		{"0.00%", 0.12345, "12.35%"},
		{"0.00E+00", 12345, "1.23E+04"},
		{"0.00E+00", 0.00012, "1.20E-04"},
		{"##0.0E+0", 12345, "12.3E+3"},
		{`"$"#,##0.00_);("$"#,##0.00)`, 1234.5, "$1,234.50 "},
		{`"$"#,##0.00_);("$"#,##0.00)`, -1234.5, "($1,234.50)"},
		{`#,##0.00;[Red]-#,##0.00`, -0.5, "-0.50"},
		{`0.00;-0.00;"zero"`, 0, "zero"},
		{`[$€-407] #,##0.00`, 1234.5, "€ 1,234.50"},
		{`#,##0.00 [$€-1]`, 1234.5, "1,234.50 €"},
		{`0.0 "kg"`, 2.5, "2.5 kg"},
		{`0\ "pcs"`, 3, "3 pcs"},
		{"# ?/?", 1.25, "1 1/4"},
		{"# ?/8", 0.5, "4/8"},
		{"@", 42, "42"},
		{";;;", 42, "42"}, // hides the value; General rather than nothing
		{"yyyy-mm-dd", 46351, "2026-11-25"},
		{"m/d/yyyy", 46351, "11/25/2026"},
		{"mm-dd-yy", 46351, "11-25-26"},
		{"d-mmm-yy", 46351, "25-Nov-26"},
		{"dd.mm.yyyy", 46351, "25.11.2026"},
		{"DD/MM/YYYY", 46351, "25/11/2026"},
		{"dddd, mmmm d, yyyy", 46351, "Wednesday, November 25, 2026"},
		{"mmm d", 46351, "Nov 25"},
		{"h:mm AM/PM", 0.75, "6:00 PM"},
		{"h:mm am/pm", 0.25, "6:00 am"},
		{"hh:mm:ss", 0.5 + 1.0/86400, "12:00:01"},
		{"[h]:mm", 1.5, "36:00"},
		{"mm:ss.0", 1.5 / 86400, "00:01.5"},
		{"yyyy-mm-dd hh:mm", 46351.5, "2026-11-25 12:00"},
		{"m/d/yyyy h:mm", 46351.999999, "11/26/2026 0:00"},
		{"yyyy-mm-dd", 1, "1900-01-01"},
		{"yyyy-mm-dd", 59, "1900-02-28"},
		{"yyyy-mm-dd", 61, "1900-03-01"},
		{"[$-409]mmmm d, yyyy;@", 46351, "November 25, 2026"},
		{"[Red]0.00", 3, "3.00"},
	}
	for _, c := range cases {
		got := parseNumFormat(c.format).formatNumber(c.value, false)
		if got != c.want {
			t.Errorf("format %q of %v = %q, want %q", c.format, c.value, got, c.want)
		}
	}
}

func TestNumFormat1904Dates(t *testing.T) {
	t.Parallel()
	nf := parseNumFormat("yyyy-mm-dd")
	for _, c := range []struct {
		serial float64
		want   string
	}{{0, "1904-01-01"}, {1, "1904-01-02"}, {44889, "2026-11-25"}} {
		if got := nf.formatNumber(c.serial, true); got != c.want {
			t.Errorf("1904 serial %v = %q, want %q", c.serial, got, c.want)
		}
	}
}

func TestBuiltinFormats(t *testing.T) {
	t.Parallel()
	for id, want := range map[int]string{1: "3", 2: "2.50", 3: "1,235", 4: "1,234.50", 9: "250%", 10: "250.00%",
		11: "2.50E+00", 14: "1/2/1900", 22: "1/2/1900 12:00", 49: "2.5"} {
		v := 2.5
		if id == 3 || id == 4 {
			v = 1234.5
		}
		if got := parseNumFormat(builtinFormat(id)).formatNumber(v, false); got != want {
			t.Errorf("built-in %d (%q) of %v = %q, want %q", id, builtinFormat(id), v, got, want)
		}
	}
}

func TestCanonicalNumberIsTheTypedNumber(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{
		51.507351000000003: "51.507351", 19.989999999999998: "19.99", 8.8000000000000007: "8.8",
		0.30000000000000004: "0.3", -0.1276: "-0.1276", 1.2345678901234567e18: "1234567890123460000",
		1e-7: "0.0000001", 447911123456: "447911123456", 0: "0",
	} {
		if got := canonicalNumber(v); got != want {
			t.Errorf("canonicalNumber(%v) = %q, want %q", v, got, want)
		}
	}
}

// FuzzNumFormat formats numbers by fuzzed format codes: whatever the code, it
// shows something bounded, the same every time, and a date format a date.
func FuzzNumFormat(f *testing.F) {
	for _, code := range []string{"General", "0.00", "#,##0.00_);[Red](#,##0.00)", "00000", "[<=9999999]###-####;(###) ###-####",
		"0.00E+00", "# ?/?", "yyyy-mm-dd hh:mm:ss.00 AM/PM", "[h]:mm", `"$"#,##0;;"zero";@`, "[$€-407] #,##0", ";;;", "@", "0%,,"} {
		f.Add(code, 1234.5678, false)
		f.Add(code, -0.25, true)
	}
	f.Fuzz(func(t *testing.T, code string, v float64, date1904 bool) {
		if len(code) > 255 || math.IsInf(v, 0) || math.IsNaN(v) {
			return // Excel's limit for a format code; cells hold finite numbers
		}
		got := parseNumFormat(code).formatNumber(v, date1904)
		if again := parseNumFormat(code).formatNumber(v, date1904); again != got {
			t.Fatalf("format %q of %v: %q, then %q", code, v, got, again)
		}
		if len(got) > 4*len(code)+400 {
			t.Fatalf("format %q of %v is %d bytes long", code, v, len(got))
		}
	})
}
