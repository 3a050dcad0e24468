// Package policy owns the one authorisation decision of borderwatch: may
// principal P do action X on a record labelled L in sector S. Every way
// data leaves a node — the REST API, the live stream, CoT out to TAK
// devices, exports, replay, search and metrics labels — asks Decide (or a
// Filter built from it); nothing else decides.
//
// The model, in three parts:
//   - Roles grant actions (see the table in roleActions). A principal
//     holds one or more roles of one agency.
//   - Labels decide visibility: a record is visible to a principal whose
//     agency owns it or is in its ReleasableTo (borderwatch.Label). An
//     unlabelled record (no owner) is visible to nobody. A record with a
//     handling note is protected (e.g. informant reporting): only the
//     operator, commander and analyst roles see it, never a liaison, a
//     planner, an admin, an auditor or a device.
//   - Changes are the owner's: acknowledging or dismissing an alert,
//     dispatching, changing a crossing's status and ingesting need the
//     principal's agency to own the record, and a principal scoped to
//     sectors may change records of those sectors only. Sectors do not
//     limit visibility: a neighbour sector must see what approaches it.
//
// It imports only the standard library and the domain package.
package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/borderwatch/borderwatch"
)

// Role is what a principal is for. Human roles come first; device, sensor
// and monitor are for machines (TAK devices, integrations posting
// observations, metric scrapers).
type Role string

// Roles.
const (
	RoleOperator  Role = "operator"  // watches the picture, handles alerts in its sectors
	RoleCommander Role = "commander" // operator rights plus crossings and exports
	RoleAnalyst   Role = "analyst"   // reads, searches, replays and exports
	RolePlanner   Role = "planner"   // plans coverage: reads unprotected records, replays, exports
	RoleAuditor   Role = "auditor"   // reviews the audit log; reads unprotected records
	RoleAdmin     Role = "admin"     // manages users, tokens and devices
	RoleLiaison   Role = "liaison"   // a partner's officer: reads what is released to its agency
	RoleDevice    Role = "device"    // a TAK device over mutual TLS: sends reports, receives the picture
	RoleSensor    Role = "sensor"    // an integration or sensor: posts observations only
	RoleMonitor   Role = "monitor"   // a metrics scraper
)

// AllRoles lists every role in documentation order.
var AllRoles = []Role{RoleOperator, RoleCommander, RoleAnalyst, RolePlanner, RoleAuditor, RoleAdmin, RoleLiaison,
	RoleDevice, RoleSensor, RoleMonitor}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if slices.Contains(AllRoles, r) {
		return r, nil
	}
	return "", fmt.Errorf("role %q: want one of %s", s, joinRoles(AllRoles))
}

func joinRoles(rs []Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ", ")
}

// Action is what a principal wants to do.
type Action string

// Actions. The first group concerns one record and its label; the second
// concerns the node.
const (
	ActView           Action = "view"            // see a record (API, stream, CoT out)
	ActSearch         Action = "search"          // find records by query
	ActReplay         Action = "replay"          // see past records again
	ActExport         Action = "export"          // take records off the node (files)
	ActAcknowledge    Action = "acknowledge"     // acknowledge an alert
	ActDismiss        Action = "dismiss"         // dismiss an alert
	ActDispatch       Action = "dispatch"        // send a unit or a drone
	ActCrossingStatus Action = "crossing_status" // open, restrict or close a crossing
	ActIngest         Action = "ingest"          // create records (observations)

	ActViewDeployment Action = "view_deployment" // the deployment: line, sectors, sites, sensors
	ActMetrics        Action = "metrics"         // read /metrics (series labelled by agency need that agency)
	ActAuditReview    Action = "audit_review"    // read and verify the audit log
	ActAdminister     Action = "administer"      // users, API tokens, device certificates
)

// AllActions lists every action in documentation order.
var AllActions = []Action{ActView, ActSearch, ActReplay, ActExport, ActAcknowledge, ActDismiss, ActDispatch,
	ActCrossingStatus, ActIngest, ActViewDeployment, ActMetrics, ActAuditReview, ActAdminister}

// Principal is an authenticated caller: a user, an API token or a device.
type Principal struct {
	Subject string             `json:"subject"`
	Agency  borderwatch.Agency `json:"agency"`
	Roles   []Role             `json:"roles"`
	// Sectors limits the records the principal may change to these
	// sectors; empty means every sector.
	Sectors []string `json:"sectors,omitempty"`
}

// Has reports whether p holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// Record is what an action is on: its label and the sector it belongs to
// (empty when it has none). Node actions ignore it, except metrics, where
// the label's owner is the agency a series is about.
type Record struct {
	Label  borderwatch.Label
	Sector string
}

type perm uint32

func bit(a Action) perm {
	i := slices.Index(AllActions, a)
	if i < 0 {
		return 0
	}
	return 1 << uint(i)
}

func bits(as ...Action) perm {
	var p perm
	for _, a := range as {
		p |= bit(a)
	}
	return p
}

// roleActions is the role table. It is the whole of "who may do what";
// labels and sectors then narrow it per record.
var roleActions = map[Role]perm{
	RoleOperator:  bits(ActView, ActSearch, ActAcknowledge, ActDismiss, ActDispatch, ActIngest, ActViewDeployment),
	RoleCommander: bits(ActView, ActSearch, ActReplay, ActExport, ActAcknowledge, ActDismiss, ActDispatch, ActCrossingStatus, ActIngest, ActViewDeployment, ActMetrics),
	RoleAnalyst:   bits(ActView, ActSearch, ActReplay, ActExport, ActViewDeployment),
	RolePlanner:   bits(ActView, ActSearch, ActReplay, ActExport, ActViewDeployment),
	RoleAuditor:   bits(ActView, ActReplay, ActViewDeployment, ActMetrics, ActAuditReview),
	RoleAdmin:     bits(ActView, ActViewDeployment, ActMetrics, ActAdminister),
	RoleLiaison:   bits(ActView, ActViewDeployment),
	RoleDevice:    bits(ActView, ActIngest),
	RoleSensor:    bits(ActIngest),
	RoleMonitor:   bits(ActMetrics),
}

// protectedReaders may see records with a handling note.
var protectedReaders = []Role{RoleOperator, RoleCommander, RoleAnalyst}

// changes are the actions that alter or create a record: the owner's.
var changes = bits(ActAcknowledge, ActDismiss, ActDispatch, ActCrossingStatus, ActIngest)

// reads are the record actions that show a record.
var reads = bits(ActView, ActSearch, ActReplay, ActExport)

// Protected reports whether a record with label l is protected: it has a
// handling note.
func Protected(l borderwatch.Label) bool { return strings.TrimSpace(l.Handling) != "" }

// RolesGrant reports whether some role in roles grants act, whatever the
// record.
func RolesGrant(roles []Role, act Action) bool {
	b := bit(act)
	for _, r := range roles {
		if roleActions[r]&b != 0 {
			return true
		}
	}
	return false
}

// Decide is the policy: nil when p may do act on rec, otherwise a domain
// error (EUNAUTHORIZED for no principal, EFORBIDDEN otherwise) whose
// message says why without revealing the record.
func Decide(p Principal, act Action, rec Record) error {
	if p.Subject == "" || p.Agency == "" || len(p.Roles) == 0 {
		return borderwatch.Errorf(borderwatch.EUNAUTHORIZED, "authentication required")
	}
	b := bit(act)
	if b == 0 {
		return borderwatch.Errorf(borderwatch.EFORBIDDEN, "unknown action %q", act)
	}
	var granted perm
	for _, r := range p.Roles {
		granted |= roleActions[r]
	}
	if granted&b == 0 {
		return borderwatch.Errorf(borderwatch.EFORBIDDEN, "%s: not permitted to role %s", act, joinRoles(p.Roles))
	}
	switch {
	case b&reads != 0:
		if !rec.Label.ReleasableToAgency(p.Agency) {
			return borderwatch.Errorf(borderwatch.EFORBIDDEN, "%s: record not releasable to %s", act, p.Agency)
		}
		if Protected(rec.Label) && !slices.ContainsFunc(p.Roles, func(r Role) bool { return slices.Contains(protectedReaders, r) }) {
			return borderwatch.Errorf(borderwatch.EFORBIDDEN, "%s: protected record (handling note) not shown to role %s", act, joinRoles(p.Roles))
		}
	case b&changes != 0:
		if rec.Label.Owner != p.Agency {
			return borderwatch.Errorf(borderwatch.EFORBIDDEN, "%s: only the owning agency may change a record", act)
		}
		if len(p.Sectors) > 0 && act != ActIngest && !slices.Contains(p.Sectors, rec.Sector) {
			return borderwatch.Errorf(borderwatch.EFORBIDDEN, "%s: record's sector %q is outside the principal's sectors", act, rec.Sector)
		}
	case act == ActMetrics:
		if rec.Label.Owner != "" && rec.Label.Owner != p.Agency {
			return borderwatch.Errorf(borderwatch.EFORBIDDEN, "metrics: series about another agency")
		}
		if rec.Sector != "" && len(p.Sectors) > 0 && !slices.Contains(p.Sectors, rec.Sector) {
			return borderwatch.Errorf(borderwatch.EFORBIDDEN, "metrics: series about another sector")
		}
	}
	return nil
}

// Allowed is Decide as a boolean.
func Allowed(p Principal, act Action, rec Record) bool { return Decide(p, act, rec) == nil }

// Filter returns the label test for one principal and one read action,
// for filtering many records (the live stream, CoT out, exports). It
// decides exactly as Decide does for a record without a sector; it only
// precomputes the role checks. A principal that may not do act at all,
// or an act that is not a read (view, search, replay, export), gets a
// filter that refuses everything.
func Filter(p Principal, act Action) func(borderwatch.Label) bool {
	if bit(act)&reads == 0 {
		return func(borderwatch.Label) bool { return false }
	}
	if Decide(p, act, Record{Label: borderwatch.Label{Owner: p.Agency}}) != nil {
		return func(borderwatch.Label) bool { return false }
	}
	protectedOK := slices.ContainsFunc(p.Roles, func(r Role) bool { return slices.Contains(protectedReaders, r) })
	agency := p.Agency
	return func(l borderwatch.Label) bool {
		if !l.ReleasableToAgency(agency) {
			return false
		}
		return protectedOK || !Protected(l)
	}
}
