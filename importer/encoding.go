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

// decodeText finds the encoding of the text r holds and returns a reader of it in
// UTF-8, without a byte order mark. It tells apart, in this order:
//
//   - UTF-8 with a byte order mark (Excel's "CSV UTF-8");
//   - UTF-16, little or big endian, with a byte order mark (Excel's "Unicode text"),
//     or without one when the NUL bytes of ASCII characters show its byte order;
//   - UTF-8 without a byte order mark, until a byte that is not UTF-8 appears: if the
//     text was ASCII until then, all of it is read as Windows-1252 (Excel's "CSV" on
//     Windows in Western Europe and the Americas), which ASCII is a subset of;
//     otherwise it is an *invalidUTF8Error.
//
// wide reports UTF-16, whose files Excel writes tab-separated. r should buffer at
// least sniffSize bytes.
func decodeText(r *bufio.Reader) (text io.Reader, wide bool, err error) {
	head, err := r.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, false, err
	}
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		_, _ = r.Discard(len(bomUTF8))
		return transform.NewReader(r, &utf8OrWindows1252{declared: true}), false, nil
	case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
		return decodeUTF16(r, unicode.BigEndian), true, nil // the byte order mark decides
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
			return decodeUTF16(r, unicode.LittleEndian), true, nil
		case odd == 0 && even >= len(head)/8:
			return decodeUTF16(r, unicode.BigEndian), true, nil
		}
		return nil, false, errNotText
	}
	return transform.NewReader(r, &utf8OrWindows1252{}), false, nil
}

// decodeUTF16 decodes UTF-16 in the byte order of its byte order mark, or in order
// when it has none, dropping the mark. Unpaired surrogates become U+FFFD.
func decodeUTF16(r io.Reader, order unicode.Endianness) io.Reader {
	return transform.NewReader(r, unicode.UTF16(order, unicode.UseBOM).NewDecoder())
}

// The modes of utf8OrWindows1252.
const (
	modeASCII       = iota // only ASCII so far: either encoding may follow
	modeUTF8               // UTF-8 seen (or declared): anything else is an error
	modeWindows1252        // a byte that is not UTF-8 seen after ASCII only
)

// utf8OrWindows1252 passes UTF-8 through until it meets a byte that is not UTF-8,
// then decodes the rest as Windows-1252 if all before it was ASCII, and fails with
// an *invalidUTF8Error if not.
type utf8OrWindows1252 struct {
	declared bool // a byte order mark said UTF-8: start in modeUTF8
	mode     int
	lines    int // newlines passed
	cp       *encoding.Decoder
}

// Transform implements transform.Transformer.
func (t *utf8OrWindows1252) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if t.mode == modeWindows1252 {
		return t.cp.Transform(dst, src, atEOF)
	}
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			if c == '\n' {
				t.lines++
			}
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
			t.mode = modeWindows1252
			t.cp = charmap.Windows1252.NewDecoder()
			n, m, err := t.cp.Transform(dst[nDst:], src[nSrc:], atEOF)
			return nDst + n, nSrc + m, err
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		t.mode = modeUTF8
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}

// Reset implements transform.Transformer.
func (t *utf8OrWindows1252) Reset() {
	t.mode, t.lines, t.cp = modeASCII, 0, nil
	if t.declared {
		t.mode = modeUTF8
	}
}
