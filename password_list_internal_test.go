package connect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTheBuiltInListHoldsTheTop100kBreachedPasswords: the embedded list has at
// least the 100,000 most common breached passwords (NIST SP 800-63B asks for a
// list of them), and every one long enough to pass the length rule is refused.
func TestTheBuiltInListHoldsTheTop100kBreachedPasswords(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(builtinPasswordsGz))
	if err != nil {
		t.Fatal(err)
	}
	list := builtinPasswords()
	lines, long := 0, map[string]bool{} // long ones, without case
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		lines++
		if pw := sc.Text(); utf8.RuneCountInString(pw) >= minPasswordLen {
			long[strings.ToLower(pw)] = true
			if !list.Contains(pw) {
				t.Fatalf("line %d, %q, is not in the list in memory", lines, pw)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines < 100_000 || len(long) != list.Len() {
		t.Fatalf("%d passwords embedded, %d of ten characters or more, %d in memory; want at least 100000, and all the long ones", lines, len(long), list.Len())
	}
	s := &Service{commonPasswords: list}
	for _, pw := range []string{"1234567890", "qwertyuiop", "iloveyou123", "Password123"} {
		if err := s.checkPassword(pw, nil); err == nil {
			t.Errorf("%q is accepted", pw)
		}
	}
}
