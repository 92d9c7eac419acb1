package importer_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect/importer"
	"github.com/xuri/excelize/v2"
)

// zipOf builds a zip file of the named contents, stored (not compressed, which is
// quicker), in name order.
func zipOf(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	names := make([]string, 0, len(parts))
	for name := range parts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		must(t, err)
		_, err = io.WriteString(f, parts[name])
		must(t, err)
	}
	must(t, w.Close())
	return buf.Bytes()
}

// rewriteZip copies the zip file data, passing each entry to edit, which either
// writes its own replacement to w and returns true, or returns false to have the
// entry copied as it is.
func rewriteZip(t testing.TB, data []byte, edit func(w *zip.Writer, f *zip.File) bool) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	must(t, err)
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if !edit(w, f) {
			must(t, w.Copy(f))
		}
	}
	must(t, w.Close())
	return buf.Bytes()
}

// replacePart returns the zip file data with the entry name's content replaced.
func replacePart(t testing.TB, data []byte, name, content string) []byte {
	t.Helper()
	return rewriteZip(t, data, func(w *zip.Writer, f *zip.File) bool {
		if f.Name != name {
			return false
		}
		part, err := w.Create(name)
		must(t, err)
		_, err = io.WriteString(part, content)
		must(t, err)
		return true
	})
}

// deflatedRepeat compresses prefix, mib MiB of the byte fill, and suffix, quickly
// however large mib is: it compresses two MiB of fill, then repeats the compressed
// bytes of the second MiB, which decode the same after any MiB of fill. It returns
// the compressed bytes, the CRC-32 and the size of the uncompressed data.
func deflatedRepeat(t testing.TB, prefix string, fill byte, mib int, suffix string) ([]byte, uint32, uint64) {
	t.Helper()
	chunk := bytes.Repeat([]byte{fill}, 1<<20)
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	must(t, err)
	write := func(p []byte) {
		_, err := w.Write(p)
		must(t, err)
		must(t, w.Flush()) // ends on a byte boundary, so blocks can be repeated
	}
	write([]byte(prefix))
	write(chunk)
	mark := buf.Len()
	write(chunk)
	block := bytes.Clone(buf.Bytes()[mark:])
	for range mib - 2 {
		buf.Write(block)
	}
	write([]byte(suffix))
	must(t, w.Close())

	crc := crc32.ChecksumIEEE([]byte(prefix))
	for range mib {
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	crc = crc32.Update(crc, crc32.IEEETable, []byte(suffix))
	return buf.Bytes(), crc, uint64(len(prefix)) + uint64(mib)<<20 + uint64(len(suffix))
}

// bombWorkbook returns a valid workbook whose first worksheet is replaced by one
// that unzips to mib MiB (a single cell of "A"s), and declares declared(its real
// size) as its uncompressed size.
func bombWorkbook(t testing.TB, mib int, declared func(uint64) uint64) []byte {
	t.Helper()
	base := workbook(t, func(f *excelize.File) { must(t, f.SetCellValue("Sheet1", "A1", "Name")) })
	data, crc, size := deflatedRepeat(t,
		sheetHead+`<row r="1"><c r="A1" t="inlineStr"><is><t>`, 'A', mib, `</t></is></c></row>`+sheetTail)
	return rewriteZip(t, base, func(w *zip.Writer, f *zip.File) bool {
		if f.Name != "xl/worksheets/sheet1.xml" {
			return false
		}
		part, err := w.CreateRaw(&zip.FileHeader{
			Name:               f.Name,
			Method:             zip.Deflate,
			CRC32:              crc,
			CompressedSize64:   uint64(len(data)),
			UncompressedSize64: declared(size),
		})
		must(t, err)
		_, err = part.Write(data)
		must(t, err)
		return true
	})
}

// allocated returns the bytes allocated while fn ran. Tests that call it must not
// be parallel: parallel tests are paused while a sequential one runs.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestReadXLSXRefusesZipBombsQuicklyWithLittleMemory(t *testing.T) {
	cases := []struct {
		name     string
		declared func(uint64) uint64
		message  string
	}{
		{"a worksheet that says it unzips to 600 MiB",
			func(size uint64) uint64 { return size },
			"the workbook expands to more than 500 MiB when unzipped; split it into smaller files"},
		{"a worksheet that says 1 MiB but unzips to 600 MiB",
			func(uint64) uint64 { return 1 << 20 },
			"the file is not a valid .xlsx workbook; save it again from your spreadsheet program as .xlsx (without a password) or as CSV"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := bombWorkbook(t, 600, c.declared)
			t.Logf("the bomb is %d KiB", len(data)>>10)
			if len(data) > 1<<20 {
				t.Fatalf("the bomb is %d bytes, want a few hundred KiB", len(data))
			}
			var err error
			start := time.Now()
			alloc := allocated(func() {
				var s importer.Sheet
				s, err = importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{})
				if err == nil {
					s.Close()
				}
			})
			took := time.Since(start)
			t.Logf("refused in %v, allocating %d KiB", took, alloc>>10)
			if e := invalid(t, err); e.Message != c.message {
				t.Errorf("message %q, want %q", e.Message, c.message)
			}
			if alloc > 64<<20 {
				t.Errorf("allocated %d MiB to refuse it, want less than 64 MiB", alloc>>20)
			}
			if took > 10*time.Second {
				t.Errorf("took %v to refuse it", took)
			}
		})
	}
}

func TestReadXLSXRefusesTooManyZipEntries(t *testing.T) {
	parts := map[string]string{}
	for i := range importer.DefaultMaxZipEntries + 1 {
		parts[fmt.Sprintf("xl/media/%d.txt", i)] = ""
	}
	data := zipOf(t, parts)
	var err error
	alloc := allocated(func() {
		_, err = importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{})
	})
	if e := invalid(t, err); !strings.HasPrefix(e.Message, "the workbook has more than 10000 parts;") {
		t.Errorf("message %q", e.Message)
	}
	if alloc > 1<<20 {
		t.Errorf("allocated %d KiB to count the entries, want less than 1 MiB", alloc>>10)
	}

	t.Run("with a lower limit", func(t *testing.T) {
		data := zipOf(t, map[string]string{"a": "", "b": "", "c": ""})
		_, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{Limits: importer.Limits{MaxZipEntries: 2}})
		if e := invalid(t, err); !strings.HasPrefix(e.Message, "the workbook has more than 2 parts;") {
			t.Errorf("message %q", e.Message)
		}
	})
}

func TestReadXLSXRefusesALargePartHeldInMemory(t *testing.T) {
	t.Parallel()
	base := workbook(t, func(f *excelize.File) { must(t, f.SetCellValue("Sheet1", "A1", "Name")) })
	data := rewriteZip(t, base, func(w *zip.Writer, f *zip.File) bool {
		if f.Name != "xl/styles.xml" {
			return false
		}
		part, err := w.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Store, UncompressedSize64: 100 << 20, CompressedSize64: 1})
		must(t, err)
		_, err = part.Write([]byte{'<'})
		must(t, err)
		return true
	})
	_, err := importer.ReadXLSX(bytes.NewReader(data), int64(len(data)), importer.Options{})
	e := invalid(t, err)
	if want := `the workbook's part "xl/styles.xml" is larger than 64 MiB when unzipped;`; !strings.HasPrefix(e.Message, want) {
		t.Errorf("message %q, want it to start %q", e.Message, want)
	}
}
