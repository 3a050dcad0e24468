package borderwatch

// Agency is the short identifier of a force or organisation that owns
// records and receives them, e.g. "ibg" (Iraqi Border Guard), "army",
// "krg" (Kurdistan Region forces), "coalition".
type Agency string

// Label is the releasability marking carried by every record: the agency
// that owns it, the agencies it may be released to, and a handling note.
// The owner can always see its own records; an empty ReleasableTo means
// "owner only".
type Label struct {
	Owner        Agency   `json:"owner"`
	ReleasableTo []Agency `json:"releasable_to,omitempty"`
	Handling     string   `json:"handling,omitempty"`
}

// ReleasableToAgency reports whether a record with this label may be shown to a
// member of agency a.
func (l Label) ReleasableToAgency(a Agency) bool {
	if a == "" {
		return false
	}
	if l.Owner == a {
		return true
	}
	for _, r := range l.ReleasableTo {
		if r == a || r == AllAgencies {
			return true
		}
	}
	return false
}

// AllAgencies in ReleasableTo releases a record to every agency of the
// deployment.
const AllAgencies Agency = "*"
