package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const full = `
schema { query: Root mutation: Mutation }
scalar DateTime
scalar Unused
directive @internal on FIELD_DEFINITION
interface Node { id: ID! }
interface Named { name: String! }
type Root {
  "Orders, a page at a time."
  orders(first: Int, filter: OrderFilter, sort: SortKey = NEWEST): OrderConnection!
  nodes(ids: [ID!]!): [Node]!
  products(first: Int): ProductConnection!
}
type Mutation { close(id: ID!): Order }
input OrderFilter { status: Status, createdAfter: DateTime, nested: Range }
input Range { from: Int, to: Int }
enum Status { OPEN CLOSED }
enum SortKey { NEWEST OLDEST }
type OrderConnection { nodes: [Order!]! pageInfo: PageInfo! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type Order implements Node & Named {
  id: ID!
  name: String!
  createdAt: DateTime!
  customer: Customer
  secret: String @internal
}
type Customer implements Node { id: ID! email: String orders: OrderConnection! }
type ProductConnection { nodes: [Product!]! }
type Product implements Node & Named { id: ID! name: String! }
`

func TestCutKeepsWhatTheOperationsUse(t *testing.T) {
	t.Parallel()
	ops := `
query List($f: OrderFilter) { orders(first: 10, filter: $f) { nodes { ...O } pageInfo { hasNextPage } } }
query ByID($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Order { name } } }
mutation Close { close(id: "1") { id } }
fragment O on Order { id createdAt }
`
	out, err := Cut(full, ops)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Input: out})
	if err != nil {
		t.Fatalf("the subset does not load: %v\n%s", err, out)
	}
	fields := func(name string) []string {
		var out []string
		for _, f := range s.Types[name].Fields {
			if !strings.HasPrefix(f.Name, "__") {
				out = append(out, f.Name)
			}
		}
		return out
	}
	if d := cmp.Diff([]string{"orders", "nodes"}, fields("Root")); d != "" {
		t.Errorf("Root fields (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"id", "name", "createdAt"}, fields("Order")); d != "" {
		t.Errorf("Order fields (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"id"}, fields("Node")); d != "" {
		t.Errorf("Node keeps id so that it is not empty (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"Node"}, s.Types["Order"].Interfaces); d != "" {
		t.Errorf("Order implements only kept interfaces (-want +got):\n%s", d)
	}
	for _, gone := range []string{"Customer", "Product", "ProductConnection", "Named"} {
		if s.Types[gone] != nil {
			t.Errorf("%s is kept, but no operation reaches it", gone)
		}
	}
	for _, kept := range []string{"OrderFilter", "Range", "Status", "SortKey", "DateTime", "Unused", "PageInfo"} {
		if s.Types[kept] == nil {
			t.Errorf("%s is dropped; an argument, variable or custom scalar needs it", kept)
		}
	}
	if s.Directives["internal"] == nil {
		t.Error("the schema's own directive definitions are dropped")
	}
	if !strings.Contains(out, "Orders, a page at a time.") {
		t.Error("descriptions are dropped")
	}
	again, _ := Cut(full, ops)
	if again != out {
		t.Error("two cuts differ: the output is not reproducible")
	}
}

func TestCutRefusesOperationsTheSchemaDoesNotHave(t *testing.T) {
	t.Parallel()
	if _, err := Cut(full, `{ orders(first: 1) { nodes { total } } }`); err == nil {
		t.Error("an operation selecting an unknown field was cut without complaint")
	}
}

// The committed subset must still serve the committed operations; rerunning the
// cutter on the full schema (not in the repository) is the way to refresh it.
func TestCommittedSubsetServesTheOperations(t *testing.T) {
	t.Parallel()
	sdl, err := os.ReadFile("../../shopify/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	ops, err := os.ReadFile("../../shopify/operations.graphql")
	if err != nil {
		t.Fatal(err)
	}
	// Cutting the subset again from itself must give itself back (minus the
	// header): the subset is closed under the cut.
	out, err := Cut(string(sdl), string(ops))
	if err != nil {
		t.Fatalf("the operations do not validate against the committed subset: %v", err)
	}
	_, body, _ := strings.Cut(string(sdl), "\n\nschema {")
	if d := cmp.Diff("schema {"+body, out); d != "" {
		t.Errorf("re-cutting the committed subset changes it; rerun the cutter on the full schema (-committed +recut):\n%s", d)
	}
}
