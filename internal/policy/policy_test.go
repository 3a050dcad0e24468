package policy

import (
	"fmt"
	"testing"

	"github.com/borderwatch/borderwatch"
)

var (
	ibgOnly     = borderwatch.Label{Owner: "ibg"}
	ibgToArmy   = borderwatch.Label{Owner: "ibg", ReleasableTo: []borderwatch.Agency{"army"}}
	armyToAll   = borderwatch.Label{Owner: "army", ReleasableTo: []borderwatch.Agency{borderwatch.AllAgencies}}
	krgInformer = borderwatch.Label{Owner: "krg", ReleasableTo: []borderwatch.Agency{"ibg"}, Handling: "source protection: informant"}
	unlabelled  = borderwatch.Label{}
)

func TestDecide(t *testing.T) {
	op := Principal{Subject: "op", Agency: "ibg", Roles: []Role{RoleOperator}, Sectors: []string{"ninewa-baaj"}}
	liaison := Principal{Subject: "lo", Agency: "coalition", Roles: []Role{RoleLiaison}}
	cases := []struct {
		name string
		p    Principal
		act  Action
		rec  Record
		want borderwatch.ErrorCode
	}{
		{"nobody", Principal{}, ActView, Record{Label: armyToAll}, borderwatch.EUNAUTHORIZED},
		{"no roles", Principal{Subject: "x", Agency: "ibg"}, ActView, Record{Label: ibgOnly}, borderwatch.EUNAUTHORIZED},
		{"owner sees own", op, ActView, Record{Label: ibgOnly}, ""},
		{"released to all", op, ActView, Record{Label: armyToAll}, ""},
		{"not released", Principal{Subject: "a", Agency: "army", Roles: []Role{RoleOperator}}, ActView, Record{Label: ibgOnly}, borderwatch.EFORBIDDEN},
		{"released to army", Principal{Subject: "a", Agency: "army", Roles: []Role{RoleAnalyst}}, ActView, Record{Label: ibgToArmy}, ""},
		{"unlabelled is nobody's", op, ActView, Record{Label: unlabelled}, borderwatch.EFORBIDDEN},
		{"operator sees protected released to it", op, ActView, Record{Label: krgInformer}, ""},
		{"liaison never sees protected", Principal{Subject: "l", Agency: "ibg", Roles: []Role{RoleLiaison}}, ActView, Record{Label: krgInformer}, borderwatch.EFORBIDDEN},
		{"admin never sees protected", Principal{Subject: "ad", Agency: "krg", Roles: []Role{RoleAdmin}}, ActView, Record{Label: krgInformer}, borderwatch.EFORBIDDEN},
		{"device never sees protected", Principal{Subject: "d", Agency: "krg", Roles: []Role{RoleDevice}}, ActView, Record{Label: krgInformer}, borderwatch.EFORBIDDEN},
		{"liaison sees released to all", liaison, ActView, Record{Label: armyToAll}, ""},
		{"liaison cannot act", liaison, ActDismiss, Record{Label: armyToAll}, borderwatch.EFORBIDDEN},
		{"sensor cannot view", Principal{Subject: "s", Agency: "ibg", Roles: []Role{RoleSensor}}, ActView, Record{Label: ibgOnly}, borderwatch.EFORBIDDEN},
		{"operator dismisses in own sector", op, ActDismiss, Record{Label: ibgOnly, Sector: "ninewa-baaj"}, ""},
		{"operator not outside its sectors", op, ActDismiss, Record{Label: ibgOnly, Sector: "anbar-qaim"}, borderwatch.EFORBIDDEN},
		{"no change to a record released to us", Principal{Subject: "a", Agency: "army", Roles: []Role{RoleCommander}}, ActDismiss, Record{Label: ibgToArmy}, borderwatch.EFORBIDDEN},
		{"operator may not change crossings", op, ActCrossingStatus, Record{Label: ibgOnly, Sector: "ninewa-baaj"}, borderwatch.EFORBIDDEN},
		{"commander changes crossings", Principal{Subject: "c", Agency: "ibg", Roles: []Role{RoleCommander}}, ActCrossingStatus, Record{Label: ibgOnly, Sector: "anbar-qaim"}, ""},
		{"ingest as own agency", Principal{Subject: "s", Agency: "ibg", Roles: []Role{RoleSensor}}, ActIngest, Record{Label: ibgToArmy}, ""},
		{"ingest as another agency", Principal{Subject: "s", Agency: "ibg", Roles: []Role{RoleSensor}}, ActIngest, Record{Label: armyToAll}, borderwatch.EFORBIDDEN},
		{"auditor reviews", Principal{Subject: "au", Agency: "ibg", Roles: []Role{RoleAuditor}}, ActAuditReview, Record{}, ""},
		{"admin does not review audit", Principal{Subject: "ad", Agency: "ibg", Roles: []Role{RoleAdmin}}, ActAuditReview, Record{}, borderwatch.EFORBIDDEN},
		{"monitor reads own agency series", Principal{Subject: "m", Agency: "ibg", Roles: []Role{RoleMonitor}}, ActMetrics, Record{Label: ibgOnly}, ""},
		{"monitor not other agency series", Principal{Subject: "m", Agency: "ibg", Roles: []Role{RoleMonitor}}, ActMetrics, Record{Label: borderwatch.Label{Owner: "army"}}, borderwatch.EFORBIDDEN},
		{"unknown action", op, Action("fly"), Record{Label: ibgOnly}, borderwatch.EFORBIDDEN},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Decide(c.p, c.act, c.rec)
			if got := errCode(err); got != c.want {
				t.Fatalf("Decide = %v (%q), want %q", err, got, c.want)
			}
		})
	}
}

func errCode(err error) borderwatch.ErrorCode {
	if err == nil {
		return ""
	}
	return borderwatch.ErrorCodeOf(err)
}

// TestFilterAgreesWithDecide walks every role set of one and two roles ×
// agency × label × read action: the fast filter must decide exactly as
// Decide.
func TestFilterAgreesWithDecide(t *testing.T) {
	labels := []borderwatch.Label{ibgOnly, ibgToArmy, armyToAll, krgInformer, unlabelled,
		{Owner: "coalition", ReleasableTo: []borderwatch.Agency{"ibg", "army"}, Handling: "REL IBG ARMY"}}
	agencies := []borderwatch.Agency{"ibg", "army", "krg", "bpc", "coalition"}
	var sets [][]Role
	for i, a := range AllRoles {
		sets = append(sets, []Role{a})
		for _, b := range AllRoles[i+1:] {
			sets = append(sets, []Role{a, b})
		}
	}
	for _, act := range AllActions {
		for _, roles := range sets {
			for _, ag := range agencies {
				p := Principal{Subject: "u", Agency: ag, Roles: roles}
				f := Filter(p, act)
				for _, l := range labels {
					want := Allowed(p, act, Record{Label: l}) && bit(act)&reads != 0
					if got := f(l); got != want {
						t.Errorf("%s %v %s on %+v: filter %v, Decide %v", act, roles, ag, l, got, want)
					}
				}
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range AllRoles {
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole(root) accepted")
	}
}

func BenchmarkFilter(b *testing.B) {
	p := Principal{Subject: "u", Agency: "army", Roles: []Role{RoleOperator}}
	labels := []borderwatch.Label{ibgOnly, ibgToArmy, armyToAll, krgInformer}
	b.Run("filter", func(b *testing.B) {
		b.ReportAllocs()
		f := Filter(p, ActView)
		n := 0
		for i := 0; b.Loop(); i++ {
			if f(labels[i&3]) {
				n++
			}
		}
		_ = n
	})
	b.Run("decide", func(b *testing.B) { // the naive baseline: the full decision per record
		b.ReportAllocs()
		n := 0
		for i := 0; b.Loop(); i++ {
			if Allowed(p, ActView, Record{Label: labels[i&3]}) {
				n++
			}
		}
		_ = n
	})
}

func ExampleDecide() {
	p := Principal{Subject: "lo-1", Agency: "coalition", Roles: []Role{RoleLiaison}}
	fmt.Println(Decide(p, ActView, Record{Label: borderwatch.Label{Owner: "ibg"}}))
	// Output: forbidden: view: record not releasable to coalition
}
