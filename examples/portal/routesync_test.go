package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/dispatchkit/connect/connecttest"
)

func TestTheDemoRouteSyncMeetsTheContract(t *testing.T) {
	connecttest.RunRouteSync(t, func(*testing.T) connecttest.RouteSyncHost {
		return &routeSync{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	})
}
