package shopify

import (
	"strconv"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// PartialError is returned, together with the data, when Shopify answered part
// of a query and reported errors for the rest. The common case: an app without
// approval for protected customer data gets orders whose name, address, email
// and phone are null, plus one ACCESS_DENIED error per withheld field. The
// caller decides what a partial answer means (an import reports those orders
// instead of storing empty addresses).
//
// errors.As(err, &list) with a gqlerror.List also works, as genqlient's own
// client returns the list itself.
type PartialError struct {
	Errors gqlerror.List
}

// Error summarises the errors.
func (e *PartialError) Error() string {
	if len(e.Errors) == 0 {
		return "shopify: partial answer"
	}
	return "shopify: partial answer: " + strconv.Itoa(len(e.Errors)) + " error(s), first: " + e.Errors[0].Message
}

// Unwrap returns the GraphQL errors.
func (e *PartialError) Unwrap() error { return e.Errors }

// AccessDenied returns the errors for data Shopify withheld from the app
// (code ACCESS_DENIED); each error's Path says which field of which node, such
// as orders.nodes[3].shippingAddress.
func (e *PartialError) AccessDenied() gqlerror.List {
	var out gqlerror.List
	for _, err := range e.Errors {
		if errorCode(err) == codeAccessDenied {
			out = append(out, err)
		}
	}
	return out
}
