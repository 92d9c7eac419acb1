package importer_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A workbook written part by part the way each spreadsheet program writes its
// .xlsx files, as found in files they wrote (SheetJS's and Apache POI's test
// files, LibreOffice's and Numbers' exports, bug reports about Google Sheets'):
//
//   - Excel (Windows, Mac): shared strings with count and uniqueCount, numbers at
//     17 significant digits (51.507351 as 51.507351000000003), <dimension>, spans
//     on every row, x14ac:dyDescent and mc:Ignorable, t="str" formula results,
//     shared formulas, 1904 dates on old Mac files (workbookPr date1904="1").
//   - LibreOffice: every attribute written, in its own order (r last on rows),
//     hidden="false" and t="n" explicit, booleans as true and false, <f aca="false">,
//     format codes in capitals ("GENERAL"), columns to 1025.
//   - Google Sheets: no <dimension>, no spans, <sheetPr><outlinePr …/>,
//     defaultColWidth 12.63, numbers as typed, sheets with state="visible" first.
//   - Numbers: numFmt 0 redefined as General, headers in text style 49, columns to
//     16384, a summary sheet first when chosen in the export.
//   - other generators (the OpenXML SDK, SpreadJS, DataGrip, PHP writers): rows and
//     cells without r attributes, inline strings, an x: namespace prefix.
type xbook struct {
	flavor   string // "excel", "excel-mac", "libreoffice", "google", "numbers", "generator"
	date1904 bool
	formats  []string // custom number formats of the cell styles 1…; style 0 is General
	sheets   []*xsheet
}

// xsheet is a worksheet of an xbook.
type xsheet struct {
	name       string
	state      string // "", "hidden", "veryHidden"
	rows       []xrow
	hiddenCols []int    // 1-based
	merges     []string // "A1:F1"
	table      *xtable
	autoFilter string // a filter's range, as a filter that hides rows writes it
}

// xrow is a row of an xsheet; its cells are in column order.
type xrow struct {
	n      int // 1-based
	hidden bool
	cells  []xcell
}

// xtable is a table object (Insert > Table).
type xtable struct {
	name    string
	ref     string
	columns []string
	totals  bool // the last row of ref is a totals row
}

// xcell is a cell: text, a number (its value as the program stores it), a boolean,
// or a formula with or without a cached result.
type xcell struct {
	col     int // 1-based
	style   int // an index into the cell styles: 0 General, i the i-th of xbook.formats
	text    string
	num     float64
	isNum   bool
	boolean string // "1", "0"
	formula string
	cached  bool   // a formula's result is saved (in text or num)
	inline  bool   // text as an inline string
	raw     string // an inline string's markup, as written (a careless generator's)
}

// Cell makers.
func txt(col int, s string) xcell { return xcell{col: col, text: s} }
func num(col int, v float64, style int) xcell {
	return xcell{col: col, num: v, isNum: true, style: style}
}
func fnum(col int, f string, v float64, style int) xcell {
	return xcell{col: col, formula: f, num: v, isNum: true, cached: true, style: style}
}
func ftxt(col int, f, v string) xcell { return xcell{col: col, formula: f, text: v, cached: true} }
func fnone(col int, f string) xcell   { return xcell{col: col, formula: f} }

// textRow makes a row of text cells from column 1.
func textRow(n int, cells ...string) xrow {
	r := xrow{n: n}
	for i, c := range cells {
		if c != "" {
			r.cells = append(r.cells, txt(i+1, c))
		}
	}
	return r
}

// ref writes a cell reference.
func ref(col, row int) string {
	var b []byte
	for n := col; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b) + strconv.Itoa(row)
}

// zipTime is every part's time, so that a built file is the same every time.
var zipTime = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// bytes builds the .xlsx file.
func (b *xbook) bytes(t testing.TB) []byte {
	t.Helper()
	var sst []string
	index := map[string]int{}
	shared := func(s string) int {
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(sst)
		sst = append(sst, s)
		return len(sst) - 1
	}
	parts := map[string]string{}
	var order []string
	add := func(name, content string) {
		if _, ok := parts[name]; !ok {
			order = append(order, name)
		}
		parts[name] = content
	}
	// The sheets first, to collect the shared strings.
	sheetParts := make([]string, len(b.sheets))
	tableN := 0
	for i, s := range b.sheets {
		tableRel := ""
		if s.table != nil {
			tableN++
			tableRel = fmt.Sprintf("../tables/table%d.xml", tableN)
			add(fmt.Sprintf("xl/tables/table%d.xml", tableN), b.tableXML(s.table, tableN))
			add(fmt.Sprintf("xl/worksheets/_rels/sheet%d.xml.rels", i+1), xmlHead+
				`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
				`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/table" Target="`+tableRel+`"/></Relationships>`)
		}
		sheetParts[i] = b.sheetXML(s, shared, tableRel != "")
	}
	add("[Content_Types].xml", b.contentTypes(tableN))
	add("_rels/.rels", xmlHead+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>`+
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("docProps/app.xml", xmlHead+`<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>`+
		map[string]string{"excel": "Microsoft Excel", "excel-mac": "Microsoft Macintosh Excel", "libreoffice": "LibreOffice/7.6.4.1$Linux_X86_64 LibreOffice_project/60$Build-1",
			"google": "", "numbers": "", "generator": "Generator"}[b.flavor]+`</Application></Properties>`)
	add("docProps/core.xml", xmlHead+`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Client</dc:creator></cp:coreProperties>`)
	add("xl/workbook.xml", b.workbookXML())
	add("xl/_rels/workbook.xml.rels", b.workbookRels())
	add("xl/styles.xml", b.stylesXML())
	if b.flavor != "generator" {
		var s strings.Builder
		s.WriteString(xmlHead + fmt.Sprintf(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(sst), len(sst)))
		for _, text := range sst {
			space := ""
			if text != strings.TrimSpace(text) {
				space = ` xml:space="preserve"`
			}
			fmt.Fprintf(&s, `<si><t%s>%s</t></si>`, space, escapeXString(text))
		}
		s.WriteString(`</sst>`)
		add("xl/sharedStrings.xml", s.String())
	}
	for i, content := range sheetParts {
		add(fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), content)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range order {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(parts[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const xmlHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// escapeXString escapes text for a cell: XML's escapes, and Office's _xHHHH_ for
// a carriage return, which XML would turn into a line feed.
func escapeXString(s string) string {
	s = strings.ReplaceAll(s, "_x", "_x005F_x")
	s = strings.ReplaceAll(html.EscapeString(s), "\r", "_x000D_")
	return s
}

func (b *xbook) contentTypes(tables int) string {
	var s strings.Builder
	s.WriteString(xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`)
	for i := range b.sheets {
		fmt.Fprintf(&s, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i+1)
	}
	for i := 1; i <= tables; i++ {
		fmt.Fprintf(&s, `<Override PartName="/xl/tables/table%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"/>`, i)
	}
	s.WriteString(`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`)
	if b.flavor != "generator" {
		s.WriteString(`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`)
	}
	s.WriteString(`</Types>`)
	return s.String()
}

func (b *xbook) workbookXML() string {
	var s strings.Builder
	s.WriteString(xmlHead)
	switch b.flavor {
	case "libreoffice":
		s.WriteString(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><fileVersion appName="Calc"/>` +
			fmt.Sprintf(`<workbookPr backupFile="false" showObjects="all" date1904="%v"/>`, b.date1904) +
			`<workbookProtection/><bookViews><workbookView showHorizontalScroll="true" showVerticalScroll="true" showSheetTabs="true" xWindow="0" yWindow="0" windowWidth="16384" windowHeight="8192" tabRatio="500" firstSheet="0" activeTab="0"/></bookViews><sheets>`)
	case "google":
		s.WriteString(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr/><sheets>`)
	case "numbers":
		s.WriteString(`<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><bookViews><workbookView xWindow="0" yWindow="40" windowWidth="15960" windowHeight="18080"/></bookViews><sheets>`)
	case "generator":
		s.WriteString(`<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><x:sheets>`)
	default:
		s.WriteString(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15 xr xr6 xr10 xr2" xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6" xmlns:xr10="http://schemas.microsoft.com/office/spreadsheetml/2016/revision10" xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2">` +
			`<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27328"/>`)
		if b.date1904 {
			s.WriteString(`<workbookPr date1904="1" defaultThemeVersion="166925"/>`)
		} else {
			s.WriteString(`<workbookPr defaultThemeVersion="166925"/>`)
		}
		s.WriteString(`<bookViews><workbookView xWindow="0" yWindow="500" windowWidth="28800" windowHeight="16260" xr2:uid="{00000000-000D-0000-FFFF-FFFF00000000}"/></bookViews><sheets>`)
	}
	for i, sh := range b.sheets {
		name := html.EscapeString(sh.name)
		switch b.flavor {
		case "libreoffice":
			state := sh.state
			if state == "" {
				state = "visible"
			}
			fmt.Fprintf(&s, `<sheet name="%s" sheetId="%d" state="%s" r:id="rId%d"/>`, name, i+1, state, i+3)
		case "google":
			state := sh.state
			if state == "" {
				state = "visible"
			}
			fmt.Fprintf(&s, `<sheet state="%s" name="%s" sheetId="%d" r:id="rId%d"/>`, state, name, i+1, i+3)
		case "generator":
			fmt.Fprintf(&s, `<x:sheet name="%s" sheetId="%d" r:id="rId%d"/>`, name, i+1, i+3)
		default:
			state := ""
			if sh.state != "" {
				state = ` state="` + sh.state + `"`
			}
			fmt.Fprintf(&s, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, name, i+1, state, i+3)
		}
	}
	switch b.flavor {
	case "generator":
		s.WriteString(`</x:sheets></x:workbook>`)
	case "google":
		s.WriteString(`</sheets><definedNames/><calcPr/></workbook>`)
	default:
		s.WriteString(`</sheets><calcPr calcId="191029"/></workbook>`)
	}
	return s.String()
}

func (b *xbook) workbookRels() string {
	var s strings.Builder
	s.WriteString(xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`)
	if b.flavor != "generator" {
		s.WriteString(`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`)
	}
	for i := range b.sheets {
		target := fmt.Sprintf("worksheets/sheet%d.xml", i+1)
		if b.flavor == "generator" {
			target = "/xl/" + target // an absolute target, as some generators write
		}
		fmt.Fprintf(&s, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="%s"/>`, i+3, target)
	}
	s.WriteString(`</Relationships>`)
	return s.String()
}

func (b *xbook) stylesXML() string {
	var s strings.Builder
	s.WriteString(xmlHead + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	// Custom formats get ids from 164 up; built-in codes keep their ids.
	ids := make([]int, len(b.formats))
	var custom []string
	for i, code := range b.formats {
		if id, ok := builtinIDs[code]; ok {
			ids[i] = id
			continue
		}
		ids[i] = 164 + len(custom)
		custom = append(custom, code)
	}
	type numFmt struct {
		id   int
		code string
	}
	var list []numFmt
	if b.flavor == "numbers" {
		list = append(list, numFmt{0, "General"}) // Numbers redefines format 0
	}
	for i, code := range custom {
		list = append(list, numFmt{164 + i, code})
	}
	if len(list) > 0 {
		fmt.Fprintf(&s, `<numFmts count="%d">`, len(list))
		for _, f := range list {
			if b.flavor == "libreoffice" {
				fmt.Fprintf(&s, `<numFmt formatCode="%s" numFmtId="%d"/>`, html.EscapeString(strings.ToUpper(f.code)), f.id)
			} else {
				fmt.Fprintf(&s, `<numFmt numFmtId="%d" formatCode="%s"/>`, f.id, html.EscapeString(f.code))
			}
		}
		s.WriteString(`</numFmts>`)
	}
	s.WriteString(`<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>`)
	fmt.Fprintf(&s, `<cellXfs count="%d"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>`, len(ids)+1)
	for _, id := range ids {
		fmt.Fprintf(&s, `<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`, id)
	}
	s.WriteString(`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`)
	return s.String()
}

// builtinIDs are the built-in formats programs write by id rather than in numFmts.
var builtinIDs = map[string]int{"0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
	"0.00E+00": 11, "m/d/yyyy": 14, "d-mmm-yy": 15, "@": 49}

func (b *xbook) tableXML(tb *xtable, n int) string {
	var s strings.Builder
	totals := ""
	if tb.totals {
		totals = ` totalsRowCount="1"`
	}
	auto := tb.ref
	if tb.totals {
		c1, r1, c2, r2 := rangeParts(tb.ref)
		auto = ref(c1, r1) + ":" + ref(c2, r2-1)
	}
	fmt.Fprintf(&s, xmlHead+`<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" id="%d" name="%s" displayName="%s" ref="%s"%s><autoFilter ref="%s"/><tableColumns count="%d">`,
		n, tb.name, tb.name, tb.ref, totals, auto, len(tb.columns))
	for i, c := range tb.columns {
		fmt.Fprintf(&s, `<tableColumn id="%d" name="%s"/>`, i+1, html.EscapeString(c))
	}
	s.WriteString(`</tableColumns><tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" showLastColumn="0" showRowStripes="1" showColumnStripes="0"/></table>`)
	return s.String()
}

// rangeParts reads "A1:D10".
func rangeParts(r string) (c1, r1, c2, r2 int) {
	a, b, _ := strings.Cut(r, ":")
	c1, r1 = cellParts(a)
	c2, r2 = cellParts(b)
	return
}

func cellParts(s string) (col, row int) {
	i := 0
	for ; i < len(s) && s[i] >= 'A' && s[i] <= 'Z'; i++ {
		col = col*26 + int(s[i]-'A') + 1
	}
	row, _ = strconv.Atoi(s[i:])
	return
}

// numberText writes a number as the flavor stores it: Excel at 17 significant
// digits, the others as typed (the shortest text that reads back).
func (b *xbook) numberText(v float64) string {
	if b.flavor == "excel" || b.flavor == "excel-mac" {
		return strconv.FormatFloat(v, 'g', 17, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func (b *xbook) sheetXML(sh *xsheet, shared func(string) int, hasTable bool) string {
	var s strings.Builder
	s.WriteString(xmlHead)
	prefix := ""
	maxCol, maxRow := 1, 1
	for _, r := range sh.rows {
		maxRow = max(maxRow, r.n)
		for _, c := range r.cells {
			maxCol = max(maxCol, c.col)
		}
	}
	switch b.flavor {
	case "libreoffice":
		s.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetPr filterMode="false"><pageSetUpPr fitToPage="false"/></sheetPr>`)
		fmt.Fprintf(&s, `<dimension ref="A1:%s"/>`, ref(maxCol, maxRow))
		s.WriteString(`<sheetViews><sheetView showFormulas="false" showGridLines="true" showRowColHeaders="true" showZeros="true" rightToLeft="false" tabSelected="true" showOutlineSymbols="true" defaultGridColor="true" view="normal" topLeftCell="A1" colorId="64" zoomScale="100" zoomScaleNormal="100" zoomScalePageLayoutView="100" workbookViewId="0"><selection pane="topLeft" activeCell="A1" activeCellId="0" sqref="A1"/></sheetView></sheetViews><sheetFormatPr defaultColWidth="11.53515625" defaultRowHeight="12.8" zeroHeight="false" outlineLevelRow="0" outlineLevelCol="0"></sheetFormatPr>`)
	case "google":
		s.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"><sheetPr><outlinePr summaryBelow="0" summaryRight="0"/></sheetPr><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr customHeight="1" defaultColWidth="12.63" defaultRowHeight="15.75"/>`)
	case "numbers":
		fmt.Fprintf(&s, `<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:%s"/><sheetViews><sheetView workbookViewId="0" showGridLines="0" defaultGridColor="1"/></sheetViews><sheetFormatPr defaultColWidth="16.3333" defaultRowHeight="19.9" customHeight="1" outlineLevelRow="0" outlineLevelCol="0"/>`, ref(maxCol, maxRow))
	case "generator":
		prefix = "x:"
		s.WriteString(`<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	default:
		fmt.Fprintf(&s, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" xr:uid="{00000000-0001-0000-0000-000000000000}">`)
		if sh.autoFilter != "" {
			s.WriteString(`<sheetPr filterMode="1"/>`)
		}
		fmt.Fprintf(&s, `<dimension ref="A1:%s"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews><sheetFormatPr baseColWidth="10" defaultRowHeight="16" x14ac:dyDescent="0.2"/>`, ref(maxCol, maxRow))
	}
	// Columns: hidden ones, and the programs' own width runs.
	var cols []string
	hidden := map[int]bool{}
	for _, c := range sh.hiddenCols {
		hidden[c] = true
	}
	sort.Ints(sh.hiddenCols)
	for _, c := range sh.hiddenCols {
		switch b.flavor {
		case "libreoffice":
			cols = append(cols, fmt.Sprintf(`<col collapsed="false" customWidth="true" hidden="true" outlineLevel="0" max="%d" min="%d" style="0" width="0"/>`, c, c))
		case "google":
			cols = append(cols, fmt.Sprintf(`<col customWidth="1" min="%d" max="%d" width="12.63" hidden="1"/>`, c, c))
		default:
			cols = append(cols, fmt.Sprintf(`<%scol min="%d" max="%d" width="0" hidden="1" customWidth="1"/>`, prefix, c, c))
		}
	}
	switch b.flavor {
	case "libreoffice":
		cols = append(cols, fmt.Sprintf(`<col collapsed="false" customWidth="false" hidden="false" outlineLevel="0" max="1025" min="%d" style="0" width="11.52"/>`, maxCol+1))
	case "numbers":
		cols = append(cols, fmt.Sprintf(`<col min="%d" max="16384" width="16.3516" style="1" customWidth="1"/>`, maxCol+1))
	}
	if len(cols) > 0 {
		fmt.Fprintf(&s, `<%scols>%s</%scols>`, prefix, strings.Join(cols, ""), prefix)
	}
	fmt.Fprintf(&s, `<%ssheetData>`, prefix)
	last := 0
	for _, r := range sh.rows {
		for ; b.flavor == "generator" && last+1 < r.n; last++ {
			s.WriteString(`<x:row/>`) // rows without numbers are numbered by their place
		}
		b.rowXML(&s, prefix, r, maxCol, shared)
		last = r.n
	}
	fmt.Fprintf(&s, `</%ssheetData>`, prefix)
	if sh.autoFilter != "" {
		fmt.Fprintf(&s, `<autoFilter ref="%s"><filterColumn colId="0"><filters><filter val="open"/></filters></filterColumn></autoFilter>`, sh.autoFilter)
	}
	if len(sh.merges) > 0 {
		fmt.Fprintf(&s, `<%smergeCells count="%d">`, prefix, len(sh.merges))
		for _, m := range sh.merges {
			fmt.Fprintf(&s, `<%smergeCell ref="%s"/>`, prefix, m)
		}
		fmt.Fprintf(&s, `</%smergeCells>`, prefix)
	}
	switch b.flavor {
	case "libreoffice":
		s.WriteString(`<printOptions headings="false" gridLines="false" gridLinesSet="true" horizontalCentered="false" verticalCentered="false"/><pageMargins left="0.7875" right="0.7875" top="1.05277777777778" bottom="1.05277777777778" header="0.7875" footer="0.7875"/>`)
	case "google", "generator":
	default:
		s.WriteString(`<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>`)
	}
	if hasTable {
		s.WriteString(`<tableParts count="1"><tablePart r:id="rId1"/></tableParts>`)
	}
	fmt.Fprintf(&s, `</%sworksheet>`, prefix)
	return s.String()
}

func (b *xbook) rowXML(s *strings.Builder, prefix string, r xrow, maxCol int, shared func(string) int) {
	switch b.flavor {
	case "libreoffice":
		fmt.Fprintf(s, `<row r="%d" customFormat="false" ht="12.8" hidden="%v" customHeight="false" outlineLevel="0" collapsed="false">`, r.n, r.hidden)
	case "google":
		if r.hidden {
			fmt.Fprintf(s, `<row r="%d" hidden="1">`, r.n)
		} else {
			fmt.Fprintf(s, `<row r="%d">`, r.n)
		}
	case "numbers":
		fmt.Fprintf(s, `<row r="%d" ht="20.05" customHeight="1">`, r.n)
	case "generator":
		s.WriteString(`<x:row>`) // numbered by its place: every row is written
	default:
		hidden := ""
		if r.hidden {
			hidden = ` hidden="1"`
		}
		fmt.Fprintf(s, `<row r="%d" spans="1:%d"%s x14ac:dyDescent="0.2">`, r.n, maxCol, hidden)
	}
	col := 0
	for _, c := range r.cells {
		for ; b.flavor == "generator" && col+1 < c.col; col++ {
			s.WriteString(`<x:c/>`) // cells without references are placed by their order
		}
		b.cellXML(s, prefix, r.n, c, shared)
		col = c.col
	}
	fmt.Fprintf(s, `</%srow>`, prefix)
}

func (b *xbook) cellXML(s *strings.Builder, prefix string, row int, c xcell, shared func(string) int) {
	attrs := map[string]string{}
	if b.flavor != "generator" {
		attrs["r"] = ref(c.col, row)
	}
	if c.style > 0 || b.flavor == "libreoffice" {
		attrs["s"] = strconv.Itoa(c.style)
	}
	var body string
	formula := ""
	if c.formula != "" {
		formula = "<" + prefix + "f>" + html.EscapeString(c.formula) + "</" + prefix + "f>"
		if b.flavor == "libreoffice" {
			formula = `<f aca="false">` + html.EscapeString(c.formula) + `</f>`
		}
	}
	switch {
	case c.raw != "":
		attrs["t"] = "inlineStr"
		body = "<" + prefix + "is><" + prefix + "t>" + c.raw + "</" + prefix + "t></" + prefix + "is>"
	case c.formula != "" && !c.cached:
		body = formula
		if !c.isNum {
			attrs["t"] = "str"
		}
	case c.boolean != "":
		attrs["t"] = "b"
		v := c.boolean
		if b.flavor == "libreoffice" {
			v = map[string]string{"1": "true", "0": "false"}[v]
		}
		body = formula + "<" + prefix + "v>" + v + "</" + prefix + "v>"
	case c.isNum:
		if b.flavor == "libreoffice" {
			attrs["t"] = "n"
		}
		body = formula + "<" + prefix + "v>" + b.numberText(c.num) + "</" + prefix + "v>"
	case c.formula != "":
		attrs["t"] = "str"
		body = formula + "<" + prefix + "v>" + escapeXString(c.text) + "</" + prefix + "v>"
	case c.inline || b.flavor == "generator":
		attrs["t"] = "inlineStr"
		body = "<" + prefix + "is><" + prefix + "t>" + escapeXString(c.text) + "</" + prefix + "t></" + prefix + "is>"
	default:
		attrs["t"] = "s"
		body = "<" + prefix + "v>" + strconv.Itoa(shared(c.text)) + "</" + prefix + "v>"
	}
	// Each program's order of attributes.
	order := []string{"r", "s", "t"}
	if b.flavor == "numbers" {
		order = []string{"r", "t", "s"}
	}
	fmt.Fprintf(s, "<%sc", prefix)
	for _, k := range order {
		if v, ok := attrs[k]; ok {
			fmt.Fprintf(s, ` %s="%s"`, k, v)
		}
	}
	fmt.Fprintf(s, ">%s</%sc>", body, prefix)
}
