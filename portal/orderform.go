package portal

import (
	"net/http"

	"github.com/dispatchkit/connect"
)

// The order form's inputs are named by connect.Field, so that the Service's field
// errors land beside the right input, and read and show their values as the
// order-field table does (connect.FieldSpec): the same text a spreadsheet cell holds.

// notifyOptOutInput is the order form's checkbox of OrderInput.NotifyOptOut,
// which is no spreadsheet field.
const notifyOptOutInput = "notify_opt_out"

// orderValues returns an order's fields as the form shows them.
func orderValues(in connect.OrderInput) map[string]string {
	v := map[string]string{}
	for _, spec := range connect.FieldSpecs() {
		if text := spec.Format(&in); text != "" {
			v[string(spec.Field)] = text
		}
	}
	if in.NotifyOptOut {
		v[notifyOptOutInput] = "1"
	}
	return v
}

// parseOrderForm reads the order form. Values that cannot be read (a size that is
// not a number) are reported as field errors; the Service checks the rest.
func parseOrderForm(r *http.Request) (connect.OrderInput, map[string]string, []connect.FieldError) {
	var in connect.OrderInput
	var errs []connect.FieldError
	values := map[string]string{}
	for _, spec := range connect.FieldSpecs() {
		text := r.PostFormValue(string(spec.Field))
		values[string(spec.Field)] = text
		errs = append(errs, fieldErrors(spec.Parse(&in, text))...)
	}
	if in.NotifyOptOut = r.PostFormValue(notifyOptOutInput) != ""; in.NotifyOptOut {
		values[notifyOptOutInput] = "1"
	}
	return in, values, errs
}
