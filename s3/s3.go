// Package s3 keeps connect's blobs (connect.Blobs) in an S3-compatible object
// store (Amazon S3, MinIO, Ceph, R2, ...) through github.com/minio/minio-go/v7,
// so that every process serving the portal reads what any of them wrote, with
// the files outside the database.
//
// A blob is the object named Config.Prefix + its key in Config.Bucket:
//
//   - PutBlob streams: a blob that fits in one part (Config.PartSize, 8 MiB by
//     default) is one PUT; a larger one is a multipart upload, one part in
//     memory at a time. S3 shows an object only once its PUT or its multipart
//     upload completes, so a reader sees the old blob or the new one, never
//     part of one; a put whose reader fails or whose context ends aborts its
//     multipart upload, and the blob before stays.
//   - OpenBlob reads one GET response: S3 serves the object as it was when the
//     GET began even if it is replaced meanwhile. A read cut by the network
//     goes on with a ranged GET conditional on the ETag (If-Match); when the
//     object was replaced or deleted in between, the read fails with
//     connect.ErrConflict rather than mix two blobs (the portal then reads
//     again).
//   - DeleteBlobsBefore lists the objects under the prefix and deletes, in
//     batches of up to 1000 (DeleteObjects), those whose LastModified is a
//     whole second before the time: S3 keeps LastModified to the second.
//
// Errors come back as *connect.Error: a missing object is ErrNotFound;
// throttling (503 SlowDown), server errors (500 InternalError), an unreachable
// endpoint and an ended context are ErrUnavailable, each with the key in its
// message, after the retries minio-go makes (Options.MaxRetries, 10 by default,
// with a backoff of at most a second, and never past the context's end).
//
// Processes agree through the store's consistency: Amazon S3 (since December
// 2020), MinIO and R2 are strongly consistent, so a read or a listing after a
// put or a delete, in any process, sees it. A store that is only eventually
// consistent would let a process read an upload's settings from before its
// last change.
//
// The bucket is the host's: create it beforehand, and give it a lifecycle rule
// that aborts incomplete multipart uploads after a day, for the parts of puts
// whose process died before it could abort them.
package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/s3utils"
	"go.opentelemetry.io/otel/trace"

	"github.com/dispatchkit/connect"
)

// DefaultPartSize is the part size of a multipart upload when Config.PartSize
// is zero: each PutBlob of a blob that large holds one part in memory. 8 MiB,
// the AWS CLI's, keeps a proof photo's put (10 MiB at most) at two parts and the
// memory of many uploads at once low.
const DefaultPartSize = 8 << 20

// MinPartSize is the smallest part S3 accepts in a multipart upload (all but
// the last part must be at least 5 MiB; smaller ones fail the upload's
// completion with EntityTooSmall).
const MinPartSize = 5 << 20

// maxParts is how many parts S3 allows in one multipart upload.
const maxParts = 10_000

// deleteBatch is how many keys one DeleteObjects request names at most (S3's
// limit).
const deleteBatch = 1000

// Config says where the blobs live.
type Config struct {
	// Client talks to the S3-compatible service, with its endpoint,
	// credentials, TLS, region and retries (minio.New). Required.
	Client *minio.Client
	// Bucket holds the blobs. Required; it must exist.
	Bucket string
	// Prefix starts the name of every object of these blobs ("connect/"), so
	// that one bucket can hold other things too: a valid blob key followed by
	// a slash (connect.ValidBlobPrefix), or "" for none.
	Prefix string
	// PartSize is the size of a multipart upload's parts, and so the memory
	// one PutBlob of a large blob holds: at least MinPartSize. A blob of up to
	// 10,000 parts can be stored (78 GiB at 8 MiB). 0: DefaultPartSize.
	PartSize int64
	// Logger hears about multipart uploads that could not be aborted. nil:
	// silent.
	Logger *slog.Logger
	// TracerProvider makes a client span per operation ("s3 PutBlob") with the
	// bucket and key. nil: no spans (not the global provider). The HTTP
	// requests themselves are the Client's: give it an instrumented Transport
	// (otelhttp) for a span per request and retry.
	TracerProvider trace.TracerProvider
}

// Blobs is a connect.Blobs in an S3 bucket. New makes one; it is safe for
// concurrent use.
type Blobs struct {
	core     minio.Core
	bucket   string
	prefix   string
	partSize int64
	log      *slog.Logger
	tracer   trace.Tracer
}

var _ connect.Blobs = (*Blobs)(nil)

// New returns the blobs of cfg, checking that its bucket exists.
// Errors: ErrInvalid for a missing Client or Bucket, a bad Prefix or PartSize,
// or a bucket that does not exist; ErrUnavailable when the service cannot be
// reached (within ctx).
func New(ctx context.Context, cfg Config) (*Blobs, error) {
	switch {
	case cfg.Client == nil:
		return nil, connect.Errorf(connect.Invalid, "s3: Config.Client is required")
	case cfg.Bucket == "":
		return nil, connect.Errorf(connect.Invalid, "s3: Config.Bucket is required")
	case s3utils.CheckValidBucketName(cfg.Bucket) != nil:
		return nil, connect.Errorf(connect.Invalid, "s3: Config.Bucket %q: %v", cfg.Bucket, s3utils.CheckValidBucketName(cfg.Bucket))
	case cfg.Prefix != "" && !connect.ValidBlobPrefix(cfg.Prefix):
		return nil, connect.Errorf(connect.Invalid, "s3: Config.Prefix %q is not a key prefix ending in a slash", cfg.Prefix)
	case cfg.PartSize != 0 && cfg.PartSize < MinPartSize:
		return nil, connect.Errorf(connect.Invalid, "s3: Config.PartSize %d is under S3's minimum part size of 5 MiB", cfg.PartSize)
	}
	b := &Blobs{
		core:     minio.Core{Client: cfg.Client},
		bucket:   cfg.Bucket,
		prefix:   cfg.Prefix,
		partSize: cmpOr(cfg.PartSize, DefaultPartSize),
		log:      cfg.Logger,
		tracer:   newTracer(cfg.TracerProvider),
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	ok, err := cfg.Client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, b.translate(ctx, err, "checking bucket "+cfg.Bucket)
	}
	if !ok {
		return nil, connect.Errorf(connect.Invalid, "s3: bucket %s does not exist at %s; create it first", cfg.Bucket, cfg.Client.EndpointURL().Host)
	}
	return b, nil
}

func cmpOr(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}

// object returns the object name of key, refusing keys the port does not
// allow.
func (b *Blobs) object(key string) (string, error) {
	if !connect.ValidBlobKey(key) {
		return "", connect.Errorf(connect.Invalid, "s3: %q is not a blob key", key)
	}
	return b.prefix + key, nil
}

// PutBlob stores what r yields under key: one PUT for a blob smaller than a
// part, a multipart upload for a larger one.
func (b *Blobs) PutBlob(ctx context.Context, key string, r io.Reader) (n int64, err error) {
	name, err := b.object(key)
	if err != nil {
		return 0, err
	}
	ctx, done := b.span(ctx, "PutBlob", name)
	defer func() { done(err) }()

	// The first part decides: a blob that ends within it is one PUT. Its
	// buffer grows with what arrives, so a small blob costs little memory.
	buf, rerr := readPart(ctx, r, make([]byte, 0, min(64<<10, b.partSize)), b.partSize)
	if rerr != nil && rerr != io.EOF {
		return 0, b.readError(ctx, key, rerr)
	}
	if rerr == io.EOF {
		md5sum, sha := digests(buf)
		if _, err := b.core.PutObject(ctx, b.bucket, name, bytes.NewReader(buf), int64(len(buf)), md5sum, sha, minio.PutObjectOptions{DisableContentSha256: true}); err != nil {
			return 0, b.translate(ctx, err, "storing blob "+key)
		}
		return int64(len(buf)), nil
	}
	return b.putMultipart(ctx, key, name, r, buf)
}

// putMultipart stores a blob of more than one part, first holding its first
// part. The upload is aborted unless it completes, even when ctx has ended.
//
// minio-go's PutObject of an unknown size (-1) streams a multipart upload too,
// but it aborts the upload with the caller's context, so a put whose context
// ended leaves its parts behind (stored, and billed, until a lifecycle rule
// removes them), and it makes a multipart upload of three requests even of a
// settings blob of a hundred bytes.
func (b *Blobs) putMultipart(ctx context.Context, key, name string, r io.Reader, first []byte) (int64, error) {
	id, err := b.core.NewMultipartUpload(ctx, b.bucket, name, minio.PutObjectOptions{})
	if err != nil {
		return 0, b.translate(ctx, err, "storing blob "+key)
	}
	completed := false
	defer func() {
		if completed {
			return
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := b.core.AbortMultipartUpload(actx, b.bucket, name, id); err != nil {
			b.log.WarnContext(ctx, "s3: a failed put left its parts; a lifecycle rule on the bucket must remove them",
				"bucket", b.bucket, "key", name, "upload", id, "err", err)
		}
	}()
	var (
		parts []minio.CompletePart
		size  int64
		buf   = first
		rerr  error
	)
	for {
		if len(buf) > 0 {
			if len(parts) == maxParts {
				return 0, connect.Errorf(connect.Invalid, "s3: blob %s is over %d parts of %d bytes", key, maxParts, b.partSize)
			}
			md5sum, sha := digests(buf)
			p, err := b.core.PutObjectPart(ctx, b.bucket, name, id, len(parts)+1, bytes.NewReader(buf), int64(len(buf)),
				minio.PutObjectPartOptions{Md5Base64: md5sum, Sha256Hex: sha, DisableContentSha256: true})
			if err != nil {
				return 0, b.translate(ctx, err, "storing blob "+key)
			}
			parts = append(parts, minio.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
			size += int64(len(buf))
		}
		if rerr == io.EOF {
			break
		}
		// The first part's buffer, grown to a whole part, is reused.
		buf, rerr = readPart(ctx, r, buf[:0], b.partSize)
		if rerr != nil && rerr != io.EOF {
			return 0, b.readError(ctx, key, rerr)
		}
	}
	if _, err := b.core.CompleteMultipartUpload(ctx, b.bucket, name, id, parts, minio.PutObjectOptions{}); err != nil {
		return 0, b.translate(ctx, err, "storing blob "+key)
	}
	completed = true
	return size, nil
}

// digests returns the Content-MD5 (S3 refuses a body that does not match
// it) and the SHA-256 that signs a request body whole. Requests give both with
// DisableContentSha256, which only turns off minio-go's chunked signing
// (aws-chunked, used over plain HTTP): that sends an empty body with no
// Content-Length, which S3 refuses (411 MissingContentLength).
func digests(b []byte) (md5Base64, sha256Hex string) {
	m := md5.Sum(b)
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(m[:]), hex.EncodeToString(s[:])
}

// readPart reads up to size bytes of r into buf (from its length), growing it
// as they arrive. It returns io.EOF when r ended within them, nil when the
// part is full (r may have more), or r's error; or ctx's once it has ended.
func readPart(ctx context.Context, r io.Reader, buf []byte, size int64) ([]byte, error) {
	for int64(len(buf)) < size {
		if err := ctx.Err(); err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), size-int64(len(buf)))))
		}
		k, err := r.Read(buf[len(buf):min(int64(cap(buf)), size)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// readError is the error of a put whose reader failed.
func (b *Blobs) readError(ctx context.Context, key string, err error) error {
	if ctx.Err() != nil {
		return b.translate(ctx, ctx.Err(), "storing blob "+key)
	}
	return connect.Errorf(connect.Invalid, "s3: reading the blob %s: %w", key, err)
}

// OpenBlob returns a reader of the object's GET response.
func (b *Blobs) OpenBlob(ctx context.Context, key string) (_ io.ReadCloser, _ connect.BlobInfo, err error) {
	name, err := b.object(key)
	if err != nil {
		return nil, connect.BlobInfo{}, err
	}
	sctx, done := b.span(ctx, "OpenBlob", name)
	defer func() { done(err) }()
	body, info, _, err := b.core.GetObject(sctx, b.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, connect.BlobInfo{}, b.translate(ctx, err, "opening blob "+key)
	}
	r := &reader{ctx: ctx, b: b, key: key, name: name, etag: info.ETag, size: info.Size, body: body}
	return r, connect.BlobInfo{Key: key, Size: info.Size, StoredAt: info.LastModified}, nil
}

// resumes is how many times a reader goes on after its response was cut.
const resumes = 3

// reader reads a blob's GET response and, when the network cuts it, goes on
// from where it stopped with a ranged GET of the same ETag.
type reader struct {
	ctx     context.Context
	b       *Blobs
	key     string
	name    string
	etag    string
	size    int64
	read    int64
	resumed int
	body    io.ReadCloser
}

func (r *reader) Read(p []byte) (int, error) {
	for {
		k, err := r.body.Read(p)
		r.read += int64(k)
		switch {
		case err == nil || err == io.EOF && r.read == r.size:
			return k, err
		case err == io.EOF: // the body ended short
			err = io.ErrUnexpectedEOF
		}
		if k > 0 {
			return k, nil // the error comes again at the next Read
		}
		if r.ctx.Err() != nil || r.resumed == resumes {
			return 0, r.b.translate(r.ctx, err, "reading blob "+r.key)
		}
		if err := r.resume(); err != nil {
			return 0, err
		}
	}
}

// resume replaces the body with the rest of the same object, if it is still
// there unchanged.
func (r *reader) resume() error {
	r.resumed++
	r.body.Close()
	r.body = io.NopCloser(strings.NewReader(""))
	opts := minio.GetObjectOptions{}
	if err := opts.SetMatchETag(r.etag); err != nil {
		return connect.Errorf(connect.Internal, "s3: reading blob %s: %w", r.key, err)
	}
	if err := opts.SetRange(r.read, 0); err != nil {
		return connect.Errorf(connect.Internal, "s3: reading blob %s: %w", r.key, err)
	}
	body, _, _, err := r.b.core.GetObject(r.ctx, r.b.bucket, r.name, opts)
	if err != nil {
		if code := minio.ToErrorResponse(err).Code; code == minio.PreconditionFailed || code == minio.NoSuchKey {
			return connect.Errorf(connect.Conflict, "blob %s was replaced or deleted while being read", r.key)
		}
		return r.b.translate(r.ctx, err, "reading blob "+r.key)
	}
	r.body = body
	return nil
}

func (r *reader) Close() error { return r.body.Close() }

// DeleteBlob removes the object; S3 answers a missing one as deleted.
func (b *Blobs) DeleteBlob(ctx context.Context, key string) (err error) {
	name, err := b.object(key)
	if err != nil {
		return err
	}
	ctx, done := b.span(ctx, "DeleteBlob", name)
	defer func() { done(err) }()
	if err := b.core.RemoveObject(ctx, b.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return b.translate(ctx, err, "deleting blob "+key)
	}
	return nil
}

// DeleteBlobsBefore lists the objects under the prefix and deletes those
// modified a whole second before the time, in batches.
//
// S3 keeps an object's LastModified to the second (listings show ".000Z"),
// and it is when its PUT, or its multipart upload, began: an object listed at
// 12:00:00 was stored at some instant of that second, so it is deleted only
// when that whole second is before the time. It may thus outlive the time by
// up to a second, never be deleted early. LastModified is the object store's
// clock, not this process's: the two should agree within seconds.
func (b *Blobs) DeleteBlobsBefore(ctx context.Context, prefix string, before time.Time) (n int, err error) {
	if !connect.ValidBlobPrefix(prefix) {
		return 0, connect.Errorf(connect.Invalid, "s3: %q is not a blob prefix", prefix)
	}
	ctx, done := b.span(ctx, "DeleteBlobsBefore", b.prefix+prefix)
	defer func() { done(err) }()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the listing's goroutine if we stop early
	var batch []minio.ObjectInfo
	for o := range b.core.ListObjectsIter(lctx, b.bucket, minio.ListObjectsOptions{Prefix: b.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			return n, b.translate(ctx, o.Err, "listing blobs under "+prefix)
		}
		if !o.LastModified.Truncate(time.Second).Add(time.Second).After(before) {
			batch = append(batch, minio.ObjectInfo{Key: o.Key})
		}
		if len(batch) == deleteBatch {
			k, err := b.deleteObjects(ctx, batch)
			n += k
			if err != nil {
				return n, b.translate(ctx, err, "deleting blobs under "+prefix)
			}
			batch = batch[:0]
		}
	}
	if err := ctx.Err(); err != nil { // the listing stops quietly when ctx ends
		return n, b.translate(ctx, err, "listing blobs under "+prefix)
	}
	k, err := b.deleteObjects(ctx, batch)
	n += k
	if err != nil {
		return n, b.translate(ctx, err, "deleting blobs under "+prefix)
	}
	return n, nil
}

// deleteObjects deletes the objects in one DeleteObjects request and returns
// how many were deleted, with the first error.
func (b *Blobs) deleteObjects(ctx context.Context, objects []minio.ObjectInfo) (int, error) {
	if len(objects) == 0 {
		return 0, nil
	}
	results, err := b.core.RemoveObjectsWithIter(ctx, b.bucket, slices.Values(objects), minio.RemoveObjectsOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for res := range results {
		if res.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", res.ObjectName, res.Err))
			continue
		}
		n++
	}
	if err := ctx.Err(); err != nil && n+len(errs) < len(objects) {
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}
