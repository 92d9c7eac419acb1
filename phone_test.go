package connect_test

import (
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// TestPhonesAreReadToE164: numbers as people write them, with the client's
// region for those without a country code; what does not parse says why.
func TestPhonesAreReadToE164(t *testing.T) {
	cases := []struct {
		raw, region, want, why string
	}{
		{"020 7946 0018", "GB", "+442079460018", ""},
		{"07911 123456", "gb", "+447911123456", ""},
		{"07700 900123", "GB", "", "not a valid phone number"}, // Ofcom's range for drama: never a line
		{"+33 1 42 68 53 00", "", "+33142685300", ""},
		{"+33 1 42 68 53 00", "GB", "+33142685300", ""},
		{"(512) 555-0142", "US", "+15125550142", ""},
		{"0049 30 901820", "DE", "+4930901820", ""},
		{"020 7946 0018", "", "", "no country code"},
		{"12", "GB", "", "not"},
		{"call me", "GB", "", "not a phone number"},
		{"", "GB", "", "no phone number"},
		{strings.Repeat("1", 80), "GB", "", "longer than"},
	}
	for _, tc := range cases {
		t.Run(tc.raw+" in "+tc.region, func(t *testing.T) {
			got, err := connect.E164Phone(tc.raw, tc.region)
			switch {
			case tc.why == "" && err != nil:
				t.Fatalf("E164Phone: %v", err)
			case tc.why == "" && got != tc.want:
				t.Fatalf("E164Phone = %q, want %q", got, tc.want)
			case tc.why != "" && (err == nil || !strings.Contains(err.Error(), tc.why)):
				t.Fatalf("E164Phone = %q, %v; want an error saying %q", got, err, tc.why)
			case tc.why != "" && connect.ErrorCode(err) != connect.Invalid:
				t.Fatalf("error code %s, want invalid", connect.ErrorCode(err))
			}
		})
	}
}

// TestClockTimesAreRead: HH:MM on a 24-hour clock, nothing else.
func TestClockTimesAreRead(t *testing.T) {
	for in, want := range map[string]connect.ClockTime{"00:00": 0, "7:05": 7*60 + 5, "21:30": 21*60 + 30, " 23:59 ": 23*60 + 59} {
		if got, err := connect.ParseClockTime(in); err != nil || got != want {
			t.Errorf("ParseClockTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24:00", "12:60", "1230", "12:5", "-1:30", "+1:30", "12:+5", "ab:cd", "123:00"} {
		if got, err := connect.ParseClockTime(in); connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("ParseClockTime(%q) = %v, %v; want invalid", in, got, err)
		}
	}
}

// FuzzE164Phone: whatever is typed, reading it never panics, and a number it
// accepts reads back as itself.
func FuzzE164Phone(f *testing.F) {
	for _, s := range []string{"020 7946 0018", "+33 1 42 68 53 00", "(512) 555-0142 ext. 12", "++44", "0", "+", "tel:+1-512-555-0142"} {
		f.Add(s, "GB")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		e164, err := connect.E164Phone(raw, region)
		if err != nil {
			if connect.ErrorCode(err) != connect.Invalid {
				t.Fatalf("E164Phone(%q, %q): %v is not invalid", raw, region, err)
			}
			return
		}
		if !strings.HasPrefix(e164, "+") || len(e164) > 16 {
			t.Fatalf("E164Phone(%q, %q) = %q: not E.164", raw, region, e164)
		}
		again, err := connect.E164Phone(e164, "")
		if err != nil || again != e164 {
			t.Fatalf("E164Phone(%q) = %q, %v; want it back", e164, again, err)
		}
	})
}

// FuzzParseClockTime: a time it accepts is a time of day that writes back as
// it reads.
func FuzzParseClockTime(f *testing.F) {
	for _, s := range []string{"21:30", "7:05", "24:00", "0:0", "-0:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := connect.ParseClockTime(s)
		if err != nil {
			return
		}
		if c < 0 || c >= 24*60 {
			t.Fatalf("ParseClockTime(%q) = %d: not a time of day", s, c)
		}
		if again, err := connect.ParseClockTime(c.String()); err != nil || again != c {
			t.Fatalf("ParseClockTime(%q) = %v, back %v, %v", s, c, again, err)
		}
	})
}
