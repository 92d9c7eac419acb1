package connect

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Phone numbers are kept as people wrote them (Recipient.Phone is never
// rewritten); SMS go to the number's E.164 form, worked out when a notice is
// queued and again when it is sent. Parsing and validity follow Google's
// libphonenumber metadata (github.com/nyaruka/phonenumbers): what a number of
// a country may look like is data that changes every few months, not a rule
// to write here, which is why the root package takes this one dependency.

// maxPhoneLen bounds what is parsed: no real number, with its spacing and
// an extension, is longer.
const maxPhoneLen = 64

// E164Phone returns the E.164 form (+447700900123) of a phone number as a
// person wrote it, reading a number without a country code as one of region
// (ISO 3166-1 alpha-2; "" when every number must carry its code). Errors:
// ErrInvalid, saying why for people.
func E164Phone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", Errorf(Invalid, "no phone number")
	case len(raw) > maxPhoneLen:
		return "", Errorf(Invalid, "the phone number is longer than %d characters", maxPhoneLen)
	}
	region = strings.ToUpper(region)
	if region == "" {
		region = "ZZ" // unknown: the number must start with + and its country code
	}
	n, err := phonenumbers.Parse(raw, region)
	if err != nil {
		if region == "ZZ" && !strings.HasPrefix(raw, "+") {
			return "", Errorf(Invalid, "%q has no country code (+…), and the client set no default phone region", raw)
		}
		return "", Errorf(Invalid, "%q is not a phone number", raw)
	}
	if !phonenumbers.IsValidNumber(n) {
		where := phonenumbers.GetRegionCodeForNumber(n)
		if where == "" || where == "ZZ" {
			return "", Errorf(Invalid, "%q is not a valid phone number", raw)
		}
		return "", Errorf(Invalid, "%q is not a valid phone number of %s", raw, where)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// ValidPhoneRegion reports whether region (ISO 3166-1 alpha-2, any case) is a
// country phone numbers are read for.
func ValidPhoneRegion(region string) bool {
	return len(region) == 2 && phonenumbers.GetSupportedRegions()[strings.ToUpper(region)]
}
