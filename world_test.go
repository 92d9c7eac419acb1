package connect_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/storage"
)

// world is a Service on a fresh SQLite store, with a clock the test moves and a
// mailer that records what it sends.
type world struct {
	t      testing.TB
	ctx    context.Context
	svc    *connect.Service
	store  connect.Store
	mail   *recordingMailer
	now    time.Time
	nowMu  sync.Mutex
	acct   connect.AccountID
	disp   connect.Actor
	client *connect.Client
	owner  connect.Actor
	refs   int    // order references handed out by submitted
	dsn    string // where the store is, for a second Store on the same data
}

// storeDSN is a fresh database for one test: SQLite in a temporary file, or a
// PostgreSQL schema of its own when CONNECT_TEST_STORE=postgres (CI runs the whole
// suite both ways).
func storeDSN(t testing.TB) string {
	if os.Getenv("CONNECT_TEST_STORE") == "postgres" {
		return pgtest.Schema(t)
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "connect.db")
}

type recordingMailer struct {
	mu   sync.Mutex
	sent []connect.InviteMail
	fail error
}

func (m *recordingMailer) SendInvite(_ context.Context, im connect.InviteMail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, im)
	return nil
}

func (m *recordingMailer) last() connect.InviteMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent[len(m.sent)-1]
}

func newWorld(t testing.TB) *world { return newWorldWith(t, nil) }

// newWorldWith lets a test add ports to the Config before the Service is made.
func newWorldWith(t testing.TB, configure func(*connect.Config)) *world {
	t.Helper()
	ctx := context.Background()
	dsn := storeDSN(t)
	st, err := storage.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{t: t, ctx: ctx, store: st, dsn: dsn, mail: &recordingMailer{},
		now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), acct: "acct-1"}
	cfg := connect.Config{
		Store: st, Mailer: w.mail, Now: w.clock,
		InviteURL:   func(token string) string { return "https://portal.example/invite/" + token },
		TrackingURL: func(token string) string { return "https://portal.example/track/" + token },
		Passwords:   connect.PBKDF2{Iterations: 1000}, // fast in tests; the default is 600,000
	}
	if configure != nil {
		configure(&cfg)
	}
	w.svc, err = connect.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.svc.Close() })
	w.disp = connect.AsDispatcher(w.acct, "ana@dispatch.example")
	w.client, w.owner = w.signUpClient(w.disp, "Green Grocer", connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"})
	return w
}

func (w *world) clock() time.Time {
	w.nowMu.Lock()
	defer w.nowMu.Unlock()
	w.now = w.now.Add(time.Millisecond) // every call a distinct instant
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.nowMu.Lock()
	defer w.nowMu.Unlock()
	w.now = w.now.Add(d)
}

// signUpClient invites a client as dispatcher d and signs its owner up.
func (w *world) signUpClient(d connect.Actor, name string, settings connect.ClientSettings) (*connect.Client, connect.Actor) {
	w.t.Helper()
	inv, err := w.svc.InviteClient(w.ctx, d, connect.InviteClientParams{Name: name, Settings: settings})
	if err != nil {
		w.t.Fatal(err)
	}
	acc, err := w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: name + " Owner", Email: "owner@" + sanitize(name) + ".example"})
	if err != nil {
		w.t.Fatal(err)
	}
	return acc.Client, acc.Actor
}

// join invites a person to the owner's team with a role and accepts.
func (w *world) join(owner connect.Actor, email string, role connect.Role) connect.Actor {
	w.t.Helper()
	inv, err := w.svc.InviteMember(w.ctx, owner, connect.InviteMemberParams{Email: email, Role: role})
	if err != nil {
		w.t.Fatal(err)
	}
	acc, err := w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: email, Email: email})
	if err != nil {
		w.t.Fatal(err)
	}
	return acc.Actor
}

func (w *world) draft(a connect.Actor, ref string) *connect.Order {
	w.t.Helper()
	o, err := w.svc.CreateOrder(w.ctx, a, connect.OrderInput{Ref: ref, Address: connect.Address{Line1: "1 High St " + ref}})
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

func sanitize(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			out = append(out, r)
		}
	}
	return string(out)
}

func wantCode(t *testing.T, err error, code connect.Code) {
	t.Helper()
	if connect.ErrorCode(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if !errors.Is(err, &connect.Error{Code: code}) {
		t.Fatalf("errors.Is(%v, %s) is false", err, code)
	}
}

func errorsAs(err error, target **connect.Error) bool { return errors.As(err, target) }

// otherProcess returns a second Service on a Store of its own (its own pool of
// connections, as another process would have) over the world's database.
func (w *world) otherProcess() *connect.Service {
	w.t.Helper()
	st, err := storage.Open(w.ctx, w.dsn)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = st.Close() })
	svc, err := connect.New(connect.Config{Store: st})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = svc.Close() })
	return svc
}
