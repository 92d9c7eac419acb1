// Package storagetest is the conformance suite of connect.Store: every adapter runs
// it, and passes it, before the core can rely on it.
//
//	func TestSQLite(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) connect.Store {
//			s, err := storage.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Run runs the tests of every role; RunClients, RunOrders and the other
// Run<Role> functions run one role's, for an adapter that implements part of the
// Store (wrapping another for the rest, say). Each role has a tenant isolation
// test that calls its scoped methods from foreign scopes.
//
// Each test calls open for a Store of its own and runs in parallel with the others.
// The suite names everything it creates with fresh random ids, so a Store that
// already holds data works too, as long as its ids do not collide.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"
)

// Run runs the whole conformance suite: every role of connect.Store, and Tx.
// open returns the Store under test and closes it in t.Cleanup; it is called once
// per test, from parallel tests.
func Run(t *testing.T, open func(t *testing.T) connect.Store) {
	for _, run := range []func(*testing.T, func(*testing.T) connect.Store){
		RunClients, RunTeam, RunInvites, RunOrders, RunStatuses, RunRouteEvents, RunOutbox, RunFeed,
		RunCredentials, RunAPIKeys, RunTrackingLinks, RunShopify, RunSessions, RunPasswordResets, RunTwoFactor, RunRateLimits, RunWebhooks, RunAddressBook, RunSchedules, RunNotices, RunImports, RunTx,
	} {
		run(t, open)
	}
}

// The Run<Role> functions run the tests of one role, for an author who implements
// part of connect.Store (the other methods may panic). Besides the role's own
// methods, the tests make their fixtures with ClientStore.CreateClient,
// TeamStore.CreateMember, InviteStore.CreateInvite and OrderStore.CreateOrders,
// and read orders back with OrderStore.Order and History.

// RunClients runs the tests of connect.ClientStore.
func RunClients(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"CreateClientThenReadItBack", testClientRoundTrip},
		{"InvitedClientsHaveNoNumberAndMayBeMany", testInvitedClientsWithoutNumber},
		{"ClientNumberIsUniqueAcrossAccounts", testClientNumberUnique},
		{"ClientNotFound", testClientNotFound},
		{"ClientsAreListedByName", testClientsByName},
		{"ClientsPageBySearchAndCursor", testClientsPage},
		{"UpdateClientIsACompareAndSet", testUpdateClient},
		{"ClientsStayInTheirTenant", testClientsIsolation},
		{"TheAccountReachesItsClients", testAccountReachesItsClients},
	})
}

// RunTeam runs the tests of connect.TeamStore.
func RunTeam(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"MembersRoundTripOwnerFirst", testMembers},
		{"MemberEmailIsUniquePerClient", testMemberEmailUnique},
		{"UpdateMemberIsACompareAndSet", testUpdateMember},
		{"MemberLanguageRoundTrips", testMemberLanguage},
		{"DeleteMemberRemovesOnlyThatMember", testDeleteMember},
		{"MembersStayInTheirTenant", testTeamIsolation},
	})
}

// RunInvites runs the tests of connect.InviteStore.
func RunInvites(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"InviteRoundTripAndTokenLookup", testInviteRoundTrip},
		{"InviteTokenHashIsUnique", testInviteTokenUnique},
		{"InvitesAreListedNewestFirst", testInvitesNewestFirst},
		{"UpdateInviteIsACompareAndSet", testUpdateInvite},
		{"TwoPeopleAcceptingOneInviteOneWins", testInviteAcceptRace},
		{"InvitesStayInTheirTenant", testInvitesIsolation},
	})
}

// RunOrders runs the tests of connect.OrderStore.
func RunOrders(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"OrderRoundTripsEveryField", testOrderRoundTrip},
		{"TextRoundTripsExactly", testUnicode},
		{"DecimalsRoundTripExactly", testDecimals},
		{"TimestampsRoundTripExactly", testTimestamps},
		{"CreateOrdersRefusesATakenRef", testRefTaken},
		{"CreateOrdersRefusesARefGivenTwice", testRefTwice},
		{"RefsAreUniquePerClientWhenGiven", testRefsPerClient},
		{"ExistingRefsFindsTheClientsRefs", testExistingRefs},
		{"ExistingRefsIgnoresCase", testExistingRefsIgnoresCase},
		{"ExistingFingerprintsCountTheClientsOrders", testExistingFingerprints},
		{"BulkInsertOf10kOrders", testBulkInsert},
		{"OrdersPaginateWithTies", testPaginationTies},
		{"OrdersFilterByStatusDepotAndClient", testOrderFilters},
		{"OrdersSearchAndFilterBySourceAndDate", testOrderSearch},
		{"OrdersByCompletionMostRecentFirst", testOrdersByCompletion},
		{"CountOrdersPerClientAndStatus", testCountOrders},
		{"CountOrdersFollowEveryWrite", testCountsFollowWrites},
		{"CountClientOrdersOfSomeClients", testClientOrderCounts},
		{"CountOnTimeOfDeliveredOrdersSince", testCountOnTime},
		{"UpdateDraftChangesOnlyDrafts", testUpdateDraft},
		{"DeleteDraftDeletesOnlyDrafts", testDeleteDraft},
		{"OrdersByIDStaysInScope", testOrdersByID},
		{"OrdersStayInTheirTenant", testOrdersIsolation},
	})
}

// RunStatuses runs the tests of connect.StatusStore.
func RunStatuses(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"SetStatusesWalksTheLifecycle", testLifecycle},
		{"SetStatusesRefusesAStaleOrMissingOrder", testSetStatusStale},
		{"WithdrawRacesScheduleOneWins", testWithdrawRace},
		{"SetStatusesAppliesABatch", testSetStatusesBatch},
		{"SetStatusesIsAllOrNothing", testSetStatusesAllOrNothing},
		{"SetStatusesBatchesRaceWholeOrNothing", testSetStatusesBatchesRace},
		{"StatusChangesStayInTheirTenant", testStatusesIsolation},
	})
}

// RunRouteEvents runs the tests of connect.RouteEventStore.
func RunRouteEvents(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"RecordHostEventsReportsFreshIDsOnce", testRecordHostEvents},
		{"ClaimHostEventsReadsOrdersAndRecordsTheirEvents", testClaimHostEvents},
		{"ForgetHostEventsBeforeATime", testForgetHostEvents},
		{"RouteEventIDsAreTheAccounts", testRouteEventsIsolation},
	})
}

// RunOutbox runs the tests of connect.OutboxStore. They read entries back
// through OutboxReader, which the Store must implement.
func RunOutbox(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"OutboxRoundTripAndClaims", testOutboxRoundTrip},
		{"OutboxConcurrentClaimsNeverShareAnEntry", testOutboxConcurrentClaims},
		{"OutboxDoneAndDeadNeverComeBack", testOutboxDoneNeverReturns},
		{"OutboxFinishUnderALapsedClaimChangesNothing", testOutboxStaleFinish},
		{"OutboxEntriesStayInTheirTenant", testOutboxIsolation},
		{"OutboxListsRequeuesDiscardsAndPurges", testOutboxOperations},
		{"OutboxDoneDropsItsPayloadWhenAskedInItsTenantOnly", testOutboxDropPayload},
		{"OrderOutboxListsOneOrdersEntries", testOrderOutbox},
		{"OutboxBacklogCountsEveryAccount", testOutboxBacklog},
	})
}

// RunFeed runs the tests of connect.FeedStore.
func RunFeed(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"EventsFeedScopedWithCursors", testEventsFeed},
		{"EventsFeedMissesNothingAcrossTransactions", testEventsAcrossTransactions},
		{"EventsFeedFollowsCause", testEventsFollowCause},
		{"EventsStayInTheirTenant", testFeedIsolation},
	})
}

// RunCredentials runs the tests of connect.CredentialStore.
func RunCredentials(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"CredentialsByEmailAcrossAccounts", testCredentials},
		{"PasswordsStayInTheirTenant", testCredentialsIsolation},
	})
}

// RunAPIKeys runs the tests of connect.APIKeyStore.
func RunAPIKeys(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"APIKeysRoundTripAndLookup", testAPIKeys},
		{"APIKeysStayInTheirTenant", testAPIKeysIsolation},
	})
}

// RunTrackingLinks runs the tests of connect.TrackingLinkStore.
func RunTrackingLinks(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"TrackingLinksRoundTripAndLookup", testTrackingLinks},
		{"TrackingLinksStayInTheirTenant", testTrackingLinksIsolation},
	})
}

// RunShopify runs the tests of connect.ShopifyStore, and of connect.ShopifyTokens
// and Once when the Store implements them.
func RunShopify(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"ClientsByShopAndImportMapping", testClientsByShopAndMapping},
		{"RedactOrdersBlanksOnlyWhatIsSelected", testRedactOrders},
		{"OrdersFromShopifyByShopAndID", testOrdersFromShopify},
		{"RedactedShopifyOrdersRecordWhatWasErased", testRedactedShopifyOrders},
		{"ShopifyNoticesLatestPerOrderInScope", testShopifyNotices},
		{"UseOnceOnceUntilExpiry", testUseOnce},
		{"ShopifyTokensInTheirTenant", testShopifyTokens},
		{"ShopifyDataStaysInItsTenant", testShopifyIsolation},
	})
}

// RunTx runs the tests of Store.Tx: what a transaction keeps, and what it undoes.
func RunTx(t *testing.T, open func(t *testing.T) connect.Store) {
	run(t, open, []test{
		{"TxCommitsWhatFnDid", testTxCommit},
		{"TxRollsBackOnError", testTxRollbackError},
		{"TxRollsBackOnPanic", testTxRollbackPanic},
		{"NestedTxRunsInTheSameTransaction", testNestedTx},
	})
}

// test is one test of the suite.
type test struct {
	name string
	fn   func(t *testing.T, f *fixture)
}

// run runs the tests in parallel, each on a Store of its own.
func run(t *testing.T, open func(t *testing.T) connect.Store, tests []test) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newFixture(t, open(t)))
		})
	}
}

// fixture makes the objects a test needs, with fresh ids.
type fixture struct {
	t      *testing.T
	s      connect.Store
	ctx    context.Context
	prefix string
	n      atomic.Int64
	base   time.Time
}

func newFixture(t *testing.T, s connect.Store) *fixture {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &fixture{
		t: t, s: s, ctx: t.Context(), prefix: hex.EncodeToString(b),
		base: time.Date(2026, 11, 25, 9, 30, 0, 123456000, time.UTC),
	}
}

// id returns a fresh id: the kind, the test's random prefix and a counter, all of
// one width and in lowercase letters and digits, so that every database sorts
// them as Go does.
func (f *fixture) id(kind string) string {
	return fmt.Sprintf("%s%s%08d", kind, f.prefix, f.n.Add(1))
}

// at returns the fixture's base time plus n seconds and n microseconds.
func (f *fixture) at(n int) time.Time {
	return f.base.Add(time.Duration(n) * (time.Second + time.Microsecond))
}

func (f *fixture) account() connect.AccountID { return connect.AccountID(f.id("acct")) }

// client stores an active client of the account.
func (f *fixture) client(account connect.AccountID) *connect.Client {
	f.t.Helper()
	c := &connect.Client{
		ID: connect.ClientID(f.id("cl")), Account: account, Name: "Client " + f.id(""),
		Email: "ops@example.com", Status: connect.ClientActive,
		Number:    connect.ClientNumber(f.id("n")),
		Settings:  connect.ClientSettings{AllowUpload: true, DefaultDepot: "depot-1"},
		CreatedAt: f.at(0), UpdatedAt: f.at(0),
	}
	must(f.t, f.s.CreateClient(f.ctx, connect.Scope{Account: c.Account}, c))
	return c
}

// member stores a member of the client.
func (f *fixture) member(c *connect.Client, name string, role connect.Role) *connect.Member {
	f.t.Helper()
	m := &connect.Member{
		ID: connect.MemberID(f.id("mb")), Account: c.Account, Client: c.ID, Name: name,
		Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "." + f.id("") + "@example.com",
		Role:  role, CreatedAt: f.at(1), UpdatedAt: f.at(1),
	}
	must(f.t, f.s.CreateMember(f.ctx, connect.Scope{Account: m.Account, Client: m.Client}, m))
	return m
}

// invite stores a pending member invite of the client, created at f.at(n).
func (f *fixture) invite(c *connect.Client, n int) *connect.Invite {
	f.t.Helper()
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	inv := &connect.Invite{
		ID: connect.InviteID(f.id("iv")), Account: c.Account, Client: c.ID, Kind: connect.InviteMember,
		Email: "new." + f.id("") + "@example.com", Role: connect.RoleMember, TokenHash: hash,
		ExpiresAt: f.at(n).Add(7 * 24 * time.Hour), InvitedBy: "member owner", CreatedAt: f.at(n),
	}
	must(f.t, f.s.CreateInvite(f.ctx, connect.Scope{Account: inv.Account, Client: inv.Client}, inv))
	return inv
}

// order returns (without storing) an order of the client at the status, created at
// f.at(n).
func (f *fixture) order(c *connect.Client, st connect.Status, n int) *connect.Order {
	o := &connect.Order{
		OrderInput: connect.OrderInput{
			Ref:       "ref-" + f.id(""),
			StopType:  connect.Delivery,
			Address:   connect.Address{Line1: "1 Main St", City: "Springfield", Zip: "12345", Country: "US"},
			Recipient: connect.Recipient{Name: "Pat", Phone: "+1 555 0100"},
		},
		ID: connect.OrderID(f.id("or")), Account: c.Account, Client: c.ID,
		Source: connect.SourceSpreadsheet, Depot: c.Settings.DefaultDepot, Status: st, Version: 1,
		CreatedAt: f.at(n), UpdatedAt: f.at(n),
	}
	if st != connect.StatusDraft {
		o.SubmittedAt = f.at(n)
	}
	return o
}

// createdEvent is the history event an order starts with.
func createdEvent(o *connect.Order) connect.OrderEvent {
	return connect.OrderEvent{Order: o.ID, Account: o.Account, Client: o.Client, Event: "create", To: o.Status,
		At: o.CreatedAt, By: "member test"}
}

// store stores the orders, each with its created event: one CreateOrders per
// account, in the scope of the account.
func (f *fixture) store(orders ...*connect.Order) {
	f.t.Helper()
	var accounts []connect.AccountID
	byAccount := map[connect.AccountID][]*connect.Order{}
	for _, o := range orders {
		if byAccount[o.Account] == nil {
			accounts = append(accounts, o.Account)
		}
		byAccount[o.Account] = append(byAccount[o.Account], o)
	}
	for _, a := range accounts {
		batch := byAccount[a]
		events := make([]connect.OrderEvent, len(batch))
		for i, o := range batch {
			events[i] = createdEvent(o)
		}
		must(f.t, f.s.CreateOrders(f.ctx, connect.Scope{Account: a}, batch, events))
	}
}

// orders creates n orders of the client at the status, created one second apart
// from f.at(from).
func (f *fixture) orders(c *connect.Client, st connect.Status, from, n int) []*connect.Order {
	f.t.Helper()
	out := make([]*connect.Order, n)
	for i := range out {
		out[i] = f.order(c, st, from+i)
	}
	f.store(out...)
	return out
}

// opts compares stored values: decimals by value, nil and empty slices alike (an
// adapter need not keep the difference), times by instant (time.Time.Equal).
var opts = cmp.Options{
	cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// same fails the test when got differs from want.
func same(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Fatalf("%s (-want +got):\n%s", what, d)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails the test unless err has the code.
func wantCode(t *testing.T, what string, err error, code connect.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %s", what, code)
	}
	if got := connect.ErrorCode(err); got != code {
		t.Fatalf("%s: got %v (code %s), want code %s", what, err, got, code)
	}
	var e *connect.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T is not a *connect.Error", what, err)
	}
}

// ids returns the orders' ids.
func ids(orders []*connect.Order) []connect.OrderID {
	out := make([]connect.OrderID, len(orders))
	for i, o := range orders {
		out[i] = o.ID
	}
	return out
}

// newestFirst sorts orders as lists show them: created_at, then id, descending.
func newestFirst(orders []*connect.Order) []*connect.Order {
	out := append([]*connect.Order(nil), orders...)
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// reload reads an order back in its own client's scope.
func (f *fixture) reload(o *connect.Order) *connect.Order {
	f.t.Helper()
	got, err := f.s.Order(f.ctx, connect.Scope{Account: o.Account, Client: o.Client}, o.ID)
	must(f.t, err)
	return got
}

// history reads an order's history in its client's scope.
func (f *fixture) history(o *connect.Order) []connect.OrderEvent {
	f.t.Helper()
	h, err := f.s.History(f.ctx, connect.Scope{Account: o.Account, Client: o.Client}, o.ID)
	must(f.t, err)
	return h
}

func scopeOf(c *connect.Client) connect.Scope { return connect.Scope{Account: c.Account, Client: c.ID} }

// OutboxReader lists a Store's outbox entries, for the outbox tests to read back
// what they wrote: the core never lists the outbox, so this is no part of
// connect.Store. A Store under the outbox tests implements it (storage.Store
// does).
type OutboxReader interface {
	// Outbox lists the scope's entries in the given states (all when empty),
	// oldest first, at most limit (all when limit ≤ 0).
	Outbox(ctx context.Context, scope connect.Scope, states []connect.OutboxState, limit int) ([]connect.OutboxEntry, error)
}

// Once records single-use keys: the Shopify adapter's own port (shopify.Once),
// written again here because one adapter does not import another. The suite
// checks it when the Store implements it (storage.Store does).
type Once interface {
	// UseOnce records key as used until expires: the first call succeeds, any
	// other before expires fails with connect.ErrConflict.
	UseOnce(ctx context.Context, key string, expires time.Time) error
}

// outbox reads the scope's outbox entries back through OutboxReader.
func (f *fixture) outbox(scope connect.Scope, states []connect.OutboxState, limit int) ([]connect.OutboxEntry, error) {
	f.t.Helper()
	r, ok := f.s.(OutboxReader)
	if !ok {
		f.t.Fatalf("the outbox tests read entries back with Outbox: %T does not implement storagetest.OutboxReader", f.s)
	}
	return r.Outbox(f.ctx, scope, states, limit)
}
