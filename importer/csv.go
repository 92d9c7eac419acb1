package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dispatchkit/connect"
)

// ReadCSV reads r as a CSV file and returns it positioned after the header. It reads
// the file as a stream, holding one record at a time and the first 64 KiB, which it
// looks at to find:
//
//   - the encoding: UTF-8 with or without a byte order mark, UTF-16 with a byte order
//     mark (or, without one, when its NUL bytes show the byte order), or, when the
//     bytes are not UTF-8, the legacy code page of the spreadsheet program that
//     wrote them: Mac Roman for lines ending in a carriage return alone (Excel for
//     Mac), else Windows-1252;
//   - the line ends: CRLF (Windows), LF, CR alone (Excel for Mac's "CSV" and "CSV
//     (Macintosh)"), or a mix of them, inside quoted cells too, where each becomes
//     a line break (LF);
//   - the delimiter: a first line "sep=;" (which Excel reads, and hides) names it;
//     otherwise it is the one of comma, semicolon, tab and the vertical bar that
//     appears outside quotes the same number of times on the most of the first 20
//     lines with a value (comma, or tab for UTF-16, on a tie; comma when none
//     appears), so that a title line above the header, or decimal commas in a
//     semicolon-separated file, do not mislead it.
//
// Cells may be quoted ("a, b"; "say ""hi"""), and a quoted cell may span lines.
// Records may have different numbers of cells. Blank lines and rows whose cells are
// all empty are skipped but still count as rows; a "sep=" line does not, as Excel
// does not show it.
//
// Errors (all Invalid): the file is over Limits.MaxFileBytes, has no non-blank row,
// has NUL bytes but is not UTF-16, turns from UTF-8 to something else, has a stray or
// unbalanced quote (with the row), breaks MaxRows (with the row), has a header cell
// over MaxCellBytes or a cell over the larger limit against hostile files
// (Limits.hardCellBytes), with the row and column. A failure of r itself is
// Internal.
func ReadCSV(r io.Reader, opts Options) (Sheet, error) {
	limits := opts.Limits.withDefaults()
	raw := bufio.NewReaderSize(&sizeLimitReader{r: r, n: limits.MaxFileBytes}, sniffSize)
	s := &csvSheet{limits: limits}
	text, enc, err := decodeText(raw)
	if err != nil {
		return nil, s.fail(err)
	}
	s.enc = enc
	s.ends = &lineEnds{r: bufio.NewReaderSize(text, sniffSize)}
	guard := &lineGuard{r: s.ends}
	buf := bufio.NewReaderSize(guard, sniffSize)
	head, err := buf.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, s.fail(err)
	}
	comma, n := sepLine(head)
	if n > 0 {
		_, _ = buf.Discard(n)
		s.sep = true
	} else {
		comma = detectDelimiter(head, enc.wide)
	}
	s.r = csv.NewReader(buf)
	s.r.Comma = comma
	if err := guard.setComma(s.r.Comma); err != nil {
		return nil, s.fail(err)
	}
	s.r.FieldsPerRecord = -1
	// Skipping the spaces before a cell lets ` "a, b"` be a quoted cell. With tabs
	// it would also skip the empty cells between two tabs.
	s.r.TrimLeadingSpace = s.r.Comma != '\t'

	s.header, err = s.read()
	if err == io.EOF {
		return nil, connect.Errorf(connect.Invalid, "the file is empty: it has no row with a value")
	}
	if err != nil {
		return nil, s.fail(err)
	}
	if err := limits.checkCells(s.header, nil, limits.MaxCellBytes); err != nil {
		return nil, err
	}
	return s, nil
}

// sepLine returns the delimiter a first line such as "sep=;" names, and the length
// of that line with its line end; 0, 0 when head does not start with one. Excel
// takes such a line as the delimiter and does not show it as a row; some programs
// pad it with delimiters to the width of the table ("sep=;;;").
func sepLine(head []byte) (rune, int) {
	end := bytes.IndexByte(head, '\n')
	line := head
	if end >= 0 {
		line = head[:end]
	}
	line = bytes.TrimRight(line, "\r \t")
	if len(line) < 5 || !bytes.EqualFold(line[:4], []byte("sep=")) {
		return 0, 0
	}
	c := line[4]
	if c >= utf8.RuneSelf || c == '"' || c == '\r' || c == '\n' || c == ' ' {
		return 0, 0
	}
	for _, rest := range line[5:] {
		if rest != c {
			return 0, 0
		}
	}
	if end < 0 {
		return rune(c), len(head)
	}
	return rune(c), end + 1
}

// csvSheet is the Sheet of a CSV file.
type csvSheet struct {
	r      *csv.Reader
	enc    *textEncoding
	ends   *lineEnds
	sep    bool // the delimiter came from a "sep=" line
	limits Limits
	header Row
	rows   int   // data rows returned
	folded int   // line breaks inside quoted cells so far: lines that are not rows
	err    error // returned by every Next after the first failure
}

func (s *csvSheet) Header() Row { return s.header }

func (s *csvSheet) Next() (Row, error) {
	if s.err != nil {
		return Row{}, s.err
	}
	row, err := s.read()
	if err != nil {
		return Row{}, s.fail(err)
	}
	if s.rows++; s.rows > s.limits.MaxRows {
		s.err = s.limits.tooManyRows(row.Number)
		return Row{}, s.err
	}
	if err := s.limits.checkCells(row, s.header.Cells, s.limits.hardCellBytes()); err != nil {
		s.err = err
		return Row{}, err
	}
	return row, nil
}

func (s *csvSheet) Close() error { return nil }

func (s *csvSheet) Info() SheetInfo {
	return SheetInfo{Format: FormatCSV, Delimiter: s.r.Comma, SepLine: s.sep, Encoding: s.enc.String(),
		LineEnds: s.ends.String()}
}

// read returns the next record with a non-empty cell, numbered as a spreadsheet
// program numbers it: its first line's number less the line breaks inside quoted
// cells before it.
func (s *csvSheet) read() (Row, error) {
	for {
		rec, err := s.r.Read()
		if err != nil {
			return Row{}, err
		}
		line, _ := s.r.FieldPos(0)
		number := line - s.folded
		for _, c := range rec {
			s.folded += strings.Count(c, "\n")
		}
		if cells := cleanCells(rec); len(cells) > 0 {
			return Row{Number: number, Cells: cells}, nil
		}
	}
}

// fail turns an error from reading into the *connect.Error Next returns from then on
// (io.EOF stays io.EOF).
func (s *csvSheet) fail(err error) error {
	s.err = s.convert(err)
	return s.err
}

func (s *csvSheet) convert(err error) error {
	var (
		parse   *csv.ParseError
		badUTF8 *invalidUTF8Error
		badLine *lineError
	)
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.Is(err, errFileTooLarge):
		return s.limits.fileTooLarge()
	case errors.Is(err, errNotText):
		return connect.Errorf(connect.Invalid, "the file is not a CSV file (it has NUL bytes); "+
			"save it from your spreadsheet program as CSV or as .xlsx")
	case errors.As(err, &badLine):
		return connect.Errorf(connect.Invalid, "line %d of the file %s", badLine.line, badLine.reason)
	case errors.As(err, &badUTF8):
		return connect.Errorf(connect.Invalid, "line %d of the file is not UTF-8 text, though the lines "+
			"before it are; save the file again as \"CSV UTF-8\"", badUTF8.line)
	case errors.As(err, &parse):
		f := connect.FieldError{Row: parse.StartLine - s.folded}
		switch {
		case errors.Is(parse.Err, csv.ErrBareQuote):
			f.Reason = `has a " in a cell that does not start with one; ` +
				`put the whole cell in quotes and double the " inside it ("")`
		case errors.Is(parse.Err, csv.ErrQuote):
			f.Reason = `has a quoted cell that is not closed properly; a " inside quotes must be ` +
				`doubled (""), and the closing " must end the cell`
		default:
			f.Reason = "is not valid CSV: " + parse.Err.Error()
		}
		e := connect.InvalidFields([]connect.FieldError{f})
		e.Err = err
		return e
	}
	return connect.Errorf(connect.Internal, "reading the file: %w", err)
}

// maxColumns is the most cells a CSV line may have: Excel's own limit.
const maxColumns = 16384

// lineError is what a lineGuard fails with.
type lineError struct {
	line   int // 1-based
	reason string
}

func (e *lineError) Error() string { return fmt.Sprintf("importer: line %d %s", e.line, e.reason) }

// lineGuard passes decoded text on to encoding/csv and fails on a line with more
// than maxColumns cells or with a NUL byte, before encoding/csv sees it. Each cell
// costs encoding/csv some 50 bytes however short it is, so a line of ten million
// delimiters (10 MB) would otherwise take gigabytes; and a NUL byte, which no text
// has, is refused by PostgreSQL when the cell is stored.
//
// It counts the delimiters outside quotes as encoding/csv does for a well-formed
// file (every '"' opens or closes quotes; a doubled one does both). On a malformed
// one, it may count too few, never too many: encoding/csv refuses the line itself.
// Until the delimiter is known (ReadCSV's first 64 KiB), it counts each candidate
// and setComma reports a line that had too many.
type lineGuard struct {
	r      io.Reader
	comma  byte                 // the delimiter; 0 until it is known
	counts [len(delimiters)]int // each of delimiters outside quotes on the current line
	over   [len(delimiters)]int // the first line with too many of each, before comma was known
	quoted bool
	line   int // newlines passed
}

// delimiters are the delimiters ReadCSV tells apart, in the order it prefers them
// on a tie (but for UTF-16, where tab comes first).
var delimiters = [...]byte{',', ';', '\t', '|'}

func (g *lineGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	for _, c := range p[:n] {
		switch c {
		case '"':
			g.quoted = !g.quoted
		case '\n':
			g.line++
			if !g.quoted {
				g.counts = [len(delimiters)]int{}
			}
		case 0:
			return 0, &lineError{line: g.line + 1, reason: "has a NUL byte, which text never has; " +
				"save the file from your spreadsheet program as CSV or as .xlsx"}
		case ',', ';', '\t', '|':
			if g.quoted {
				continue
			}
			i := bytes.IndexByte(delimiters[:], c)
			if g.counts[i]++; g.counts[i] >= maxColumns {
				if c == g.comma {
					return 0, tooManyCells(g.line + 1)
				}
				if g.over[i] == 0 {
					g.over[i] = g.line + 1
				}
			}
		}
	}
	return n, err
}

// setComma tells the guard the delimiter, and fails if a line it has passed
// already has too many cells.
func (g *lineGuard) setComma(c rune) error {
	g.comma = byte(c)
	if i := bytes.IndexByte(delimiters[:], g.comma); i >= 0 && g.over[i] > 0 {
		return tooManyCells(g.over[i])
	}
	return nil
}

func tooManyCells(line int) error {
	return &lineError{line: line, reason: fmt.Sprintf("has more than %d cells, "+
		"the most a spreadsheet may have; check the delimiter, or split the line", maxColumns)}
}

// delimiterLines is how many lines with a value detectDelimiter looks at.
const delimiterLines = 20

// detectDelimiter returns the delimiter of the text head starts: the one of
// delimiters that appears outside quotes the same number of times on the most of
// the first delimiterLines lines with a value (a delimiter's count on most lines
// is its mode), and on a tie the one with the larger mode, then the one first in
// delimiters (tab first for UTF-16, wide, text). A delimiter that appears on no
// line never wins; with none at all, it is comma (tab for wide text).
//
// Looking at several lines, rather than the first alone, finds the delimiter of a
// file with a title line above the header ("Orders for week 49", or "Orders; week
// 49" above a comma-separated table), and of a semicolon-separated file whose
// cells hold decimal commas, whose commas vary from row to row.
func detectDelimiter(head []byte, wide bool) rune {
	order := delimiters
	if wide {
		order = [...]byte{'\t', ',', ';', '|'}
	}
	var lines [][len(delimiters)]int // per line with a value, the count of each of order
	var counts [len(delimiters)]int
	quoted, value := false, false
	endLine := func() {
		if value {
			lines = append(lines, counts)
		}
		counts, value = [len(delimiters)]int{}, false
	}
	for _, c := range head {
		if len(lines) == delimiterLines {
			break
		}
		switch {
		case c == '"':
			quoted, value = !quoted, true
		case quoted:
		case c == '\n':
			endLine()
		case c == ' ' || c == '\r':
		default:
			if i := bytes.IndexByte(order[:], c); i >= 0 {
				counts[i]++
			} else {
				value = true
			}
		}
	}
	if len(lines) < delimiterLines {
		endLine() // the last line, without a line end, or cut by the end of head
	}
	best, bestLines, bestMode := 0, 0, 0
	for i := range order {
		seen := map[int]int{} // count → lines with it
		for _, l := range lines {
			if l[i] > 0 {
				seen[l[i]]++
			}
		}
		n, mode := 0, 0
		for count, m := range seen {
			if m > n || m == n && count > mode {
				n, mode = m, count
			}
		}
		if n > bestLines || n == bestLines && mode > bestMode {
			best, bestLines, bestMode = i, n, mode
		}
	}
	return rune(order[best])
}
