package storage_test

import (
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

func TestSQLiteMeetsTheBlobsContract(t *testing.T) {
	connecttest.RunBlobs(t, func(t *testing.T) connect.Blobs { return openSQLite(t) })
}

func TestPostgresMeetsTheBlobsContract(t *testing.T) {
	connecttest.RunBlobs(t, func(t *testing.T) connect.Blobs { return openPostgres(t) })
}
