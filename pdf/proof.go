package pdf

import (
	"bytes"
	"image"
	_ "image/gif" // proof photos may be GIF
	"image/jpeg"
	_ "image/png" // and PNG
	"io"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/dispatchkit/connect"
)

// WriteProof writes an order's proof of delivery as an A4 PDF: the dispatcher's
// brand, the order, who received it, where and when, the driver's notes, the
// photos and signature connect keeps, the links to the others, and the
// order's timeline; times in the document's time zone (UTC when it has none,
// which the page says).
func (d Documents) WriteProof(w io.Writer, doc *connect.ProofDocument) error {
	if doc == nil || doc.Order == nil {
		return connect.Errorf(connect.Invalid, "there is no order to write a proof of delivery for")
	}
	o := doc.Order
	l := langOf(doc.Language)
	loc, zone := doc.Location, ""
	if loc == nil {
		loc, zone = time.UTC, l.t("Times are in UTC: the account has no time zone set.")
	} else {
		zone = l.f("Times are in the %s time zone.", loc.String())
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return l.dateTime(t.In(loc))
	}
	text := *doc
	text.Images = nil // their bytes are no text
	p := d.newPage(fpdf.SizeType{Wd: 210, Ht: 297}, &text)
	title := l.t("Proof of delivery")
	switch {
	case o.StopType == connect.Pickup && o.Status == connect.StatusFailed:
		title = l.t("Pickup attempt (failed)")
	case o.StopType == connect.Pickup:
		title = l.t("Proof of pickup")
	case o.Status == connect.StatusFailed:
		title = l.t("Delivery attempt (failed)")
	}
	p.SetTitle(title+" "+name(o), true)
	p.SetMargins(15, 15, 15)
	p.SetAutoPageBreak(true, 15)
	p.SetFooterFunc(func() {
		p.SetY(-12)
		p.font("", 7)
		p.CellFormat(0, 4, p.text(zone+" "+l.f("Made %s.", at(doc.Made))), "", 0, "L", false, 0, "")
		p.CellFormat(0, 4, p.text(l.f("Page %d", p.PageNo())), "", 0, "R", false, 0, "")
	})
	p.AddPage()
	const width = 180.0

	p.masthead(doc.Brand, doc.BrandColor, title, width)
	p.Ln(3)

	heading := func(s string) {
		p.Ln(2)
		p.font("B", 11)
		p.CellFormat(width, 6, p.text(s), "B", 1, "L", false, 0, "")
		p.Ln(1)
	}
	row := func(label, value string) {
		if strings.TrimSpace(value) == "" {
			return
		}
		p.font("B", 9)
		p.CellFormat(40, 5, p.text(label), "", 0, "L", false, 0, "")
		p.font("", 9)
		p.MultiCell(width-40, 5, p.multi(value), "", "L", false)
	}

	heading(l.t("Order"))
	row(l.t("Reference"), o.Ref)
	if !doc.Tracked {
		row(l.t("Order number"), string(o.ID))
	}
	row(l.t("From"), doc.Client)
	row(l.t("Status"), l.status(o.Status.Label()))
	if !doc.Tracked {
		row(l.t("Products"), connect.FormatProducts(o.Products))
		row(l.t("Packages"), count(o.PackageCount))
		row(l.t("Instructions"), o.Notes)
	}

	heading(l.t("Recipient"))
	row(l.t("Name"), o.Recipient.Name)
	row(l.t("Address"), strings.Join(addressLines(o.Address), "\n"))
	row(l.t("Phone"), o.Recipient.Phone)
	row(l.t("Email"), o.Recipient.Email)

	if pr := o.Proof; pr != nil {
		heading(l.t("At the stop"))
		row(l.t("Received by"), pr.RecipientName)
		row(l.t("Time"), at(pr.At))
		if pr.Latitude.Valid && pr.Longitude.Valid {
			row(l.t("Place"), pr.Latitude.Decimal.String()+", "+pr.Longitude.Decimal.String())
		}
		row(l.t("Driver's notes"), pr.Notes)
	}
	row(l.t("Failure reason"), o.FailureReason)

	p.images(l, doc.Images, width)
	if len(doc.Elsewhere) > 0 {
		heading(l.t("Other files"))
		p.font("", 8)
		for _, u := range doc.Elsewhere {
			p.MultiCell(width, 4, p.multi(u), "", "L", false)
		}
	}

	heading(l.t("Timeline"))
	for _, ev := range o.History {
		if ev.From == ev.To && ev.Event != connect.EventCreate && ev.Reason == "" {
			continue // an ETA update
		}
		what := l.status(ev.To.Label())
		if ev.Reason != "" {
			what += ": " + ev.Reason
		}
		if ev.By != "" {
			what += " (" + ev.By + ")"
		}
		row(at(ev.At), what)
	}
	return p.write(w)
}

// images places the photos, two to a row, then the signature.
func (p *page) images(l lang, imgs []connect.ProofImage, width float64) {
	if len(imgs) == 0 {
		return
	}
	p.Ln(2)
	p.font("B", 11)
	p.CellFormat(width, 6, p.text(l.t("Photos and signature")), "B", 1, "L", false, 0, "")
	p.Ln(2)
	const boxW, boxH, gap = 87.0, 70.0, 6.0
	col, y := 0, p.GetY()
	for i, img := range imgs {
		name, info, ok := p.register("proof"+strconv.Itoa(i), img)
		caption, unshown := l.t("Photo"), "This photo (%s) cannot be shown in a PDF: see it in the portal."
		if img.Signature {
			caption, unshown = l.t("Signature"), "This signature (%s) cannot be shown in a PDF: see it in the portal."
		}
		if y+boxH+6 > 297-15 {
			p.AddPage()
			y, col = p.GetY(), 0
		}
		x := 15 + float64(col)*(boxW+gap)
		if ok {
			w, h := info.Width(), info.Height()
			scale := min(boxW/w, boxH/h)
			p.ImageOptions(name, x, y, w*scale, h*scale, false, fpdf.ImageOptions{}, 0, "")
		} else {
			p.SetXY(x, y)
			p.font("", 8)
			p.MultiCell(boxW, 4, p.text(l.f(unshown, img.ContentType)), "1", "L", false)
		}
		p.SetXY(x, y+boxH+0.5)
		p.font("", 8)
		p.CellFormat(boxW, 4, p.text(caption), "", 0, "L", false, 0, "")
		if col++; col == 2 {
			col, y = 0, y+boxH+7
		}
	}
	if col != 0 {
		y += boxH + 7
	}
	p.SetXY(15, y)
}

// register adds a proof image to the PDF: as stored when fpdf reads it
// (JPEG, PNG without interlacing or 16-bit colour, GIF), else decoded and
// written again as a JPEG; ok is false for a file Go cannot read (WebP).
func (p *page) register(name string, img connect.ProofImage) (string, *fpdf.ImageInfoType, bool) {
	kind := map[string]string{"image/jpeg": "JPG", "image/png": "PNG", "image/gif": "GIF"}[img.ContentType]
	if kind != "" {
		info := p.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: kind}, bytes.NewReader(img.Data))
		if p.Err() {
			p.ClearError()
		} else if info != nil {
			return name, info, true
		}
	}
	decoded, _, err := image.Decode(bytes.NewReader(img.Data))
	if err != nil {
		return "", nil, false
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, decoded, &jpeg.Options{Quality: 90}); err != nil {
		return "", nil, false
	}
	name += "j"
	info := p.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "JPG"}, &b)
	if p.Err() || info == nil {
		p.ClearError()
		return "", nil, false
	}
	return name, info, true
}

// name is how a document names the order: its reference, else its id.
func name(o *connect.Order) string {
	if o.Ref != "" {
		return o.Ref
	}
	return string(o.ID)
}

func count(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
