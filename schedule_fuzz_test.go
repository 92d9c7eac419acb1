package connect_test

import (
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// FuzzParseWeekdays: any text is read or refused with ErrInvalid, never a
// panic; what is read is in week order without repeats, and reads back the
// same from its own formatting.
func FuzzParseWeekdays(f *testing.F) {
	for _, s := range []string{"Mon, Thu", "monday thursday", "sun;sat", "", "  ", "Funday", "mon,,mon", "ΜΟΝ", "thu\tfri"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		days, err := connect.ParseWeekdays(s)
		if err != nil {
			if connect.ErrorCode(err) != connect.Invalid {
				t.Fatalf("ParseWeekdays(%q): %v; want invalid", s, err)
			}
			return
		}
		for i, d := range days {
			if d < time.Sunday || d > time.Saturday || i > 0 && days[i-1] >= d {
				t.Fatalf("ParseWeekdays(%q) = %v: not distinct days in week order", s, days)
			}
		}
		again, err := connect.ParseWeekdays(connect.FormatWeekdays(days))
		if err != nil || len(again) != len(days) {
			t.Fatalf("ParseWeekdays(FormatWeekdays(%v)) = %v, %v", days, again, err)
		}
	})
}

// FuzzParseTimeOfDay: any text is read or refused with ErrInvalid; what is
// read is a time of day that formats as HH:MM and reads back the same.
func FuzzParseTimeOfDay(f *testing.F) {
	for _, s := range []string{"09:30", "9:30", "23:59", "24:00", "-1:00", "+9:00", "12:5", "", "７:00", "1:000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := connect.ParseTimeOfDay(s)
		if err != nil {
			if connect.ErrorCode(err) != connect.Invalid {
				t.Fatalf("ParseTimeOfDay(%q): %v; want invalid", s, err)
			}
			return
		}
		if at < 0 || at >= 24*60 {
			t.Fatalf("ParseTimeOfDay(%q) = %d minutes", s, at)
		}
		again, err := connect.ParseTimeOfDay(at.String())
		if err != nil || again != at || len(at.String()) != 5 {
			t.Fatalf("ParseTimeOfDay(%q) = %v, which reads back as %v, %v", s, at, again, err)
		}
	})
}

// FuzzParseDate: any text is a date or ErrInvalid, and a date reads back the
// same from its own formatting.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-12-31", "", "2026-02-30", "31/12/2026", "0000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := connect.ParseDate(s)
		if err != nil {
			if connect.ErrorCode(err) != connect.Invalid {
				t.Fatalf("ParseDate(%q): %v; want invalid", s, err)
			}
			return
		}
		if again, err := connect.ParseDate(d.String()); err != nil || again != d {
			t.Fatalf("ParseDate(%q) = %v, which reads back as %v, %v", s, d, again, err)
		}
	})
}
