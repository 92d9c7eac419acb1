package importer_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/dispatchkit/connect/importer"
	"github.com/xuri/excelize/v2"
)

// benchRows is the size of the files the benchmarks read.
const benchRows = 50_000

var benchCells = []any{"ORD-000000", "1 Main Street", "Apt 2", "Springfield", "IL", "62701", "US", "Leave at the door", "M", "Ann Example"}

func BenchmarkReadCSV(b *testing.B) {
	var buf bytes.Buffer
	w := importer.NewCSVWriter(&buf)
	header := make([]string, len(benchCells))
	cells := make([]string, len(benchCells))
	for i, c := range benchCells {
		header[i] = fmt.Sprintf("Column %d", i+1)
		cells[i] = fmt.Sprint(c)
	}
	must(b, w.Write(header))
	for range benchRows {
		must(b, w.Write(cells))
	}
	must(b, w.Flush())
	benchRead(b, buf.Bytes())
}

func BenchmarkReadXLSX(b *testing.B) {
	data := workbook(b, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		must(b, err)
		header := make([]any, len(benchCells))
		for i := range header {
			header[i] = fmt.Sprintf("Column %d", i+1)
		}
		must(b, sw.SetRow("A1", header))
		for r := 2; r <= benchRows+1; r++ {
			must(b, sw.SetRow(fmt.Sprintf("A%d", r), benchCells))
		}
		must(b, sw.Flush())
	})
	benchRead(b, data)
}

func benchRead(b *testing.B, data []byte) {
	b.Logf("%d rows, %d KiB", benchRows, len(data)>>10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := importer.Open(bytes.NewReader(data), int64(len(data)), "", importer.Options{})
		must(b, err)
		n := 0
		for {
			_, err := s.Next()
			if err == io.EOF {
				break
			}
			must(b, err)
			n++
		}
		must(b, s.Close())
		if n != benchRows {
			b.Fatalf("read %d rows, want %d", n, benchRows)
		}
	}
}
