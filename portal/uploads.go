package portal

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dispatchkit/connect"
)

// uploadTTL is how long an uploaded spreadsheet is kept for the import's steps.
const uploadTTL = time.Hour

// uploads keeps uploaded spreadsheets on disk between the steps of an import
// (mapping, preview, import, refused rows), each for its owner only. They live in
// this process: a host running several processes must route an import's requests
// to one of them (or share UploadDir and pin sessions).
type uploads struct {
	dir   string
	now   func() time.Time
	quota int64 // bytes on disk per client (Config.UploadQuota)
	mu    sync.Mutex
	m     map[string]*upload
	used  map[string]int64 // bytes on disk by quotaKey
}

func newUploads(parent string, quota int64, now func() time.Time) (*uploads, error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	// Directories of earlier processes are left over once untouched for longer
	// than an upload lives: every file in them was made before, so has expired
	// (a process creates a file in its directory with each upload and spill). A
	// process sharing the parent and still running keeps its own.
	old, _ := filepath.Glob(filepath.Join(parent, "connect-uploads-*"))
	for _, dir := range old {
		if fi, err := os.Stat(dir); err == nil && now().Sub(fi.ModTime()) > uploadTTL {
			os.RemoveAll(dir)
		}
	}
	dir, err := os.MkdirTemp(parent, "connect-uploads-")
	if err != nil {
		return nil, err
	}
	return &uploads{dir: dir, now: now, quota: quota, m: map[string]*upload{}, used: map[string]int64{}}, nil
}

// upload is one uploaded spreadsheet and the import made of it.
type upload struct {
	ID      string
	Owner   connect.Actor
	Path    string
	Name    string
	Size    int64
	Created time.Time
	Stops   bool // a dispatcher's stop import

	mu           sync.Mutex
	Override     map[string]connect.Field
	AllOrNothing bool
	// Sheets are the workbook's sheets chosen to read (none: the default), and
	// SkipHidden whether to leave out hidden rows.
	Sheets     []string
	SkipHidden bool
	preview    *connect.ImportResult
	header     []string
	delimiter  rune // the file's, for the file of refused rows
	job        *importJob
	// previewRefused is the refused rows of the latest preview (nil before one).
	previewRefused *spill
	disk           int64 // bytes on disk charged to the owner (guarded by uploads.mu)
}

// owns reports whether the actor uploaded the file.
func (u *upload) owns(a connect.Actor) bool {
	return u.Owner.Kind == a.Kind && u.Owner.Account == a.Account && u.Owner.Client == a.Client &&
		u.Owner.Member == a.Member && u.Owner.APIKey == a.APIKey && u.Owner.User == a.User
}

// open opens the file for reading.
func (u *upload) open() (*os.File, error) {
	f, err := os.Open(u.Path)
	if err != nil {
		return nil, connect.Errorf(connect.NotFound, "the uploaded file is gone; upload it again")
	}
	return f, nil
}

// get returns an upload of the actor. Errors: ErrNotFound (also for another's).
func (us *uploads) get(id string, a connect.Actor) (*upload, error) {
	us.mu.Lock()
	defer us.mu.Unlock()
	u := us.m[id]
	if u == nil || !u.owns(a) || us.now().Sub(u.Created) > uploadTTL {
		return nil, connect.Errorf(connect.NotFound, "no such upload; it may have expired, upload the file again")
	}
	return u, nil
}

// sweep deletes expired uploads.
func (us *uploads) sweep() {
	us.mu.Lock()
	var expired []*upload
	for _, u := range us.m {
		if us.now().Sub(u.Created) > uploadTTL {
			expired = append(expired, u)
		}
	}
	us.mu.Unlock()
	for _, u := range expired {
		us.remove(u)
	}
}

// remove deletes an upload and every file of it (its spilled refused rows too),
// giving their bytes back to the owner's quota.
func (us *uploads) remove(u *upload) {
	us.mu.Lock()
	delete(us.m, u.ID)
	us.mu.Unlock()
	files, _ := filepath.Glob(u.Path + ".*")
	for _, f := range append(files, u.Path) {
		us.removeFile(u, f)
	}
}

// job registers an upload without a file, for an import whose rows come from
// elsewhere (a Shopify bulk import): it gets the progress, result and refused
// rows pages of a spreadsheet's import, for its owner only, as long as an
// upload lives.
func (us *uploads) job(owner connect.Actor, name string) *upload {
	us.sweep()
	id := newID()
	u := &upload{ID: id, Owner: owner, Path: filepath.Join(us.dir, id), Name: name, Created: us.now()}
	us.mu.Lock()
	us.m[id] = u
	us.mu.Unlock()
	return u
}

// save stores the request's spreadsheet: the "file" part of a multipart form, or
// the raw body (name from ?filename=). It returns the other form fields too.
func (us *uploads) save(r *http.Request, owner connect.Actor) (*upload, map[string]string, error) {
	us.sweep()
	fields := map[string]string{}
	var src io.Reader
	name := r.URL.Query().Get("filename")
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var mr *multipart.Reader
	if ct == "multipart/form-data" {
		var err error
		if mr, err = r.MultipartReader(); err != nil {
			return nil, nil, connect.Errorf(connect.Invalid, "the upload is not a valid form: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, uploadError(err)
			}
			if part.FormName() == "file" {
				name, src = part.FileName(), part
				break
			}
			v, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				return nil, nil, uploadError(err)
			}
			fields[part.FormName()] = string(v)
		}
	} else {
		src = r.Body
	}
	if src == nil {
		return nil, fields, connect.Errorf(connect.Invalid, "choose a spreadsheet to upload")
	}
	id := newID()
	u := &upload{ID: id, Owner: owner, Path: filepath.Join(us.dir, id), Created: us.now()}
	f, err := os.OpenFile(u.Path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, connect.Errorf(connect.Internal, "storing the upload: %w", err)
	}
	// Charged to the owner's quota as it is written: an upload over it stops there.
	n, err := io.Copy(&chargedWriter{w: f, us: us, u: u}, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		us.removeFile(u, u.Path)
		return nil, nil, uploadError(err)
	}
	if n == 0 {
		us.removeFile(u, u.Path)
		return nil, fields, connect.Errorf(connect.Invalid, "the file is empty")
	}
	// Fields after the file (the browser sends them in form order).
	if mr != nil {
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			v, _ := io.ReadAll(io.LimitReader(part, 64<<10))
			fields[part.FormName()] = string(v)
		}
	}
	u.Name, u.Size = filepath.Base(strings.ReplaceAll(name, "\\", "/")), n
	us.mu.Lock()
	us.m[id] = u
	us.mu.Unlock()
	return u, fields, nil
}

func uploadError(err error) error {
	var tl tooLarge
	if errors.As(err, &tl) {
		return err
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return connect.Errorf(connect.Invalid, "the file is larger than %d MB", maxUploadBytes>>20)
	}
	return connect.Errorf(connect.Invalid, "the upload was interrupted: %v", err)
}

// newID returns a random id for uploads.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// importJob is an import running in the background, so that its page can show a
// progress bar (fed by the import's Progress callback) and survive a reload.
type importJob struct {
	mu       sync.Mutex
	total    int // rows in the file (from the preview), 0 when unknown
	progress connect.ImportProgress
	result   *connect.ImportResult
	err      error
	finished bool
	refused  *spill        // the rows the import refused, once finished
	changed  chan struct{} // closed and replaced at every change
}

func newImportJob(total int) *importJob {
	return &importJob{total: total, changed: make(chan struct{})}
}

func (j *importJob) update(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f()
	close(j.changed)
	j.changed = make(chan struct{})
}

// progressed records the import's progress (ImportOptions.Progress).
func (j *importJob) progressed(p connect.ImportProgress) { j.update(func() { j.progress = p }) }

// finish records the import's outcome, with its refused rows kept (closed, and
// kept when there is a result), and returns it, or the error closing them.
func (j *importJob) finish(refused *spill, res *connect.ImportResult, err error) (*connect.ImportResult, error) {
	if cerr := refused.close(res != nil); cerr != nil && err == nil {
		res, err = nil, cerr
	}
	j.update(func() {
		j.result, j.err, j.finished = res, err, true
		j.refused = refused
		if res != nil {
			j.progress = connect.ImportProgress{Read: res.Read, Stored: res.Imported}
		}
	})
	return res, err
}

// jobState is what the progress bar shows.
type jobState struct {
	Total    int    `json:"total"`
	Read     int    `json:"read"`
	Stored   int    `json:"stored"`
	Finished bool   `json:"finished"`
	Error    string `json:"error,omitempty"`
	Result   string `json:"result,omitempty"` // the result page, once finished
}

// state returns the job's state and a channel closed at its next change.
func (j *importJob) state() (jobState, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := jobState{Total: j.total, Read: j.progress.Read, Stored: j.progress.Stored, Finished: j.finished}
	if j.err != nil {
		st.Error = message(j.err)
	}
	return st, j.changed
}
