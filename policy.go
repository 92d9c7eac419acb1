package connect

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// RequiredFieldPolicy lists the order fields a client must always give. The address
// (line 1) is required whatever the list says.
type RequiredFieldPolicy struct {
	Fields []Field `json:"fields"`
}

// RequireFields returns a policy requiring the fields (and the address).
func RequireFields(fields ...Field) RequiredFieldPolicy {
	p := RequiredFieldPolicy{}
	for _, f := range fields {
		if !slices.Contains(p.Fields, f) {
			p.Fields = append(p.Fields, f)
		}
	}
	return p
}

// Requires reports whether the policy requires field f: a field the table marks
// AlwaysRequired, or one the policy lists.
func (p RequiredFieldPolicy) Requires(f Field) bool {
	if s := f.spec(); s != nil && s.AlwaysRequired {
		return true
	}
	return slices.Contains(p.Fields, f)
}

// Required lists every required field in spreadsheet order, address line 1 included.
func (p RequiredFieldPolicy) Required() []Field {
	var out []Field
	for _, f := range OrderFields() {
		if p.Requires(f) {
			out = append(out, f)
		}
	}
	return out
}

// Validate reports fields the policy names that are not order fields.
func (p RequiredFieldPolicy) Validate() error {
	var errs []FieldError
	for _, f := range p.Fields {
		if !f.Valid() {
			errs = append(errs, FieldError{Field: f, Reason: "is not an order field"})
		}
	}
	if len(errs) > 0 {
		return InvalidFields(errs)
	}
	return nil
}

// Limits on what one order may hold, so that a bad row cannot bloat the database.
const (
	maxTextLen     = 1000  // any single text field
	maxNotesLen    = 10000 // notes
	maxProducts    = 500
	maxPackages    = 100000
	maxProductQty  = 1000000
	maxStoredBytes = 64 // digits of a decimal
)

// Check returns one field error per field of in that is missing (required by the
// policy) or malformed (whatever the policy), in spreadsheet order. An empty result
// means the order may be stored and submitted.
func (p RequiredFieldPolicy) Check(in OrderInput) []FieldError {
	var errs []FieldError
	bad := func(f Field, format string, args ...any) {
		errs = append(errs, FieldError{Field: f, Reason: fmt.Sprintf(format, args...)})
	}
	for i := range fieldTable {
		f, present := fieldTable[i].Field, false
		if text := fieldTable[i].text; text != nil {
			s := *text(&in)
			present = strings.TrimSpace(s) != ""
			limit := maxTextLen
			if f == FieldNotes {
				limit = maxNotesLen
			}
			switch {
			case utf8.RuneCountInString(s) > limit:
				bad(f, "is longer than %d characters", limit)
				continue
			case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
				bad(f, "contains characters that are not text")
				continue
			}
		}
		switch f {
		case FieldSize:
			present = in.Size.Valid
			if present && (in.Size.Decimal.IsNegative() || len(in.Size.Decimal.String()) > maxStoredBytes) {
				bad(f, "must be a number of 0 or more")
				continue
			}
		case FieldStopType:
			present = in.StopType != ""
			if present && in.StopType != Delivery && in.StopType != Pickup {
				bad(f, "must be %q or %q", Delivery, Pickup)
				continue
			}
		case FieldPackageCount:
			present = in.PackageCount != 0
			if in.PackageCount < 0 || in.PackageCount > maxPackages {
				bad(f, "must be a whole number from 1 to %d", maxPackages)
				continue
			}
		case FieldProducts:
			present = len(in.Products) > 0
			if msg := checkProducts(in.Products); msg != "" {
				bad(f, "%s", msg)
				continue
			}
		case FieldLatitude:
			present = in.Address.Latitude.Valid
			if present && !inRange(in.Address.Latitude.Decimal, 90) {
				bad(f, "must be between -90 and 90")
				continue
			}
		case FieldLongitude:
			present = in.Address.Longitude.Valid
			if present && !inRange(in.Address.Longitude.Decimal, 180) {
				bad(f, "must be between -180 and 180")
				continue
			}
		case FieldRecipientEmail:
			if present && !looksLikeEmail(in.Recipient.Email) {
				bad(f, "%q is not an email address", in.Recipient.Email)
				continue
			}
		case FieldRecipientPhone:
			if present && !looksLikePhone(in.Recipient.Phone) {
				bad(f, "%q is not a phone number", in.Recipient.Phone)
				continue
			}
		}
		if !present && p.Requires(f) {
			bad(f, "is required")
		}
	}
	if in.Address.Latitude.Valid != in.Address.Longitude.Valid && len(errs) == 0 {
		f := FieldLongitude
		if !in.Address.Latitude.Valid {
			f = FieldLatitude
		}
		bad(f, "is required when the other coordinate is given")
	}
	return errs
}

func checkProducts(ps []Product) string {
	if len(ps) > maxProducts {
		return fmt.Sprintf("lists more than %d products", maxProducts)
	}
	for i, pr := range ps {
		switch {
		case strings.TrimSpace(pr.Name) == "":
			return fmt.Sprintf("product %d has no name", i+1)
		case utf8.RuneCountInString(pr.Name) > maxTextLen || utf8.RuneCountInString(pr.SKU) > maxTextLen:
			return fmt.Sprintf("product %d is longer than %d characters", i+1, maxTextLen)
		case pr.Quantity < 1 || pr.Quantity > maxProductQty:
			return fmt.Sprintf("product %q must have a quantity from 1 to %d", pr.Name, maxProductQty)
		}
	}
	return ""
}

func inRange(d decimal.Decimal, limit int64) bool {
	l := decimal.NewFromInt(limit)
	return d.GreaterThanOrEqual(l.Neg()) && d.LessThanOrEqual(l)
}

// looksLikeEmail accepts what net/mail accepts as a bare address: loose on purpose,
// since the mail server is the real judge.
func looksLikeEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == strings.TrimSpace(s) && strings.Contains(a.Address, "@")
}

// looksLikePhone accepts digits with the usual punctuation, 6 to 20 digits.
func looksLikePhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case unicode.IsDigit(r):
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')', r == '.', r == '/':
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 20
}
