package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/dispatchkit/connect"
)

// bombXLSX builds a workbook that is small zipped and large unzipped: rows of
// inline strings, each row the same (deflate packs repeats about 1000 to 1),
// every one refused (no city nor recipient, which the demo client requires).
// It returns the file and the size of its sheet unzipped.
func bombXLSX(t *testing.T, rows, cellBytes int) ([]byte, int64) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	part := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	part("[Content_Types].xml", head+`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+
		`<Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	part("_rels/.rels", head+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", head+`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", head+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	cw := &countingWriter{w: w}
	inline := func(s string) string { return `<c t="inlineStr"><is><t>` + s + `</t></is></c>` }
	io.WriteString(cw, head+`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	header := []string{"Address Line 1", "Notes", "Company", "Address Line 2", "Phone", "Email", "Instructions", "Reference"}
	var hb strings.Builder
	hb.WriteString("<row>")
	for _, h := range header {
		hb.WriteString(inline(h))
	}
	hb.WriteString("</row>")
	io.WriteString(cw, hb.String())
	var rb strings.Builder
	rb.WriteString("<row>")
	for range header {
		rb.WriteString(inline(strings.Repeat("x", cellBytes)))
	}
	rb.WriteString("</row>")
	row := rb.String()
	for range rows {
		io.WriteString(cw, row)
	}
	io.WriteString(cw, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), cw.n
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// samplePeakHeap samples the heap every interval until the stop it returns is
// called; stop returns the highest samples of the heap's objects (HeapAlloc:
// live ones and garbage not yet collected) and of the live heap as the latest
// collection marked it.
func samplePeakHeap(every time.Duration) (stop func() (alloc, live uint64)) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	var peakAlloc, peakLive uint64
	done, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				metrics.Read(samples)
				peakAlloc = max(peakAlloc, samples[0].Value.Uint64())
				peakLive = max(peakLive, samples[1].Value.Uint64())
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		<-sampled
		return peakAlloc, peakLive
	}
}

func TestPreviewingADecompressionHeavyWorkbookKeepsTheHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 1.2 GiB of XML")
	}
	th := startHost(t, t.TempDir())
	if _, err := th.svc.AcceptInvite(context.Background(), strings.TrimPrefix(th.inviteLink(), th.base+"/invite/"),
		connect.SignUp{Name: "Gina", Email: "gina@greengrocer.test", Password: "long enough password"}); err != nil {
		t.Fatal(err)
	}
	c := th.client()
	c.Timeout = 10 * time.Minute // a preview reads 425 MiB of XML, slowly on a busy machine
	if r := th.form(t, c, "/signin", url.Values{"email": {"gina@greengrocer.test"}, "password": {"long enough password"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	// 200,000 rows (the importer's limit) of 8 cells of 240 bytes: about 400 MiB.
	const rows, bound = 200_000, 100 << 20
	file, unzipped := bombXLSX(t, rows, 240)
	t.Logf("workbook: %.1f MB zipped, %.0f MiB unzipped", float64(len(file))/1e6, float64(unzipped)/(1<<20))

	before := heapInUse()
	stopSampling := samplePeakHeap(100 * time.Millisecond) // the live heap while the previews run
	last := ""
	for i := range 3 {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", fmt.Sprintf("orders-%d.xlsx", i))
		fw.Write(file)
		mw.Close()
		res := th.post(t, c, "/imports", mw.FormDataContentType(), &body)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload %d: %d", i, res.StatusCode)
		}
		last = res.Header.Get("Location")
		status, page := th.get(t, c, last+"/preview")
		if status != http.StatusOK || !strings.Contains(page, message.NewPrinter(language.English).Sprintf(`id="rows-refused">%d<`, rows)) { // 200,000
			t.Fatalf("preview %d: %d\n%.2000s", i, status, page)
		}
	}
	peak, _ := stopSampling()
	after := heapInUse()
	growth := int64(after) - int64(before)
	t.Logf("live heap: %.0f MiB before, %.0f MiB after three previews (growth %.1f MiB; bound %d MiB); highest sampled while reading: %.0f MiB",
		float64(before)/(1<<20), float64(after)/(1<<20), float64(growth)/(1<<20), bound>>20, float64(peak)/(1<<20))
	if growth > bound {
		t.Fatalf("three previews left the heap %.0f MiB larger, over the bound of %d MiB", float64(growth)/(1<<20), bound>>20)
	}
	// Every refused row is in the file the client downloads, from the spill.
	res, err := c.Get(th.base + last + "/refused.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines, err := countLines(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("refused rows file: %d %v", res.StatusCode, err)
	}
	if lines != rows+1 {
		t.Fatalf("the refused rows file has %d lines, want %d", lines, rows+1)
	}
}

// countLines counts the newlines r reads.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 64<<10)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte("\n"))
		if err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
	}
}
