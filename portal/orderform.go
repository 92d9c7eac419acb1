package portal

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
	"github.com/shopspring/decimal"
)

// The order form's inputs are named by connect.Field, so that the Service's field
// errors land beside the right input.

// orderValues returns an order's fields as the form shows them.
func orderValues(in connect.OrderInput) map[string]string {
	v := map[string]string{
		string(connect.FieldRef):            in.Ref,
		string(connect.FieldStopType):       string(in.StopType),
		string(connect.FieldUnit):           in.Address.Unit,
		string(connect.FieldAddressLine1):   in.Address.Line1,
		string(connect.FieldAddressLine2):   in.Address.Line2,
		string(connect.FieldCity):           in.Address.City,
		string(connect.FieldState):          in.Address.State,
		string(connect.FieldZip):            in.Address.Zip,
		string(connect.FieldCountry):        in.Address.Country,
		string(connect.FieldRecipientName):  in.Recipient.Name,
		string(connect.FieldRecipientEmail): in.Recipient.Email,
		string(connect.FieldRecipientPhone): in.Recipient.Phone,
		string(connect.FieldNotes):          in.Notes,
		string(connect.FieldProducts):       formatProducts(in.Products),
	}
	if in.Size.Valid {
		v[string(connect.FieldSize)] = in.Size.Decimal.String()
	}
	if in.PackageCount != 0 {
		v[string(connect.FieldPackageCount)] = strconv.Itoa(in.PackageCount)
	}
	if in.Address.Latitude.Valid {
		v[string(connect.FieldLatitude)] = in.Address.Latitude.Decimal.String()
	}
	if in.Address.Longitude.Valid {
		v[string(connect.FieldLongitude)] = in.Address.Longitude.Decimal.String()
	}
	return v
}

// parseOrderForm reads the order form. Values that cannot be read (a size that is
// not a number) are reported as field errors; the Service checks the rest.
func parseOrderForm(r *http.Request) (connect.OrderInput, map[string]string, []connect.FieldError) {
	get := func(f connect.Field) string { return strings.TrimSpace(r.PostFormValue(string(f))) }
	var errs []connect.FieldError
	num := func(f connect.Field) decimal.NullDecimal {
		s := get(f)
		if s == "" {
			return decimal.NullDecimal{}
		}
		d, err := decimal.NewFromString(s)
		if err != nil || len(s) > 64 {
			errs = append(errs, connect.FieldError{Field: f, Reason: "must be a number"})
			return decimal.NullDecimal{}
		}
		return decimal.NewNullDecimal(d)
	}
	in := connect.OrderInput{
		Ref:      get(connect.FieldRef),
		StopType: connect.StopType(get(connect.FieldStopType)),
		Address: connect.Address{
			Unit: get(connect.FieldUnit), Line1: get(connect.FieldAddressLine1), Line2: get(connect.FieldAddressLine2),
			City: get(connect.FieldCity), State: get(connect.FieldState), Zip: get(connect.FieldZip),
			Country:  get(connect.FieldCountry),
			Latitude: num(connect.FieldLatitude), Longitude: num(connect.FieldLongitude),
		},
		Recipient: connect.Recipient{Name: get(connect.FieldRecipientName), Email: get(connect.FieldRecipientEmail),
			Phone: get(connect.FieldRecipientPhone)},
		Notes: get(connect.FieldNotes),
		Size:  num(connect.FieldSize),
	}
	if s := get(connect.FieldPackageCount); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			errs = append(errs, connect.FieldError{Field: connect.FieldPackageCount, Reason: "must be a whole number of 1 or more"})
		} else {
			in.PackageCount = n
		}
	}
	ps, err := parseProducts(r.PostFormValue(string(connect.FieldProducts)))
	if err != nil {
		errs = append(errs, connect.FieldError{Field: connect.FieldProducts, Reason: err.Error()})
	}
	in.Products = ps
	values := map[string]string{}
	for _, f := range connect.OrderFields() {
		values[string(f)] = r.PostFormValue(string(f))
	}
	return in, values, errs
}

// formatProducts writes products one per line: "2 x Apples | SKU-1".
func formatProducts(ps []connect.Product) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		l := p.Name
		if p.Quantity > 1 {
			l = fmt.Sprintf("%d x %s", p.Quantity, p.Name)
		}
		if p.SKU != "" {
			l += " | " + p.SKU
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// parseProducts reads what formatProducts writes: one product a line, an optional
// "N x " quantity in front and an optional " | SKU" behind.
func parseProducts(s string) ([]connect.Product, error) {
	var out []connect.Product
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		p := connect.Product{Quantity: 1}
		if name, sku, ok := strings.Cut(line, "|"); ok {
			line, p.SKU = strings.TrimSpace(name), strings.TrimSpace(sku)
		}
		if q, rest, ok := cutQuantity(line); ok {
			p.Quantity, line = q, rest
		}
		if line == "" {
			return nil, fmt.Errorf("line %d has no product name", i+1)
		}
		p.Name = line
		out = append(out, p)
	}
	return out, nil
}

// cutQuantity splits "3 x Pears" (or "3x Pears", "3 × Pears") into 3 and "Pears".
func cutQuantity(s string) (int, string, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 7 {
		return 0, s, false
	}
	rest := strings.TrimLeft(s[i:], " ")
	for _, sep := range []string{"x ", "X ", "× "} {
		if r, ok := strings.CutPrefix(rest, sep); ok {
			n, _ := strconv.Atoi(s[:i])
			return n, strings.TrimSpace(r), true
		}
	}
	return 0, s, false
}
