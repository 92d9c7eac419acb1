package connect

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// ClientNumber is a client's unique number, the "Client ID" dispatchers type into
// their stop spreadsheets: eight digits, the first never 0 (spreadsheets drop leading
// zeros), the last a Damm check digit. Damm catches every single-digit typo and every
// swap of two adjacent digits, which Luhn does not (09↔90). Numbers are random, so
// they reveal nothing about how many clients an account has.
type ClientNumber string

// clientNumberLen is the number of digits, check digit included.
const clientNumberLen = 8

// dammTable is the quasigroup of order 10 from Damm's thesis (2004).
var dammTable = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// dammDigit returns the check digit for a string of ASCII digits.
func dammDigit(digits string) byte {
	var interim byte
	for i := 0; i < len(digits); i++ {
		interim = dammTable[interim][digits[i]-'0']
	}
	return interim
}

// NewClientNumber returns a random client number. Uniqueness is the Store's job: on a
// conflict the Service draws again.
func NewClientNumber() (ClientNumber, error) {
	// 10^6 * 9 bodies: first digit 1-9, six more digits.
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000))
	if err != nil {
		return "", Errorf(Internal, "drawing a client number: %w", err)
	}
	body := big.NewInt(0).Add(n, big.NewInt(1_000_000)).String()
	return ClientNumber(body + string('0'+dammDigit(body))), nil
}

// ParseClientNumber reads a client number as people type it: spaces and dashes are
// ignored. It refuses anything that is not eight digits with a valid check digit, so
// a mistyped number never reaches the wrong client.
func ParseClientNumber(s string) (ClientNumber, error) {
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(digits) != clientNumberLen {
		return "", Errorf(Invalid, "client number %q must have %d digits", s, clientNumberLen)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", Errorf(Invalid, "client number %q must contain only digits", s)
		}
	}
	if digits[0] == '0' {
		return "", Errorf(Invalid, "client number %q cannot start with 0", s)
	}
	if dammDigit(digits) != 0 {
		return "", Errorf(Invalid, "client number %q is not valid: check for a mistyped or swapped digit", s)
	}
	return ClientNumber(digits), nil
}

// String returns the number's digits.
func (n ClientNumber) String() string { return string(n) }
