// Package disk keeps connect's blobs (connect.Blobs) as files under a local
// directory: the default for a single process (with the SQLite store), or for
// several processes sharing one volume. A blob is written to a temporary file
// beside it, synced, then renamed over its key's path, so a reader sees the old
// blob or the new one, never part of one (a reader that opened the old file
// goes on reading it). Files are 0600, directories 0700.
package disk

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// Blobs is a connect.Blobs on a local directory. New makes one.
type Blobs struct {
	dir string
}

var _ connect.Blobs = (*Blobs)(nil)

// tmpPrefix starts the names of files being written; path refuses keys with a
// segment that starts so.
const tmpPrefix = ".put-"

// New returns the blobs under dir, creating it (0700) if it does not exist.
// Errors: ErrInvalid when dir cannot be created or is not a directory.
func New(dir string) (*Blobs, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, connect.Errorf(connect.Invalid, "disk: %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, connect.Errorf(connect.Invalid, "disk: %w", err)
	}
	return &Blobs{dir: abs}, nil
}

// path returns the file of key, refusing keys the port does not allow and the
// names this adapter uses for its own temporary files.
func (b *Blobs) path(key string) (string, error) {
	if !connect.ValidBlobKey(key) || strings.Contains("/"+key, "/"+tmpPrefix) {
		return "", connect.Errorf(connect.Invalid, "disk: %q is not a blob key", key)
	}
	return filepath.Join(b.dir, filepath.FromSlash(key)), nil
}

// PutBlob writes r to a temporary file beside the key's, syncs it and renames
// it over the key's file.
func (b *Blobs) PutBlob(ctx context.Context, key string, r io.Reader) (int64, error) {
	path, err := b.path(key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, connect.Errorf(connect.Internal, "disk: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), tmpPrefix+"*")
	if err != nil {
		return 0, connect.Errorf(connect.Internal, "disk: %w", err)
	}
	kept := false
	defer func() {
		if !kept {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, ctxReader{ctx: ctx, r: r})
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, connect.Errorf(connect.Invalid, "disk: reading the blob %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, connect.Errorf(connect.Internal, "disk: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, connect.Errorf(connect.Internal, "disk: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, connect.Errorf(connect.Internal, "disk: %w", err)
	}
	kept = true
	return n, nil
}

// ctxReader stops reading when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// OpenBlob opens the key's file.
func (b *Blobs) OpenBlob(_ context.Context, key string) (io.ReadCloser, connect.BlobInfo, error) {
	path, err := b.path(key)
	if err != nil {
		return nil, connect.BlobInfo{}, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, connect.BlobInfo{}, connect.Errorf(connect.NotFound, "blob %s: not found", key)
	}
	if err != nil {
		return nil, connect.BlobInfo{}, connect.Errorf(connect.Internal, "disk: %w", err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, connect.BlobInfo{}, connect.Errorf(connect.NotFound, "blob %s: not found", key)
	}
	return f, connect.BlobInfo{Key: key, Size: st.Size(), StoredAt: st.ModTime()}, nil
}

// DeleteBlob removes the key's file.
func (b *Blobs) DeleteBlob(_ context.Context, key string) error {
	path, err := b.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return connect.Errorf(connect.Internal, "disk: %w", err)
	}
	return nil
}

// DeleteBlobsBefore removes the files under the prefix's directory last written
// before the time (temporary files of puts that died with their process too).
func (b *Blobs) DeleteBlobsBefore(ctx context.Context, prefix string, before time.Time) (int, error) {
	if !connect.ValidBlobPrefix(prefix) {
		return 0, connect.Errorf(connect.Invalid, "disk: %q is not a blob prefix", prefix)
	}
	root, err := b.path(strings.TrimSuffix(prefix, "/"))
	if err != nil {
		return 0, err
	}
	n := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.ModTime().Before(before) {
			return nil // gone meanwhile, or new
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if !strings.HasPrefix(d.Name(), tmpPrefix) {
			n++
		}
		return nil
	})
	if err != nil {
		return n, connect.Errorf(connect.Internal, "disk: deleting under %s: %w", prefix, err)
	}
	return n, nil
}
