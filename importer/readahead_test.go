package importer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
	"github.com/google/go-cmp/cmp"
)

// readSource reads src to its end and returns the rows and the error that ended it.
func readSource(src *importer.Source) ([]connect.ImportRow, error) {
	var rows []connect.ImportRow
	for {
		r, err := src.Next(context.Background())
		if err != nil {
			return rows, err
		}
		rows = append(rows, r)
	}
}

func TestSourceReadsTheSameRowsAheadAsInStep(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 127, 128, 129, 1000} {
		for _, limit := range []int{0, n / 2} {
			t.Run(fmt.Sprintf("%d rows, limit %d", n, limit), func(t *testing.T) {
				t.Parallel()
				var b strings.Builder
				b.WriteString("Id,Address,Size\n")
				for i := range n {
					fmt.Fprintf(&b, "R-%d,%d High St,%d\n", i, i, i%7)
				}
				if n%2 == 1 {
					b.WriteString("bad,row,size\n")
				}
				data := []byte(b.String())
				read := func(ahead int) ([]connect.ImportRow, error) {
					src := openSource(t, data, "", importer.SourceOptions{ReadAhead: ahead,
						Options: importer.Options{Limits: importer.Limits{MaxRows: limit}}})
					rows, err := readSource(src)
					if _, again := src.Next(t.Context()); again != err {
						t.Fatalf("Next after %v returned %v", err, again)
					}
					return rows, err
				}
				inStep, stepErr := read(-1)
				ahead, aheadErr := read(64)
				if d := cmp.Diff(inStep, ahead, equalDecimals); d != "" {
					t.Fatalf("rows (-in step +ahead):\n%s", d)
				}
				if stepErr != aheadErr && stepErr.Error() != aheadErr.Error() {
					t.Fatalf("ended with %v in step, %v ahead", stepErr, aheadErr)
				}
				if limit == 0 && stepErr != io.EOF {
					t.Fatalf("ended with %v, want io.EOF", stepErr)
				}
			})
		}
	}
}

func TestSourceStopsReadingAheadWhenClosed(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("Address\n")
	for i := range 20_000 {
		fmt.Fprintf(&b, "%d High St\n", i)
	}
	data := []byte(b.String())
	src, err := importer.OpenSource(bytes.NewReader(data), int64(len(data)), "", importer.SourceOptions{ReadAhead: 256})
	must(t, err)
	for range 10 {
		if _, err := src.Next(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	must(t, src.Close()) // returns once the goroutine has: the race detector sees any overlap
	must(t, src.Close())
	if _, err := src.Next(t.Context()); err == nil || err == io.EOF {
		t.Fatalf("Next after Close: %v, want an error", err)
	}
}

// blockingSheet is a sheet whose Next waits for a row on its channel.
type blockingSheet struct {
	rows   chan importer.Row
	closed bool
}

func (s *blockingSheet) Header() importer.Row { return row(1, "Address") }

func (s *blockingSheet) Next() (importer.Row, error) {
	r, ok := <-s.rows
	if !ok {
		return importer.Row{}, io.EOF
	}
	return r, nil
}

func (s *blockingSheet) Close() error { s.closed = true; return nil }

func (s *blockingSheet) Info() importer.SheetInfo {
	return importer.SheetInfo{Format: importer.FormatCSV}
}

func TestSourceReadingAheadStopsWaitingWhenTheContextIsDone(t *testing.T) {
	t.Parallel()
	sheet := &blockingSheet{rows: make(chan importer.Row)}
	src := importer.NewSource(sheet, importer.MapHeader(sheet.Header().Cells, importer.MappingOptions{}))
	importer.SetReadAhead(src, 256)

	// The sheet has nothing yet: Next gives up when the context is done.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next: %v, want %v", err, context.DeadlineExceeded)
	}
	// The rows come, then the end.
	sheet.rows <- row(2, "1 High St")
	close(sheet.rows)
	rows, err := readSource(src)
	if err != io.EOF {
		t.Fatalf("ended with %v, want io.EOF", err)
	}
	want := []connect.ImportRow{{Number: 2, Cells: []string{"1 High St"}, Input: connect.OrderInput{Address: connect.Address{Line1: "1 High St"}}}}
	if d := cmp.Diff(want, rows, equalDecimals); d != "" {
		t.Fatalf("rows (-want +got):\n%s", d)
	}
	must(t, src.Close())
	if !sheet.closed {
		t.Fatal("Close did not close the sheet")
	}
}
