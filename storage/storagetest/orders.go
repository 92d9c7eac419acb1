package storagetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.NullDecimal {
	return decimal.NewNullDecimal(decimal.RequireFromString(s))
}

func testOrderRoundTrip(t *testing.T, f *fixture) {
	c := f.client(f.account())
	o := &connect.Order{
		OrderInput: connect.OrderInput{
			Ref:      "#1001",
			StopType: connect.Pickup,
			Address: connect.Address{
				Unit: "Apt 4", Line1: "221B Baker Street", Line2: "Marylebone", City: "London",
				State: "Greater London", Zip: "NW1 6XE", Country: "GB",
				Latitude: dec("51.5237629"), Longitude: dec("-0.1584743"),
			},
			Recipient:    connect.Recipient{Name: "S. Holmes", Email: "sh@example.com", Phone: "+44 20 7224 3688"},
			Notes:        "Ring twice.\nLeave with Mrs Hudson; it's \"fragile\" — 'really'.\t\\ %_",
			Size:         dec("12.50"),
			PackageCount: 3,
			Products: []connect.Product{
				{Name: "Violin strings", Quantity: 2, SKU: "VS-1"},
				{Name: "Pipe tobacco", Quantity: 1},
			},
		},
		ID: connect.OrderID(f.id("or")), Account: c.Account, Client: c.ID,
		Source:  connect.SourceShopify,
		Shopify: connect.ShopifyRef{Shop: "baker.myshopify.com", OrderID: "gid://shopify/Order/1001"},
		Depot:   "depot-west", Status: connect.StatusDelivered, Version: 1,
		Fingerprint:   "0123456789abcdef0123456789abcdef",
		Import:        connect.ImportID(f.id("im")),
		Route:         connect.RouteStop{RouteID: "route-7", Position: 12},
		ETA:           f.at(30),
		FailureReason: "",
		Proof: &connect.ProofOfDelivery{
			PhotoURLs:     []string{"https://files.example/p/1.jpg", "https://files.example/p/2.jpg"},
			SignatureURL:  "https://files.example/s/1.png",
			RecipientName: "Mrs Hudson", Notes: "at the door",
			Latitude: dec("51.5237000"), Longitude: dec("-0.1585000"), At: f.at(31),
		},
		CreatedAt: f.at(1), UpdatedAt: f.at(31), SubmittedAt: f.at(2),
	}
	ev := connect.OrderEvent{Order: o.ID, Account: o.Account, Client: o.Client, Event: "create", To: connect.StatusDelivered, At: f.at(1),
		By: "dispatcher ana@example.com", ETA: f.at(30), Reason: "imported"}
	must(t, f.s.CreateOrders(f.ctx, connect.Scope{Account: o.Account}, []*connect.Order{o}, []connect.OrderEvent{ev}))
	if o.Version != 1 {
		t.Fatalf("Version after CreateOrders = %d, want 1", o.Version)
	}
	same(t, "Order", o, f.reload(o))
	same(t, "History", []connect.OrderEvent{ev}, f.history(o))
	got, err := f.s.Order(f.ctx, connect.Scope{Account: c.Account}, o.ID)
	must(t, err)
	same(t, "Order in the account's scope", o, got)

	// An order with nothing optional set, and no history.
	bare := &connect.Order{ID: connect.OrderID(f.id("or")), Account: c.Account, Client: c.ID,
		Status: connect.StatusDraft, Version: 1, CreatedAt: f.at(3), UpdatedAt: f.at(3)}
	must(t, f.s.CreateOrders(f.ctx, connect.Scope{Account: bare.Account}, []*connect.Order{bare}, nil))
	same(t, "bare order", bare, f.reload(bare))
	if h := f.history(bare); len(h) != 0 {
		t.Fatalf("an order created without events has history %v", h)
	}

	// Lists carry every field too, an empty order after a full one included.
	older := *bare
	older.ID, older.CreatedAt, older.UpdatedAt = connect.OrderID(f.id("or")), f.at(0), f.at(0)
	must(t, f.s.CreateOrders(f.ctx, connect.Scope{Account: older.Account}, []*connect.Order{&older}, nil))
	list, err := f.s.Orders(f.ctx, scopeOf(c), connect.OrderQuery{})
	must(t, err)
	same(t, "Orders", []*connect.Order{bare, o, &older}, list)
}

// texts are strings every text column must keep byte for byte.
var texts = map[string]string{
	"emoji":           "📦🚚 Ünïcödé 👩🏽‍🚀 family 👨‍👩‍👧‍👦 flag 🇳🇿",
	"rtl":             "שלום עולם — مرحبا بالعالم ١٢٣",
	"combining":       "e\u0301 (decomposed) vs é (composed); Zalgo: Z\u0351\u0352\u0357a\u0308l\u0327g\u0303o",
	"cjk":             "東京都渋谷区神南1-2-3 北京市 서울특별시",
	"quotes":          `O'Brien "the" \backslash\ ; DROP TABLE orders; --`,
	"whitespace":      "  leading and trailing  \t\r\n",
	"control":         "bell\a escape\x1b unit\x1f del\x7f",
	"surrogate-range": "𝕏 𝄞 𐍈 (outside the BMP)",
	"long":            strings.Repeat("long text ✓ ", 900),
	"percent":         "100% _under_ %s %d",
}

func testUnicode(t *testing.T, f *fixture) {
	account := f.account()
	for name, s := range texts {
		t.Run(name, func(t *testing.T) {
			c := &connect.Client{ID: connect.ClientID(f.id("cl")), Account: account, Name: s, Email: s,
				Status: connect.ClientActive, Number: connect.ClientNumber(f.id("n")),
				Settings:  connect.ClientSettings{DefaultDepot: connect.DepotID(s)},
				CreatedAt: f.at(0), UpdatedAt: f.at(0)}
			must(t, f.s.CreateClient(f.ctx, connect.Scope{Account: c.Account}, c))
			gotC, err := f.s.Client(f.ctx, connect.Scope{Account: account}, c.ID)
			must(t, err)
			same(t, "client", c, gotC)

			m := &connect.Member{ID: connect.MemberID(f.id("mb")), Account: account, Client: c.ID,
				Name: s, Email: s, Role: connect.RoleOwner, CreatedAt: f.at(0), UpdatedAt: f.at(0)}
			must(t, f.s.CreateMember(f.ctx, connect.Scope{Account: m.Account, Client: m.Client}, m))
			gotM, err := f.s.Member(f.ctx, scopeOf(c), m.ID)
			must(t, err)
			same(t, "member", m, gotM)

			o := f.order(c, connect.StatusFailed, 1)
			o.Ref, o.Notes, o.FailureReason = s, s, s
			o.Address = connect.Address{Unit: s, Line1: s, Line2: s, City: s, State: s, Zip: s, Country: s}
			o.Recipient = connect.Recipient{Name: s, Email: s, Phone: s}
			o.Products = []connect.Product{{Name: s, Quantity: 1, SKU: s}}
			o.Route.RouteID = s
			o.Proof = &connect.ProofOfDelivery{PhotoURLs: []string{s}, SignatureURL: s, RecipientName: s, Notes: s}
			ev := createdEvent(o)
			ev.By, ev.Reason = s, s
			must(t, f.s.CreateOrders(f.ctx, connect.Scope{Account: o.Account}, []*connect.Order{o}, []connect.OrderEvent{ev}))
			same(t, "order", o, f.reload(o))
			same(t, "history", []connect.OrderEvent{ev}, f.history(o))
			refs, err := f.s.ExistingRefs(f.ctx, scopeOf(c), []string{s})
			must(t, err)
			same(t, "ExistingRefs", []string{s}, refs)
		})
	}
}

// decimals are values Size, Latitude and Longitude must keep exactly.
var decimals = []string{
	"1234567890123456.1234", "0.000001", "0", "1", "12.50", "-33.8688197", "151.2092955",
	"-0.000000001", "99999999999999999999999999999999.99999999999999999999999999",
	"0.1", "1e-20", "123456789012345678901234567890",
}

func testDecimals(t *testing.T, f *fixture) {
	c := f.client(f.account())
	var orders []*connect.Order
	for i, s := range decimals {
		o := f.order(c, connect.StatusDelivered, i)
		o.Size, o.Address.Latitude, o.Address.Longitude = dec(s), dec(s), dec(s)
		o.Proof = &connect.ProofOfDelivery{Latitude: dec(s), Longitude: dec(s), At: f.at(i)}
		orders = append(orders, o)
	}
	none := f.order(c, connect.StatusDraft, 99) // no decimals at all: NULL, not zero
	orders = append(orders, none)
	f.store(orders...)
	for i, o := range orders {
		got := f.reload(o)
		same(t, fmt.Sprintf("order with decimal %d", i), o, got)
		if got.Size.Valid && got.Size.Decimal.String() != o.Size.Decimal.String() {
			t.Errorf("size %s read back as %s", o.Size.Decimal, got.Size.Decimal)
		}
	}
	if got := f.reload(none); got.Size.Valid || got.Address.Latitude.Valid {
		t.Fatalf("absent decimals read back as %v, %v", got.Size, got.Address.Latitude)
	}
}

// timestamps are instants every time column must keep to the microsecond.
var timestamps = []time.Time{
	time.Date(2026, 11, 25, 9, 30, 0, 123456000, time.UTC),
	time.Date(2026, 11, 25, 9, 30, 0, 100000000, time.UTC),
	time.Date(2026, 11, 25, 9, 30, 0, 1000, time.UTC),
	time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC),
	time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
	time.Date(2199, 1, 1, 0, 0, 0, 1000, time.UTC),
	time.Date(2026, 3, 29, 1, 30, 0, 500000000, time.FixedZone("NZDT", 13*3600)),
	time.Date(2026, 6, 1, 12, 0, 0, 999999000, time.FixedZone("west", -9*3600-30*60)),
}

func testTimestamps(t *testing.T, f *fixture) {
	c := f.client(f.account())
	for i, ts := range timestamps {
		o := f.order(c, connect.StatusEnRoute, 0)
		o.CreatedAt, o.UpdatedAt, o.SubmittedAt, o.ETA = ts, ts, ts, ts
		o.Proof = &connect.ProofOfDelivery{At: ts}
		ev := connect.OrderEvent{Order: o.ID, Account: o.Account, Client: o.Client, Event: "create", To: o.Status, At: ts, ETA: ts}
		must(t, f.s.CreateOrders(f.ctx, connect.Scope{Account: o.Account}, []*connect.Order{o}, []connect.OrderEvent{ev}))
		got := f.reload(o)
		same(t, fmt.Sprintf("order with time %d", i), o, got)
		same(t, fmt.Sprintf("history with time %d", i), []connect.OrderEvent{ev}, f.history(o))
		page, err := f.s.Orders(f.ctx, scopeOf(c), connect.OrderQuery{After: &connect.OrderCursor{CreatedAt: ts, ID: o.ID}})
		must(t, err)
		for _, p := range page {
			if !p.CreatedAt.Before(ts) && !(p.CreatedAt.Equal(ts) && p.ID < o.ID) {
				t.Fatalf("page after (%v, %s) holds %s created %v", ts, o.ID, p.ID, p.CreatedAt)
			}
		}
	}
}

func testRefTaken(t *testing.T, f *fixture) {
	c := f.client(f.account())
	a, b := f.order(c, connect.StatusDraft, 1), f.order(c, connect.StatusDraft, 2)
	f.store(a, b)
	for _, n := range []int{1, 3, 2500} { // small, and big enough for any bulk path
		batch := make([]*connect.Order, n)
		for i := range batch {
			batch[i] = f.order(c, connect.StatusDraft, 10+i)
		}
		batch[n/2].Ref = otherCase(b.Ref) // the same reference (compared without case)
		events := make([]connect.OrderEvent, n)
		for i, o := range batch {
			events[i] = createdEvent(o)
		}
		err := f.s.CreateOrders(f.ctx, scopeOf(c), batch, events)
		wantCode(t, fmt.Sprintf("CreateOrders of %d with a taken ref", n), err, connect.Conflict)
		if !strings.Contains(err.Error(), batch[n/2].Ref) {
			t.Fatalf("the conflict %q does not name the ref %q as given", err, batch[n/2].Ref)
		}
		for _, o := range []*connect.Order{batch[0], batch[n-1]} {
			_, err := f.s.Order(f.ctx, scopeOf(c), o.ID)
			wantCode(t, "an order of the refused batch", err, connect.NotFound)
			if h := f.history(o); len(h) != 0 {
				t.Fatalf("an order of the refused batch has history %v", h)
			}
		}
	}
	counts, err := f.s.CountOrders(f.ctx, scopeOf(c))
	must(t, err)
	if n := counts[c.ID].Total(); n != 2 {
		t.Fatalf("%d orders stored, want the 2 before the refused batches", n)
	}
}

func testRefTwice(t *testing.T, f *fixture) {
	c := f.client(f.account())
	a, b := f.order(c, connect.StatusDraft, 1), f.order(c, connect.StatusDraft, 2)
	b.Ref = otherCase(a.Ref)
	err := f.s.CreateOrders(f.ctx, connect.Scope{Account: a.Account}, []*connect.Order{a, b}, nil)
	wantCode(t, "CreateOrders with a ref given twice", err, connect.Conflict)
	if !strings.Contains(err.Error(), b.Ref) {
		t.Fatalf("the conflict %q does not name the ref %q", err, b.Ref)
	}
	_, err = f.s.Order(f.ctx, scopeOf(c), a.ID)
	wantCode(t, "the first order of the refused call", err, connect.NotFound)
}

func testRefsPerClient(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	e := f.client(f.account())
	a := f.order(c, connect.StatusDraft, 1)
	b, x := f.order(d, connect.StatusDraft, 2), f.order(e, connect.StatusDraft, 3)
	b.Ref, x.Ref = a.Ref, otherCase(a.Ref) // another client's, another account's: allowed
	f.store(a, b, x)
	var noRef []*connect.Order
	for i := range 5 {
		o := f.order(c, connect.StatusDraft, 10+i)
		o.Ref = ""
		noRef = append(noRef, o)
	}
	f.store(noRef...) // many orders without a ref
	f.store(f.orders(c, connect.StatusDraft, 20, 0)...)
	for _, o := range append(noRef, a, b, x) {
		same(t, "order", o, f.reload(o))
	}
}

// testExistingRefsIgnoresCase: a reference given in another case than the stored
// one is already used ("abc-1" when "ABC-1" is stored: a re-import of the same
// order), and comes back as it was given; in the client's scope and the account's,
// never another client's.
func testExistingRefsIgnoresCase(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	o := f.order(c, connect.StatusDraft, 1)
	o.Ref = "ABC-" + f.id("")
	other := f.order(d, connect.StatusDraft, 2)
	other.Ref = "Theirs-" + f.id("")
	f.store(o, other)
	lower, mixed := strings.ToLower(o.Ref), "aBc-"+strings.TrimPrefix(o.Ref, "ABC-")
	asked := []string{lower, "nope", o.Ref, mixed, strings.ToUpper(other.Ref), lower}
	want := []string{lower, o.Ref, mixed}
	for _, sc := range []connect.Scope{scopeOf(c)} {
		got, err := f.s.ExistingRefs(f.ctx, sc, asked)
		must(t, err)
		same(t, "ExistingRefs in other cases", want, got)
	}
	got, err := f.s.ExistingRefs(f.ctx, connect.Scope{Account: c.Account}, asked)
	must(t, err)
	same(t, "ExistingRefs in other cases, the account's", []string{lower, o.Ref, mixed, strings.ToUpper(other.Ref)}, got)
	got, err = f.s.ExistingRefs(f.ctx, scopeOf(d), []string{lower, strings.ToLower(other.Ref)})
	must(t, err)
	same(t, "ExistingRefs of another client", []string{strings.ToLower(other.Ref)}, got)
}

func testExistingRefs(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	mine := f.orders(c, connect.StatusDraft, 0, 3)
	theirs := f.orders(d, connect.StatusDraft, 10, 2)
	asked := []string{"nope", mine[2].Ref, theirs[0].Ref, "", mine[0].Ref, mine[2].Ref}
	got, err := f.s.ExistingRefs(f.ctx, scopeOf(c), asked)
	must(t, err)
	slices.Sort(got)
	want := []string{mine[0].Ref, mine[2].Ref}
	slices.Sort(want)
	same(t, "ExistingRefs", want, got)
	got, err = f.s.ExistingRefs(f.ctx, scopeOf(c), nil)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("ExistingRefs(nil) = %v", got)
	}
	// Many refs at once: an import asks for every row's.
	var many []string
	for i := range 5000 {
		many = append(many, fmt.Sprintf("absent-%d", i))
	}
	many = append(many, mine[1].Ref)
	got, err = f.s.ExistingRefs(f.ctx, scopeOf(c), many)
	must(t, err)
	same(t, "ExistingRefs of 5001", []string{mine[1].Ref}, got)
}

func testBulkInsert(t *testing.T, f *fixture) {
	c := f.client(f.account())
	const n = 10000
	orders := make([]*connect.Order, n)
	events := make([]connect.OrderEvent, n)
	for i := range orders {
		o := f.order(c, connect.StatusDraft, i/3) // three orders a second: ties
		o.Size = dec(fmt.Sprintf("%d.%03d", i, i%1000))
		o.Products = []connect.Product{{Name: fmt.Sprintf("item %d", i), Quantity: i%7 + 1}}
		orders[i], events[i] = o, createdEvent(o)
	}
	must(t, f.s.CreateOrders(f.ctx, scopeOf(c), orders, events))
	for _, o := range orders {
		if o.Version != 1 {
			t.Fatalf("order %s has Version %d after CreateOrders, want 1", o.ID, o.Version)
		}
	}
	counts, err := f.s.CountOrders(f.ctx, scopeOf(c))
	must(t, err)
	if got := counts[c.ID][connect.StatusDraft]; got != n {
		t.Fatalf("CountOrders = %d drafts, want %d", got, n)
	}
	got, err := f.s.Orders(f.ctx, scopeOf(c), connect.OrderQuery{Limit: n + 1})
	must(t, err)
	same(t, "every order, newest first", ids(newestFirst(orders)), ids(got))
	for _, i := range []int{0, 1, n / 2, n - 1} {
		same(t, fmt.Sprintf("order %d", i), orders[i], f.reload(orders[i]))
		same(t, fmt.Sprintf("history %d", i), []connect.OrderEvent{events[i]}, f.history(orders[i]))
	}
}

func testPaginationTies(t *testing.T, f *fixture) {
	c := f.client(f.account())
	var orders []*connect.Order
	for i := range 61 {
		o := f.order(c, connect.StatusSubmitted, 0)
		o.CreatedAt = f.at(i % 4) // four instants, about fifteen orders each
		orders = append(orders, o)
	}
	// store in an order unrelated to the list's
	shuffled := slices.Clone(orders)
	slices.SortFunc(shuffled, func(a, b *connect.Order) int { return strings.Compare(string(b.Ref), string(a.Ref)) })
	f.store(shuffled...)
	f.orders(f.client(c.Account), connect.StatusSubmitted, 0, 5) // another client's: not listed

	want := newestFirst(orders)
	var got []*connect.Order
	q := connect.OrderQuery{Limit: 7}
	for page := 0; ; page++ {
		if page > 20 {
			t.Fatal("pagination does not end")
		}
		p, err := f.s.Orders(f.ctx, scopeOf(c), q)
		must(t, err)
		if len(p) > 7 {
			t.Fatalf("page %d has %d orders, limit 7", page, len(p))
		}
		got = append(got, p...)
		if len(p) < 7 {
			break
		}
		last := p[len(p)-1]
		q.After = &connect.OrderCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	same(t, "orders over all pages", ids(want), ids(got))
	same(t, "orders", want, got)
}

func testOrderFilters(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	drafts := f.orders(c, connect.StatusDraft, 0, 3)
	submitted := f.orders(c, connect.StatusSubmitted, 10, 3)
	submitted[1].Depot = "depot-2"
	scheduled := f.orders(c, connect.StatusScheduled, 20, 2)
	enRoute := f.orders(c, connect.StatusEnRoute, 30, 2)
	delivered := f.orders(c, connect.StatusDelivered, 40, 2)
	theirs := f.orders(d, connect.StatusSubmitted, 50, 2)
	f.orders(f.client(f.account()), connect.StatusSubmitted, 60, 2) // another account's
	// submitted[1] was stored with its depot before the change above; move it.
	must(t, f.set(connect.SetStatusParams{From: connect.StatusSubmitted,
		Version: 1, Order: submitted[1], Events: []connect.OrderEvent{{Order: submitted[1].ID, Event: "move",
			From: connect.StatusSubmitted, To: connect.StatusSubmitted, At: f.at(70)}}}))

	all := slices.Concat(drafts, submitted, scheduled, enRoute, delivered)
	active := slices.Concat(submitted, scheduled, enRoute)
	cases := []struct {
		name string
		sc   connect.Scope
		q    connect.OrderQuery
		want []*connect.Order
	}{
		{"every order of the client", scopeOf(c), connect.OrderQuery{}, all},
		{"drafts", scopeOf(c), connect.OrderQuery{Statuses: []connect.Status{connect.StatusDraft}}, drafts},
		{"active", scopeOf(c), connect.OrderQuery{Statuses: connect.ViewActive.Statuses()}, active},
		{"active, statuses in another order", scopeOf(c), connect.OrderQuery{
			Statuses: []connect.Status{connect.StatusEnRoute, connect.StatusSubmitted, connect.StatusScheduled}}, active},
		{"completed", scopeOf(c), connect.OrderQuery{Statuses: connect.ViewCompleted.Statuses()}, delivered},
		{"active, limited", scopeOf(c), connect.OrderQuery{Statuses: connect.ViewActive.Statuses(), Limit: 2},
			newestFirst(active)[:2]},
		{"the account's unassigned stops at depot-1", connect.Scope{Account: c.Account}, connect.OrderQuery{
			Statuses: []connect.Status{connect.StatusSubmitted}, Depot: "depot-1"},
			[]*connect.Order{submitted[0], submitted[2], theirs[0], theirs[1]}},
		{"the account's unassigned stops at depot-2", connect.Scope{Account: c.Account}, connect.OrderQuery{
			Statuses: []connect.Status{connect.StatusSubmitted}, Depot: "depot-2"}, submitted[1:2]},
		{"the account's orders", connect.Scope{Account: c.Account}, connect.OrderQuery{}, slices.Concat(all, theirs)},
		{"another client's", scopeOf(d), connect.OrderQuery{}, theirs},
		{"a status nobody has", scopeOf(c), connect.OrderQuery{Statuses: []connect.Status{connect.StatusCancelled}}, nil},
	}
	for _, tc := range cases {
		got, err := f.s.Orders(f.ctx, tc.sc, tc.q)
		must(t, err)
		same(t, tc.name, ids(newestFirst(tc.want)), ids(got))
	}
}

func testOrderSearch(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	mk := func(n int, edit func(o *connect.Order)) *connect.Order {
		o := f.order(c, connect.StatusDraft, n)
		edit(o)
		return o
	}
	byRef := mk(1, func(o *connect.Order) { o.Ref = "INV-2041" })
	byName := mk(2, func(o *connect.Order) { o.Recipient.Name = "Zoë O'Brien" })
	byEmail := mk(3, func(o *connect.Order) { o.Recipient.Email = "orders@bakery.example" })
	byPhone := mk(4, func(o *connect.Order) { o.Recipient.Phone = "+64 21 555 7788" })
	byStreet := mk(5, func(o *connect.Order) { o.Address.Line1 = "42 Wallaby Way" })
	byCity := mk(6, func(o *connect.Order) { o.Address.City = "Palmerston North" })
	byZip := mk(7, func(o *connect.Order) { o.Address.Zip = "SW1A 1AA" })
	percent := mk(8, func(o *connect.Order) { o.Notes = "not searched"; o.Ref = "50%_OFF" })
	shopify := mk(9, func(o *connect.Order) { o.Source = connect.SourceShopify })
	f.store(byRef, byName, byEmail, byPhone, byStreet, byCity, byZip, percent, shopify)
	theirs := f.order(d, connect.StatusDraft, 10)
	theirs.Ref = "INV-2041-D"
	f.store(theirs)

	cases := []struct {
		name string
		sc   connect.Scope
		q    connect.OrderQuery
		want []*connect.Order
	}{
		{"a reference, in another case", scopeOf(c), connect.OrderQuery{Search: "inv-204"}, []*connect.Order{byRef}},
		{"a recipient's name", scopeOf(c), connect.OrderQuery{Search: "o'brien"}, []*connect.Order{byName}},
		{"a name in capitals, beyond ASCII", scopeOf(c), connect.OrderQuery{Search: "ZOË"}, []*connect.Order{byName}},
		{"no match across two fields", scopeOf(c), connect.OrderQuery{Search: "wallaby way springfield"}, nil},
		{"no match across a line break", scopeOf(c), connect.OrderQuery{Search: "Way\nSpringfield"}, nil},
		{"an email", scopeOf(c), connect.OrderQuery{Search: "BAKERY"}, []*connect.Order{byEmail}},
		{"a phone", scopeOf(c), connect.OrderQuery{Search: "555 7788"}, []*connect.Order{byPhone}},
		{"a street", scopeOf(c), connect.OrderQuery{Search: "wallaby"}, []*connect.Order{byStreet}},
		{"a city", scopeOf(c), connect.OrderQuery{Search: "palmerston"}, []*connect.Order{byCity}},
		{"a postcode", scopeOf(c), connect.OrderQuery{Search: "sw1a"}, []*connect.Order{byZip}},
		{"% and _ are plain characters", scopeOf(c), connect.OrderQuery{Search: "%_"}, []*connect.Order{percent}},
		{"a lone % matches no wildcard", scopeOf(c), connect.OrderQuery{Search: "0%"}, []*connect.Order{percent}},
		{"the account's search finds every client's", connect.Scope{Account: c.Account}, connect.OrderQuery{Search: "INV-2041"},
			[]*connect.Order{byRef, theirs}},
		{"search and a page", scopeOf(c), connect.OrderQuery{Search: "inv-2041", Limit: 1}, []*connect.Order{byRef}},
		{"a source", scopeOf(c), connect.OrderQuery{Source: connect.SourceShopify}, []*connect.Order{shopify}},
		{"a date range", scopeOf(c), connect.OrderQuery{CreatedFrom: f.at(3), CreatedBefore: f.at(5)},
			[]*connect.Order{byEmail, byPhone}},
		{"from a date", scopeOf(c), connect.OrderQuery{CreatedFrom: f.at(8)}, []*connect.Order{percent, shopify}},
		{"search within a date range", scopeOf(c), connect.OrderQuery{Search: "inv", CreatedFrom: f.at(2)}, nil},
		{"nothing matches", scopeOf(c), connect.OrderQuery{Search: "nowhere at all"}, nil},
	}
	for _, tc := range cases {
		got, err := f.s.Orders(f.ctx, tc.sc, tc.q)
		must(t, err)
		same(t, tc.name, ids(newestFirst(tc.want)), ids(got))
	}
}

func testCountOrders(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	f.client(c.Account) // no orders: absent or zero
	f.orders(c, connect.StatusDraft, 0, 3)
	f.orders(c, connect.StatusSubmitted, 10, 2)
	f.orders(d, connect.StatusDelivered, 20, 4)
	f.orders(f.client(f.account()), connect.StatusDraft, 30, 5)

	got, err := f.s.CountOrders(f.ctx, connect.Scope{Account: c.Account})
	must(t, err)
	want := map[connect.ClientID]connect.StatusCounts{
		c.ID: {connect.StatusDraft: 3, connect.StatusSubmitted: 2},
		d.ID: {connect.StatusDelivered: 4},
	}
	same(t, "the account's counts", want, nonZero(got))
	got, err = f.s.CountOrders(f.ctx, scopeOf(d))
	must(t, err)
	same(t, "one client's counts", map[connect.ClientID]connect.StatusCounts{d.ID: want[d.ID]}, nonZero(got))
}

// testCountsFollowWrites checks the counts against the orders themselves after
// each kind of write, a rolled-back one among them: a Store may keep its counts
// apart from the orders (connect's keeps them by trigger), and they must agree.
func testCountsFollowWrites(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	account := connect.Scope{Account: c.Account}
	recount := func(what string) {
		t.Helper()
		all, err := f.s.Orders(f.ctx, account, connect.OrderQuery{})
		must(t, err)
		want := map[connect.ClientID]connect.StatusCounts{}
		for _, o := range all {
			if want[o.Client] == nil {
				want[o.Client] = connect.StatusCounts{}
			}
			want[o.Client][o.Status]++
		}
		got, err := f.s.CountOrders(f.ctx, account)
		must(t, err)
		same(t, what, want, nonZero(got))
	}
	drafts := f.orders(c, connect.StatusDraft, 0, 6)
	f.orders(d, connect.StatusSubmitted, 10, 3)
	recount("after creating")

	o := f.reload(drafts[0])
	o.Notes = "ring twice"
	must(t, f.s.UpdateDraft(f.ctx, scopeOf(c), o))
	recount("after editing a draft")

	must(t, f.s.DeleteDraft(f.ctx, scopeOf(c), drafts[1].ID, drafts[1].Version))
	recount("after deleting a draft")

	batch := []connect.SetStatusParams{
		f.change(f.reload(drafts[2]), connect.EventSubmit, connect.StatusSubmitted, 40),
		f.change(f.reload(drafts[3]), connect.EventSubmit, connect.StatusSubmitted, 41),
	}
	must(t, f.s.SetStatuses(f.ctx, account, batch))
	recount("after a batch of status changes")
	must(t, f.set(f.change(f.reload(drafts[2]), connect.EventSchedule, connect.StatusScheduled, 42)))
	recount("after one status change")

	// A batch that fails part way leaves the counts as it leaves the orders.
	stale := f.change(f.reload(drafts[4]), connect.EventSubmit, connect.StatusSubmitted, 43)
	stale.Version--
	fresh := f.change(f.reload(drafts[5]), connect.EventSubmit, connect.StatusSubmitted, 44)
	err := f.s.Tx(f.ctx, func(tx connect.Store) error { // read nothing outside tx meanwhile: one SQLite writer
		return tx.SetStatuses(f.ctx, account, []connect.SetStatusParams{fresh, stale})
	})
	if err == nil {
		t.Fatal("a batch with a stale order committed")
	}
	recount("after a rolled-back batch")
}

func testCountOnTime(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	since := f.at(100)
	delivered := func(c *connect.Client, n int, eta, at time.Time) *connect.Order {
		o := f.order(c, connect.StatusDelivered, n)
		o.ETA, o.RouteEventAt = eta, at
		return o
	}
	f.store(
		delivered(c, 1, f.at(200), f.at(150)),                     // early
		delivered(c, 2, f.at(200), f.at(200)),                     // on the minute
		delivered(c, 3, f.at(200), f.at(260)),                     // late
		delivered(c, 4, f.at(90), f.at(80)),                       // on time, but before since
		delivered(c, 5, time.Time{}, f.at(150)),                   // no ETA: not counted
		delivered(d, 6, f.at(200), f.at(150)),                     // another client's
		delivered(f.client(f.account()), 7, f.at(200), f.at(150)), // another account's
	)
	late := f.order(c, connect.StatusFailed, 8) // failed is not delivered
	late.ETA, late.RouteEventAt = f.at(200), f.at(150)
	f.store(late)

	onTime, withETA, err := f.s.CountOnTime(f.ctx, scopeOf(c), since)
	must(t, err)
	same(t, "the client's on-time count", [2]int{2, 3}, [2]int{onTime, withETA})
	onTime, withETA, err = f.s.CountOnTime(f.ctx, connect.Scope{Account: c.Account}, since)
	must(t, err)
	same(t, "the account's on-time count", [2]int{3, 4}, [2]int{onTime, withETA})
	onTime, withETA, err = f.s.CountOnTime(f.ctx, connect.Scope{Account: f.account()}, since)
	must(t, err)
	same(t, "an account without orders", [2]int{0, 0}, [2]int{onTime, withETA})
}

// nonZero drops zero counts and empty clients, which an adapter may or may not list.
func nonZero(m map[connect.ClientID]connect.StatusCounts) map[connect.ClientID]connect.StatusCounts {
	out := map[connect.ClientID]connect.StatusCounts{}
	for c, counts := range m {
		for st, n := range counts {
			if n != 0 {
				if out[c] == nil {
					out[c] = connect.StatusCounts{}
				}
				out[c][st] = n
			}
		}
	}
	return out
}

// otherCase returns ref with the case of its ASCII letters swapped: the same
// reference to a client, written otherwise (the fixture's refs have letters).
func otherCase(ref string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - ('a' - 'A')
		case 'A' <= r && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, ref)
}

// testExistingFingerprints: the scope's orders are counted per fingerprint,
// those of another client or account never, orders without one never, in
// batches of any size (a 100k-row import asks for thousands).
func testExistingFingerprints(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	e := f.client(f.account())
	fp, lone := "fp-"+f.id(""), "fp-"+f.id("")
	var orders []*connect.Order
	for i, spec := range []struct {
		client *connect.Client
		fp     string
	}{{c, fp}, {c, fp}, {c, lone}, {c, ""}, {d, fp}, {e, fp}} {
		o := f.order(spec.client, connect.StatusDraft, i+1)
		o.Ref, o.Fingerprint = "", spec.fp
		orders = append(orders, o)
	}
	f.store(orders...)
	asked := []string{fp, lone, "fp-none", ""}
	for i := range 2500 {
		asked = append(asked, fmt.Sprintf("fp-filler-%d", i))
	}
	got, err := f.s.ExistingFingerprints(f.ctx, scopeOf(c), asked)
	must(t, err)
	same(t, "ExistingFingerprints of the client", map[string]int{fp: 2, lone: 1}, got)
	got, err = f.s.ExistingFingerprints(f.ctx, connect.Scope{Account: c.Account}, asked)
	must(t, err)
	same(t, "ExistingFingerprints of the account", map[string]int{fp: 3, lone: 1}, got)
	got, err = f.s.ExistingFingerprints(f.ctx, scopeOf(c), nil)
	must(t, err)
	same(t, "ExistingFingerprints(nil)", map[string]int{}, got)
}

// testOrdersByCompletion lists completed orders most recently completed
// first (connect.Order.CompletedAt: a delivery's or failure's route event,
// else when it was stored; a cancellation's time), whatever their creation,
// a page at a time, and follows an order completed since.
func testOrdersByCompletion(t *testing.T, f *fixture) {
	c := f.client(f.account())
	d := f.client(c.Account)
	mk := func(cl *connect.Client, st connect.Status, created, completed int) *connect.Order {
		o := f.order(cl, st, created)
		switch st {
		case connect.StatusCancelled:
			o.UpdatedAt = f.at(completed)
			o.RouteEventAt = f.at(1) // scheduled long ago, then cancelled
		case connect.StatusDelivered, connect.StatusFailed:
			o.RouteEventAt, o.UpdatedAt = f.at(completed), f.at(completed+50)
		}
		return o
	}
	orders := []*connect.Order{
		mk(c, connect.StatusDelivered, 1, 40),
		mk(c, connect.StatusFailed, 2, 10),
		mk(c, connect.StatusCancelled, 3, 30),
		mk(c, connect.StatusDelivered, 4, 20),
		mk(c, connect.StatusDelivered, 5, 20), // the same instant: by id
		mk(c, connect.StatusDelivered, 6, 5),
	}
	noEvent := mk(c, connect.StatusDelivered, 7, 0)
	noEvent.RouteEventAt, noEvent.UpdatedAt = time.Time{}, f.at(25) // stored delivered, without an event
	orders = append(orders, noEvent)
	open := mk(c, connect.StatusScheduled, 8, 0)
	theirs := mk(d, connect.StatusDelivered, 9, 35)
	f.store(append(orders, open, theirs)...)

	byCompletion := func(list []*connect.Order) []*connect.Order {
		out := slices.Clone(list)
		slices.SortFunc(out, func(a, b *connect.Order) int {
			if c := b.CompletedAt().Compare(a.CompletedAt()); c != 0 {
				return c
			}
			return strings.Compare(string(b.ID), string(a.ID))
		})
		return out
	}
	completed := connect.OrderQuery{Statuses: connect.ViewCompleted.Statuses(), Sort: connect.OrderSortCompleted}
	pages := func(sc connect.Scope, q connect.OrderQuery) []*connect.Order {
		t.Helper()
		var got []*connect.Order
		q.Limit = 2
		for page := 0; ; page++ {
			if page > 20 {
				t.Fatal("pagination does not end")
			}
			p, err := f.s.Orders(f.ctx, sc, q)
			must(t, err)
			got = append(got, p...)
			if len(p) < q.Limit {
				return got
			}
			last := p[len(p)-1]
			q.After = &connect.OrderCursor{CompletedAt: last.CompletedAt(), ID: last.ID}
		}
	}
	same(t, "the client's, by completion over pages", ids(byCompletion(orders)), ids(pages(scopeOf(c), completed)))
	same(t, "the account's, by completion over pages", ids(byCompletion(append(orders, theirs))),
		ids(pages(connect.Scope{Account: c.Account}, completed)))
	delivered := completed
	delivered.Statuses = []connect.Status{connect.StatusDelivered}
	same(t, "the delivered ones", ids(byCompletion([]*connect.Order{orders[0], orders[3], orders[4], orders[5], noEvent})),
		ids(pages(scopeOf(c), delivered)))

	// The scheduled order is delivered now: it comes first.
	done := *open
	done.Status, done.RouteEventAt, done.UpdatedAt = connect.StatusDelivered, f.at(60), f.at(60)
	must(t, f.set(connect.SetStatusParams{From: connect.StatusScheduled, Version: open.Version, Order: &done,
		Events: []connect.OrderEvent{{Order: open.ID, Event: "complete", From: connect.StatusScheduled, To: connect.StatusDelivered, At: f.at(60)}}}))
	first, err := f.s.Orders(f.ctx, scopeOf(c), connect.OrderQuery{Statuses: completed.Statuses, Sort: completed.Sort, Limit: 1})
	must(t, err)
	same(t, "the order completed last", []connect.OrderID{open.ID}, ids(first))
}
