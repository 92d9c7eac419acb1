package pdf

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"strconv"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode/qr"

	"github.com/dispatchkit/connect"
)

// sheetLayout is where the labels of a sheet go, in millimetres.
type sheetLayout struct {
	page          fpdf.SizeType
	cols, rows    int
	left, top     float64 // the first label's corner
	w, h          float64 // a label's size
	gapX, gapY    float64
	border        bool // draw the cut line (A4 paper, not label stock)
	large         bool // the bigger type of a thermal label
	qr            float64
	packageFontPt float64
}

// layouts are the label sheets. A4: two columns of three 99.1×93.1 mm labels,
// the common "6 per sheet" label stock.
var layouts = map[connect.LabelSheet]sheetLayout{
	connect.LabelSheet4x6: {page: fpdf.SizeType{Wd: 101.6, Ht: 152.4}, cols: 1, rows: 1, w: 101.6, h: 152.4,
		large: true, qr: 50, packageFontPt: 22},
	connect.LabelSheetA4: {page: fpdf.SizeType{Wd: 210, Ht: 297}, cols: 2, rows: 3, left: 4.65, top: 8.85,
		w: 99.1, h: 93.1, gapX: 2.5, border: true, qr: 32, packageFontPt: 14},
}

// WriteLabels writes the labels as a PDF for the sheet: each carries its
// order's reference, client, recipient, address, depot, "package n of N" and
// a QR code of PackageLabel.Code.
func (d Documents) WriteLabels(w io.Writer, sheet connect.LabelSheet, labels []connect.PackageLabel) error {
	l, ok := layouts[sheet]
	if !ok {
		return connect.Errorf(connect.Invalid, "labels are printed on %q or %q sheets, not %q", connect.LabelSheet4x6, connect.LabelSheetA4, sheet)
	}
	if len(labels) == 0 {
		return connect.Errorf(connect.Invalid, "there are no labels to print")
	}
	p := d.newPage(l.page, labels)
	p.SetTitle(langOf(labels[0].Language).t("Package labels"), true)
	p.SetMargins(0, 0, 0)
	p.SetAutoPageBreak(false, 0)
	codes := map[string]string{} // the QR image of each code, registered once
	for i, lb := range labels {
		at := i % (l.cols * l.rows)
		if at == 0 {
			p.AddPage()
		}
		x := l.left + float64(at%l.cols)*(l.w+l.gapX)
		y := l.top + float64(at/l.cols)*(l.h+l.gapY)
		name, ok := codes[lb.Code()]
		if !ok {
			img, err := qrPNG(lb.Code())
			if err != nil {
				return err
			}
			name = "qr" + strconv.Itoa(len(codes))
			p.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(img))
			codes[lb.Code()] = name
		}
		p.label(l, x, y, lb, name)
	}
	return p.write(w)
}

// label draws one label with its corner at x, y.
func (p *page) label(l sheetLayout, x, y float64, lb connect.PackageLabel, qrImage string) {
	const pad = 5.0
	lg := langOf(lb.Language)
	if l.border {
		p.SetDrawColor(180, 180, 180)
		p.SetLineWidth(0.2)
		p.Rect(x, y, l.w, l.h, "D")
	}
	p.SetDrawColor(0, 0, 0)
	inner := l.w - 2*pad
	cx, cy := x+pad, y+pad
	small, body, big := 8.0, 10.0, 14.0
	if l.large {
		small, body, big = 10, 13, 18
	}
	size := l.qr
	qy := y + l.h - pad - size - small*0.45 // the code's top
	line := func(style string, pt float64, s string) {
		p.font(style, pt)
		h := pt * 0.45
		w := inner
		if cy+h > qy {
			w -= size + 2 // a long address goes on beside the code
		}
		p.SetXY(cx, cy)
		p.CellFormat(w, h, p.fit(p.text(s), w), "", 0, "L", false, 0, "")
		cy += h
	}

	// The package count, then the order, at the top where a picker looks.
	p.font("B", l.packageFontPt)
	p.SetXY(cx, cy)
	p.CellFormat(inner, l.packageFontPt*0.45, p.text(lg.f("Package %d of %d", lb.Package, lb.Packages)), "", 0, "L", false, 0, "")
	cy += l.packageFontPt * 0.45
	ref := lb.Ref
	if ref == "" {
		ref = lg.t("(no reference)")
	}
	line("B", big, lg.f("Order %s", ref))
	client := lb.Client
	if lb.ClientNumber != "" {
		client += " - " + lg.f("Client ID %s", lb.ClientNumber)
	}
	line("", small, lg.f("From %s", client))
	cy += 1
	p.SetLineWidth(0.3)
	p.Line(cx, cy, cx+inner, cy)
	cy += 2

	// The recipient and the address.
	what := lg.t("Deliver to")
	if lb.StopType == connect.Pickup {
		what = lg.t("Pick up from")
	}
	line("", small, what)
	if lb.Recipient.Name != "" {
		line("B", big, lb.Recipient.Name)
	}
	for _, a := range addressLines(lb.Address) {
		line("", body, a)
	}
	if lb.Recipient.Phone != "" {
		line("", small, lg.f("Phone %s", lb.Recipient.Phone))
	}

	// The depot beside the code, at the foot (below a long address).
	depotY := max(qy, cy+1)
	p.ImageOptions(qrImage, x+l.w-pad-size, qy, size, size, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.font("", small*0.8)
	p.SetXY(x+pad, qy+size)
	p.CellFormat(inner, small*0.45, p.text(lb.Code()), "", 0, "R", false, 0, "")
	depot := lb.DepotName
	if depot == "" {
		depot = string(lb.Depot)
	}
	if depot != "" {
		p.font("", small)
		p.SetXY(x+pad, depotY)
		p.CellFormat(inner-size-2, small*0.45, p.text(lg.t("Depot")), "", 0, "L", false, 0, "")
		p.font("B", big)
		p.SetXY(x+pad, depotY+small*0.5)
		p.CellFormat(inner-size-2, big*0.45, p.fit(p.text(depot), inner-size-2), "", 0, "L", false, 0, "")
	}
}

// qrPNG returns a QR code of s as an 8-bit grey PNG (what fpdf embeds), with
// the four-module quiet zone scanners need.
func qrPNG(s string) ([]byte, error) {
	code, err := qr.Encode(s, qr.M, qr.Auto)
	if err != nil {
		return nil, connect.Errorf(connect.Internal, "the label's code could not be made: %v", err)
	}
	const module, quiet = 8, 4
	n := code.Bounds().Dx()
	img := image.NewGray(image.Rect(0, 0, (n+2*quiet)*module, (n+2*quiet)*module))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for i := range n {
		for j := range n {
			if c := color.GrayModel.Convert(code.At(i, j)).(color.Gray); c.Y < 128 {
				draw.Draw(img, image.Rect((i+quiet)*module, (j+quiet)*module, (i+quiet+1)*module, (j+quiet+1)*module),
					image.Black, image.Point{}, draw.Src)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, connect.Errorf(connect.Internal, "the label's code could not be made: %v", err)
	}
	return b.Bytes(), nil
}
