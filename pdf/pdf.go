// Package pdf writes connect's documents as PDF files with fpdf
// (codeberg.org/go-pdf/fpdf): package labels carrying each order's id as a QR
// code (github.com/boombuler/barcode), and proofs of delivery. Documents
// implements connect.Documents; a host wires it into portal.Config:
//
//	portal.New(portal.Config{Service: svc, Documents: pdf.Documents{}, ...})
//
// Text is written in the standard Helvetica font with the Windows-1252
// character set: letters outside it (Greek, Cyrillic, CJK) print as "?".
package pdf

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/dispatchkit/connect"
)

// Documents writes connect's documents as PDF. The zero value is ready to use.
type Documents struct {
	// Name is the product name written as the PDF's creator. "": "Connect".
	Name string
}

var _ connect.Documents = Documents{}

// page is one document being written: fpdf and its text encoder.
type page struct {
	*fpdf.Fpdf
	tr func(string) string
}

func newPage(size fpdf.SizeType, creator string) *page {
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: size})
	if creator == "" {
		creator = "Connect"
	}
	f.SetCreator(creator, true)
	return &page{Fpdf: f, tr: f.UnicodeTranslatorFromDescriptor("")}
}

// text returns s as the core fonts write it (Windows-1252), one line.
func (p *page) text(s string) string {
	return p.tr(strings.Join(strings.Fields(s), " "))
}

// fit shortens s (already encoded) until it fits in w millimetres.
func (p *page) fit(s string, w float64) string {
	if p.GetStringWidth(s) <= w {
		return s
	}
	r := []byte(s)
	for len(r) > 0 && p.GetStringWidth(string(r)+"...") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "..."
}

// masthead writes the dispatcher's brand ("": Connect) and the document's
// title at the top of a page width wide.
func (p *page) masthead(brand, title string, width float64) {
	if brand == "" {
		brand = "Connect"
	}
	p.SetFont("Helvetica", "B", 18)
	p.CellFormat(width, 9, p.fit(p.text(brand), width), "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 14)
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
