package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// The Store keeps blobs (connect.Blobs) in the database itself, so that every
// process on one PostgreSQL reads what any wrote with nothing else to run. A
// blob is a row of blobs naming a set of chunks (blob_chunks, blobChunk bytes
// each, by the set's id): a put writes its chunks first, each in a statement of
// its own (no transaction stays open while the bytes arrive, which on SQLite
// would hold the only writer), then points the key at them and deletes the set
// it replaced in one short transaction. A reader reads one chunk at a time, so
// no blob is ever whole in memory; one whose blob is replaced while it reads
// fails rather than mix two blobs.
var _ connect.Blobs = (*Store)(nil)

// blobChunk is the size of a chunk: big enough that a 50 MB upload is 200
// statements, small enough to keep each in memory.
const blobChunk = 256 << 10

// orphanAge is how old a set of chunks no blob names must be before
// DeleteBlobsBefore removes it: the chunks of a put still under way are not
// named yet either.
const orphanAge = time.Hour

// PutBlob stores what r yields under key.
func (s *Store) PutBlob(ctx context.Context, key string, r io.Reader) (int64, error) {
	if !connect.ValidBlobKey(key) {
		return 0, connect.Errorf(connect.Invalid, "storage: %q is not a blob key", key)
	}
	now := time.Now()
	id := newID(now)
	forget := func() { // the chunks of a put that failed
		_, _ = s.idb.NewRaw("DELETE FROM blob_chunks WHERE blob_id = ?", id).Exec(context.WithoutCancel(ctx))
	}
	buf := make([]byte, blobChunk)
	var size int64
	for n := 0; ; n++ {
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			if _, err := s.idb.NewRaw("INSERT INTO blob_chunks (blob_id, n, data) VALUES (?, ?, ?)", id, n, buf[:k]).Exec(ctx); err != nil {
				forget()
				return 0, translate(ctx, err, "storing blob "+key)
			}
			size += int64(k)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			forget()
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, connect.Errorf(connect.Invalid, "storage: reading blob %s: %w", key, err)
		}
	}
	err := s.inTx(ctx, func(tx *Store) error {
		var old []string
		if err := tx.idb.NewRaw("SELECT id FROM blobs WHERE key = ?", key).Scan(ctx, &old); err != nil && !isNoRows(err) {
			return err
		}
		if _, err := tx.idb.NewRaw(`INSERT INTO blobs (key, id, size, stored_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET id = excluded.id, size = excluded.size, stored_at = excluded.stored_at`,
			key, id, size, dbTime(now)).Exec(ctx); err != nil {
			return err
		}
		for _, o := range old {
			if _, err := tx.idb.NewRaw("DELETE FROM blob_chunks WHERE blob_id = ?", o).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		forget()
		return 0, translate(ctx, err, "storing blob "+key)
	}
	return size, nil
}

// OpenBlob returns a reader of the blob's chunks.
func (s *Store) OpenBlob(ctx context.Context, key string) (io.ReadCloser, connect.BlobInfo, error) {
	if !connect.ValidBlobKey(key) {
		return nil, connect.BlobInfo{}, connect.Errorf(connect.Invalid, "storage: %q is not a blob key", key)
	}
	var row struct {
		ID       string    `bun:"id"`
		Size     int64     `bun:"size"`
		StoredAt time.Time `bun:"stored_at"`
	}
	err := s.idb.NewRaw("SELECT id, size, stored_at FROM blobs WHERE key = ?", key).Scan(ctx, &row)
	if isNoRows(err) {
		return nil, connect.BlobInfo{}, connect.Errorf(connect.NotFound, "blob %s: not found", key)
	}
	if err != nil {
		return nil, connect.BlobInfo{}, translate(ctx, err, "opening blob "+key)
	}
	info := connect.BlobInfo{Key: key, Size: row.Size, StoredAt: goTime(row.StoredAt)}
	return &blobReader{ctx: ctx, s: s, key: key, id: row.ID, left: row.Size}, info, nil
}

// blobReader reads a blob's chunks in order, one query each.
type blobReader struct {
	ctx  context.Context
	s    *Store
	key  string
	id   string
	n    int          // the next chunk
	buf  bytes.Reader // what is left of the chunk read last
	left int64        // bytes not yet read from the database
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.buf.Len() == 0 {
		if b.left <= 0 {
			return 0, io.EOF
		}
		var data []byte
		err := b.s.idb.NewRaw("SELECT data FROM blob_chunks WHERE blob_id = ? AND n = ?", b.id, b.n).Scan(b.ctx, &data)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, connect.Errorf(connect.Conflict, "blob %s was replaced or deleted while being read", b.key)
		}
		if err != nil {
			return 0, translate(b.ctx, err, "reading blob "+b.key)
		}
		b.n++
		b.left -= int64(len(data))
		b.buf.Reset(data)
	}
	return b.buf.Read(p)
}

func (b *blobReader) Close() error { return nil }

// DeleteBlob removes the blob and its chunks.
func (s *Store) DeleteBlob(ctx context.Context, key string) error {
	if !connect.ValidBlobKey(key) {
		return connect.Errorf(connect.Invalid, "storage: %q is not a blob key", key)
	}
	err := s.inTx(ctx, func(tx *Store) error {
		var ids []string
		if err := tx.idb.NewRaw("DELETE FROM blobs WHERE key = ? RETURNING id", key).Scan(ctx, &ids); err != nil && !isNoRows(err) {
			return err
		}
		for _, id := range ids {
			if _, err := tx.idb.NewRaw("DELETE FROM blob_chunks WHERE blob_id = ?", id).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return translate(ctx, err, "deleting blob "+key)
}

// DeleteBlobsBefore removes the blobs under prefix stored before the time, and
// sets of chunks no blob names that are older than orphanAge (puts that died
// with their process): their ids are UUIDv7, which sort by time.
func (s *Store) DeleteBlobsBefore(ctx context.Context, prefix string, before time.Time) (int, error) {
	if !connect.ValidBlobPrefix(prefix) {
		return 0, connect.Errorf(connect.Invalid, "storage: %q is not a blob prefix", prefix)
	}
	// Keys have no LIKE wildcards but "_", which ValidBlobKey allows: escape it.
	pattern := strings.ReplaceAll(prefix, "_", `\_`) + "%"
	n := 0
	err := s.inTx(ctx, func(tx *Store) error {
		var ids []string
		if err := tx.idb.NewRaw(`DELETE FROM blobs WHERE key LIKE ? ESCAPE '\' AND stored_at < ? RETURNING id`,
			pattern, dbTime(before)).Scan(ctx, &ids); err != nil && !isNoRows(err) {
			return err
		}
		n = len(ids)
		for _, id := range ids {
			if _, err := tx.idb.NewRaw("DELETE FROM blob_chunks WHERE blob_id = ?", id).Exec(ctx); err != nil {
				return err
			}
		}
		cut := time.Now().Add(-orphanAge)
		if before.Before(cut) {
			cut = before
		}
		_, err := tx.idb.NewRaw(`DELETE FROM blob_chunks WHERE blob_id < ? AND blob_id NOT IN (SELECT id FROM blobs)`,
			newID(cut)).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, translate(ctx, err, "deleting blobs under "+prefix)
	}
	return n, nil
}
