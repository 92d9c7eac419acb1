package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of a CSV file is looked at to guess its encoding and
// delimiter.
const sniffSize = 64 << 10

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// errNotText is returned for a file with NUL bytes that is not UTF-16 either.
var errNotText = errors.New("importer: not a text file")

// invalidUTF8Error reports bytes that are not UTF-8 in a file that had been UTF-8 so
// far (or said it was, with a byte order mark).
type invalidUTF8Error struct {
	line int // 1-based line of the first invalid byte
}

func (e *invalidUTF8Error) Error() string {
	return fmt.Sprintf("importer: invalid UTF-8 on line %d", e.line)
}

// textEncoding is what decodeText found out about a file's encoding.
type textEncoding struct {
	wide   bool               // UTF-16, whose files Excel writes tab-separated
	name   string             // for people, when it is settled: "UTF-16LE", …
	legacy *utf8OrWindows1252 // UTF-8 or a legacy code page, decided as the text is read
}

// String names the encoding for people: "UTF-8", "UTF-8 with a byte order mark",
// "UTF-16LE", "Windows-1252", "Mac Roman"; for text that has been ASCII so far,
// "UTF-8".
func (e *textEncoding) String() string {
	if e.legacy == nil {
		return e.name
	}
	switch {
	case e.legacy.mode == modeLegacy && e.legacy.mac:
		return "Mac Roman"
	case e.legacy.mode == modeLegacy:
		return "Windows-1252"
	case e.legacy.declared:
		return "UTF-8 with a byte order mark"
	}
	return "UTF-8"
}

// decodeText finds the encoding of the text r holds and returns a reader of it in
// UTF-8, without a byte order mark. It tells apart, in this order:
//
//   - UTF-8 with a byte order mark (Excel's "CSV UTF-8");
//   - UTF-16, little or big endian, with a byte order mark (Excel's "Unicode text"),
//     or without one when the NUL bytes of ASCII characters show its byte order;
//   - UTF-8 without a byte order mark, until a byte that is not UTF-8 appears: if the
//     text was ASCII until then, all of it is read in the legacy code page of the
//     program that wrote it, which ASCII is a subset of: Mac Roman when its lines
//     end in a carriage return alone (Excel for Mac's "CSV" and "CSV (Macintosh)"),
//     else Windows-1252 (Excel's "CSV" on Windows in Western Europe and the
//     Americas); otherwise it is an *invalidUTF8Error.
//
// r should buffer at least sniffSize bytes.
func decodeText(r *bufio.Reader) (text io.Reader, enc *textEncoding, err error) {
	head, err := r.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, nil, err
	}
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		_, _ = r.Discard(len(bomUTF8))
		t := &utf8OrWindows1252{declared: true, mode: modeUTF8}
		return transform.NewReader(r, t), &textEncoding{legacy: t}, nil
	case bytes.HasPrefix(head, bomUTF16LE):
		return decodeUTF16(r, unicode.BigEndian), &textEncoding{wide: true, name: "UTF-16LE"}, nil // the byte order mark decides
	case bytes.HasPrefix(head, bomUTF16BE):
		return decodeUTF16(r, unicode.BigEndian), &textEncoding{wide: true, name: "UTF-16BE"}, nil
	}
	if bytes.IndexByte(head, 0) >= 0 {
		var even, odd int // NUL bytes at even and odd offsets
		for i, c := range head {
			if c == 0 {
				if i%2 == 0 {
					even++
				} else {
					odd++
				}
			}
		}
		// ASCII in UTF-16 is half NUL bytes, all on one side: "a\x00" in little
		// endian, "\x00a" in big endian. A stray NUL is not enough.
		switch {
		case even == 0 && odd >= len(head)/8:
			return decodeUTF16(r, unicode.LittleEndian), &textEncoding{wide: true, name: "UTF-16LE"}, nil
		case odd == 0 && even >= len(head)/8:
			return decodeUTF16(r, unicode.BigEndian), &textEncoding{wide: true, name: "UTF-16BE"}, nil
		}
		return nil, nil, errNotText
	}
	t := &utf8OrWindows1252{mac: macLineEnds(head)}
	return transform.NewReader(r, t), &textEncoding{legacy: t}, nil
}

// macLineEnds reports whether text ends its lines in a carriage return alone, as
// the classic Mac OS did and Excel for Mac still does in its "CSV" files, which
// it writes in Mac Roman.
func macLineEnds(text []byte) bool {
	cr := 0
	for i := bytes.IndexByte(text, '\r'); i >= 0; i = bytes.IndexByte(text, '\r') {
		if i+1 < len(text) && text[i+1] == '\n' {
			return false
		}
		cr++
		text = text[i+1:]
	}
	return cr > 0 && bytes.IndexByte(text, '\n') < 0
}

// decodeUTF16 decodes UTF-16 in the byte order of its byte order mark, or in order
// when it has none, dropping the mark. Unpaired surrogates become U+FFFD.
func decodeUTF16(r io.Reader, order unicode.Endianness) io.Reader {
	return transform.NewReader(r, unicode.UTF16(order, unicode.UseBOM).NewDecoder())
}

// The modes of utf8OrWindows1252.
const (
	modeASCII  = iota // only ASCII so far: either encoding may follow
	modeUTF8          // UTF-8 seen (or declared): anything else is an error
	modeLegacy        // a byte that is not UTF-8 seen after ASCII only
)

// utf8OrWindows1252 passes UTF-8 through until it meets a byte that is not UTF-8,
// then decodes the rest as Windows-1252 (or Mac Roman, when mac is set) if all
// before it was ASCII, and fails with an *invalidUTF8Error if not.
type utf8OrWindows1252 struct {
	declared bool // a byte order mark said UTF-8: start in modeUTF8
	mac      bool // the legacy code page is Mac Roman
	mode     int
	lines    int // line ends passed
	lastCR   bool
	cp       *encoding.Decoder
}

// Transform implements transform.Transformer.
func (t *utf8OrWindows1252) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if t.mode == modeLegacy {
		return t.cp.Transform(dst, src, atEOF)
	}
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			// Lines end in LF, CRLF or CR alone (Excel for Mac).
			if c == '\n' && !t.lastCR || c == '\r' {
				t.lines++
			}
			t.lastCR = c == '\r'
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc // the rest of the rune is to come
			}
			if t.mode == modeUTF8 {
				return nDst, nSrc, &invalidUTF8Error{line: t.lines + 1}
			}
			t.mode = modeLegacy
			t.cp = charmap.Windows1252.NewDecoder()
			if t.mac {
				t.cp = charmap.Macintosh.NewDecoder()
			}
			n, m, err := t.cp.Transform(dst[nDst:], src[nSrc:], atEOF)
			return nDst + n, nSrc + m, err
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		t.mode, t.lastCR = modeUTF8, false
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}

// Reset implements transform.Transformer.
func (t *utf8OrWindows1252) Reset() {
	t.mode, t.lines, t.lastCR, t.cp = modeASCII, 0, false, nil
	if t.declared {
		t.mode = modeUTF8
	}
}
