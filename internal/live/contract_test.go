package live

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// world is a Store of counters: each client's commits, and the account's sum.
type world struct {
	clients []string
	commits map[string]*atomic.Int64
}

func newWorld(clients ...string) *world {
	w := &world{clients: clients, commits: map[string]*atomic.Int64{}}
	for _, c := range clients {
		w.commits[c] = new(atomic.Int64)
	}
	return w
}

// read is what a reader of sc reads from the Store.
func (w *world) read(sc Scope) int64 {
	var v int64
	if sc.Client != "" {
		v = w.commits[sc.Client].Load()
	} else {
		for _, c := range w.commits {
			v += c.Load()
		}
	}
	// A read takes a while after it has read: others arrive and share it, and
	// commits land meanwhile.
	for range 3 {
		runtime.Gosched()
	}
	return v
}

// TestNoReaderMissesACommit: writers commit to three clients while readers of
// each client, of their account and of everything read through shared reads and
// go back to waiting for a wake-up (no poll): every reader reaches the last
// commit of what it reads. A wake-up lost, or a read shared with a reader woken
// later, leaves some reader waiting for ever.
func TestNoReaderMissesACommit(t *testing.T) {
	const writersPerClient, commitsPerWriter, readersPerScope = 4, 100, 8
	w := newWorld("A", "B", "C")
	var b Broadcaster
	shared := NewShared[int64](&b)
	var reads atomic.Int64
	final := func(sc Scope) int64 {
		if sc.Client != "" {
			return writersPerClient * commitsPerWriter
		}
		return int64(len(w.clients)) * writersPerClient * commitsPerWriter
	}
	scopes := []Scope{{}, {Account: "acct-1"}}
	for _, c := range w.clients {
		scopes = append(scopes, Scope{Account: "acct-1", Client: c})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a reader stuck for that long missed a commit
	defer cancel()
	var readers, writers, ready sync.WaitGroup
	for _, sc := range scopes {
		for range readersPerScope {
			wake, stop := b.Listen(sc) // before the first read, as Subscribe does
			ready.Add(1)
			readers.Go(func() {
				defer stop()
				for i := 0; ; i++ {
					v, err := shared.Read(ctx, sc, "", func(context.Context) (int64, error) {
						reads.Add(1)
						return w.read(sc), nil
					})
					if i == 0 {
						ready.Done()
					}
					if err != nil {
						t.Errorf("a reader of %+v: %v", sc, err)
						return
					}
					if v == final(sc) {
						return
					}
					select {
					case <-wake:
					case <-ctx.Done():
						t.Errorf("a reader of %+v stopped at %d of %d commits", sc, v, final(sc))
						return
					}
				}
			})
		}
	}
	ready.Wait() // every reader is reading
	for _, c := range w.clients {
		sc := Scope{Account: "acct-1", Client: c}
		for range writersPerClient {
			writers.Go(func() {
				for range commitsPerWriter {
					w.commits[c].Add(1)
					b.Wake(sc)
					runtime.Gosched() // readers read between commits
				}
			})
		}
	}
	writers.Wait()
	readers.Wait()
	t.Logf("%d readers made %d reads", len(scopes)*readersPerScope, reads.Load())
}

// TestAMemoNeverServesAResultOlderThanACommitItHeardOf: writers commit, tell the
// broadcaster (a wake-up, or a touch), and read through the memo at once, while
// others read the same scopes: each gets a result that has its own commit.
func TestAMemoNeverServesAResultOlderThanACommitItHeardOf(t *testing.T) {
	const writersPerClient, commitsPerWriter = 4, 100
	w := newWorld("A", "B")
	var b Broadcaster
	memo := NewMemo[int64](&b, NewFakeClock(time.Unix(0, 0)), time.Hour) // results never expire
	get := func(sc Scope) int64 {
		v, err := memo.Get(context.Background(), sc, "counts", func(context.Context) (int64, error) { return w.read(sc), nil })
		if err != nil {
			t.Error(err)
		}
		return v
	}
	account := Scope{Account: "acct-1"}
	done := make(chan struct{})
	var readers, writers sync.WaitGroup
	for range 4 { // others loading the same homes meanwhile
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				get(account)
				get(Scope{Account: "acct-1", Client: "A"})
			}
		})
	}
	for i, c := range w.clients {
		sc := Scope{Account: "acct-1", Client: c}
		for j := range writersPerClient {
			writers.Go(func() {
				for k := range commitsPerWriter {
					n := w.commits[c].Add(1)
					sum := w.read(account)
					if (i+j+k)%3 == 0 {
						b.Touch(sc) // a commit that woke nobody
					} else {
						b.Wake(sc)
					}
					if got := get(sc); got < n {
						t.Errorf("client %s after its commit %d: the memo gave %d", c, n, got)
					}
					if got := get(account); got < sum {
						t.Errorf("the account after %d commits: the memo gave %d", sum, got)
					}
				}
			})
		}
	}
	writers.Wait()
	close(done)
	readers.Wait()
}
