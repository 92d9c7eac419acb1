package shopify

import (
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/dispatchkit/connect"
)

// The problems that keep an order from being imported, as the import report
// shows them after the order's name.
const (
	ProblemNotFound = "order not found in the store"
	// ProblemNeedsReadAllOrders is ProblemNotFound for an app without
	// read_all_orders: Shopify answers an order older than 60 days as if it did
	// not exist, so the app cannot tell which it is.
	ProblemNeedsReadAllOrders = "not found among the store's orders of the last 60 days: an older order needs read_all_orders, a permission the app does not have"
	ProblemNoAddress          = "has no shipping address"
	ProblemWithheld           = "customer data withheld by Shopify: the app lacks approval for protected customer data"
	ProblemFulfilled          = "is already fulfilled in Shopify"
	ProblemRestocked          = "was returned and restocked in Shopify"
	ProblemCancelled          = "was cancelled in Shopify"
	problemPartialAnswer      = "Shopify could not return this order: "
	// NoteWithheld starts the note naming the customer data Shopify withheld.
	NoteWithheld = "Shopify withheld the customer's "
	// NoteNotShipped starts the note naming the lines left out.
	NoteNotShipped         = "not delivered, so not imported: "
	problemTooManyProducts = "has more than 250 products; add it by hand"
)

// toShopifyOrder maps a Shopify order to the order input the core imports. The
// mapping, field by field:
//
//   - Input.Ref is the order's name ("#1001"), so an order is never imported
//     twice; Ref is the shop and the order's global id, for fulfilling it.
//   - The address is the shipping address: address1 and address2 as lines 1
//     and 2, city, province (its code when it has no name), zip, country (its
//     code when it has no name), and latitude and longitude when Shopify has
//     them, as decimals.
//   - The recipient is the shipping address's name (else first and last name),
//     with the company in brackets when there is one, so the driver asks for
//     the right person at a business; the order's email; the shipping
//     address's phone, else the order's.
//   - The order's note is the delivery notes.
//   - Each line item that ships is a product (name, current quantity, SKU),
//     and PackageCount is the sum of their quantities: Shopify does not know
//     how the merchant packs, one package an item is the usual case, and the
//     client can change it on the draft before submitting. The current
//     quantity leaves out units refunded or removed; a line that does not
//     ship (requiresShipping false: a tip, a gift card, a digital product)
//     is left out, and Notes says so.
//   - The stop type is delivery.
//
// problem, when not "", is why the order cannot be imported; otherwise the
// order itself may have one: cancelled, fulfilled, or no shipping address.
// withheld names the protected customer data Shopify withheld ("name",
// "email", "phone", "address"): the order is mapped from what it gave, and
// Notes says what it withheld.
func toShopifyOrder(shop string, o *OrderFields, problem string, withheld []string) connect.ShopifyOrder {
	out := connect.ShopifyOrder{
		Ref:       connect.ShopifyRef{Shop: shop, OrderID: o.Id},
		Name:      o.Name,
		CreatedAt: o.CreatedAt,
		Input: connect.OrderInput{
			Ref:      o.Name,
			StopType: connect.Delivery,
			Notes:    strings.TrimSpace(o.Note),
		},
	}
	in := &out.Input
	in.Recipient.Email = o.Email
	in.Recipient.Phone = o.Phone
	if a := o.ShippingAddress; a != nil {
		in.Address = connect.Address{
			Line1:   a.Address1,
			Line2:   a.Address2,
			City:    a.City,
			State:   firstOf(a.Province, a.ProvinceCode),
			Zip:     a.Zip,
			Country: firstOf(a.Country, string(a.CountryCodeV2)),
		}
		if a.Latitude != nil && a.Longitude != nil {
			in.Address.Latitude = decimal.NewNullDecimal(decimal.NewFromFloat(*a.Latitude))
			in.Address.Longitude = decimal.NewNullDecimal(decimal.NewFromFloat(*a.Longitude))
		}
		name := firstOf(strings.TrimSpace(a.Name), strings.TrimSpace(a.FirstName+" "+a.LastName))
		switch company := strings.TrimSpace(a.Company); {
		case company == "":
		case name == "":
			name = company
		default:
			name += " (" + company + ")"
		}
		in.Recipient.Name = name
		in.Recipient.Phone = firstOf(a.Phone, o.Phone)
	}
	var leftOut []string
	for _, li := range o.LineItems.Nodes {
		switch {
		case li.CurrentQuantity <= 0:
			continue // refunded or removed from the order
		case !li.RequiresShipping:
			leftOut = append(leftOut, li.Name)
			continue
		}
		in.Products = append(in.Products, connect.Product{Name: li.Name, Quantity: li.CurrentQuantity, SKU: li.Sku})
		in.PackageCount += li.CurrentQuantity
	}
	if len(withheld) > 0 {
		out.Notes = append(out.Notes, NoteWithheld+strings.Join(withheld, ", ")+
			" (the app is not approved for these protected customer data fields; the client's required fields decide whether the order can be imported without them)")
	}
	if len(leftOut) > 0 {
		out.Notes = append(out.Notes, NoteNotShipped+strings.Join(leftOut, ", "))
	}

	switch {
	case problem != "":
	case slices.Contains(withheld, "address"):
		problem = ProblemWithheld // no street to deliver to, whatever the client requires
	case o.CancelledAt != nil:
		problem = ProblemCancelled
	case o.DisplayFulfillmentStatus == OrderDisplayFulfillmentStatusFulfilled:
		problem = ProblemFulfilled
	case o.DisplayFulfillmentStatus == OrderDisplayFulfillmentStatusRestocked:
		problem = ProblemRestocked
	case o.ShippingAddress == nil:
		problem = ProblemNoAddress
	case o.LineItems.PageInfo.HasNextPage:
		problem = problemTooManyProducts
	}
	out.Problem = problem
	out.Cancelled = o.CancelledAt != nil
	return out
}

// notFound is the answer for a reference that names no order of the shop.
func notFound(shop, ref, problem string) connect.ShopifyOrder {
	return connect.ShopifyOrder{Ref: connect.ShopifyRef{Shop: shop}, Name: ref, Input: connect.OrderInput{Ref: ref}, Problem: problem}
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
