package pdf_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/image/font/gofont/gomono"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pdfread"
	"github.com/dispatchkit/connect/pdf"
)

// pngOf is a w×h PNG of one colour.
func pngOf(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func proofDoc(t *testing.T) *connect.ProofDocument {
	at := time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC)
	o := &connect.Order{ID: "0193a1b2-0000-7000-8000-000000000042", Status: connect.StatusDelivered,
		OrderInput: connect.OrderInput{Ref: "ORD-42", Notes: "Ring twice", PackageCount: 2,
			Recipient: connect.Recipient{Name: "Zoë Ångström", Phone: "020 7946 0018"},
			Address:   connect.Address{Line1: "14 Baker Street", City: "London", Zip: "NW1 6XE"},
			Products:  []connect.Product{{Name: "Veg box", Quantity: 2}}},
		Proof: &connect.ProofOfDelivery{RecipientName: "Rita", Notes: "Left in the porch", At: at,
			Latitude:  decimal.NewNullDecimal(decimal.RequireFromString("51.5237")),
			Longitude: decimal.NewNullDecimal(decimal.RequireFromString("-0.1585"))},
		History: []connect.OrderEvent{
			{Event: connect.EventCreate, To: connect.StatusDraft, At: at.Add(-5 * time.Hour), By: "member 1 (owner)"},
			{Event: connect.EventSubmit, From: connect.StatusDraft, To: connect.StatusSubmitted, At: at.Add(-4 * time.Hour), By: "member 1 (owner)"},
			{Event: connect.EventComplete, From: connect.StatusEnRoute, To: connect.StatusDelivered, At: at, By: "route sync"},
		}}
	return &connect.ProofDocument{Brand: "Swift Couriers", Client: "Green Grocer", Order: o,
		Images: []connect.ProofImage{
			{ContentType: "image/png", Data: pngOf(t, 40, 30, color.NRGBA{R: 200, A: 255})},
			{ContentType: "image/webp", Data: []byte("RIFF....WEBPVP8 ")},
			{Signature: true, ContentType: "image/png", Data: pngOf(t, 60, 20, color.NRGBA{B: 200, A: 255})},
		},
		Elsewhere: []string{"https://host.example/photos/9.jpg"}, Made: at.Add(time.Hour)}
}

// The proof reads back (pdftotext) with the brand, the order, the recipient
// (letters beyond ASCII included), who received it, where, when in the
// document's time zone, the driver's notes and the timeline; its photo and
// signature are in it (pdfimages), a WebP photo is named instead.
func TestProofPDFReadsBackWithTheOrderTimelineAndImages(t *testing.T) {
	t.Parallel()
	doc := proofDoc(t)
	doc.Location = must(time.LoadLocation("Europe/Paris"))(t)
	var b bytes.Buffer
	if err := (pdf.Documents{}).WriteProof(&b, doc); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(pdfread.Text(t, b.Bytes()), " ")
	for _, s := range []string{"Swift Couriers", "Proof of delivery", "ORD-42", string(doc.Order.ID), "Green Grocer",
		"Zoë Ångström", "14 Baker Street", "London NW1 6XE", "Received by Rita", "30 Nov 2026 15:05 CET",
		"51.5237, -0.1585", "Left in the porch", "Ring twice", "Veg box x2", "Submitted", "member 1 (owner)",
		"Delivered", "cannot be shown in a PDF", "https://host.example/photos/9.jpg", "Europe/Paris time zone"} {
		if !strings.Contains(text, s) {
			t.Errorf("the proof lacks %q:\n%s", s, text)
		}
	}
	var sizes []image.Point
	for _, page := range pdfread.Images(t, b.Bytes()) {
		for _, img := range page {
			sizes = append(sizes, img.Bounds().Size())
		}
	}
	if len(sizes) != 2 || sizes[0] != (image.Point{40, 30}) || sizes[1] != (image.Point{60, 20}) {
		t.Fatalf("images in the PDF: %v, want the 40×30 photo and the 60×20 signature", sizes)
	}
}

// Without a time zone the times are in UTC, and the document says so; a
// tracking link holder's leaves out the order's number and the client's notes.
func TestTrackedProofPDFInUTCLeavesOutTheClientsNotes(t *testing.T) {
	t.Parallel()
	doc := proofDoc(t)
	doc.Tracked, doc.Order.Notes, doc.Images = true, "", nil
	var b bytes.Buffer
	if err := (pdf.Documents{}).WriteProof(&b, doc); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(pdfread.Text(t, b.Bytes()), " ")
	for _, s := range []string{"30 Nov 2026 14:05 UTC", "Times are in UTC: the account has no time zone set"} {
		if !strings.Contains(text, s) {
			t.Errorf("the proof lacks %q:\n%s", s, text)
		}
	}
	for _, s := range []string{string(doc.Order.ID), "Ring twice", "Veg box"} {
		if strings.Contains(text, s) {
			t.Errorf("a tracked proof shows %q:\n%s", s, text)
		}
	}
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// Names and notes in Polish, Greek and Cyrillic print as they are, in the
// proof and on the labels; a host's own font is used when it gives one.
func TestDocumentsWriteEveryEuropeanScript(t *testing.T) {
	t.Parallel()
	doc := proofDoc(t)
	doc.Brand, doc.Client = "Σοφία Κούριερ", "Łódź Warzywa"
	doc.Order.Recipient.Name = "Дмитрий Żółć"
	doc.Order.Proof.Notes = "Оставлено у двери — ευχαριστώ"
	var b bytes.Buffer
	if err := (pdf.Documents{}).WriteProof(&b, doc); err != nil {
		t.Fatal(err)
	}
	// Helvetica (nothing embedded) for text Windows-1252 has, a font of its
	// own for the rest.
	var plain bytes.Buffer
	if err := (pdf.Documents{}).WriteProof(&plain, proofDoc(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(plain.Bytes(), []byte("/BaseFont /Helvetica")) || bytes.Contains(plain.Bytes(), []byte("/FontFile2")) {
		t.Error("a proof in Windows-1252 letters embeds a font")
	}
	if bytes.Contains(b.Bytes(), []byte("/BaseFont /Helvetica")) || !bytes.Contains(b.Bytes(), []byte("/FontFile2")) {
		t.Error("a proof in Cyrillic and Greek does not embed its font")
	}
	text := strings.Join(pdfread.Text(t, b.Bytes()), " ")
	for _, s := range []string{"Σοφία Κούριερ", "Łódź Warzywa", "Дмитрий Żółć", "Оставлено у двери — ευχαριστώ"} {
		if !strings.Contains(text, s) {
			t.Errorf("the proof lacks %q:\n%s", s, text)
		}
	}
	var labels bytes.Buffer
	if err := (pdf.Documents{}).WriteLabels(&labels, connect.LabelSheet4x6, []connect.PackageLabel{{
		Order: doc.Order.ID, Ref: "ORD-42", Client: "Łódź Warzywa", Recipient: connect.Recipient{Name: "Дмитрий Żółć"},
		Address: doc.Order.Address, Package: 1, Packages: 1}}); err != nil {
		t.Fatal(err)
	}
	text = strings.Join(pdfread.Text(t, labels.Bytes()), " ")
	for _, s := range []string{"Łódź Warzywa", "Дмитрий Żółć"} {
		if !strings.Contains(text, s) {
			t.Errorf("the label lacks %q:\n%s", s, text)
		}
	}
	// A host's font: the Go Mono face stands in for one, and is the one
	// embedded: every glyph of its widths' table (/W) is 600 units wide, where
	// the default face's vary.
	var own bytes.Buffer
	if err := (pdf.Documents{Fonts: pdf.Fonts{Regular: gomono.TTF}}).WriteProof(&own, doc); err != nil {
		t.Fatal(err)
	}
	monospaced := regexp.MustCompile(`/W \[ 13 13 600 32 \d+ 600 `)
	if !monospaced.Match(own.Bytes()) || monospaced.Match(b.Bytes()) {
		t.Fatal("the host's font is not the one embedded")
	}
}

// BenchmarkWriteProof is one proof of delivery, as a bulk export writes each:
// in Helvetica (its text all Windows-1252), and with the Go fonts embedded
// (a Cyrillic name).
func BenchmarkWriteProof(b *testing.B) {
	for _, name := range []string{"Zoë Ångström", "Дмитрий"} {
		b.Run(name, func(b *testing.B) {
			doc := proofDoc(&testing.T{})
			doc.Order.Recipient.Name = name
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				if err := (pdf.Documents{}).WriteProof(&out, doc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len()), "bytes")
		})
	}
}
