package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/dispatchkit/connect/shopify/internal/gqlcost"
)

// MaxQueryCost is the most a single query may request: Shopify refuses a query
// over it with MAX_COST_EXCEEDED before running it.
const MaxQueryCost = 1000

// PageCostBudget is the most the adapter lets one page request: Shopify's
// limit less a margin, since Shopify may charge some fields more than the
// documented rules that [QueryCost] follows. A query Shopify still refuses as
// over its limit is sent again at half the page (see [ErrMaxCostExceeded]).
const PageCostBudget = 900

// ErrMaxCostExceeded is the cause of the error a query gets when Shopify
// refuses it as requesting more than [MaxQueryCost] (MAX_COST_EXCEEDED):
// nothing ran, and a smaller page may pass.
var ErrMaxCostExceeded = errors.New("shopify: the query requests more than Shopify's cost limit")

// MaxPageSize is the most nodes a connection returns in one page, and the most
// ids nodes(ids:) accepts.
const MaxPageSize = 250

// Cost is the extensions.cost object Shopify adds to every GraphQL answer.
type Cost struct {
	// RequestedQueryCost is what the query could cost, charged before it runs.
	RequestedQueryCost int `json:"requestedQueryCost"`
	// ActualQueryCost is what it did cost (the difference is refunded); nil when
	// the query did not run (throttled, or over MaxQueryCost).
	ActualQueryCost *int           `json:"actualQueryCost"`
	ThrottleStatus  ThrottleStatus `json:"throttleStatus"`
}

// ThrottleStatus is the state of the app's rate-limit bucket for the shop, after
// this query.
type ThrottleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"` // points per second
}

// QueryCost returns the cost Shopify requests for a query with these variables
// (any value that marshals to a JSON object, such as genqlient's generated
// input structs, or nil), by Shopify's documented rules: scalars 0, objects 1,
// connections 2 + first × the cost of a node, mutations 10. It fails for a query
// that does not validate against [Schema].
func QueryCost(query string, variables any) (int, error) {
	doc, err := parseQuery(query)
	if err != nil {
		return 0, err
	}
	vars := map[string]any{}
	if variables != nil {
		b, err := json.Marshal(variables)
		if err != nil {
			return 0, err
		}
		if err := json.Unmarshal(b, &vars); err != nil {
			return 0, fmt.Errorf("variables are not a JSON object: %w", err)
		}
	}
	if len(doc.Operations) != 1 {
		return 0, fmt.Errorf("the query has %d operations; want 1", len(doc.Operations))
	}
	return gqlcost.Requested(Schema(), doc.Operations[0], vars), nil
}

// parsedQueries caches parsed operations by their text: genqlient sends the same
// few constant strings, so each is parsed and validated once.
var parsedQueries sync.Map // string → *ast.QueryDocument

func parseQuery(query string) (*ast.QueryDocument, error) {
	if doc, ok := parsedQueries.Load(query); ok {
		return doc.(*ast.QueryDocument), nil
	}
	doc, errs := gqlparser.LoadQuery(Schema(), query)
	if errs != nil {
		return nil, errs
	}
	parsedQueries.Store(query, doc)
	return doc, nil
}

// OrdersPageCost returns the requested cost of one [ListOrders] page of first
// orders with up to lineItems line items each: 2 + first × (4 + lineItems)
// (each order 1, its shipping address 1, its line-item connection 2 + lineItems).
// OrdersByName costs the same. Keep it within MaxQueryCost; see [OrdersPageSize].
func OrdersPageCost(first, lineItems int) int {
	cost, err := QueryCost(ListOrders_Operation, map[string]any{
		"first": first, "query": OpenUnfulfilled, "sortKey": OrderSortKeysCreatedAt,
		"reverse": false, "lineItems": lineItems,
	})
	if err != nil {
		panic("shopify: ListOrders does not validate against schema.graphql: " + err.Error())
	}
	return cost
}

// OrdersPageSize returns the largest page of orders with lineItems line items
// each whose requested cost stays within PageCostBudget (and MaxPageSize), and
// at least 1.
func OrdersPageSize(lineItems int) int {
	n := (PageCostBudget - 2) / (4 + max(lineItems, 0))
	for n > 1 && OrdersPageCost(n, lineItems) > PageCostBudget { // the formula is the documented one; trust the computation
		n--
	}
	return max(min(n, MaxPageSize), 1)
}
