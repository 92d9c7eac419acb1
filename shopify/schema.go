package shopify

import (
	_ "embed"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

//go:embed schema.graphql
var schemaSDL string

var loadSchema = sync.OnceValue(func() *ast.Schema {
	return gqlparser.MustLoadSchema(&ast.Source{Name: "shopify/schema.graphql", Input: schemaSDL})
})

// Schema returns the part of Shopify's Admin GraphQL schema (version
// [APIVersion]) that this package's operations use, parsed. The client computes
// query costs from it, and shopifytest validates every query against it the way
// Shopify validates against the whole schema.
func Schema() *ast.Schema { return loadSchema() }
