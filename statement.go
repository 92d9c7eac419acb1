package connect

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// StatementParams picks a client's monthly statement.
type StatementParams struct {
	// Client is the client a dispatcher asks for; a team member always gets its
	// own client's.
	Client ClientID
	// Month is any time in the month; the month is that of Location.
	Month time.Time
	// Location is the time zone the month's bounds are in (the account's);
	// nil: UTC.
	Location *time.Location
}

// Statement is a client's month: the orders it submitted that month (drafts
// never submitted are not counted), by status, how punctual deliveries were,
// why deliveries failed, and the same per depot.
type Statement struct {
	Client       ClientID     `json:"client"`
	ClientName   string       `json:"client_name"`
	ClientNumber ClientNumber `json:"client_number,omitempty"`
	// From and To bound the month: orders created at or after From and before To.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Orders counts the orders, Counts them by status.
	Orders int          `json:"orders"`
	Counts StatusCounts `json:"counts"`
	// OnTime of the WithETA delivered orders that had an ETA were delivered at
	// or before it.
	OnTime  int `json:"on_time"`
	WithETA int `json:"with_eta"`
	// Failures are the failed orders' reasons, the most frequent first.
	Failures []FailureCount `json:"failures,omitempty"`
	// Depots are the same by depot, in the order of their ids ("" for orders
	// without a depot).
	Depots []DepotStatement `json:"depots,omitempty"`
	// Partial is set when the month held more than MaxStatementOrders orders:
	// the statement counts the newest of them.
	Partial bool `json:"partial,omitempty"`
	// Brand and Location are the dispatcher's, for the statement's document
	// (the portal sets them).
	Brand    string         `json:"-"`
	Location *time.Location `json:"-"`
	// Language is the BCP 47 tag of the language its document is written in
	// (the portal sets it). "": English.
	Language string `json:"-"`
	// BrandColor is the dispatcher's colour (#rrggbb) under the masthead; "": none.
	BrandColor string `json:"-"`
}

// FailureCount is how many failed orders gave a reason.
type FailureCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// DepotStatement is a statement's part of one depot.
type DepotStatement struct {
	Depot DepotID `json:"depot"`
	// DepotName is the depot's name where the host lists its depots (the
	// portal fills it in).
	DepotName string         `json:"depot_name,omitempty"`
	Orders    int            `json:"orders"`
	Counts    StatusCounts   `json:"counts"`
	OnTime    int            `json:"on_time"`
	WithETA   int            `json:"with_eta"`
	Failures  []FailureCount `json:"failures,omitempty"`
}

// OnTimeRate is OnTime of WithETA as a fraction; 0 without deliveries that
// had an ETA.
func (s *Statement) OnTimeRate() float64 { return rate(s.OnTime, s.WithETA) }

// OnTimeRate is OnTime of WithETA as a fraction.
func (d *DepotStatement) OnTimeRate() float64 { return rate(d.OnTime, d.WithETA) }

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// MaxStatementOrders bounds the orders one statement reads.
const MaxStatementOrders = 200_000

// Statement returns a client's statement of a month: a member gets its own
// client's, a dispatcher that of the client it names (of its account). The
// orders are read a page at a time, never all in memory. Errors:
// ErrForbidden; ErrInvalid for a dispatcher naming no client; ErrNotFound for
// a client that is not the account's.
func (s *Service) Statement(ctx context.Context, a Actor, p StatementParams) (*Statement, error) {
	scope, cl, err := s.readClient(ctx, a, p.Client, "whose statement to show")
	if err != nil {
		return nil, err
	}
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	month := p.Month
	if month.IsZero() {
		month = s.clock()
	}
	m := month.In(loc)
	from := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, loc)
	st := &Statement{Client: cl.ID, ClientName: cl.Name, ClientNumber: cl.Number, From: from, To: from.AddDate(0, 1, 0),
		Counts: StatusCounts{}}
	var statuses []Status
	for _, x := range Statuses() {
		if x != StatusDraft {
			statuses = append(statuses, x)
		}
	}
	depots := map[DepotID]*DepotStatement{}
	failures := map[DepotID]map[string]int{}
	q := OrderQuery{Statuses: statuses, CreatedFrom: st.From, CreatedBefore: st.To, Limit: maxPageSize}
	for {
		orders, err := s.store.Orders(ctx, scope, q)
		if err != nil {
			return nil, err
		}
		for _, o := range orders {
			if st.Orders == MaxStatementOrders {
				st.Partial = true
				return st.finish(depots, failures), nil
			}
			d := depots[o.Depot]
			if d == nil {
				d = &DepotStatement{Depot: o.Depot, Counts: StatusCounts{}}
				depots[o.Depot] = d
				failures[o.Depot] = map[string]int{}
			}
			st.Orders++
			d.Orders++
			st.Counts[o.Status]++
			d.Counts[o.Status]++
			switch o.Status {
			case StatusDelivered:
				if !o.ETA.IsZero() {
					st.WithETA++
					d.WithETA++
					if !completion(o).After(o.ETA) {
						st.OnTime++
						d.OnTime++
					}
				}
			case StatusFailed:
				reason := o.FailureReason
				if reason == "" {
					reason = "no reason given"
				}
				failures[o.Depot][reason]++
			}
		}
		if len(orders) < q.Limit {
			return st.finish(depots, failures), nil
		}
		last := orders[len(orders)-1]
		q.After = &OrderCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

// readClient authorizes a read of one client's orders: a member's own client,
// or the client a dispatcher names (what says what for, in the error for none).
// Errors: ErrForbidden; ErrInvalid for a dispatcher naming no client;
// ErrNotFound for a client not in the dispatcher's account.
func (s *Service) readClient(ctx context.Context, a Actor, client ClientID, what string) (Scope, *Client, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return Scope{}, nil, err
	}
	scope := c.scope()
	if c.Kind == ActorDispatcher {
		if client == "" {
			return Scope{}, nil, Errorf(Invalid, "choose the client %s", what)
		}
		scope.Client = client
	}
	cl, err := s.store.Client(ctx, scope, scope.Client)
	if err != nil {
		return Scope{}, nil, err
	}
	return scope, cl, nil
}

// finish orders the depots and the failures.
func (st *Statement) finish(depots map[DepotID]*DepotStatement, failures map[DepotID]map[string]int) *Statement {
	all := map[string]int{}
	for id, d := range depots {
		d.Failures = sortedFailures(failures[id])
		for r, n := range failures[id] {
			all[r] += n
		}
		st.Depots = append(st.Depots, *d)
	}
	slices.SortFunc(st.Depots, func(a, b DepotStatement) int { return cmp.Compare(a.Depot, b.Depot) })
	st.Failures = sortedFailures(all)
	return st
}

func sortedFailures(m map[string]int) []FailureCount {
	var out []FailureCount
	for r, n := range m {
		out = append(out, FailureCount{Reason: r, Count: n})
	}
	slices.SortFunc(out, func(a, b FailureCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	return out
}

// completion is when a delivered order was delivered: its proof's time, else
// its last route event's.
func completion(o *Order) time.Time {
	if o.Proof != nil && !o.Proof.At.IsZero() {
		return o.Proof.At
	}
	return o.RouteEventAt
}
