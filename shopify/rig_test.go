package shopify_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/shopify/shopifytest"
)

// rig is an Adapter against a fake Shopify with one shop, on a fake clock
// shared by both, with in-memory tokens and single-use keys, and a portal
// whose sessions are cookies naming actors.
type rig struct {
	t       *testing.T
	ctx     context.Context
	clock   *shopifytest.Clock
	srv     *shopifytest.Server
	shop    *shopifytest.Shop
	tokens  *memTokens
	once    *memOnce
	sealer  *shopify.Sealer
	key     []byte
	adapter *shopify.Adapter
	links   *recordingLinker
	install *shopify.InstallHandler

	mu       sync.Mutex
	sessions map[string]connect.Actor // cookie value → actor
	// owner is the member of client-1 of acct-1 the tests sign in as.
	owner connect.Actor
	scope connect.Scope
	edits []func(*shopify.Config)
}

const (
	redirectURL = "https://portal.example/shopify/callback"
	returnURL   = "https://portal.example/settings/integrations?shopify=linked"
)

func newRig(t *testing.T, edit ...func(*shopify.Config)) *rig {
	t.Helper()
	r := &rig{t: t, ctx: context.Background(), clock: &shopifytest.Clock{}, sessions: map[string]connect.Actor{}}
	r.srv = shopifytest.New(shopifytest.Config{Now: r.clock.Now})
	t.Cleanup(r.srv.Close)
	r.shop = r.srv.Shop("acme.myshopify.com")
	r.tokens = newMemTokens()
	r.once = &memOnce{now: r.clock.Now, used: map[string]time.Time{}}
	r.key = bytes.Repeat([]byte{7}, 32)
	var err error
	if r.sealer, err = shopify.NewSealer(r.key); err != nil {
		t.Fatal(err)
	}
	r.owner = connect.AsMember("acct-1", "client-1", "member-1")
	r.edits = edit
	r.scope = connect.Scope{Account: "acct-1", Client: "client-1"}
	r.signIn("owner", r.owner)
	r.tokens.addClient(r.scope)
	r.tokens.addClient(connect.Scope{Account: "acct-1", Client: "client-2"})
	r.adapter = r.adapterWith()
	r.links = &recordingLinker{}
	if r.install, err = r.adapter.InstallHandler(r.links); err != nil {
		t.Fatal(err)
	}
	return r
}

// adapterWith returns an adapter on the rig's fake, tokens and keys, with the
// rig's edits and then these.
func (r *rig) adapterWith(edit ...func(*shopify.Config)) *shopify.Adapter {
	r.t.Helper()
	cfg := shopify.Config{
		ClientID: r.srv.ClientID(), Secret: r.srv.Secret(),
		Tokens: r.tokens, Sealer: r.sealer, HTTPClient: r.srv.Client(),
		Session:     r.session,
		Once:        r.once,
		RedirectURL: redirectURL, ReturnURL: returnURL,
		Now: r.clock.Now, Sleep: r.clock.Sleep,
	}
	for _, e := range append(append([]func(*shopify.Config){}, r.edits...), edit...) {
		e(&cfg)
	}
	a, err := shopify.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

func (r *rig) signIn(cookie string, a connect.Actor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions[cookie] = a
}

// session is the portal's Config.Session: the actor the "session" cookie names.
func (r *rig) session(req *http.Request) (connect.Actor, bool) {
	c, err := req.Cookie("session")
	if err != nil {
		return connect.Actor{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.sessions[c.Value]
	return a, ok
}

// start runs the install handler's Start as the session cookie's actor and
// returns its answer.
func (r *rig) start(cookie, shop string) *httptest.ResponseRecorder {
	r.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/settings/shopify/install", nil)
	req.Form = url.Values{"shop": {shop}}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
	}
	w := httptest.NewRecorder()
	r.install.Start(w, req)
	return w
}

// approve follows Start's redirect to the fake's approval page and returns
// the callback query Shopify redirects back with.
func (r *rig) approve(startAnswer *httptest.ResponseRecorder) url.Values {
	r.t.Helper()
	if startAnswer.Code != http.StatusSeeOther {
		r.t.Fatalf("Start answered %d: %s", startAnswer.Code, startAnswer.Body)
	}
	hc := r.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(startAnswer.Header().Get("Location"))
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		r.t.Fatalf("the approval page answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != redirectURL {
		r.t.Fatalf("Shopify redirected to %s, want the callback %s", got, redirectURL)
	}
	return back.Query()
}

// callback runs the install handler's Callback with the query, as the session
// cookie's actor.
func (r *rig) callback(cookie string, q url.Values) *httptest.ResponseRecorder {
	r.t.Helper()
	req := httptest.NewRequest(http.MethodGet, redirectURL+"?"+q.Encode(), nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
	}
	w := httptest.NewRecorder()
	r.install.Callback(w, req)
	return w
}

// link installs the app on the rig's shop as the owner, as a merchant does.
func (r *rig) link() {
	r.t.Helper()
	w := r.callback("owner", r.approve(r.start("owner", r.shop.Domain())))
	if w.Code != http.StatusSeeOther {
		r.t.Fatalf("Callback answered %d: %s", w.Code, w.Body)
	}
}

// storedToken opens the client's shop's stored token.
func (r *rig) storedToken(scope connect.Scope) (string, shopify.Token) {
	r.t.Helper()
	st, err := r.tokens.ShopifyToken(r.ctx, scope)
	if err != nil {
		r.t.Fatal(err)
	}
	return st.Shop, openShopToken(r.t, r.sealer, st.Shop, st.Sealed)
}

// memTokens is an in-memory connect.ShopifyTokens, a token per shop that the
// clients linked to it share, that counts saves (and swaps).
type memTokens struct {
	mu      sync.Mutex
	clients map[connect.Scope]bool
	links   map[connect.Scope]string // client → shop
	shops   map[string]*memShop
	saves   int
	fail    error // returned by every call when set
}

type memShop struct {
	tok          connect.ShopifyToken
	claimedUntil time.Time
}

// stored is a client's view of its shop's token.
type stored struct {
	shop   string
	sealed []byte
}

func newMemTokens() *memTokens {
	return &memTokens{clients: map[connect.Scope]bool{}, links: map[connect.Scope]string{}, shops: map[string]*memShop{}}
}

func (m *memTokens) addClient(s connect.Scope) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clients[s] = true
}

func (m *memTokens) SaveShopifyToken(_ context.Context, s connect.Scope, shop string, sealed []byte, at time.Time) (*connect.ShopifyToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	if !m.clients[s] {
		return nil, connect.Errorf(connect.NotFound, "no such client")
	}
	m.saves++
	m.links[s] = shop
	sh := m.shops[shop]
	if sh == nil {
		sh = &memShop{}
		m.shops[shop] = sh
	}
	sh.tok = connect.ShopifyToken{Shop: shop, Sealed: bytes.Clone(sealed), Version: sh.tok.Version + 1, SavedAt: at}
	sh.claimedUntil = time.Time{}
	out := sh.tok
	return &out, nil
}

// linked returns the shop of the client; m.mu is held.
func (m *memTokens) linked(s connect.Scope) (*memShop, error) {
	if m.fail != nil {
		return nil, m.fail
	}
	sh := m.shops[m.links[s]]
	if sh == nil {
		return nil, connect.Errorf(connect.NotFound, "no token")
	}
	return sh, nil
}

func (m *memTokens) ShopifyToken(_ context.Context, s connect.Scope) (*connect.ShopifyToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sh, err := m.linked(s)
	if err != nil {
		return nil, err
	}
	out := sh.tok
	out.Sealed = bytes.Clone(out.Sealed)
	return &out, nil
}

func (m *memTokens) ClaimShopifyRefresh(_ context.Context, s connect.Scope, p connect.ShopifyRefreshClaim) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	sh, err := m.linked(s)
	if err != nil {
		return err
	}
	if sh.tok.Version != p.Version || p.Now.Before(sh.claimedUntil) {
		return connect.Errorf(connect.Conflict, "claimed or moved on")
	}
	sh.claimedUntil = p.Until
	return nil
}

func (m *memTokens) ReleaseShopifyRefresh(_ context.Context, s connect.Scope, p connect.ShopifyRefreshClaim) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	sh, err := m.linked(s)
	if err != nil {
		return nil
	}
	if sh.tok.Version == p.Version && sh.claimedUntil.Equal(p.Until) {
		sh.claimedUntil = time.Time{}
	}
	return nil
}

func (m *memTokens) SwapShopifyToken(_ context.Context, s connect.Scope, version int64, sealed []byte, at time.Time) (*connect.ShopifyToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sh, err := m.linked(s)
	if err != nil {
		return nil, err
	}
	if sh.tok.Version != version {
		return nil, connect.Errorf(connect.Conflict, "moved on")
	}
	m.saves++
	sh.tok = connect.ShopifyToken{Shop: sh.tok.Shop, Sealed: bytes.Clone(sealed), Version: version + 1, SavedAt: at}
	sh.claimedUntil = time.Time{}
	out := sh.tok
	return &out, nil
}

func (m *memTokens) DeleteShopifyToken(_ context.Context, s connect.Scope) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	shop, ok := m.links[s]
	if !ok {
		return nil
	}
	delete(m.links, s)
	for _, other := range m.links {
		if other == shop {
			return nil
		}
	}
	m.forget(shop)
	return nil
}

// forget forgets the shop's token, its version moving on (see
// connect.ShopifyTokens.DeleteShopifyToken); m.mu is held.
func (m *memTokens) forget(shop string) {
	if sh := m.shops[shop]; sh != nil {
		sh.tok = connect.ShopifyToken{Shop: shop, Version: sh.tok.Version + 1}
		sh.claimedUntil = time.Time{}
	}
}

func (m *memTokens) ForgetShopifyShopAnyAccount(_ context.Context, shop string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return 0, m.fail
	}
	n := 0
	for s, other := range m.links {
		if other == shop {
			delete(m.links, s)
			n++
		}
	}
	m.forget(shop)
	return n, nil
}

func (m *memTokens) ShopifyTokensSavedBeforeAnyAccount(_ context.Context, t time.Time, limit int) ([]connect.QuietShopifyShop, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	var out []connect.QuietShopifyShop
	for s, shop := range m.links {
		sh := m.shops[shop]
		if sh == nil || !sh.tok.SavedAt.Before(t) || slices.ContainsFunc(out, func(q connect.QuietShopifyShop) bool { return q.Shop == shop }) {
			continue
		}
		out = append(out, connect.QuietShopifyShop{Shop: shop, Client: s, SavedAt: sh.tok.SavedAt})
	}
	return out[:min(len(out), limit)], nil
}

func (m *memTokens) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links, m.shops, m.saves = map[connect.Scope]string{}, map[string]*memShop{}, 0
}

// snapshot returns each linked client's view of its shop's token, and the
// number of saves.
func (m *memTokens) snapshot() (map[connect.Scope]stored, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[connect.Scope]stored{}
	for s, shop := range m.links {
		if sh := m.shops[shop]; sh != nil {
			out[s] = stored{shop, bytes.Clone(sh.tok.Sealed)}
		}
	}
	return out, m.saves
}

// memOnce is an in-memory Once that can forget, on the rig's clock.
type memOnce struct {
	mu   sync.Mutex
	now  func() time.Time
	used map[string]time.Time
	fail error
}

func (o *memOnce) UseOnce(_ context.Context, key string, expires time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return o.fail
	}
	if exp, ok := o.used[key]; ok && o.now().Before(exp) {
		return connect.Errorf(connect.Conflict, "%s was used", key)
	}
	o.used[key] = expires
	return nil
}

func (o *memOnce) ForgetOnce(_ context.Context, key string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.used, key)
	return nil
}

func (o *memOnce) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.used)
}

// recordingLinker is the Service's LinkShopify, recording calls; it refuses
// when refuse is set. Its Membership gives every member the role roles names
// (owner when it names none) in a client named after its id.
type recordingLinker struct {
	mu     sync.Mutex
	calls  []linkCall
	refuse error
	roles  map[connect.MemberID]connect.Role
}

func (l *recordingLinker) Membership(_ context.Context, a connect.Actor) (*connect.Client, *connect.Member, error) {
	if a.Kind != connect.ActorMember {
		return nil, nil, connect.Errorf(connect.Forbidden, "only a team's members have a membership")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	role := l.roles[a.Member]
	if role == "" {
		role = connect.RoleOwner
	}
	c := &connect.Client{ID: a.Client, Account: a.Account, Name: "Client " + string(a.Client)}
	for _, call := range l.calls {
		if call.Actor.Client == a.Client {
			c.Shopify.Shop = call.Shop
		}
	}
	return c, &connect.Member{ID: a.Member, Client: a.Client, Role: role}, nil
}

type linkCall struct {
	Actor connect.Actor
	Shop  string
}

func (l *recordingLinker) LinkShopify(_ context.Context, a connect.Actor, shop string) (*connect.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refuse != nil {
		return nil, l.refuse
	}
	l.calls = append(l.calls, linkCall{a, shop})
	return &connect.Client{ID: a.Client, Account: a.Account, Shopify: connect.ShopifyLink{Shop: shop}}, nil
}

func (l *recordingLinker) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = nil
}

func (l *recordingLinker) linked() []linkCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]linkCall(nil), l.calls...)
}
