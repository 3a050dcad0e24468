package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/pki"
)

const cotUsage = `usage: borderwatch cot <command> [flags]

Commands:
  enrol    issue a client certificate for a TAK device (CoT over mutual TLS):
           --device NAME --agency A [--out DIR] [--days N]; writes NAME.pem,
           NAME-key.pem (mode 0600) and ca.pem (the trust store) into DIR
  list     list the device certificates issued
  revoke   refuse a device certificate from the next connection on: --serial HEX

All take --data DIR (env BORDERWATCH_DATA, default borderwatch-data): the
node's CA lives in DATA/pki. For ATAK, bundle the pair into a .p12 with
  openssl pkcs12 -export -in NAME.pem -inkey NAME-key.pem -certfile ca.pem -out NAME.p12`

// runCoT implements `borderwatch cot enrol|list|revoke`.
func runCoT(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, cotUsage)
		return fmt.Errorf("%w: missing command", ErrUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stderr, cotUsage)
		return flagHelp
	case "enrol", "enroll", "list", "revoke":
	default:
		fmt.Fprintln(env.Stderr, cotUsage)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, cmd)
	}
	fs := flag.NewFlagSet("cot "+cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	data := "borderwatch-data"
	if env.Getenv != nil && env.Getenv("BORDERWATCH_DATA") != "" {
		data = env.Getenv("BORDERWATCH_DATA")
	}
	dataDir := fs.String("data", data, "data directory (env BORDERWATCH_DATA)")
	device := fs.String("device", "", "enrol: device name (certificate common name), e.g. IBG-BAAJ-P12")
	agency := fs.String("agency", "", "enrol: the device's agency, e.g. ibg")
	out := fs.String("out", ".", "enrol: directory for the certificate, key and CA files")
	days := fs.Int("days", 365, "enrol: validity in days")
	serial := fs.String("serial", "", "revoke: certificate serial number (hex, from `cot list`)")
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flagHelp
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	ca, err := pki.Open(pki.PathIn(*dataDir), nil)
	if err != nil {
		return err
	}
	switch cmd {
	case "list":
		ds, err := ca.Issued()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DEVICE\tAGENCY\tSERIAL\tEXPIRES")
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name, d.Agency, d.Serial, d.NotAfter.Format(time.DateOnly))
		}
		return tw.Flush()
	case "revoke":
		if *serial == "" {
			return fmt.Errorf("%w: --serial is required", ErrUsage)
		}
		if err := ca.Revoke(*serial); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "certificate %s revoked: the device is refused from its next connection\n", *serial)
		return nil
	}
	if *device == "" || *agency == "" {
		return fmt.Errorf("%w: --device and --agency are required", ErrUsage)
	}
	if err := pki.CheckNames(*device, borderwatch.Agency(*agency)); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if *days <= 0 {
		return fmt.Errorf("%w: --days %d: must be positive", ErrUsage, *days)
	}
	certPEM, keyPEM, d, err := ca.IssueDevice(*device, borderwatch.Agency(*agency), time.Duration(*days)*24*time.Hour)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return fmt.Errorf("--out %s: %w", *out, err)
	}
	certFile := filepath.Join(*out, *device+".pem")
	keyFile := filepath.Join(*out, *device+"-key.pem")
	caFile := filepath.Join(*out, "ca.pem")
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "device %s (agency %s) enrolled, serial %s, valid until %s\n  certificate %s\n  key         %s (keep it on the device only)\n  CA          %s\n",
		d.Name, d.Agency, d.Serial, d.NotAfter.Format(time.DateOnly), certFile, keyFile, caFile)
	return nil
}
