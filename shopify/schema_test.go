package shopify

import (
	"strings"
	"testing"
)

// schema.graphql must say which API version it is, and it must be the one
// requests name: a schema cut from another version would validate queries
// Shopify answers differently.
func TestSchemaIsForAPIVersion(t *testing.T) {
	t.Parallel()
	header, _, _ := strings.Cut(schemaSDL, "\nschema {")
	for _, want := range []string{
		"DO NOT EDIT",
		"version " + APIVersion,
		"Source: admin-" + APIVersion + ".graphql",
		"sha256: edd0698e75b6d6f30d9ae1a290f5003807f5899583fe3d62e736592576c14640",
	} {
		if !strings.Contains(header, want) {
			t.Errorf("schema.graphql's header lacks %q:\n%s", want, header)
		}
	}
}

func TestSchemaHasEveryCustomScalarGenqlientBinds(t *testing.T) {
	t.Parallel()
	s := Schema()
	for _, name := range []string{"ARN", "BigInt", "Color", "Date", "DateTime", "Decimal", "FormattedString",
		"HTML", "JSON", "Money", "StorefrontID", "UnsignedInt64", "URL", "UtcOffset"} {
		if s.Types[name] == nil {
			t.Errorf("schema.graphql has no scalar %s", name)
		}
	}
	for _, op := range []string{ListOrders_Operation, OrdersByID_Operation, OrdersByName_Operation,
		FulfillmentOrders_Operation, FulfillmentCreate_Operation, FulfillmentEventCreate_Operation} {
		if _, err := parseQuery(op); err != nil {
			t.Errorf("a generated operation does not validate against schema.graphql: %v", err)
		}
	}
}
