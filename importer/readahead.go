package importer

import (
	"context"

	"github.com/dispatchkit/connect"
)

// readAheadBatch is how many rows the read-ahead goroutine hands over at a time, so
// that the channel costs little per row.
const readAheadBatch = 128

// readAhead reads a sheet's rows on a goroutine of its own, up to a bounded number
// ahead of the caller. Rows are handed over as read: parsing them is cheap next to
// reading an XLSX file, and a raw row takes less memory than a parsed one.
type readAhead struct {
	batches chan []Row    // closed after the last batch
	quit    chan struct{} // closed by stop
	done    chan struct{} // closed when the goroutine has returned
	err     error         // the error that ended reading; read after batches is closed
	rows    []Row         // what is left of the batch being returned
	ended   bool          // next has seen batches closed: the goroutine is returning
}

// startReadAhead starts reading sheet up to ahead rows ahead: the goroutine owns the
// sheet until it ends.
func startReadAhead(sheet Sheet, ahead int) *readAhead {
	p := &readAhead{
		batches: make(chan []Row, max(1, ahead/readAheadBatch)),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go p.run(sheet)
	return p
}

// run reads rows into batches until the sheet ends, fails, or stop is called.
func (p *readAhead) run(sheet Sheet) {
	defer close(p.done)
	defer close(p.batches)
	batch := make([]Row, 0, readAheadBatch)
	send := func() bool {
		select {
		case p.batches <- batch:
			batch = make([]Row, 0, readAheadBatch)
			return true
		case <-p.quit:
			return false
		}
	}
	defer func() {
		// A reader that panics on a file it does not expect (a bug in a parser
		// met by a damaged file) must not take the host's process down: it is
		// this file's error, after the rows read before it.
		if r := recover(); r != nil {
			if len(batch) > 0 && !send() {
				return
			}
			p.err = connect.Errorf(connect.Invalid, "this file could not be read (the reader failed on it: %v); "+
				"save it again from your spreadsheet program, or as CSV", r)
		}
	}()
	for {
		row, err := sheet.Next()
		if err != nil {
			if len(batch) > 0 && !send() {
				return
			}
			p.err = err // io.EOF, or why the file cannot be read on
			return
		}
		batch = append(batch, row)
		if len(batch) == readAheadBatch && !send() {
			return
		}
	}
}

// next returns the next row read ahead, or the error that ended reading once every
// row before it is returned.
func (p *readAhead) next(ctx context.Context) (Row, error) {
	for len(p.rows) == 0 {
		select {
		case b, ok := <-p.batches:
			if !ok {
				p.ended = true
				return Row{}, p.err
			}
			p.rows = b
		case <-ctx.Done():
			return Row{}, ctx.Err()
		}
	}
	row := p.rows[0]
	p.rows[0] = Row{} // let the row go once the caller is done with it
	p.rows = p.rows[1:]
	return row, nil
}

// finished reports whether the goroutine has returned, waiting for it when next
// has returned the error that ended reading (it returns right after).
func (p *readAhead) finished() bool {
	if p.ended {
		<-p.done
		return true
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends reading and waits for the goroutine to return, so that the sheet may be
// closed.
func (p *readAhead) stop() {
	close(p.quit)
	<-p.done
}
