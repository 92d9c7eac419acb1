// Package pdfread reads PDF files back in tests, with Poppler's tools from
// Debian's poppler-utils (pdftotext, pdfimages), which .ci/run installs: an
// implementation independent of the one that wrote the file, reading the file
// as written (compressed streams and all). Without the tools a test skips with
// one line, except under CI, where it fails.
package pdfread

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// need skips (or, under CI, fails) the test when tool is missing.
func need(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: .ci/run installs poppler-utils", tool)
		}
		t.Skipf("%s is not installed (apt-get install poppler-utils); skipping the PDF reading test", tool)
	}
	return p
}

// write puts the PDF in a file of the test's own.
func write(t testing.TB, pdf []byte) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// Text returns the text of each page of the PDF (pdftotext -layout: line by
// line as laid out), its white space runs made single spaces.
func Text(t testing.TB, pdf []byte) []string {
	t.Helper()
	tool := need(t, "pdftotext")
	_, file := write(t, pdf)
	out, err := exec.Command(tool, "-layout", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	for i, p := range pages {
		pages[i] = strings.Join(strings.Fields(p), " ")
	}
	return pages
}

// Images returns the images drawn on each page of the PDF, as pdfimages
// extracts them from the file (each placement of an image once, without the
// soft masks of transparent ones), decoded.
func Images(t testing.TB, pdf []byte) [][]image.Image {
	t.Helper()
	tool := need(t, "pdfimages")
	dir, file := write(t, pdf)
	if out, err := exec.Command(tool, "-png", "-p", file, filepath.Join(dir, "img")).CombinedOutput(); err != nil {
		t.Fatalf("pdfimages: %v\n%s", err, out)
	}
	// The list says which of them are images drawn, not the soft masks
	// (transparency) of others.
	list, err := exec.Command(tool, "-list", file).Output()
	if err != nil {
		t.Fatalf("pdfimages -list: %v", err)
	}
	drawn := map[int]bool{}
	for _, line := range strings.Split(string(list), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		if num, err := strconv.Atoi(f[1]); err == nil && f[2] == "image" {
			drawn[num] = true
		}
	}
	names, err := filepath.Glob(filepath.Join(dir, "img-*.png"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names) // img-PPP-NNN.png: page, then the image's number
	var pages [][]image.Image
	for _, name := range names {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(name), ".png"), "-")
		pageNo, err := strconv.Atoi(parts[1])
		if err != nil {
			t.Fatalf("pdfimages named a file %s", name)
		}
		for len(pages) < pageNo {
			pages = append(pages, nil)
		}
		if num, err := strconv.Atoi(parts[2]); err != nil || !drawn[num] {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for len(pages) < pageNo {
			pages = append(pages, nil)
		}
		pages[pageNo-1] = append(pages[pageNo-1], img)
	}
	return pages
}

// QR decodes a QR code in img (gozxing), or returns an error.
func QR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: false})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
