package shopify

import (
	"testing"

	"github.com/dispatchkit/connect"
)

func TestUserErrorsKeepShopifysMessage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		msg  string
		code connect.Code
	}{
		{"Fulfillment order 123 has an unfulfillable status= closed.", connect.Conflict},
		{"The fulfillment order is on hold.", connect.Conflict},
		{"Line items by fulfillment order must not be empty.", connect.Invalid},
		{"Tracking url is invalid.", connect.Invalid},
	}
	for _, c := range cases {
		err := userErrors("gid://shopify/Order/1", []UserError{{Message: c.msg}})
		if connect.ErrorCode(err) != c.code || err.Error() != string(c.code)+": shopify: order gid://shopify/Order/1: "+c.msg {
			t.Errorf("userErrors(%q) = %v; want %s with Shopify's message", c.msg, err, c.code)
		}
	}
	if err := userErrors("x", nil); err != nil {
		t.Errorf("no user errors gave %v", err)
	}
}
