package s3_test

import (
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/s3"
)

func TestS3MeetsTheBlobsContract(t *testing.T) {
	f := newFake(t)
	connecttest.RunBlobs(t, func(t *testing.T) connect.Blobs { return f.blobs(t, s3.Config{}) })
}
