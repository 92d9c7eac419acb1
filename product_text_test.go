package connect_test

import (
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
)

func products(ps ...connect.Product) []connect.Product { return ps }

func item(name string, qty int, sku string) connect.Product {
	return connect.Product{Name: name, Quantity: qty, SKU: sku}
}

func TestParseProductsField(t *testing.T) {
	t.Parallel()
	pr := connect.FieldProducts
	cases := []struct {
		name string
		in   string
		want []connect.Product
		err  *fieldError
	}{
		{"an empty cell is no products", "", nil, nil},
		{"one name", "Bread", products(item("Bread", 1, "")), nil},
		{"a quantity after the name", "Veg box x2; Bread", products(item("Veg box", 2, ""), item("Bread", 1, "")), nil},
		{"a quantity before the name, commas between", "2 x Veg box, Bread (SKU123)",
			products(item("Veg box", 2, ""), item("Bread (SKU123)", 1, "")), nil},
		{"a star after the name", "Veg box*2", products(item("Veg box", 2, "")), nil},
		{"a star before the name", "3*Apples", products(item("Apples", 3, "")), nil},
		{"a spaced star", "Apples * 3", products(item("Apples", 3, "")), nil},
		{"an x joined to the number before", "2x Veg box", products(item("Veg box", 2, "")), nil},
		{"a capital X and a space after", "Veg box X 4", products(item("Veg box", 4, "")), nil},
		{"a times sign", "Veg box ×2; 3 × Eggs", products(item("Veg box", 2, ""), item("Eggs", 3, "")), nil},
		{"a SKU", "Sourdough loaf [SKU: BREAD-SD]", products(item("Sourdough loaf", 1, "BREAD-SD")), nil},
		{"a SKU in lower case, without a colon", "Bread [sku BR-1]", products(item("Bread", 1, "BR-1")), nil},
		{"a SKU after the quantity", "Veg box x2 [SKU: VB]", products(item("Veg box", 2, "VB")), nil},
		{"a SKU before the quantity", "Veg box [SKU: VB] x2", products(item("Veg box", 2, "VB")), nil},
		{"a SKU with a leading quantity", "2 x Veg box [SKU:VB]", products(item("Veg box", 2, "VB")), nil},
		{"commas inside names when semicolons separate", "Eggs, free range x2; Milk",
			products(item("Eggs, free range", 2, ""), item("Milk", 1, "")), nil},
		{"line breaks separate", "Veg box x2\nBread\r\nMilk", products(item("Veg box", 2, ""), item("Bread", 1, ""), item("Milk", 1, "")), nil},
		{"empty products are skipped", "Veg box;; Bread;", products(item("Veg box", 1, ""), item("Bread", 1, "")), nil},
		{"a number at the start without an x is part of the name", "7 Up", products(item("7 Up", 1, "")), nil},
		{"dimensions are part of the name", "Frame 3×4; Box2x2", products(item("Frame 3×4", 1, ""), item("Box2x2", 1, "")), nil},
		{"a word after x is part of the name", "Shirt x-large; Razor x2-pack", products(item("Shirt x-large", 1, ""), item("Razor x2-pack", 1, "")), nil},
		{"brackets that are not a SKU are part of the name", "Bread [wholemeal]; Skunk [SKUs]",
			products(item("Bread [wholemeal]", 1, ""), item("Skunk [SKUs]", 1, "")), nil},
		{"a quantity in a name with a quantity", "Veg x2 x3", products(item("Veg x2", 3, "")), nil},
		{"inner spaces are kept", "Veg  box   x2", products(item("Veg  box", 2, "")), nil},

		{"a quantity of 0", "Veg box x0; Bread", nil, &fieldError{pr, `has a product 1 ("Veg box x0") that has a quantity of 0: give at least 1`}},
		{"a fractional quantity", "Bread; Veg box x2.5", nil, &fieldError{pr, `product 2 ("Veg box x2.5") that has a quantity "2.5" that is not a whole number`}},
		{"a negative quantity", "Veg box x -1", nil, &fieldError{pr, `quantity "-1" that is not a whole number`}},
		{"a quantity beyond any count", "Veg box x99999999999999999999", nil, &fieldError{pr, "far too large"}},
		{"two quantities", "2 x Veg box x3", nil, &fieldError{pr, "has two quantities"}},
		{"a quantity with no name", "x2", nil, &fieldError{pr, "has no name"}},
		{"a leading quantity with no name", "Bread; 2 x", nil, &fieldError{pr, `product 2 ("2 x") that has no name`}},
		{"a SKU with no name", "[SKU: AB]", nil, &fieldError{pr, "has no name"}},
		{"an empty SKU", "Bread [SKU: ]", nil, &fieldError{pr, "has an empty SKU"}},
		{"an empty SKU before a quantity", "Bread [SKU] x2", nil, &fieldError{pr, "has an empty SKU"}},
		{"separators only", " ; ;", nil, &fieldError{pr, `lists no product: write them like "Veg box x2; Bread"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in, fe := parse(t, pr, c.in)
			checkFieldError(t, c.err, fe)
			got := in.Products
			if d := cmp.Diff(c.want, got); d != "" {
				t.Fatalf("Parse(%q) (-want +got):\n%s", c.in, d)
			}
			if fe != nil || got == nil {
				return
			}
			text := connect.FormatProducts(got)
			again, fe := parse(t, pr, text)
			if fe != nil {
				t.Fatalf("formatted as %q, which does not read back: %s", text, fe.Reason)
			}
			if d := cmp.Diff(got, again.Products); d != "" {
				t.Fatalf("formatted as %q, read back (-first +second):\n%s", text, d)
			}
		})
	}
}

func TestFormatProducts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   []connect.Product
		want string
	}{
		{"none", nil, ""},
		{"a quantity of 1 is left out", products(item("Bread", 1, "")), "Bread"},
		{"quantities and SKUs", products(item("Veg box", 2, ""), item("Sourdough loaf", 1, "BREAD-SD")),
			"Veg box x2; Sourdough loaf [SKU: BREAD-SD]"},
		{"a quantity of 1 is written when the name would read as one", products(item("Veg x2", 1, "")), "Veg x2 x1"},
		{"a single name with a comma ends with a semicolon", products(item("Eggs, free range", 1, "")), "Eggs, free range;"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(c.want, connect.FormatProducts(c.in)); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}
