package shopifytest

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/dispatchkit/connect/shopify"
)

// maxQueryCost is Shopify's limit on one query's requested cost.
const maxQueryCost = 1000

// answer is a GraphQL answer as Shopify shapes it.
type answer struct {
	Data       any           `json:"data,omitempty"`
	Errors     gqlerror.List `json:"errors,omitempty"`
	Extensions extensions    `json:"extensions"`
}

type extensions struct {
	Cost cost `json:"cost"`
}

type cost struct {
	RequestedQueryCost int            `json:"requestedQueryCost"`
	ActualQueryCost    *int           `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
}

type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// graphql is the Admin GraphQL endpoint: authenticate, parse and validate
// against schema.graphql, charge the requested cost, execute, refund.
func (srv *Server) graphql(w http.ResponseWriter, r *http.Request) {
	if v := r.PathValue("version"); v != shopify.APIVersion {
		// Shopify serves unknown versions as its oldest supported one; the fake
		// knows only one, and a test asking for another has a bug.
		http.Error(w, fmt.Sprintf(`{"errors":"Not Found: API version %s"}`, v), http.StatusNotFound)
		return
	}
	served := srv.cfg.ServedVersion
	if served == "" {
		served = shopify.APIVersion
	}
	w.Header().Set("X-Shopify-API-Version", served)
	var in struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	body := http.MaxBytesReader(w, r.Body, 1<<20)
	decodeErr := json.NewDecoder(body).Decode(&in)

	srv.mu.Lock()
	defer srv.mu.Unlock()
	shop := srv.shopOf(r)
	tok := srv.authenticate(shop.domain, r.Header.Get("X-Shopify-Access-Token"))
	if tok == nil {
		shop.stats.Unauthorized++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}` + "\n"))
		return
	}
	if len(shop.failures) > 0 {
		status := shop.failures[0]
		shop.failures = shop.failures[1:]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"errors":"%s"}`+"\n", http.StatusText(status))
		return
	}
	shop.stats.Requests++
	shop.bucket.refill(srv.now())

	a := shop.run(tok, in.Query, in.Variables, in.OperationName, decodeErr)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(a)
}

// run answers one request, with the server's lock held.
func (s *Shop) run(tok *token, query string, vars map[string]any, opName string, decodeErr error) answer {
	a := answer{}
	status := func() throttleStatus {
		return throttleStatus{MaximumAvailable: s.bucket.max, CurrentlyAvailable: s.bucket.level, RestoreRate: s.bucket.rate}
	}
	reject := func(errs gqlerror.List) answer {
		s.stats.Rejected++
		a.Errors = errs
		a.Extensions.Cost = cost{ThrottleStatus: status()}
		return a
	}
	if decodeErr != nil {
		return reject(gqlerror.List{gqlerror.Errorf("The request body is not a GraphQL request: %v", decodeErr)})
	}
	schema := shopify.Schema()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		return reject(errs)
	}
	op := doc.Operations.ForName(opName)
	if opName == "" && len(doc.Operations) == 1 {
		op = doc.Operations[0]
	}
	if op == nil {
		return reject(gqlerror.List{gqlerror.Errorf("An operation name is required, and must name an operation of the document")})
	}
	coerced, err := validator.VariableValues(schema, op, vars)
	if err != nil {
		return reject(gqlerror.List{gqlerror.WrapIfUnwrapped(err)})
	}

	requested := coster{schema: schema, vars: coerced, own: s.srv.costs}.requested(op)
	a.Extensions.Cost.RequestedQueryCost = requested
	if requested > maxQueryCost {
		s.stats.MaxCostExceeded++
		a.Errors = gqlerror.List{{
			Message: fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).", requested, maxQueryCost),
			Extensions: map[string]any{
				"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": maxQueryCost,
				"documentation": "https://shopify.dev/api/usage/rate-limits",
			},
		}}
		a.Extensions.Cost.ThrottleStatus = status()
		return a
	}
	if !s.bucket.charge(requested, s.srv.now()) {
		s.stats.Throttled++
		a.Errors = gqlerror.List{{
			Message:    "Throttled",
			Extensions: map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
		}}
		a.Extensions.Cost.ThrottleStatus = status()
		return a
	}
	s.stats.LowestAvailable = min(s.stats.LowestAvailable, s.bucket.level)

	s.caller = tok
	defer func() { s.caller = nil }()
	e := &executor{schema: schema, vars: coerced}
	var root object = queryRoot{s, tok}
	if op.Operation == ast.Mutation {
		root = mutationRoot{s, tok}
	}
	if data := e.run(op, root); data != nil {
		a.Data = data
	} else {
		a.Data = json.RawMessage("null")
	}
	a.Errors = e.errs
	actual := min(e.actual, requested)
	s.bucket.refund(requested - actual)
	s.stats.Requested += requested
	s.stats.Actual += actual
	a.Extensions.Cost.ActualQueryCost = &actual
	a.Extensions.Cost.ThrottleStatus = status()
	return a
}
