package connecttest_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/connecttest/mock"
)

// stopList is a host's RouteSync adapter, the code under test: the host's list of
// stops to route, kept as connect's outbox tells it.
type stopList struct {
	mu    sync.Mutex
	stops map[connect.OrderID]string // order → its ref, while it is to be routed
}

// SyncStop follows the order as it is now, not the event: changes of one order
// may come out of order or twice, as the RouteSync contract says.
func (l *stopList) SyncStop(_ context.Context, c connect.StopChange) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.Order.Status == connect.StatusSubmitted {
		l.stops[c.Order.ID] = c.Order.Ref
	} else {
		delete(l.stops, c.Order.ID)
	}
	return nil
}

func (l *stopList) refs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, ref := range l.stops {
		out = append(out, ref)
	}
	slices.Sort(out)
	return out
}

// testStopList is how a host tests its adapter: the adapter wired into a World,
// and a mock Mailer whose server is down.
func testStopList(t testing.TB) {
	stops := &stopList{stops: map[connect.OrderID]string{}}
	mailer := mock.NewMockMailer(gomock.NewController(t))
	mailer.EXPECT().SendInvite(gomock.Any(), gomock.Any()).Return(connect.Errorf(connect.Unavailable, "smtp down"))
	w := connecttest.New(t, connecttest.WithConfig(func(c *connect.Config) {
		c.RouteSync = stops
		c.Mailer = mailer
	}))

	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	_, err := w.Service.InviteMember(t.Context(), tm.Owner.Actor,
		connect.InviteMemberParams{Email: "sam@grocer.example", Role: connect.RoleMember, SendEmail: true})
	connecttest.WantCode(t, err, connect.Unavailable)
	fmt.Println("inviting by email:", connect.ErrorCode(err))

	w.OrderFrom(tm.Owner.Actor, connect.StatusSubmitted, connect.OrderInput{Ref: "GG-1", Address: connect.Address{Line1: "1 High St"}})
	w.OrderFrom(tm.Owner.Actor, connect.StatusSubmitted, connect.OrderInput{Ref: "GG-2", Address: connect.Address{Line1: "2 High St"}})
	w.OrderFrom(tm.Owner.Actor, connect.StatusCancelled, connect.OrderInput{Ref: "GG-3", Address: connect.Address{Line1: "3 High St"}})
	w.DeliverOutbox(connect.OutboxOptions{})
	fmt.Println("stops to route:", stops.refs())
}

// A host's RouteSync adapter tested against a real Service, with a gomock Mailer
// that fails. In a host's own test, testStopList takes the *testing.T that go test
// passes; runTest stands in for go test here so that the example runs.
func Example() {
	runTest(testStopList)
	// Output:
	// inviting by email: unavailable
	// stops to route: [GG-1 GG-2]
}

// runTest runs a test function outside go test, with its cleanups, and prints its
// failures: what go test does for a real test.
func runTest(test func(testing.TB)) {
	t := &exampleT{ctx: context.Background()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer t.cleanUp()
		test(t)
	}()
	<-done
}

// exampleT is the part of testing.TB that connecttest and gomock use.
type exampleT struct {
	testing.TB // the methods not below are never called
	ctx        context.Context
	cleanups   []func()
}

func (t *exampleT) Helper()                  {}
func (t *exampleT) Context() context.Context { return t.ctx }
func (t *exampleT) Cleanup(f func())         { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Errorf(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
}
func (t *exampleT) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit() // as t.FailNow: the test's goroutine ends, its cleanups run
}
func (t *exampleT) Fatal(args ...any) { t.Fatalf("%s", fmt.Sprint(args...)) }
func (t *exampleT) TempDir() string {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (t *exampleT) cleanUp() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
