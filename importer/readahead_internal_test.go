package importer

import (
	"testing"

	"github.com/dispatchkit/connect"
)

// panickySheet yields rows, then panics, as a parser with a bug meeting a
// damaged file would.
type panickySheet struct{ n, panicAt int }

func (s *panickySheet) Header() Row { return Row{Cells: []string{"Address"}} }
func (s *panickySheet) Next() (Row, error) {
	s.n++
	if s.n == s.panicAt {
		panic("index out of range in the parser")
	}
	return Row{Number: s.n + 1, Cells: []string{"1 High St"}}, nil
}
func (s *panickySheet) Info() SheetInfo { return SheetInfo{} }
func (s *panickySheet) Close() error    { return nil }

// TestReadAheadTurnsAReadersPanicIntoTheFilesError: the read-ahead goroutine
// recovers a reader's panic (which would otherwise end the host's process)
// and ends the rows with an Invalid error saying the file could not be read,
// after every row read before it.
func TestReadAheadTurnsAReadersPanicIntoTheFilesError(t *testing.T) {
	p := startReadAhead(&panickySheet{panicAt: 300}, 1000)
	defer p.stop()
	rows := 0
	for {
		_, err := p.next(t.Context())
		if err != nil {
			if connect.ErrorCode(err) != connect.Invalid {
				t.Fatalf("after %d rows: %v, want invalid", rows, err)
			}
			break
		}
		rows++
	}
	if rows != 299 {
		t.Fatalf("%d rows before the error, want the 299 read before the panic", rows)
	}
}
