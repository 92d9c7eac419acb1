package connect

import (
	"context"
	"io"
	"strings"
	"time"
)

// Blobs keeps files where every process serving the portal can read them:
// uploads waiting for their preview, proof-of-delivery photos and signatures,
// generated documents. Adapters: a local directory (package disk, for one
// process or a shared volume), the database itself (package storage: PostgreSQL
// for N processes with nothing else to run, SQLite), or an object store.
// connecttest.RunBlobs checks an adapter against this contract.
//
// Keys are slash-separated paths of ValidBlobKey's alphabet, chosen by connect
// with the tenant first ("uploads/acct-1/client-7/…"), so a key never comes from
// a user. A blob is written whole or not at all: a reader never sees half of one.
type Blobs interface {
	// PutBlob stores what r yields under key, replacing the blob there, and
	// returns its size. It streams: the blob is never whole in memory. When r
	// fails, or ctx ends, nothing is stored and the blob there before stays.
	// Errors: ErrInvalid for a key ValidBlobKey refuses.
	PutBlob(ctx context.Context, key string, r io.Reader) (int64, error)
	// OpenBlob returns a reader of the blob and its Info; the caller closes it.
	// Errors: ErrNotFound.
	OpenBlob(ctx context.Context, key string) (io.ReadCloser, BlobInfo, error)
	// DeleteBlob removes the blob; a missing one is no error.
	DeleteBlob(ctx context.Context, key string) error
	// DeleteBlobsBefore removes the blobs under prefix (a key prefix ending in
	// "/") stored before the time, and returns how many: leftovers of uploads
	// never imported, for example.
	DeleteBlobsBefore(ctx context.Context, prefix string, before time.Time) (int, error)
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Key      string
	Size     int64
	StoredAt time.Time
}

// ValidBlobKey reports whether key may name a blob: 1 to 512 bytes of ASCII
// letters, digits and "-_.", in segments separated by single slashes, none
// empty, "." or "..", not starting or ending with a slash. Every adapter can
// store such a key as it is (a file path, a row, an object name).
func ValidBlobKey(key string) bool {
	if key == "" || len(key) > 512 {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, c := range []byte(seg) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return false
			}
		}
	}
	return true
}

// ValidBlobPrefix reports whether prefix may select blobs for DeleteBlobsBefore:
// a valid key followed by a slash.
func ValidBlobPrefix(prefix string) bool {
	p, ok := strings.CutSuffix(prefix, "/")
	return ok && ValidBlobKey(p)
}
