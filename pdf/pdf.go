// Package pdf writes connect's documents as PDF files with fpdf
// (codeberg.org/go-pdf/fpdf): package labels carrying each order's id as a QR
// code (github.com/boombuler/barcode), and proofs of delivery. Documents
// implements connect.Documents; a host wires it into portal.Config:
//
//	portal.New(portal.Config{Service: svc, Documents: pdf.Documents{}, ...})
//
// A document whose text all has a place in Windows-1252 (English, French,
// German, Spanish, …) is written in the PDF reader's own Helvetica, which
// costs nothing to embed; one with other letters (Polish, Greek, Cyrillic) in
// the Go fonts (golang.org/x/image/font/gofont), embedded as the subset it
// uses. A host whose clients write other scripts (CJK, Arabic) sets
// Documents.Fonts to a font that has them, which every document then uses.
package pdf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/text/encoding/charmap"

	"github.com/dispatchkit/connect"
)

// Documents writes connect's documents as PDF. The zero value is ready to use.
type Documents struct {
	// Name is the product name written as the PDF's creator. "": "Connect".
	Name string
	// Fonts are the TrueType fonts the documents are written in. Zero: the Go
	// fonts (Latin, Greek, Cyrillic).
	Fonts Fonts
}

// Fonts is a TrueType font family: a regular face and a bold one (the
// regular one stands in when Bold is nil).
type Fonts struct {
	Regular, Bold []byte
}

var _ connect.Documents = Documents{}

// page is one document being written: fpdf, its font family and, for the
// core font, the text's encoder.
type page struct {
	*fpdf.Fpdf
	family string
	tr     func(string) string // nil: UTF-8, as it is
}

// newPage starts a document of the size whose text is what (any value:
// scanned for letters outside Windows-1252 as its JSON).
func (d Documents) newPage(size fpdf.SizeType, what any) *page {
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: size})
	creator := d.Name
	if creator == "" {
		creator = "Connect"
	}
	f.SetCreator(creator, true)
	regular, bold := d.Fonts.Regular, d.Fonts.Bold
	if regular == nil {
		if !needsUnicode(what) {
			return &page{Fpdf: f, family: "Helvetica", tr: f.UnicodeTranslatorFromDescriptor("")}
		}
		regular, bold = goregular.TTF, gobold.TTF
	}
	if bold == nil {
		bold = regular
	}
	const family = "text"
	f.AddUTF8FontFromBytes(family, "", regular)
	f.AddUTF8FontFromBytes(family, "B", bold)
	return &page{Fpdf: f, family: family}
}

// needsUnicode reports whether v's text has a letter Windows-1252 lacks.
func needsUnicode(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return true
	}
	for _, r := range string(b) {
		if r >= utf8.RuneSelf {
			if _, ok := charmap.Windows1252.EncodeRune(r); !ok {
				return true
			}
		}
	}
	return false
}

// font sets the document's font, in the style ("" or "B") and size.
func (p *page) font(style string, size float64) { p.SetFont(p.family, style, size) }

// text returns s as one line (its runs of spaces and line breaks one space),
// encoded for the document's font.
func (p *page) text(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if p.tr != nil {
		return p.tr(s)
	}
	return s
}

// multi returns s encoded for the document's font, its lines kept.
func (p *page) multi(s string) string {
	if p.tr != nil {
		return p.tr(s)
	}
	return s
}

// fit shortens s until it fits in w millimetres.
func (p *page) fit(s string, w float64) string {
	if p.GetStringWidth(s) <= w {
		return s
	}
	ellipsis := p.multi("…")
	if p.tr != nil { // bytes of Windows-1252
		b := []byte(s)
		for len(b) > 0 && p.GetStringWidth(string(b)+ellipsis) > w {
			b = b[:len(b)-1]
		}
		return string(b) + ellipsis
	}
	r := []rune(s)
	for len(r) > 0 && p.GetStringWidth(string(r)+ellipsis) > w {
		r = r[:len(r)-1]
	}
	return string(r) + ellipsis
}

// masthead writes the dispatcher's brand ("": Connect) and the document's
// title at the top of a page width wide.
func (p *page) masthead(brand, color, title string, width float64) {
	if brand == "" {
		brand = "Connect"
	}
	p.font("B", 18)
	p.CellFormat(width, 9, p.fit(p.text(brand), width), "", 1, "L", false, 0, "")
	if r, g, b, ok := rgb(color); ok { // the dispatcher's colour, as a rule under its name
		x, y := p.GetXY()
		p.SetFillColor(r, g, b)
		p.Rect(x, y, width, 1.5, "F")
		p.SetFillColor(255, 255, 255)
		p.SetXY(x, y+2.5)
	}
	p.font("", 14)
	p.CellFormat(width, 8, p.text(title), "", 1, "L", false, 0, "")
}

// write ends the document into w.
func (p *page) write(w io.Writer) error {
	if err := p.Error(); err != nil {
		return connect.Errorf(connect.Internal, "the PDF could not be made: %v", err)
	}
	var b bytes.Buffer // fpdf writes in small pieces; a failed write must not leave half a file unnoticed
	if err := p.Output(&b); err != nil {
		return connect.Errorf(connect.Internal, "the PDF could not be made: %v", err)
	}
	if _, err := b.WriteTo(w); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	return nil
}

// addressLines are an address as a label writes it.
func addressLines(a connect.Address) []string {
	var out []string
	add := func(parts ...string) {
		var kept []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				kept = append(kept, p)
			}
		}
		if len(kept) > 0 {
			out = append(out, strings.Join(kept, " "))
		}
	}
	add(a.Unit)
	add(a.Line1)
	add(a.Line2)
	add(a.City, a.State, a.Zip)
	add(a.Country)
	return out
}

// rgb reads a colour #rrggbb.
func rgb(hex string) (r, g, b int, ok bool) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, 0, 0, false
	}
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return 0, 0, 0, false
	}
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff), true
}
