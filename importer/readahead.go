package importer

import (
	"context"

	"github.com/dispatchkit/connect"
)

// readAheadBatch is how many rows the read-ahead goroutine hands over at a time, so
// that the channel costs little per row.
const readAheadBatch = 128

// readAhead reads a Source's rows on a goroutine of its own, up to a bounded number
// ahead of the caller.
type readAhead struct {
	batches chan []connect.ImportRow // closed after the last batch
	quit    chan struct{}            // closed by stop
	done    chan struct{}            // closed when the goroutine has returned
	err     error                    // the error that ended reading; read after batches is closed
	rows    []connect.ImportRow      // what is left of the batch being returned
}

// startReadAhead starts reading s ahead: it owns s's sheet until its goroutine ends.
func (s *Source) startReadAhead() *readAhead {
	p := &readAhead{
		batches: make(chan []connect.ImportRow, max(1, s.ahead/readAheadBatch)),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go p.run(s)
	return p
}

// run reads rows into batches until the sheet ends, fails, or stop is called.
func (p *readAhead) run(s *Source) {
	defer close(p.done)
	defer close(p.batches)
	batch := make([]connect.ImportRow, 0, readAheadBatch)
	send := func() bool {
		select {
		case p.batches <- batch:
			batch = make([]connect.ImportRow, 0, readAheadBatch)
			return true
		case <-p.quit:
			return false
		}
	}
	for {
		row, err := s.read()
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
func (p *readAhead) next(ctx context.Context) (connect.ImportRow, error) {
	for len(p.rows) == 0 {
		select {
		case b, ok := <-p.batches:
			if !ok {
				return connect.ImportRow{}, p.err
			}
			p.rows = b
		case <-ctx.Done():
			return connect.ImportRow{}, ctx.Err()
		}
	}
	row := p.rows[0]
	p.rows[0] = connect.ImportRow{} // let the row go once the caller is done with it
	p.rows = p.rows[1:]
	return row, nil
}

// stop ends reading and waits for the goroutine to return, so that the sheet may be
// closed.
func (p *readAhead) stop() {
	close(p.quit)
	<-p.done
}
