package connect_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/dispatchkit/connect/notices"
	"github.com/dispatchkit/connect/storage"
)

// world is connecttest's World as this package's tests use it: on a database
// another Store can open too (otherProcess), people signed up without passwords,
// and one client, Green Grocer, whose owner most tests act as. The short names are
// the World's own fields under the names these tests have always used.
type world struct {
	*connecttest.World
	t      testing.TB
	ctx    context.Context
	svc    *connect.Service
	store  *storage.Store
	mail   *connecttest.Mailer
	dsn    string
	acct   connect.AccountID
	disp   connect.Actor
	client *connect.Client
	owner  connect.Actor
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

func newWorld(t testing.TB) *world { return newWorldWith(t, nil) }

// keepProofFiles has the Service keep proof files (StoreProofFile) in the
// world's Store.
func keepProofFiles(c *connect.Config) {
	c.Blobs = c.Store.(connect.Blobs)
	c.ProofFileURL = func(o connect.OrderID, file string) string {
		return "https://portal.example/proof/" + string(o) + "/" + file
	}
}

// newWorldWith lets a test change the Config (add ports, wrap the Store) before
// the Service is made.
func newWorldWith(t testing.TB, configure func(*connect.Config)) *world {
	t.Helper()
	return newWorldOn(t, storeDSN(t), configure)
}

// newWorldOn is newWorldWith on the database dsn opens: for a test that runs
// on SQLite and PostgreSQL alike in one go.
func newWorldOn(t testing.TB, dsn string, configure func(*connect.Config)) *world {
	t.Helper()
	opts := []connecttest.Option{connecttest.WithDSN(dsn), connecttest.WithPassword("")}
	if configure != nil {
		opts = append(opts, connecttest.WithConfig(configure))
	}
	cw := connecttest.New(t, opts...)
	w := &world{World: cw, t: t, ctx: context.Background(), svc: cw.Service, store: cw.Store, mail: cw.Mailer,
		dsn: cw.DSN, acct: cw.Account, disp: cw.Dispatcher}
	w.client, w.owner = w.signUpClient(w.disp, "Green Grocer", connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"})
	return w
}

func (w *world) advance(d time.Duration) { w.Clock.Advance(d) }

// webhookSink is a WebhookSender that posts nothing: every request is taken
// (200), and https URLs are accepted, for tests of who may manage webhooks.
type webhookSink struct{}

func (webhookSink) CheckWebhookURL(url string) error {
	if !strings.HasPrefix(url, "https://") {
		return connect.Errorf(connect.Invalid, "must start with https://")
	}
	return nil
}

func (webhookSink) SendWebhook(context.Context, connect.WebhookRequest) (connect.WebhookResponse, error) {
	return connect.WebhookResponse{Status: 200}, nil
}

// withWebhooks offers webhooks, posted to a webhookSink.
func withWebhooks(c *connect.Config) { c.Webhooks = webhookSink{} }

// withNotices offers recipient notifications: written by package notices,
// emailed through the world's Mailer, texted to a connecttest.SMS.
func withNotices(c *connect.Config) { c.Notices, c.SMS = notices.New(), &connecttest.SMS{} }

// signUpClient invites a client as the world's dispatcher d and signs its owner up.
func (w *world) signUpClient(d connect.Actor, name string, settings connect.ClientSettings) (*connect.Client, connect.Actor) {
	w.t.Helper()
	if d != w.Dispatcher {
		w.t.Fatalf("signUpClient: clients are invited by the world's dispatcher, not %v", d)
	}
	tm := w.NewClient(name, settings)
	return tm.Client, tm.Owner.Actor
}

// join invites a person to the owner's team with a role and accepts.
func (w *world) join(owner connect.Actor, email string, role connect.Role) connect.Actor {
	w.t.Helper()
	return w.Join(owner, email, role).Actor
}

// draft creates a draft of a's client with the ref.
func (w *world) draft(a connect.Actor, ref string) *connect.Order {
	w.t.Helper()
	return w.OrderFrom(a, connect.StatusDraft, connect.OrderInput{Ref: ref, Address: connect.Address{Line1: "1 High St " + ref}})
}

// submitted makes n submitted orders of the world's client.
func (w *world) submitted(n int) []*connect.Order {
	w.t.Helper()
	return w.Orders(w.owner, connect.StatusSubmitted, n)
}

// otherProcess returns a second Service on a Store of its own (its own pool of
// connections, as another process would have) over the world's database.
func (w *world) otherProcess() *connect.Service {
	w.t.Helper()
	return w.OtherProcess()
}

// wantCode is connecttest.WantCode under the name the live-update tests use.
var wantCode = connecttest.WantCode
