package connect_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

func TestAccountLocationIsTheHostsOrUTC(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	paris := time.FixedZone("CET", 3600)
	a := connect.Actor{Kind: connect.ActorDispatcher, Account: "acct-1"}
	for _, tc := range []struct {
		name string
		hook func(context.Context, connect.AccountID) (*time.Location, error)
		want *time.Location
		code connect.Code
	}{
		{name: "no hook", want: time.UTC},
		{name: "the host's", hook: func(_ context.Context, acct connect.AccountID) (*time.Location, error) {
			if acct != a.Account {
				return nil, errors.New("asked for another account")
			}
			return paris, nil
		}, want: paris},
		{name: "no zone given", hook: func(context.Context, connect.AccountID) (*time.Location, error) { return nil, nil }, want: time.UTC},
		{name: "the hook fails", hook: func(context.Context, connect.AccountID) (*time.Location, error) { return nil, errors.New("down") }, code: connect.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := connect.New(connect.Config{Store: w.store, AccountLocation: tc.hook})
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.AccountLocation(ctx, a)
			if tc.code != "" {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("AccountLocation = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
