package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/dispatchkit/connect"
)

// translate turns an error of minio-go into a *connect.Error about what (which
// names the key): the one place where S3's errors become connect's.
func (b *Blobs) translate(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		cause := err
		if ctx.Err() != nil {
			cause = ctx.Err()
		}
		return &connect.Error{Code: connect.Unavailable, Message: "s3: " + what + ": " + cause.Error(), Err: cause}
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey:
		return &connect.Error{Code: connect.NotFound, Message: what + ": not found", Err: err}
	case resp.Code == minio.NoSuchBucket:
		return &connect.Error{Code: connect.Internal, Message: "s3: " + what + ": bucket " + b.bucket + " does not exist", Err: err}
	case resp.Code == minio.PreconditionFailed:
		return &connect.Error{Code: connect.Conflict, Message: "s3: " + what + ": changed meanwhile", Err: err}
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return &connect.Error{Code: connect.Unavailable, Message: "s3: " + what + ": the object store is unavailable (" + describe(resp) + ")", Err: err}
	case resp.StatusCode == 0 && unreachable(err):
		return &connect.Error{Code: connect.Unavailable, Message: "s3: " + what + ": the object store cannot be reached", Err: err}
	case resp.StatusCode != 0:
		return &connect.Error{Code: connect.Internal, Message: "s3: " + what + ": " + describe(resp), Err: err}
	}
	return &connect.Error{Code: connect.Internal, Message: "s3: " + what + ": " + err.Error(), Err: err}
}

// describe reads like "503 SlowDown: Please reduce your request rate.".
func describe(resp minio.ErrorResponse) string {
	code := resp.Code
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	if resp.Message == "" {
		return fmt.Sprintf("%d %s", resp.StatusCode, code)
	}
	return fmt.Sprintf("%d %s: %s", resp.StatusCode, code, resp.Message)
}

// unreachable reports whether err is the network's: a refused or reset
// connection, a timeout, a name that does not resolve, a body cut short.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}
