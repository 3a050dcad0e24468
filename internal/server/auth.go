package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/audit"
	"github.com/borderwatch/borderwatch/internal/natsbus"
	"github.com/borderwatch/borderwatch/internal/policy"
	"github.com/borderwatch/borderwatch/internal/rules"
	"github.com/borderwatch/borderwatch/internal/web"
)

// principalKey carries the caller's full principal (with sectors) from
// the guard to the web callbacks.
type principalKey struct{}

func withPrincipal(ctx context.Context, p policy.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalOf returns the guard's principal, or the web principal's
// fields when the guard did not run.
func principalOf(ctx context.Context, wp web.Principal) policy.Principal {
	if p, ok := ctx.Value(principalKey{}).(policy.Principal); ok && p.Subject == wp.Subject {
		return p
	}
	return toPolicy(wp)
}

func toPolicy(wp web.Principal) policy.Principal {
	p := policy.Principal{Subject: wp.Subject, Agency: wp.Agency}
	for _, r := range wp.Roles {
		p.Roles = append(p.Roles, policy.Role(r))
	}
	return p
}

func toWeb(p policy.Principal) web.Principal {
	wp := web.Principal{Subject: p.Subject, Agency: p.Agency}
	for _, r := range p.Roles {
		wp.Roles = append(wp.Roles, string(r))
	}
	return wp
}

// authenticate is web.Options.Authenticate: tokens and sessions. A
// session that must change its password is not a principal for the web
// API (the guard answers it first).
func (sec *security) authenticate(r *http.Request) (web.Principal, bool) {
	p, sess, ok := sec.principal(r)
	if !ok || (sess != nil && sess.MustChange) {
		return web.Principal{}, false
	}
	return toWeb(p), true
}

// releasable is web.Options.Releasable: what p may see, from the policy.
func (sec *security) releasable(wp web.Principal) func(borderwatch.Label) bool {
	return policy.Filter(toPolicy(wp), policy.ActView)
}

// alertAction is web.Options.AlertAction: the policy decides (owner
// agency, role, sector), the audit log records, the live picture changes.
func (sec *security) alertAction(ctx context.Context, wp web.Principal, id string, state borderwatch.AlertState) error {
	p := principalOf(ctx, wp)
	act, aact := policy.ActAcknowledge, audit.ActAlertAcknowledge
	if state == borderwatch.AlertDismissed {
		act, aact = policy.ActDismiss, audit.ActAlertDismiss
	}
	a, ok := sec.s.live.Alert(id)
	if !ok {
		return borderwatch.Errorf(borderwatch.ENOTFOUND, "alert %q not found", id)
	}
	e := audit.Entry{Actor: p.Subject, Agency: p.Agency, Action: aact, Object: "alert:" + id, Remote: remoteOf(ctx),
		Detail: fmt.Sprintf("%s %s in sector %s, was %s", a.Severity, a.Kind, a.Sector, a.State)}
	if err := policy.Decide(p, act, policy.Record{Label: a.Label, Sector: a.Sector}); err != nil {
		e.Outcome, e.Detail = audit.OutcomeDenied, borderwatch.ErrorMessageOf(err)
		sec.record(e)
		return err
	}
	a.State = state
	if err := sec.s.live.PutAlerts(a); err != nil {
		e.Outcome, e.Detail = audit.OutcomeFailed, err.Error()
		sec.record(e)
		return fmt.Errorf("alert %s: %w", id, err)
	}
	// The decision goes into the log, so the store (and a replay) has it.
	if doc, err := json.Marshal(rules.Event{Type: rules.EventUpdated, Time: sec.s.opts.Now(), Alert: a}); err == nil {
		sec.s.out.event(natsbus.StreamAlerts, a.Sector, typeAlertEvent, json.RawMessage(doc))
	}
	sec.record(e)
	return nil
}

// ingest is web.Options.Ingest: observations posted over HTTP are the
// caller's agency's records. An observation without a label gets the
// agency's default label; one labelled for another owner is refused.
func (sec *security) ingest(ctx context.Context, obs []borderwatch.Observation) error {
	p, ok := ctx.Value(principalKey{}).(policy.Principal)
	if !ok {
		return borderwatch.Errorf(borderwatch.EUNAUTHORIZED, "authentication required")
	}
	for i := range obs {
		if obs[i].Label.Owner == "" && len(obs[i].Label.ReleasableTo) == 0 {
			obs[i].Label = sec.s.agencyLabel(p.Agency)
		}
		if err := policy.Decide(p, policy.ActIngest, policy.Record{Label: obs[i].Label}); err != nil {
			return borderwatch.Errorf(borderwatch.EFORBIDDEN, "observation %d: label owner %q: %s", i, obs[i].Label.Owner, borderwatch.ErrorMessageOf(err))
		}
	}
	return sec.s.pipe.Handle(ctx, "http", obs)
}

type remoteKey struct{}

func remoteOf(ctx context.Context) string {
	s, _ := ctx.Value(remoteKey{}).(string)
	return s
}
