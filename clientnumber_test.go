package connect_test

import (
	"errors"
	"testing"

	"github.com/dispatchkit/connect"
)

func TestNewClientNumberParsesBack(t *testing.T) {
	seen := map[connect.ClientNumber]bool{}
	for range 2000 {
		n, err := connect.NewClientNumber()
		if err != nil {
			t.Fatal(err)
		}
		got, err := connect.ParseClientNumber(string(n))
		if err != nil || got != n {
			t.Fatalf("ParseClientNumber(%q) = %q, %v", n, got, err)
		}
		if n[0] == '0' || len(n) != 8 {
			t.Fatalf("number %q: want 8 digits not starting with 0", n)
		}
		seen[n] = true
	}
	// 2000 draws from 9 million: a handful of repeats at most, unless the draw is broken.
	if len(seen) < 1990 {
		t.Fatalf("only %d distinct numbers in 2000 draws", len(seen))
	}
}

func TestNewClientNumbersAreNotSequential(t *testing.T) {
	a, _ := connect.NewClientNumber()
	b, _ := connect.NewClientNumber()
	c, _ := connect.NewClientNumber()
	if a[:7] == b[:7] || b[:7] == c[:7] {
		t.Fatalf("numbers %s %s %s share their bodies", a, b, c)
	}
}

func TestParseClientNumberCatchesEveryTypoAndAdjacentSwap(t *testing.T) {
	for range 300 {
		n, _ := connect.NewClientNumber()
		s := []byte(n)
		for i := range s {
			for d := byte('0'); d <= '9'; d++ {
				if d == s[i] {
					continue
				}
				typo := append([]byte(nil), s...)
				typo[i] = d
				if _, err := connect.ParseClientNumber(string(typo)); err == nil {
					t.Fatalf("typo %s of %s accepted", typo, n)
				}
			}
			if i+1 < len(s) && s[i] != s[i+1] {
				swap := append([]byte(nil), s...)
				swap[i], swap[i+1] = swap[i+1], swap[i]
				if _, err := connect.ParseClientNumber(string(swap)); err == nil {
					t.Fatalf("swap %s of %s accepted", swap, n)
				}
			}
		}
	}
}

func TestParseClientNumber(t *testing.T) {
	n, _ := connect.NewClientNumber()
	ok := map[string]string{
		"as typed":          string(n),
		"with spaces":       " " + string(n[:4]) + " " + string(n[4:]) + " ",
		"with a dash":       string(n[:4]) + "-" + string(n[4:]),
		"known good number": "12345671", // Damm check digit of 1234567 is 1 (computed by hand)
	}
	for name, in := range ok {
		t.Run(name, func(t *testing.T) {
			if _, err := connect.ParseClientNumber(in); err != nil {
				t.Fatalf("ParseClientNumber(%q): %v", in, err)
			}
		})
	}
	bad := map[string]string{
		"empty":          "",
		"too short":      string(n[:7]),
		"too long":       string(n) + "0",
		"letters":        "1234567a",
		"leading zero":   "01234567",
		"wrong check":    "12345674",
		"unicode digits": "١٢٣٤٥٦٧٤",
	}
	for name, in := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := connect.ParseClientNumber(in); !errors.Is(err, connect.ErrInvalid) {
				t.Fatalf("ParseClientNumber(%q) = %v, want invalid", in, err)
			}
		})
	}
}

func FuzzParseClientNumber(f *testing.F) {
	f.Add("12345671")
	f.Add("1234-5671")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := connect.ParseClientNumber(s)
		if err != nil {
			if !errors.Is(err, connect.ErrInvalid) {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		again, err := connect.ParseClientNumber(string(n))
		if err != nil || again != n || len(n) != 8 {
			t.Fatalf("parsed %q to %q, which does not parse back: %v", s, n, err)
		}
	})
}
