package portal

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"sync"
	"time"

	"github.com/dispatchkit/connect"
)

// Bounded memory and disk for imports (issue #17: three previews of a 2 MB
// workbook that unzips to 446 MiB took the process to 2.2 GiB, and held it):
//   - an import or preview keeps no refused row in memory: they are spilled,
//     gzip compressed, to a file beside the upload, which the refused rows file
//     is written from; the problems and warnings a page lists are bounded;
//   - each open spreadsheet reserves an estimate of what reading it takes from
//     the process's budget (Config.ImportMemory): past it, it waits its turn
//     (a while, then 503); a file whose estimate alone is over it is refused
//     (413);
//   - each client's pending uploads and their spilled rows share a quota on
//     disk (Config.UploadQuota), answered 413 when full;
//   - an upload that cannot be read is deleted at once, and directories of
//     earlier processes untouched for longer than an upload lives are deleted
//     at start.

// Defaults of Config.ImportMemory and Config.UploadQuota.
const (
	defaultImportMemory = 1 << 30
	defaultUploadQuota  = 200 << 20
)

// importWait bounds the wait for the import memory budget.
const importWait = 30 * time.Second

// maxImportErrors bounds the problems (and warnings) an import keeps to show.
const maxImportErrors = maxShownErrors

// importCost estimates the memory that reading a spreadsheet of size bytes
// takes: a workbook's shared strings and rows as they are read, a few times its
// compressed size; a CSV file far less, but the estimate does not tell them
// apart.
func importCost(size int64) int64 { return 16<<20 + 8*size }

// reserveImport takes the upload's cost from the import memory budget, waiting
// while other imports hold it. Errors: too large (413) when the file alone is
// over the budget; ErrUnavailable when the wait is over.
func (s *server) reserveImport(ctx context.Context, u *upload) (release func(), err error) {
	cost := importCost(u.Size)
	if cost > s.importBudget {
		return nil, errTooLarge(fmt.Sprintf("reading this file would take more memory than this portal allows for imports (%d MB): split it into smaller files",
			s.importBudget>>20))
	}
	ctx, cancel := context.WithTimeout(ctx, importWait)
	defer cancel()
	if err := s.importMem.Acquire(ctx, cost); err != nil {
		return nil, connect.Errorf(connect.Unavailable, "the portal is reading many files at the moment: try again in a minute")
	}
	var once sync.Once
	return func() { once.Do(func() { s.importMem.Release(cost) }) }, nil
}

// tooLarge is a limit on what the request asks to store or read, answered 413.
type tooLarge string

func (e tooLarge) Error() string { return string(e) }

func errTooLarge(msg string) error { return tooLarge(msg) }

// spill is the refused rows of one import or preview, written to a file as
// they are found (gzip of gob), charged to the client's quota.
type spill struct {
	path  string
	f     *os.File
	cw    *chargedWriter
	zw    *gzip.Writer
	enc   *gob.Encoder
	count int
}

// newSpill creates the file of refused rows at path, charging what it writes
// to u's owner.
func (us *uploads) newSpill(u *upload, path string) (*spill, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, connect.Errorf(connect.Internal, "keeping the refused rows: %w", err)
	}
	cw := &chargedWriter{w: f, us: us, u: u}
	zw := gzip.NewWriter(cw)
	return &spill{path: path, f: f, cw: cw, zw: zw, enc: gob.NewEncoder(zw)}, nil
}

// add writes one refused row (ImportOptions.Refused).
func (sp *spill) add(r connect.RefusedRow) error {
	sp.count++
	if err := sp.enc.Encode(r); err != nil {
		var tl tooLarge
		if errors.As(err, &tl) {
			return err
		}
		return connect.Errorf(connect.Internal, "keeping the refused rows: %w", err)
	}
	return nil
}

// close finishes the file. It is kept (for the refused rows file) unless keep
// is false.
func (sp *spill) close(keep bool) error {
	err := sp.zw.Close()
	if cerr := sp.f.Close(); err == nil {
		err = cerr
	}
	if err != nil || !keep {
		sp.cw.us.removeFile(sp.cw.u, sp.path)
	}
	return err
}

// refusedRows reads refused rows back from a spill's file (a local copy of its
// blob), each time it is ranged over (a writer may range twice: to learn the
// columns, then to write).
func (us *uploads) refusedRows(ctx context.Context, path string) iter.Seq[connect.RefusedRow] {
	return func(yield func(connect.RefusedRow) bool) {
		f, err := os.Open(path)
		if err != nil {
			us.log.WarnContext(ctx, "portal: reading refused rows", "path", path, "err", err)
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(bufio.NewReader(f))
		if err != nil {
			us.log.WarnContext(ctx, "portal: reading refused rows", "path", path, "err", err)
			return
		}
		dec := gob.NewDecoder(zr)
		for {
			var r connect.RefusedRow
			if err := dec.Decode(&r); err != nil {
				if err != io.EOF {
					us.log.WarnContext(ctx, "portal: reading refused rows", "path", path, "err", err)
				}
				return
			}
			if !yield(r) {
				return
			}
		}
	}
}

// chargedWriter charges what it writes to the upload owner's quota.
type chargedWriter struct {
	w  io.Writer
	us *uploads
	u  *upload
	n  int64 // charged so far
}

func (c *chargedWriter) Write(p []byte) (int, error) {
	if err := c.us.charge(c.u, int64(len(p))); err != nil {
		return 0, err
	}
	c.n += int64(len(p))
	return c.w.Write(p)
}

// quotaKey is whose quota an upload counts against: its client's (or its
// account's, for a dispatcher's).
func quotaKey(a connect.Actor) string {
	return string(a.Account) + "/" + string(a.Client)
}

// charge adds n bytes on disk to u's owner. Errors: too large (413) when the
// owner's quota would be exceeded.
func (us *uploads) charge(u *upload, n int64) error {
	us.mu.Lock()
	defer us.mu.Unlock()
	k := quotaKey(u.Owner)
	if us.used[k]+n > us.quota {
		return errTooLarge(fmt.Sprintf("your team's pending uploads take all the room this portal keeps for them (%d MB): finish or leave the imports under way, or wait an hour, and try again",
			us.quota>>20))
	}
	us.used[k] += n
	u.disk += n
	return nil
}

// removeFile deletes one of u's files and gives its bytes back to the quota.
func (us *uploads) removeFile(u *upload, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	if os.Remove(path) != nil {
		return
	}
	us.release(u, fi.Size())
}

// release gives n bytes of u's files back to the quota.
func (us *uploads) release(u *upload, n int64) {
	us.mu.Lock()
	defer us.mu.Unlock()
	n = min(n, u.disk)
	u.disk -= n
	us.used[quotaKey(u.Owner)] -= n
}
