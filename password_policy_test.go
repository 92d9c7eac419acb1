package connect_test

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

func TestReadPasswordListReadsPlainAndGzipListsWithoutCase(t *testing.T) {
	text := "123456\nCorrectHorse1\r\nsummer2027!\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	for name, src := range map[string]*bytes.Reader{"plain": bytes.NewReader([]byte(text)), "gzip": bytes.NewReader(gz.Bytes())} {
		l, err := connect.ReadPasswordList(src)
		if err != nil {
			t.Fatal(err)
		}
		// "123456" is shorter than any password allowed: not kept.
		if l.Len() != 2 || !l.Contains("correcthorse1") || !l.Contains("SUMMER2027!") || l.Contains("123456") {
			t.Errorf("%s: %d passwords; contains correcthorse1 %v", name, l.Len(), l.Contains("correcthorse1"))
		}
	}
	if _, err := connect.ReadPasswordList(strings.NewReader("\x1f\x8bnot gzip")); connect.ErrorCode(err) != connect.Invalid {
		t.Errorf("a broken gzip list: %v", err)
	}
}
