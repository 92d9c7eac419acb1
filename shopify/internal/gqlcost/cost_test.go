package gqlcost

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const sdl = `
schema { query: Query mutation: Mutation }
interface Node { id: ID! }
type Query {
  shop: Shop!
  products(first: Int, last: Int): ProductConnection!
  nodes(ids: [ID!]!): [Node]!
}
type Mutation { productDelete(id: ID!): Payload }
type Payload { deletedId: ID userErrors: [UserError!]! }
type UserError { message: String! }
type Shop { name: String! owner: Person }
type Person { name: String! }
type ProductConnection { edges: [ProductEdge!]! nodes: [Product!]! pageInfo: PageInfo! }
type ProductEdge { cursor: String! node: Product! }
type PageInfo { hasNextPage: Boolean! }
type Product implements Node { id: ID! title: String! variants(first: Int): VariantConnection! }
type VariantConnection { nodes: [Variant!]! }
type Variant implements Node { id: ID! sku: String }
`

func TestRequested(t *testing.T) {
	t.Parallel()
	s := gqlparser.MustLoadSchema(&ast.Source{Input: sdl})
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		{"scalars cost nothing", `{ shop { name } }`, nil, 1},
		{"each object costs one", `{ shop { name owner { name } } }`, nil, 2},
		{"a connection costs 2 plus first nodes", `{ products(first: 10) { edges { cursor node { id title } } pageInfo { hasNextPage } } }`, nil, 12},
		{"nodes and edges are the same objects", `{ products(first: 10) { nodes { id } edges { node { title } } } }`, nil, 12},
		{"last sizes a connection too", `{ products(last: 3) { nodes { id } } }`, nil, 5},
		{"nested connections multiply", `{ products(first: 10) { nodes { variants(first: 5) { nodes { sku } } } } }`, nil, 2 + 10*(1+2+5)},
		{"variables size connections", `query($n: Int!) { products(first: $n) { nodes { id } } }`, map[string]any{"n": float64(50)}, 52},
		{"aliases count each field", `{ a: shop { name } b: shop { name } }`, nil, 2},
		{"a merged field counts once", `{ shop { name } shop { owner { name } } }`, nil, 2},
		{"skipped fields cost nothing", `query($no: Boolean!) { shop { owner @include(if: $no) { name } } }`, map[string]any{"no": false}, 1},
		{"nodes(ids:) costs per id, the largest possible type", `{ nodes(ids: ["a", "b", "c"]) { id ... on Product { variants(first: 2) { nodes { id } } } } }`, nil, 3 * (1 + 2 + 2)},
		{"a mutation costs 10 whatever it selects", `mutation { productDelete(id: "1") { deletedId userErrors { message } } }`, nil, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(s, tt.query)
			if errs != nil {
				t.Fatal(errs)
			}
			if got := Requested(s, doc.Operations[0], tt.vars); got != tt.want {
				t.Errorf("Requested = %d; want %d", got, tt.want)
			}
		})
	}
}
