package importer

import (
	"bytes"
	"strconv"
)

// mergeRange is a range of merged cells (1-based), which shows the value of its
// first cell across all of them.
type mergeRange struct{ c1, r1, c2, r2 int }

// String writes the range as a spreadsheet does: "B3:B6".
func (m mergeRange) String() string {
	return columnLetters(m.c1) + strconv.Itoa(m.r1) + ":" + columnLetters(m.c2) + strconv.Itoa(m.r2)
}

// parseMerges finds the <mergeCell ref="…"/> elements in the markup that follows a
// worksheet's rows, up to max of them. Their element (mergeCells) comes after the
// rows, so the reader of the rows gets them from checkZip, which has seen the
// whole part; the markup itself is checked when the sheet is read.
func parseMerges(markup []byte, max int) []mergeRange {
	var out []mergeRange
	for len(out) < max {
		i := bytes.Index(markup, []byte("mergeCell"))
		if i < 0 {
			break
		}
		markup = markup[i+len("mergeCell"):]
		if len(markup) == 0 || markup[0] != ' ' && markup[0] != '\t' && markup[0] != '\n' && markup[0] != '\r' {
			continue // <mergeCells …>, the list's own tag
		}
		end := bytes.IndexByte(markup, '>')
		if end < 0 {
			break
		}
		tag := markup[:end]
		markup = markup[end:]
		ref, ok := attrValue(tag, "ref")
		if !ok {
			continue
		}
		if c1, r1, c2, r2, ok := parseRange(string(ref)); ok {
			out = append(out, mergeRange{c1, r1, c2, r2})
		}
	}
	return out
}

// attrValue returns the value of the attribute name in the attributes of a tag.
func attrValue(tag []byte, name string) ([]byte, bool) {
	for {
		i := bytes.Index(tag, []byte(name))
		if i < 0 {
			return nil, false
		}
		before := i == 0 || tag[i-1] == ' ' || tag[i-1] == '\t' || tag[i-1] == '\n' || tag[i-1] == '\r'
		rest := bytes.TrimLeft(tag[i+len(name):], " \t\r\n")
		tag = tag[i+len(name):]
		if !before || len(rest) == 0 || rest[0] != '=' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || rest[0] != '"' && rest[0] != '\'' {
			return nil, false
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return nil, false
		}
		return rest[1 : 1+end], true
	}
}
