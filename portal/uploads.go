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
	dir string
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*upload
}

func newUploads(parent string, now func() time.Time) (*uploads, error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	// Directories of earlier processes, untouched for a while, are left over.
	old, _ := filepath.Glob(filepath.Join(parent, "connect-uploads-*"))
	for _, dir := range old {
		if fi, err := os.Stat(dir); err == nil && now().Sub(fi.ModTime()) > 2*uploadTTL {
			os.RemoveAll(dir)
		}
	}
	dir, err := os.MkdirTemp(parent, "connect-uploads-")
	if err != nil {
		return nil, err
	}
	return &uploads{dir: dir, now: now, m: map[string]*upload{}}, nil
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
	defer us.mu.Unlock()
	for id, u := range us.m {
		if us.now().Sub(u.Created) > uploadTTL {
			os.Remove(u.Path)
			delete(us.m, id)
		}
	}
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
	f, err := os.OpenFile(filepath.Join(us.dir, id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, connect.Errorf(connect.Internal, "storing the upload: %w", err)
	}
	n, err := io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, nil, uploadError(err)
	}
	if n == 0 {
		os.Remove(f.Name())
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
	u := &upload{ID: id, Owner: owner, Path: f.Name(), Name: filepath.Base(strings.ReplaceAll(name, "\\", "/")),
		Size: n, Created: us.now()}
	us.mu.Lock()
	us.m[id] = u
	us.mu.Unlock()
	return u, fields, nil
}

func uploadError(err error) error {
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
