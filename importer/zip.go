package importer

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/dispatchkit/connect"
)

// centralHeader starts each entry of a zip file's central directory.
var centralHeader = []byte("PK\x01\x02")

// checkZip refuses an XLSX file whose zip structure breaks the limits, before
// the reader unzips any of it:
//
//  1. It counts the central directory signatures in the whole file, an upper bound
//     on the entries zip.NewReader would allocate a record for (it reads records
//     until one is malformed, so the entry count in the directory's end record
//     bounds nothing), and refuses more than MaxZipEntries.
//  2. It sums the uncompressed sizes the entries declare and refuses more than
//     MaxUnzippedBytes, or a part the reader would hold in memory whole that declares
//     more than its cap.
//  3. It decompresses every entry to nowhere, 32 KiB at a time. archive/zip fails a
//     read past the declared size and a checksum mismatch, so this catches an entry
//     that lies about its size and a corrupt one before a row is read.
//  4. While it does, it looks through the XML parts (see markupScanner) for what
//     would cost far more memory than the part's size says: a document type
//     declaration, a worksheet or shared strings text too long to be a cell, and
//     more shared strings than MaxSharedStrings.
//
// It returns the ranges of merged cells of each worksheet (by part name, lower
// case), which a worksheet lists after its rows, where a reader of its rows would
// find them too late.
func checkZip(r io.ReaderAt, size int64, l Limits) (map[string][]mergeRange, error) {
	n, err := countSignature(r, size, centralHeader, l.MaxZipEntries+1)
	if err != nil {
		return nil, connect.Errorf(connect.Internal, "reading the file: %w", err)
	}
	if n > l.MaxZipEntries {
		return nil, tooManyEntries(l)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, invalidWorkbook(err)
	}
	if len(zr.File) > l.MaxZipEntries {
		return nil, tooManyEntries(l)
	}
	limit := uint64(l.MaxUnzippedBytes)
	partCap := uint64(min(maxInMemoryPart, l.MaxUnzippedBytes))
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > limit || total+f.UncompressedSize64 > limit {
			return nil, connect.Errorf(connect.Invalid,
				"the workbook expands to more than %s when unzipped; split it into smaller files",
				formatBytes(l.MaxUnzippedBytes))
		}
		total += f.UncompressedSize64
		if heldInMemory(f.Name) && f.UncompressedSize64 > partCap {
			return nil, connect.Errorf(connect.Invalid,
				"the workbook's part %q is larger than %s when unzipped; copy the sheet to import "+
					"into a new workbook, or save it as CSV", f.Name, formatBytes(int64(partCap)))
		}
	}
	merges := map[string][]mergeRange{}
	budget := maxMerges
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory
		}
		ms, err := drain(f, l, budget)
		if err != nil {
			var e *connect.Error
			if errors.As(err, &e) {
				return nil, e
			}
			return nil, invalidWorkbook(err)
		}
		if len(ms) > 0 {
			merges[partKey(f.Name)] = ms
			budget -= len(ms)
		}
	}
	return merges, nil
}

// maxMerges bounds the merged ranges checkZip keeps, over all worksheets.
const maxMerges = 100_000

// drain decompresses f to nowhere, reporting what archive/zip finds wrong with it,
// and what a markupScanner finds wrong with an XML part (as a *connect.Error). It
// returns a worksheet's merged ranges, up to max.
func drain(f *zip.File, l Limits, max int) ([]mergeRange, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	var w io.Writer = io.Discard
	var m *markupScanner
	if name := strings.ToLower(f.Name); strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels") {
		m = newMarkupScanner(f.Name, l)
		w = m
	}
	_, err = io.Copy(w, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil || m == nil {
		return nil, err
	}
	return parseMerges(m.after, max), nil
}

// markupScanner reads an XML part of a workbook as it is decompressed, holding
// nothing of it but a few bytes (and a worksheet's markup after its rows), and
// fails (with an Invalid *connect.Error) on what would hurt a reader of these
// parts with encoding/xml:
//
//   - A document type declaration. Workbooks never have one (the Open Packaging
//     Conventions forbid it), and encoding/xml does not expand its entities: the
//     error that follows would come after rows were read ("billion laughs").
//   - In a worksheet or the shared strings, a run of more than maxMarkupGap bytes
//     without a '<': the text of a single cell, or a single tag, which
//     encoding/xml holds whole, however large (a worksheet of one 400 MiB cell
//     passes every size limit).
//   - In the shared strings, more than MaxSharedStrings entries (<si>).
type markupScanner struct {
	part       string
	cells      bool // a worksheet or the shared strings
	sst        bool // the shared strings
	maxGap     int
	maxStrings int
	gap        int    // bytes since the last '<'
	strings    int    // <si> elements so far
	carry      []byte // a '<' and the start of a tag name cut off by the last write
	tail       []byte // a worksheet's last bytes, where a "<!DOCTYPE" or "sheetData" may begin
	after      []byte // a worksheet's markup from its last "sheetData" on (its end tag), up to maxAfterRows
}

// maxAfterRows bounds what a markupScanner keeps of a worksheet after its rows,
// where merged cells are listed.
const maxAfterRows = 4 << 20

func newMarkupScanner(part string, l Limits) *markupScanner {
	name := strings.ToLower(strings.ReplaceAll(part, `\`, "/"))
	sst := name == "xl/sharedstrings.xml"
	return &markupScanner{
		part:       part,
		cells:      sst || strings.HasPrefix(name, "xl/worksheets/sheet"),
		sst:        sst,
		maxGap:     maxMarkupGap(l),
		maxStrings: l.MaxSharedStrings,
	}
}

// maxMarkupGap is the longest run without a '<' a worksheet may have: eight times
// the longest cell (an escaped character takes up to eight bytes, as in "&#x1F600;"
// for four), and at least 1 MiB.
func maxMarkupGap(l Limits) int { return max(minMarkupGap, 8*l.MaxCellBytes) }

// tagNameLen is how much of a tag name the scanner looks at: enough for
// "!DOCTYPE" and a prefixed "x:si".
const tagNameLen = 16

func (m *markupScanner) Write(p []byte) (int, error) {
	if m.cells && !m.sst {
		return m.writeSheet(p)
	}
	return m.writeTags(p)
}

// doctype starts a document type declaration.
var doctype = []byte("<!DOCTYPE")

// sheetDataName is the name of a worksheet's element of rows. It is longer than
// doctype, so the bytes a markupScanner keeps between writes cover both.
var sheetDataName = []byte("sheetData")

// writeSheet is Write for a worksheet, where only a document type declaration and
// the gaps between tags matter: it looks at each byte a couple of times with the
// vectorised searches of package bytes, instead of stopping at each of a sheet's
// millions of tags as writeTags does (which made the check a tenth of the read).
// It finds exactly what writeTags would (FuzzMarkupScannerSheet compares them).
func (m *markupScanner) writeSheet(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		// A run without '<' inside a chunk no longer than maxGap is within the
		// limit, so only the runs at the chunk's ends need counting.
		c := p[:min(len(p), m.maxGap)]
		p = p[len(c):]
		first := bytes.IndexByte(c, '<')
		if first < 0 {
			first = len(c)
		}
		if m.gap += first; m.gap > m.maxGap {
			return 0, m.tooLong()
		}
		if first < len(c) {
			m.gap = len(c) - 1 - bytes.LastIndexByte(c, '<')
		}
		// "<!DOCTYPE" within the chunk, or across its start.
		across := append(m.tail, c[:min(len(c), len(sheetDataName)-1)]...)
		if bytes.Contains(c, doctype) || bytes.Contains(across, doctype) {
			return 0, m.hasDoctype()
		}
		// Keep what follows the last "sheetData" (the rows' end tag): the merged
		// cells are listed there.
		switch i, j := bytes.LastIndex(c, sheetDataName), bytes.LastIndex(across, sheetDataName); {
		case i >= 0:
			m.after = append(m.after[:0], c[i:]...)
		case j >= 0:
			m.after = append(append(m.after[:0], across[j:len(m.tail)]...), c...)
		case m.after != nil && len(m.after) < maxAfterRows:
			m.after = append(m.after, c[:min(len(c), maxAfterRows-len(m.after))]...)
		}
		if keep := len(sheetDataName) - 1; len(c) >= keep {
			m.tail = append(m.tail[:0], c[len(c)-keep:]...)
		} else {
			m.tail = append(m.tail[:0], across[max(0, len(across)-keep):]...)
		}
	}
	return n, nil
}

// writeTags is Write for the other parts: it stops at each tag to look at its name.
func (m *markupScanner) writeTags(p []byte) (int, error) {
	n := len(p)
	data := p
	if len(m.carry) > 0 {
		data = append(m.carry, p...)
		m.carry = m.carry[:0]
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '<')
		if i < 0 {
			i = len(data)
		}
		if m.gap += i; m.cells && m.gap > m.maxGap {
			return 0, m.tooLong()
		}
		if i == len(data) {
			break
		}
		m.gap = 0
		tag := data[i+1:]
		end := bytes.IndexAny(tag, " \t\r\n/>")
		if end < 0 && len(tag) < tagNameLen {
			m.carry = append(m.carry, data[i:]...) // the name goes on in the next write
			break
		}
		if end < 0 {
			end = len(tag)
		}
		name := tag[:end]
		if bytes.HasPrefix(name, doctype[1:]) {
			return 0, m.hasDoctype()
		}
		if _, local, ok := bytes.Cut(name, []byte(":")); ok {
			name = local
		}
		if m.sst && string(name) == "si" {
			if m.strings++; m.strings > m.maxStrings {
				return 0, connect.Errorf(connect.Invalid, "the workbook has more than %d different texts "+
					"(shared strings); split it into smaller files, or save it as CSV", m.maxStrings)
			}
		}
		data = tag
	}
	return n, nil
}

func (m *markupScanner) hasDoctype() error {
	return connect.Errorf(connect.Invalid, "the workbook's part %q has a document type declaration, "+
		"which workbooks never have; save the file again from your spreadsheet program", m.part)
}

func (m *markupScanner) tooLong() error {
	return connect.Errorf(connect.Invalid, "the workbook's part %q has a cell or tag longer than %s; "+
		"cells may hold up to %d characters", m.part, formatBytes(int64(m.maxGap)), 32767)
}

// heldInMemory reports whether the part named name may be held in memory whole
// (read in full, or, for the shared strings, as the strings it holds): every part
// but the worksheets, which are read as a stream.
func heldInMemory(name string) bool {
	name = strings.ToLower(strings.ReplaceAll(name, `\`, "/"))
	return !strings.HasPrefix(name, "xl/worksheets/sheet")
}

// countSignature counts the occurrences of sig in the first size bytes of r, reading
// 32 KiB at a time, and stops counting at stop.
func countSignature(r io.ReaderAt, size int64, sig []byte, stop int) (int, error) {
	buf := make([]byte, 32<<10)
	count, keep := 0, 0 // keep: bytes carried over from the last read, len(sig)-1 at most
	for off := int64(0); off < size && count < stop; {
		n, err := r.ReadAt(buf[keep:min(int64(len(buf)), int64(keep)+size-off)], off)
		if err != nil && err != io.EOF {
			return count, err
		}
		if n == 0 {
			break
		}
		off += int64(n)
		chunk := buf[:keep+n]
		count += bytes.Count(chunk, sig)
		keep = min(len(sig)-1, len(chunk))
		copy(buf, chunk[len(chunk)-keep:])
	}
	return count, nil
}

func tooManyEntries(l Limits) *connect.Error {
	return connect.Errorf(connect.Invalid,
		"the workbook has more than %d parts; copy the sheet to import into a new workbook, "+
			"or save it as CSV", l.MaxZipEntries)
}

// invalidWorkbook is the error for a file that is not a readable XLSX workbook.
func invalidWorkbook(cause error) *connect.Error {
	return &connect.Error{
		Code: connect.Invalid,
		Message: "the file is not a valid .xlsx workbook; save it again from your spreadsheet " +
			"program as .xlsx (without a password) or as CSV",
		Err: cause,
	}
}
