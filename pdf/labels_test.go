package pdf_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pdfread"
	"github.com/dispatchkit/connect/pdf"
)

// labels are the labels of three orders of one, three and two packages.
func labels() []connect.PackageLabel {
	var out []connect.PackageLabel
	for i, n := range []int{1, 3, 2} {
		for k := 1; k <= n; k++ {
			out = append(out, connect.PackageLabel{
				Order: connect.OrderID(fmt.Sprintf("0193a1b2-0000-7000-8000-00000000000%d", i)), Ref: fmt.Sprintf("ORD-%d", 100+i),
				Client: "Green Grocer", ClientNumber: "40817", Recipient: connect.Recipient{Name: fmt.Sprintf("Ann Smith %d", i), Phone: "020 7946 0018"},
				Address: connect.Address{Unit: "Flat 2", Line1: fmt.Sprintf("%d Baker Street", 10+i), City: "London", Zip: "NW1 6XE"},
				Depot:   "dep-1", DepotName: "North Depot", Package: k, Packages: n,
			})
		}
	}
	return out
}

// Every label's QR code, as pdfimages extracts it from the PDF written, decodes
// to its order's id, on the page and in the place of the label; its text says
// which package of how many, the order, the client, recipient, address and depot.
func TestLabelsCarryTheirOrderAsAQRCodeReadBackFromThePDF(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		sheet   connect.LabelSheet
		perPage int
	}{{connect.LabelSheet4x6, 1}, {connect.LabelSheetA4, 6}} {
		t.Run(string(c.sheet), func(t *testing.T) {
			t.Parallel()
			lbs := labels()
			var b bytes.Buffer
			if err := (pdf.Documents{}).WriteLabels(&b, c.sheet, lbs); err != nil {
				t.Fatal(err)
			}
			var want, got [][]string
			for i, l := range lbs {
				if i%c.perPage == 0 {
					want = append(want, nil)
				}
				want[len(want)-1] = append(want[len(want)-1], l.Code())
			}
			for p, imgs := range pdfread.Images(t, b.Bytes()) {
				got = append(got, nil)
				for k, img := range imgs {
					code, err := pdfread.QR(img)
					if err != nil {
						t.Fatalf("page %d, image %d: %v", p+1, k+1, err)
					}
					got[p] = append(got[p], code)
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("codes by page (-want +got):\n%s", d)
			}
			text := pdfread.Text(t, b.Bytes())
			if len(text) != len(want) {
				t.Fatalf("%d pages of text, want %d", len(text), len(want))
			}
			for i, l := range lbs {
				page := text[i/c.perPage]
				for _, s := range []string{fmt.Sprintf("Package %d of %d", l.Package, l.Packages), "Order " + l.Ref,
					"Green Grocer - Client ID 40817", l.Recipient.Name, "Flat 2", l.Address.Line1, "London NW1 6XE",
					"North Depot", string(l.Order)} {
					if !strings.Contains(page, s) {
						t.Errorf("label %d: page %d lacks %q:\n%s", i+1, i/c.perPage+1, s, page)
					}
				}
			}
		})
	}
}

func TestLabelsRefuseAnUnknownSheetAndNoLabels(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := (pdf.Documents{}).WriteLabels(&b, "letter", labels()); !errors.Is(err, connect.ErrInvalid) {
		t.Fatalf("unknown sheet: %v, want invalid", err)
	}
	if err := (pdf.Documents{}).WriteLabels(&b, connect.LabelSheetA4, nil); !errors.Is(err, connect.ErrInvalid) {
		t.Fatalf("no labels: %v, want invalid", err)
	}
	if b.Len() != 0 {
		t.Fatalf("a refused sheet wrote %d bytes", b.Len())
	}
}
