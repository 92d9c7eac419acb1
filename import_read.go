package connect

import (
	"cmp"
	"context"
	"io"
	"slices"
	"strings"
)

// importBatch is how many rows are checked and stored together: big enough that a
// 100k-row file is a few dozen round trips, small enough to keep memory flat (two
// batches are in memory at a time: one being stored, one being read).
const importBatch = 2500

// readImport reads src to the end, builds each row's order (refusing rows with
// problems and Ids used earlier in the file or already stored for the same
// client) and hands the orders to store a batch at a time; store says how many it
// stored.
//
// Reading and storing overlap: a goroutine of its own checks each batch's Ids
// against st and calls store, while this one reads and builds the next batch; a
// 100k-row XLSX import is then bound by reading the file, not by reading plus
// storing. The storing goroutine is the only user of st while it runs, and only
// this goroutine touches res.
func (s *Service) readImport(ctx context.Context, st Store, c caller, src ImportSource, opts ImportOptions,
	res *ImportResult, build rowBuilder, store func([]*Order) (stored int, err error)) (err error) {
	type clientRef struct {
		client ClientID
		ref    string // folded: see refKey
	}
	seen := map[clientRef]rowPlace{} // Id → row that used it first in this file
	if err := selectSheets(src, opts); err != nil {
		return err
	}
	var rowWarnings []FieldError
	progress := func() {
		if opts.Progress != nil {
			opts.Progress(ImportProgress{Read: res.Read, Stored: res.Imported})
		}
	}
	storer := s.startStoring(ctx, st, c.Account, store)
	defer func() {
		for r := range storer.finish() {
			if err == nil {
				err = s.stored(src, res, opts, r)
			}
		}
		// Duplicates found while storing were refused after rows read later. Rows
		// of several sheets stay in sheet order.
		sheets := map[string]int{}
		for _, r := range res.RefusedRows {
			if _, ok := sheets[r.Sheet]; !ok {
				sheets[r.Sheet] = len(sheets)
			}
		}
		slices.SortStableFunc(res.RefusedRows, func(a, b RefusedRow) int {
			return cmp.Or(cmp.Compare(sheets[a.Sheet], sheets[b.Sheet]), cmp.Compare(a.Number, b.Number))
		})
		slices.SortStableFunc(res.Errors, func(a, b FieldError) int {
			return cmp.Or(cmp.Compare(sheets[a.Sheet], sheets[b.Sheet]), cmp.Compare(a.Row, b.Row))
		})
		if err == nil {
			if w, ok := src.(ImportWarner); ok {
				res.Warnings = append(res.Warnings, w.ImportWarnings()...)
			}
			res.Warnings = append(res.Warnings, rowWarnings...)
			progress()
		}
	}()
	var batch []*Order
	var rows []ImportRow
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		// With AllOrNothing and a row refused nothing will be kept: stop storing,
		// but go on checking Ids for the report.
		job := storeJob{orders: batch, rows: rows, skip: opts.AllOrNothing && res.Refused > 0}
		batch, rows = nil, nil // the storing goroutine owns them now
		for {
			select {
			case storer.jobs <- job:
				return nil
			case r := <-storer.results:
				if err := s.stored(src, res, opts, r); err != nil {
					return err
				}
				progress()
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := src.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		res.Read++
		if len(row.Warnings) > 0 {
			locate(src, row, row.Warnings)
			rowWarnings, res.MoreWarnings = appendBounded(rowWarnings, res.MoreWarnings, opts.MaxErrors, row.Warnings)
		}
		in := normalizeInput(row.Input)
		o, problems, err := build(ctx, row, in)
		if err != nil {
			return err
		}
		if o != nil && in.Ref == "" {
			o.Fingerprint = fingerprint(&in)
		}
		if o != nil && in.Ref != "" {
			k := clientRef{o.Client, refKey(in.Ref)}
			if first, dup := seen[k]; dup {
				problems = append(problems, FieldError{Field: FieldRef, Reason: duplicateReason(in.Ref, first)})
				res.Duplicates++
			} else {
				seen[k] = rowPlace{number: row.Number, sheet: row.Sheet}
			}
		}
		if len(problems) > 0 {
			if err := s.refuse(src, res, opts, row, problems); err != nil {
				return err
			}
			continue
		}
		batch, rows = append(batch, o), append(rows, row)
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// storeJob is a batch handed to the storing goroutine.
type storeJob struct {
	orders []*Order
	rows   []ImportRow // the orders' rows
	skip   bool        // check Ids only
}

// storeResult is what the storing goroutine did with a batch.
type storeResult struct {
	rows   []ImportRow
	taken  []int    // indexes in rows of orders imported before (by Id or fingerprint)
	reason []string // why each was
	stored int
	err    error
}

// storing is the goroutine that stores an import's batches.
type storing struct {
	jobs    chan storeJob
	results chan storeResult
}

// startStoring starts the goroutine that checks each batch's Ids and
// fingerprints against st and stores the rest with store.
func (s *Service) startStoring(ctx context.Context, st Store, account AccountID, store func([]*Order) (int, error)) *storing {
	p := &storing{jobs: make(chan storeJob), results: make(chan storeResult)}
	go func() {
		defer close(p.results)
		failed := false
		claims := fingerprintClaims{}
		for job := range p.jobs {
			r := storeResult{rows: job.rows}
			if !failed {
				r = s.storeBatch(ctx, st, account, job, claims, store)
				failed = r.err != nil
			}
			p.results <- r
		}
	}()
	return p
}

// storeBatch checks a batch's Ids and fingerprints and stores the rest. A panic
// (a Store's bug) is the import's error, not the host's crash.
func (s *Service) storeBatch(ctx context.Context, st Store, account AccountID, job storeJob, claims fingerprintClaims,
	store func([]*Order) (int, error)) (r storeResult) {
	r.rows = job.rows
	defer s.recovered(ctx, "storing an import", &r.err)
	r.taken, r.reason, r.err = takenOrders(ctx, st, account, job.orders, claims)
	keep := job.orders
	if len(r.taken) > 0 {
		keep = make([]*Order, 0, len(job.orders)-len(r.taken))
		next := 0 // in r.taken, which is in ascending order
		for i, o := range job.orders {
			if next < len(r.taken) && r.taken[next] == i {
				next++
				continue
			}
			keep = append(keep, o)
		}
	}
	if r.err == nil && !job.skip {
		r.stored, r.err = store(keep)
	}
	return r
}

// finish tells the storing goroutine there is nothing more and returns the
// results it has yet to report, until it has stopped.
func (p *storing) finish() <-chan storeResult {
	close(p.jobs)
	return p.results
}

// stored applies what the storing goroutine did with a batch to res.
func (s *Service) stored(src ImportSource, res *ImportResult, opts ImportOptions, r storeResult) error {
	if r.err != nil {
		return r.err
	}
	for k, i := range r.taken {
		res.Duplicates++
		if err := s.refuse(src, res, opts, r.rows[i], []FieldError{{Field: FieldRef, Reason: r.reason[k]}}); err != nil {
			return err
		}
	}
	res.Imported += r.stored
	return nil
}

// takenOrders returns the indexes (ascending) of the orders imported before,
// with why: an order stored for the same client uses its Id, or (without an Id)
// its fingerprint is among those claims has not matched yet.
func takenOrders(ctx context.Context, st Store, account AccountID, orders []*Order, claims fingerprintClaims) ([]int, []string, error) {
	byRef, err := takenRefs(ctx, st, account, orders)
	if err != nil {
		return nil, nil, err
	}
	byFingerprint, err := claims.taken(ctx, st, account, orders)
	if err != nil {
		return nil, nil, err
	}
	taken := make([]int, 0, len(byRef)+len(byFingerprint))
	reasons := make([]string, 0, cap(taken))
	for len(byRef) > 0 || len(byFingerprint) > 0 {
		if len(byFingerprint) == 0 || (len(byRef) > 0 && byRef[0] < byFingerprint[0]) {
			taken, reasons = append(taken, byRef[0]), append(reasons, duplicateReason(orders[byRef[0]].Ref, rowPlace{}))
			byRef = byRef[1:]
		} else {
			taken, reasons = append(taken, byFingerprint[0]), append(reasons, importedBeforeReason)
			byFingerprint = byFingerprint[1:]
		}
	}
	return taken, reasons, nil
}

// takenRefs returns the indexes of the orders whose Id an order already stored for
// the same client uses.
func takenRefs(ctx context.Context, st Store, account AccountID, orders []*Order) ([]int, error) {
	refs := map[ClientID][]string{}
	for _, o := range orders {
		if o.Ref != "" {
			refs[o.Client] = append(refs[o.Client], o.Ref)
		}
	}
	type clientRef struct {
		client ClientID
		ref    string
	}
	taken := map[clientRef]bool{}
	for client, rs := range refs {
		existing, err := st.ExistingRefs(ctx, Scope{Account: account, Client: client}, rs)
		if err != nil {
			return nil, err
		}
		for _, r := range existing {
			taken[clientRef{client, r}] = true
		}
	}
	var out []int
	for i, o := range orders {
		if o.Ref != "" && taken[clientRef{o.Client, o.Ref}] {
			out = append(out, i)
		}
	}
	return out, nil
}

// refKey is how an import compares Ids within a file: without case (its
// surrounding spaces are trimmed already), as the glossary says: "ORD-1" and
// "ord-1 " are the same order. (Against the orders already stored, the Store's
// ExistingRefs compares them without case too.)
func refKey(ref string) string { return strings.ToLower(ref) }
