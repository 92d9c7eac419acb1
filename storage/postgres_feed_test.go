package storage

import (
	"strings"
	"testing"
)

// TestFeedCursorText: every cursor the feed writes reads back as itself, and
// text it could not have written is refused.
func TestFeedCursorText(t *testing.T) {
	snap := &pgSnapshot{xmin: 100, xmax: 110, xip: []uint64{100, 104}}
	empty := &pgSnapshot{xmin: 7, xmax: 7}
	for _, c := range []feedCursor{
		{seen: snap},
		{seen: empty},
		{seen: empty, upTo: snap, id: 42},
		{upTo: snap, id: 1},
	} {
		text := c.String()
		back, err := parseFeedCursor(text)
		if err != nil {
			t.Fatalf("cursor %q: %v", text, err)
		}
		if back.String() != text {
			t.Fatalf("cursor %q reads back as %q", text, back.String())
		}
	}
	for _, bad := range []string{
		"1", "1.2", "5:3:", "1:5:7", "1:5:3,2", "1:5:3,3", "1:5:0", "a:b:",
		"/1:2:", "1:2:/", "1:2:/3:4:/", "1:2:/3:4:/5.x", "1:2:/3:4:/5.6", "/3:4:/99999999999999999999",
		"1:2:/3:4:/5/7", strings.Repeat("1", maxCursorLen+1),
	} {
		if _, err := parseFeedCursor(bad); err == nil {
			t.Errorf("cursor %q is taken", bad)
		}
	}
}

// FuzzFeedCursor: any text is refused or read as a cursor that writes back as
// text that reads the same.
func FuzzFeedCursor(f *testing.F) {
	f.Add("100:110:100,104")
	f.Add("7:7:/100:110:100,104/42")
	f.Add("/3:4:/1")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := parseFeedCursor(text)
		if err != nil {
			return
		}
		again, err := parseFeedCursor(c.String())
		if err != nil {
			t.Fatalf("%q read as %q, which is refused: %v", text, c.String(), err)
		}
		if again.String() != c.String() {
			t.Fatalf("%q read as %q, then as %q", text, c.String(), again.String())
		}
	})
}
