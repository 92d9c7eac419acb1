package importer

import (
	"bufio"
	"bytes"
)

// lineEnds passes text on with every line end as encoding/csv reads it: a carriage
// return alone (Excel for Mac's "CSV" ends its lines so, and the lines inside its
// quoted cells) becomes a line feed; CRLF and LF pass as they are (encoding/csv
// reads CRLF as LF). It counts each kind of line end it passes, to say which the
// file uses.
type lineEnds struct {
	r            *bufio.Reader
	crlf, lf, cr int  // line ends of each kind counted (lf: every LF passed on)
	counted      bool // enough is known: counting stops (it costs a little)
}

// lineEndCounting is how many line ends lineEnds counts before it stops counting:
// the first 64 KiB are what the file's kind of line end is told from.
const lineEndCounting = 4096

func (l *lineEnds) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	b := p[:n]
	for i := bytes.IndexByte(b, '\r'); i >= 0; {
		next := byte(0)
		switch {
		case i+1 < len(b):
			next = b[i+1]
		default:
			if peek, _ := l.r.Peek(1); len(peek) == 1 {
				next = peek[0]
			}
		}
		if next != '\n' {
			b[i] = '\n'
		}
		if !l.counted {
			if next == '\n' {
				l.crlf++
			} else {
				l.cr++
			}
		}
		j := bytes.IndexByte(b[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if !l.counted {
		l.lf += bytes.Count(b, []byte{'\n'})
		l.counted = l.lf > lineEndCounting
	}
	return n, err
}

// String names the line ends seen so far: "CRLF", "LF", "CR", "mixed", or "" for
// text of one line.
func (l *lineEnds) String() string {
	lf := l.lf - l.cr - l.crlf // the LFs that were LFs in the file
	kinds, name := 0, ""
	for _, k := range []struct {
		n    int
		name string
	}{{l.crlf, "CRLF"}, {lf, "LF"}, {l.cr, "CR"}} {
		if k.n > 0 {
			kinds++
			name = k.name
		}
	}
	if kinds > 1 {
		return "mixed"
	}
	return name
}
