package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/borderwatch/borderwatch/internal/audit"
)

const auditUsage = `usage: borderwatch audit <command> [flags]

Commands:
  verify   walk the hash chain of the audit log; exit 1 and list every
           altered, removed, inserted or reordered entry
  show     print entries (--after SEQ, --limit N, --actor NAME, --action A, --json)

Both take --data DIR (env BORDERWATCH_DATA, default borderwatch-data) or
--file PATH (the log itself, e.g. a copy taken off the node).`

// runAudit implements `borderwatch audit verify|show`.
func runAudit(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, auditUsage)
		return fmt.Errorf("%w: missing command", ErrUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stderr, auditUsage)
		return flagHelp
	case "verify", "show":
	default:
		fmt.Fprintln(env.Stderr, auditUsage)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, cmd)
	}
	fs := flag.NewFlagSet("audit "+cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	data := "borderwatch-data"
	if env.Getenv != nil && env.Getenv("BORDERWATCH_DATA") != "" {
		data = env.Getenv("BORDERWATCH_DATA")
	}
	dataDir := fs.String("data", data, "data directory (env BORDERWATCH_DATA)")
	file := fs.String("file", "", "audit log file (default DATA/audit/audit.jsonl)")
	after := fs.Uint64("after", 0, "show: entries after this sequence number")
	limit := fs.Int("limit", 100, "show: at most this many entries (max 1000)")
	actor := fs.String("actor", "", "show: only this actor")
	action := fs.String("action", "", "show: only this action")
	asJSON := fs.Bool("json", false, "show: JSON lines")
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flagHelp
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	path := *file
	if path == "" {
		path = audit.PathIn(*dataDir)
	}
	if cmd == "show" {
		es, err := audit.Read(path, audit.Query{After: *after, Limit: *limit, Actor: *actor, Action: audit.Action(*action)})
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(env.Stdout)
			for _, e := range es {
				if err := enc.Encode(e); err != nil {
					return err
				}
			}
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tAGENCY\tACTION\tOBJECT\tOUTCOME\tDETAIL")
		for _, e := range es {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%q\n", e.Seq, e.Time.Format("2006-01-02T15:04:05Z"), e.Actor, e.Agency, e.Action, e.Object, e.Outcome, e.Detail)
		}
		return tw.Flush()
	}
	rep, err := audit.VerifyFile(path)
	if err != nil {
		return err
	}
	if rep.Err() == nil {
		fmt.Fprintf(env.Stdout, "audit log %s: %d entries, chain intact\nhead: %s\n", path, rep.Entries, rep.Head)
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(env.Stdout, p.Error())
	}
	return fmt.Errorf("audit log %s: %d problem(s) in %d entries: the log was altered", path, len(rep.Problems), rep.Entries)
}
