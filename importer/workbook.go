package importer

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
)

// xlsxFile is an XLSX workbook opened for reading: its parts found through their
// relationships, as spreadsheet programs find them, whatever their names; its
// sheets in workbook order; and the parts every sheet needs (number formats,
// shared strings), read once.
//
// Only the parts a sheet's cells need are read, each as a stream with
// encoding/xml, which reports every error in the markup (an unknown entity, a tag
// left open, a part cut short), so that no error goes unnoticed: excelize, which
// read the sheets before, ignores encoding/xml's errors while it reads rows and
// ends the sheet or the row early without a word.
type xlsxFile struct {
	parts    map[string]*zip.File // by name, lower case, without a leading "/"
	sheets   []xlsxSheetRef
	date1904 bool
	formats  []*numFormat // by cell style (cellXfs index); nil is General
	// The shared strings: all their text in one string, and where each ends. A
	// workbook of 100k rows has hundreds of thousands; a string each would cost
	// a header and an allocation apiece.
	sst     string
	sstEnds []uint32
	limits  Limits
	merges  map[string][]mergeRange // per worksheet part (see checkZip)
	tables  map[string][]table      // per worksheet part, once read
}

// xlsxSheetRef is a worksheet of the workbook.
type xlsxSheetRef struct {
	name   string
	part   string // its part's name, lower case
	hidden bool   // state="hidden" or "veryHidden"
}

// openXLSXFile reads the workbook's structure from zr, whose entries checkZip has
// checked, and its shared strings and number formats.
func openXLSXFile(zr *zip.Reader, l Limits, merges map[string][]mergeRange) (*xlsxFile, error) {
	f := &xlsxFile{parts: make(map[string]*zip.File, len(zr.File)), limits: l, merges: merges,
		tables: map[string][]table{}}
	for _, e := range zr.File {
		f.parts[partKey(e.Name)] = e
	}
	book := "xl/workbook.xml"
	if rels, err := f.rels("_rels/.rels"); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.typ, "/officeDocument") {
				book = r.target
			}
		}
	}
	if f.parts[book] == nil {
		return nil, invalidWorkbook(errors.New("no workbook part"))
	}
	bookRels, err := f.rels(relsOf(book))
	if err != nil {
		return nil, invalidWorkbook(err)
	}
	if err := f.readWorkbook(book, bookRels); err != nil {
		return nil, err
	}
	for _, r := range bookRels {
		switch {
		case strings.HasSuffix(r.typ, "/styles"):
			if err := f.readStyles(r.target); err != nil {
				return nil, err
			}
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			if err := f.readSharedStrings(r.target); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// partKey is how parts are looked up: lower case (zip names are case-sensitive, the
// package's part names are not), without a leading "/".
func partKey(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, `\`, "/"), "/"))
}

// relsOf returns the name of the relationships part of the part named name.
func relsOf(name string) string {
	dir, file := path.Split(name)
	return dir + "_rels/" + file + ".rels"
}

// relationship is one relationship of a part: its type (a URI) and its target
// part, resolved.
type relationship struct {
	id, typ, target string
}

// rels reads the relationships part named name. A missing part has none.
func (f *xlsxFile) rels(name string) ([]relationship, error) {
	var doc struct {
		Rels []struct {
			ID         string `xml:"Id,attr"`
			Type       string `xml:"Type,attr"`
			Target     string `xml:"Target,attr"`
			TargetMode string `xml:"TargetMode,attr"`
		} `xml:"Relationship"`
	}
	if err := f.decodePart(name, &doc); err != nil {
		if errors.Is(err, errNoPart) {
			return nil, nil
		}
		return nil, err
	}
	// A relationships part sits in _rels beside its source: targets are relative
	// to the source's directory, or absolute from the package's root.
	base := path.Dir(path.Dir(name))
	out := make([]relationship, 0, len(doc.Rels))
	for _, r := range doc.Rels {
		if strings.EqualFold(r.TargetMode, "External") {
			continue
		}
		target := r.Target
		if !strings.HasPrefix(target, "/") {
			target = path.Join(base, target)
		}
		out = append(out, relationship{id: r.ID, typ: r.Type, target: partKey(path.Clean("/" + target))})
	}
	return out, nil
}

// errNoPart is decodePart's error for a part the file does not have.
var errNoPart = errors.New("importer: no such part")

// decodePart unmarshals the part named name into v.
func (f *xlsxFile) decodePart(name string, v any) error {
	e := f.parts[partKey(name)]
	if e == nil {
		return errNoPart
	}
	rc, err := e.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// readWorkbook reads the sheets' names, order and visibility, and the date system.
func (f *xlsxFile) readWorkbook(name string, rels []relationship) error {
	var doc struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			State string     `xml:"state,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := f.decodePart(name, &doc); err != nil {
		return invalidWorkbook(err)
	}
	f.date1904 = xmlBool(doc.Pr.Date1904)
	targets := map[string]relationship{}
	for _, r := range rels {
		targets[r.id] = r
	}
	for _, s := range doc.Sheets {
		id := ""
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && a.Name.Space != "" {
				id = a.Value
			}
		}
		r, ok := targets[id]
		if !ok || !strings.HasSuffix(r.typ, "/worksheet") || f.parts[r.target] == nil {
			continue // a chart sheet, a dialog sheet, or a sheet whose part is missing
		}
		f.sheets = append(f.sheets, xlsxSheetRef{name: s.Name, part: r.target,
			hidden: s.State == "hidden" || s.State == "veryHidden"})
	}
	if len(f.sheets) == 0 {
		return invalidWorkbook(errors.New("no worksheets"))
	}
	return nil
}

// readStyles reads each cell style's number format.
func (f *xlsxFile) readStyles(name string) error {
	var doc struct {
		NumFmts []struct {
			ID   string `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmtID string `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := f.decodePart(name, &doc); err != nil {
		return invalidWorkbook(err)
	}
	custom := map[int]string{}
	for _, n := range doc.NumFmts {
		if id, err := strconv.Atoi(n.ID); err == nil {
			custom[id] = n.Code
		}
	}
	parsed := map[int]*numFormat{}
	f.formats = make([]*numFormat, len(doc.Xfs))
	for i, xf := range doc.Xfs {
		id, err := strconv.Atoi(xf.NumFmtID)
		if err != nil || id == 0 && custom[0] == "" {
			continue // General
		}
		nf, ok := parsed[id]
		if !ok {
			code, ok := custom[id]
			if !ok {
				code = builtinFormat(id)
			}
			nf = parseNumFormat(code)
			parsed[id] = nf
		}
		f.formats[i] = nf
	}
	return nil
}

// format returns the number format of cell style s (nil for General).
func (f *xlsxFile) format(s int) *numFormat {
	if s < 0 || s >= len(f.formats) {
		return nil
	}
	return f.formats[s]
}

// readSharedStrings reads the shared strings table: each item's text, its runs
// joined, without the phonetic guides (rPh) that Japanese text carries.
func (f *xlsxFile) readSharedStrings(name string) error {
	e := f.parts[name]
	if e == nil {
		return nil
	}
	rc, err := e.Open()
	if err != nil {
		return invalidWorkbook(err)
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var (
		all      strings.Builder // every item's text
		text     strings.Builder // the item's
		inItem   bool
		inText   bool
		phonetic int // depth inside rPh
	)
	defer func() { f.sst = all.String() }()
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return damagedPart(name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inItem = true
				text.Reset()
			case "rPh":
				phonetic++
			case "t":
				inText = inItem && phonetic == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if len(f.sstEnds) >= f.limits.MaxSharedStrings {
					return connect.Errorf(connect.Invalid, "the workbook has more than %d different texts "+
						"(shared strings); split it into smaller files, or save it as CSV", f.limits.MaxSharedStrings)
				}
				all.WriteString(unescapeXString(text.String()))
				f.sstEnds = append(f.sstEnds, uint32(all.Len()))
				inItem = false
			case "rPh":
				phonetic--
			case "t":
				inText = false
			}
		case xml.CharData:
			if inText {
				text.Write(t)
			}
		case xml.Directive:
			return damagedPart(name, errors.New("a document type declaration"))
		}
	}
	return nil
}

// sharedString returns the i-th shared string; ok is false when there is none.
func (f *xlsxFile) sharedString(i int) (string, bool) {
	if i < 0 || i >= len(f.sstEnds) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = f.sstEnds[i-1]
	}
	return f.sst[start:f.sstEnds[i]], true
}

// damagedPart is the error for a part whose markup cannot be read.
func damagedPart(name string, cause error) *connect.Error {
	return &connect.Error{Code: connect.Invalid, Err: cause, Message: fmt.Sprintf(
		"the workbook is damaged: its part %q cannot be read; save it again from your spreadsheet program", name)}
}

// table is a table object of a sheet (Excel's Insert > Table): the rows it spans,
// with its header and totals rows.
type table struct {
	name               string
	firstRow, lastRow  int // 1-based, header and totals rows included
	headerRows, totals int
	firstCol, lastCol  int // 1-based
}

// sheetTables returns the tables of the sheet in part.
func (f *xlsxFile) sheetTables(part string) []table {
	if t, ok := f.tables[part]; ok {
		return t
	}
	t := f.readTables(part)
	f.tables[part] = t
	return t
}

// readTables reads the tables of the sheet in part.
func (f *xlsxFile) readTables(part string) []table {
	rels, err := f.rels(relsOf(part))
	if err != nil {
		return nil
	}
	var out []table
	for _, r := range rels {
		if !strings.HasSuffix(r.typ, "/table") {
			continue
		}
		var doc struct {
			Name   string `xml:"displayName,attr"`
			Ref    string `xml:"ref,attr"`
			Header string `xml:"headerRowCount,attr"`
			Totals string `xml:"totalsRowCount,attr"`
		}
		if f.decodePart(r.target, &doc) != nil {
			continue
		}
		c1, r1, c2, r2, ok := parseRange(doc.Ref)
		if !ok {
			continue
		}
		t := table{name: doc.Name, firstRow: r1, lastRow: r2, firstCol: c1, lastCol: c2, headerRows: 1}
		if n, err := strconv.Atoi(doc.Header); err == nil {
			t.headerRows = n
		}
		if n, err := strconv.Atoi(doc.Totals); err == nil {
			t.totals = n
		}
		out = append(out, t)
	}
	return out
}

// xmlBool reads an XML Schema boolean: "1" or "true".
func xmlBool(s string) bool { return s == "1" || s == "true" }

// parseCellRef reads a cell reference such as "B12" (or "$B$12") as its 1-based
// column and row; ok is false when it is not one.
func parseCellRef(ref string) (col, row int, ok bool) {
	i := 0
	if i < len(ref) && ref[i] == '$' {
		i++
	}
	start := i
	for ; i < len(ref) && isLetter(ref[i]); i++ {
		if col = col*26 + int(ref[i]|0x20-'a') + 1; col > maxColumns {
			return 0, 0, false
		}
	}
	if i == start {
		return 0, 0, false
	}
	if i < len(ref) && ref[i] == '$' {
		i++
	}
	if i == len(ref) {
		return 0, 0, false
	}
	for ; i < len(ref); i++ {
		c := ref[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		if row = row*10 + int(c-'0'); row > maxRows {
			return 0, 0, false
		}
	}
	return col, row, row > 0
}

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// parseColumnRef reads the column letters at the start of a cell reference ("B"
// of "B12") as a 1-based column; ok is false when there are none.
func parseColumnRef(ref string) (col int, ok bool) {
	i := 0
	if i < len(ref) && ref[i] == '$' {
		i++
	}
	for ; i < len(ref) && isLetter(ref[i]); i++ {
		if col = col*26 + int(ref[i]|0x20-'a') + 1; col > maxColumns {
			return 0, false
		}
	}
	return col, col > 0
}

// parseRange reads a range such as "A1:D10" (or a single cell) as its corners.
func parseRange(ref string) (c1, r1, c2, r2 int, ok bool) {
	a, b, found := strings.Cut(ref, ":")
	if c1, r1, ok = parseCellRef(a); !ok {
		return 0, 0, 0, 0, false
	}
	if !found {
		return c1, r1, c1, r1, true
	}
	if c2, r2, ok = parseCellRef(b); !ok || c2 < c1 || r2 < r1 {
		return 0, 0, 0, 0, false
	}
	return c1, r1, c2, r2, true
}

// maxRows is the last row a worksheet may have.
const maxRows = 1 << 20

// unescapeXString decodes the _xHHHH_ escapes of Office Open XML's strings: a
// character that XML cannot hold (Excel writes a carriage return in a cell as
// _x000D_), and _x005F_ for an underscore that starts something looking like one.
func unescapeXString(s string) string {
	i := strings.Index(s, "_x")
	if i < 0 {
		return s
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(s[:i])
		rest := s[i:]
		if len(rest) >= 7 && rest[6] == '_' {
			if v, err := strconv.ParseUint(rest[2:6], 16, 16); err == nil {
				b.WriteRune(rune(v))
				s = rest[7:]
				i = strings.Index(s, "_x")
				continue
			}
		}
		b.WriteString("_x")
		s = rest[2:]
		i = strings.Index(s, "_x")
	}
	b.WriteString(s)
	return b.String()
}
