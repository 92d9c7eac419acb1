package portal

import (
	"testing"

	"github.com/dispatchkit/connect/storage/storagetest"
)

// TestMemoryLimitsKeepTheSameCountsAsTheStore: the default counts, in this
// process's memory, pass the suite the Store's shared ones pass.
func TestMemoryLimitsKeepTheSameCountsAsTheStore(t *testing.T) {
	storagetest.RunLimits(t, func(*testing.T) storagetest.Limits { return newMemoryLimits(1000) })
}
