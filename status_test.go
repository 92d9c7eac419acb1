package connect_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// legal lists, independently of the table in status.go, every transition the
// lifecycle of DESIGN.md allows: from, event, who, to.
var legal = []struct {
	from  connect.Status
	event connect.Event
	by    connect.ActorKind
	to    connect.Status
}{
	{connect.StatusDraft, connect.EventSubmit, connect.ActorMember, connect.StatusSubmitted},
	{connect.StatusSubmitted, connect.EventWithdraw, connect.ActorMember, connect.StatusDraft},
	{connect.StatusSubmitted, connect.EventSchedule, connect.ActorRouteSync, connect.StatusScheduled},
	{connect.StatusScheduled, connect.EventUnschedule, connect.ActorRouteSync, connect.StatusSubmitted},
	{connect.StatusEnRoute, connect.EventUnschedule, connect.ActorRouteSync, connect.StatusSubmitted},
	{connect.StatusScheduled, connect.EventStart, connect.ActorRouteSync, connect.StatusEnRoute},
	{connect.StatusEnRoute, connect.EventETA, connect.ActorRouteSync, connect.StatusEnRoute},
	{connect.StatusScheduled, connect.EventComplete, connect.ActorRouteSync, connect.StatusDelivered},
	{connect.StatusEnRoute, connect.EventComplete, connect.ActorRouteSync, connect.StatusDelivered},
	{connect.StatusScheduled, connect.EventFail, connect.ActorRouteSync, connect.StatusFailed},
	{connect.StatusEnRoute, connect.EventFail, connect.ActorRouteSync, connect.StatusFailed},
	{connect.StatusFailed, connect.EventRetry, connect.ActorDispatcher, connect.StatusSubmitted},
	{connect.StatusFailed, connect.EventRetry, connect.ActorRouteSync, connect.StatusSubmitted},
	{connect.StatusSubmitted, connect.EventCancel, connect.ActorDispatcher, connect.StatusCancelled},
	{connect.StatusScheduled, connect.EventCancel, connect.ActorDispatcher, connect.StatusCancelled},
	{connect.StatusFailed, connect.EventCancel, connect.ActorDispatcher, connect.StatusCancelled},
}

// mayFire lists who may fire each event at all, whatever the status.
var mayFire = map[connect.Event][]connect.ActorKind{
	connect.EventSubmit:     {connect.ActorMember},
	connect.EventWithdraw:   {connect.ActorMember},
	connect.EventSchedule:   {connect.ActorRouteSync},
	connect.EventUnschedule: {connect.ActorRouteSync},
	connect.EventStart:      {connect.ActorRouteSync},
	connect.EventETA:        {connect.ActorRouteSync},
	connect.EventComplete:   {connect.ActorRouteSync},
	connect.EventFail:       {connect.ActorRouteSync},
	connect.EventRetry:      {connect.ActorDispatcher, connect.ActorRouteSync},
	connect.EventCancel:     {connect.ActorDispatcher},
}

func TestNextCoversEveryStatusEventAndActor(t *testing.T) {
	kinds := []connect.ActorKind{connect.ActorNobody, connect.ActorDispatcher, connect.ActorMember, connect.ActorRouteSync}
	for _, from := range connect.Statuses() {
		for _, ev := range connect.Events() {
			for _, k := range kinds {
				name := fmt.Sprintf("%s_%s_by_%s", from, ev, strings.ReplaceAll(k.String(), " ", "_"))
				t.Run(name, func(t *testing.T) {
					got, err := connect.Next(from, ev, k)
					want, isLegal := connect.Status(""), false
					for _, l := range legal {
						if l.from == from && l.event == ev && l.by == k {
							want, isLegal = l.to, true
						}
					}
					allowed := false
					for _, a := range mayFire[ev] {
						allowed = allowed || a == k
					}
					switch {
					case isLegal:
						if err != nil || got != want {
							t.Fatalf("Next = %q, %v; want %q", got, err, want)
						}
					case !allowed:
						if !errors.Is(err, connect.ErrForbidden) {
							t.Fatalf("Next = %q, %v; want forbidden for a %s", got, err, k)
						}
					default:
						if !errors.Is(err, connect.ErrConflict) {
							t.Fatalf("Next = %q, %v; want conflict", got, err)
						}
						if !strings.Contains(err.Error(), from.Label()) {
							t.Fatalf("error %q does not name the current status %q", err, from.Label())
						}
					}
				})
			}
		}
	}
}

func TestNextRefusesUnknownEvent(t *testing.T) {
	if _, err := connect.Next(connect.StatusDraft, "teleport", connect.ActorMember); !errors.Is(err, connect.ErrInvalid) {
		t.Fatalf("err = %v, want invalid", err)
	}
}

func TestViewsPartitionStatuses(t *testing.T) {
	seen := map[connect.Status]connect.View{}
	for _, v := range []connect.View{connect.ViewDrafts, connect.ViewActive, connect.ViewCompleted} {
		for _, s := range v.Statuses() {
			if prev, ok := seen[s]; ok {
				t.Fatalf("%s is in views %s and %s", s, prev, v)
			}
			seen[s] = v
		}
	}
	if len(seen) != len(connect.Statuses()) {
		t.Fatalf("views cover %d statuses, want %d", len(seen), len(connect.Statuses()))
	}
	if connect.View("archive").Statuses() != nil {
		t.Fatal("unknown view has statuses")
	}
}
