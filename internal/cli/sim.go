package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/exercise"
	"github.com/borderwatch/borderwatch/internal/sim"
	"github.com/borderwatch/borderwatch/internal/simnet"
)

// simFlags are the flags sim, demo and exercise share.
type simFlags struct {
	seed     uint64
	speed    float64
	activity float64
	warmup   time.Duration
	respond  bool
}

func (f *simFlags) register(fs *flag.FlagSet, activity float64, warmup time.Duration, respond bool) {
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: the same seed gives the same simulation")
	fs.Float64Var(&f.speed, "speed", 1, "simulated seconds per wall-clock second")
	fs.Float64Var(&f.activity, "activity", activity, "multiplier on the reference rates of crossings, smuggling, herds and traffic")
	fs.DurationVar(&f.warmup, "warmup", warmup, "simulated time run silently first, so that activity is under way at the start")
	fs.BoolVar(&f.respond, "respond", respond, "the simulated command sends QRFs and drones to confirmed detections by itself")
}

func (f *simFlags) check() error {
	switch {
	case !(f.speed > 0 && f.speed <= 10000):
		return fmt.Errorf("%w: --speed %v: want 0 < speed <= 10000", ErrUsage, f.speed)
	case !(f.activity > 0 && f.activity <= 10000):
		return fmt.Errorf("%w: --activity %v: want 0 < activity <= 10000", ErrUsage, f.activity)
	case f.warmup < 0 || f.warmup > 48*time.Hour:
		return fmt.Errorf("%w: --warmup %v: want 0..48h", ErrUsage, f.warmup)
	}
	return nil
}

// loadSimDeployment loads a deployment folder, or the embedded reference.
func loadSimDeployment(dir string) (*borderwatch.Deployment, error) {
	if dir == "" {
		f, err := deployment.Open(deployments.FS, deployments.Reference, deployment.Options{DisplayDir: "(embedded)/" + deployments.Reference})
		if err != nil {
			return nil, err
		}
		return f.Deployment, nil
	}
	f, err := deployment.Open(os.DirFS(dir), ".", deployment.Options{DisplayDir: dir})
	if err != nil {
		return nil, err
	}
	return f.Deployment, nil
}

func readSecret(flagName, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flagName, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("--%s %s: the file is empty", flagName, path)
	}
	return s, nil
}

// httpClient trusts the system roots, plus the CA in caFile (PEM) when
// given: a demo node's own CA (DATA/pki/ca.pem) for its HTTPS.
func httpClient(caFile string) (*http.Client, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", caFile)
	}
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return c, nil
}

// runSim runs the simulator: against a running server (--cot, --mavlink,
// --mqtt), into a recording (--out), or as the realism report
// (--realism DAYS).
func runSim(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var sf simFlags
	sf.register(fs, 1, time.Hour, false)
	dep := fs.String("deployment", "", "deployment folder (default: the embedded Iraq–Syria reference); must be the server's")
	httpURL := fs.String("server-http", "", "server base URL, e.g. http://127.0.0.1:8080 (for --via http)")
	tokenFile := fs.String("token-file", "", "file holding the API bearer token (with --server-http)")
	caFile := fs.String("ca-file", "", "PEM CA to trust for an HTTPS --server-http (a node's own: DATA/pki/ca.pem)")
	cotAddr := fs.String("cot", "", "server CoT TCP address host:port (patrol phones, tower spot reports)")
	mavAddr := fs.String("mavlink", "", "server MAVLink UDP address host:port (drones)")
	mqttAddr := fs.String("mqtt", "", "server MQTT address host:port (camera analytics)")
	mqttUser := fs.String("mqtt-user", "camera", "MQTT user")
	mqttPWFile := fs.String("mqtt-password-file", "", "file holding the MQTT password")
	via := fs.String("via", "mqtt", "how sensor detections travel: mqtt or http")
	duration := fs.Duration("duration", 0, "simulated time to run (0: until interrupted)")
	out := fs.String("out", "", "write observations and ground truth as JSONL to this file (- for stdout) instead of sending")
	hours := fs.Float64("hours", 24, "with --out: simulated hours to record")
	truthEvery := fs.Duration("truth-every", 5*time.Second, "with --out: ground truth sample period")
	start := fs.String("start", "", "simulated start time, RFC 3339 (default: now; with --out and --realism: 2026-03-01T00:00:00+03:00)")
	realism := fs.Int("realism", 0, "run the pure core for this many days with reference rates and print the realism report")
	asJSON := fs.Bool("json", false, "with --realism: print JSON")
	ignoreFriendly := fs.Bool("ignore-friendly", false, "with --out: sensors do not report friendly units (smaller files; units still report themselves)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return flagHelp
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	if err := sf.check(); err != nil {
		return err
	}
	d, err := loadSimDeployment(*dep)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if *out != "" || *realism > 0 {
		t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("+03", 3*3600))
	}
	if *start != "" {
		if t0, err = time.Parse(time.RFC3339, *start); err != nil {
			return fmt.Errorf("%w: --start %q: %v", ErrUsage, *start, err)
		}
	}
	switch {
	case *realism > 0:
		if *realism > 366 {
			return fmt.Errorf("%w: --realism %d: at most 366 days", ErrUsage, *realism)
		}
		return realismReport(env.Stdout, d, sf.seed, t0, time.Duration(*realism)*24*time.Hour, *asJSON)
	case *out != "":
		if !(*hours > 0 && *hours <= 24*366) {
			return fmt.Errorf("%w: --hours %v: want 0 < hours <= 8784", ErrUsage, *hours)
		}
		s, err := sim.New(sim.Options{Deployment: d, Seed: sf.seed, Start: t0, Activity: sf.activity, Respond: sf.respond, IgnoreFriendly: *ignoreFriendly})
		if err != nil {
			return err
		}
		var w io.Writer = env.Stdout
		if *out != "-" {
			f, err := os.Create(*out)
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			defer f.Close()
			w = f
		}
		began := time.Now()
		if err := sim.Record(w, s, time.Duration(*hours*float64(time.Hour)), *truthEvery); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "borderwatch sim: recorded %.1f h in %.1f s\n", *hours, time.Since(began).Seconds())
		return nil
	}
	if *cotAddr == "" && *mavAddr == "" && *mqttAddr == "" && *via != "http" {
		return fmt.Errorf("%w: give at least one of --cot, --mavlink, --mqtt (or --out FILE, or --realism DAYS)", ErrUsage)
	}
	if *via != "mqtt" && *via != "http" {
		return fmt.Errorf("%w: --via %q: want mqtt or http", ErrUsage, *via)
	}
	pw, err := readSecret("mqtt-password-file", *mqttPWFile)
	if err != nil {
		return err
	}
	if *mqttAddr != "" && pw == "" && *via == "mqtt" {
		return fmt.Errorf("%w: --mqtt needs --mqtt-password-file", ErrUsage)
	}
	token, err := readSecret("token-file", *tokenFile)
	if err != nil {
		return err
	}
	if *via == "http" && (*httpURL == "" || token == "") {
		return fmt.Errorf("%w: --via http needs --server-http and --token-file", ErrUsage)
	}
	hc, err := httpClient(*caFile)
	if err != nil {
		return err
	}
	s, err := sim.New(sim.Options{Deployment: d, Seed: sf.seed, Start: t0, Activity: sf.activity, Warmup: sf.warmup, Respond: sf.respond})
	if err != nil {
		return err
	}
	r, snd, err := startSimulator(ctx, env, s, simnet.Options{CoTAddr: *cotAddr, MAVLinkAddr: *mavAddr, MQTTAddr: *mqttAddr,
		MQTTUser: *mqttUser, MQTTPassword: pw, HTTPURL: *httpURL, Token: token, DetectionsViaHTTP: *via == "http", HTTPClient: hc},
		simnet.RunOptions{Speed: sf.speed, Duration: *duration})
	if err != nil {
		return err
	}
	defer snd.Close()
	fmt.Fprintf(env.Stderr, "borderwatch sim: seed %d, speed %gx, activity %gx; sending to CoT %q, MAVLink %q, MQTT %q\n",
		sf.seed, sf.speed, sf.activity, *cotAddr, *mavAddr, *mqttAddr)
	err = r.Run(ctx)
	st := snd.Stats()
	fmt.Fprintf(env.Stderr, "borderwatch sim: sent %d CoT events, %d MAVLink frames, %d camera detections in %d MQTT messages, %d over HTTP; %d send errors\n",
		st.CoTEvents, st.MAVLinkFrames, st.MQTTItems, st.MQTTMessages, st.HTTPObservations, st.Errors)
	return err
}

// startSimulator connects a sender and returns the runner that drives s
// through it; drones accept go-to commands by tasking the simulation.
func startSimulator(ctx context.Context, env *Env, s *sim.Sim, so simnet.Options, ro simnet.RunOptions) (*simnet.Runner, *simnet.Sender, error) {
	var r *simnet.Runner
	so.OnGoTo = func(id string, p borderwatch.LatLon) error { return r.Task(id, p) }
	so.Logger = env.Logger
	snd, err := simnet.NewSender(so)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if err := snd.Start(ctx); err != nil {
		return nil, nil, err
	}
	ro.Logger = env.Logger
	r, err = simnet.NewRunner(s, snd, ro)
	if err != nil {
		snd.Close()
		return nil, nil, err
	}
	return r, snd, nil
}

// realismReport runs the pure core with the reference rates and the
// simulated command responding, and prints the per-day table.
func realismReport(w io.Writer, d *borderwatch.Deployment, seed uint64, start time.Time, span time.Duration, asJSON bool) error {
	s, err := sim.New(sim.Options{Deployment: d, Seed: seed, Start: start, Respond: true, IgnoreFriendly: true})
	if err != nil {
		return err
	}
	for s.Now().Before(start.Add(span)) {
		s.Step()
	}
	stats := s.Stats()
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(stats)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\tgroups\tpeople\tcrossed\tdetected\tintercepted\tescaped\tvehicles\tdetected\tintercepted\tescaped\therds\therd responses\t")
	var inf, smu sim.Counts
	herds, hr := 0, 0
	for _, st := range stats {
		i, v := st.Infiltrators, st.Smugglers
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", st.Day, i.Attempted, i.People, i.Crossed, i.Detected,
			i.Intercepted, i.Escaped, v.Attempted, v.Detected, v.Intercepted, v.Escaped, st.Herds, st.HerdResponses)
		inf, smu = inf.Plus(i), smu.Plus(v)
		herds, hr = herds+st.Herds, hr+st.HerdResponses
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", inf.Attempted, inf.People, inf.Crossed, inf.Detected,
		inf.Intercepted, inf.Escaped, smu.Attempted, smu.Detected, smu.Intercepted, smu.Escaped, herds, hr)
	if err := tw.Flush(); err != nil {
		return err
	}
	all := inf.Plus(smu)
	fmt.Fprintf(w, "\ndetected but escaped: %d with no unit sent (none free within reach), %d outran the unit sent or scattered when it arrived (%d scattered)\n",
		all.NoUnit, all.Outrun, all.Scattered)
	fmt.Fprintf(w, "undetected escapes by reason:")
	if len(all.Misses) == 0 {
		fmt.Fprint(w, " none")
	}
	for _, m := range sim.MissReasons {
		if n := all.Misses[m]; n > 0 {
			fmt.Fprintf(w, " %s %d", m, n)
		}
	}
	fmt.Fprintln(w)
	return nil
}

// runExercise runs a scripted exercise against a live server and prints
// its score: borderwatch exercise run FILE --server-http URL --token-file F.
func runExercise(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(env.Stderr, "usage: borderwatch exercise run SCENARIO.yaml --server-http URL --token-file FILE [flags]")
			return flagHelp
		}
		return fmt.Errorf("%w: want: exercise run SCENARIO.yaml --server-http URL --token-file FILE", ErrUsage)
	}
	fs := flag.NewFlagSet("exercise run", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	httpURL := fs.String("server-http", "", "server base URL, e.g. http://127.0.0.1:8080 (required)")
	tokenFile := fs.String("token-file", "", "file holding the API bearer token (required)")
	caFile := fs.String("ca-file", "", "PEM CA to trust for an HTTPS server (a node's own: DATA/pki/ca.pem)")
	dep := fs.String("deployment", "", "deployment folder (default: the embedded reference); must be the server's")
	cotAddr := fs.String("cot", "", "server CoT TCP address: watchtower spot reports go there (default: over HTTP)")
	mqttAddr := fs.String("mqtt", "", "server MQTT address: camera detections go there (default: over HTTP, which carries the exercise mark)")
	mqttUser := fs.String("mqtt-user", "camera", "MQTT user")
	mqttPWFile := fs.String("mqtt-password-file", "", "file holding the MQTT password")
	speed := fs.Float64("speed", 1, "simulated seconds per wall-clock second")
	asJSON := fs.Bool("json", false, "print the score as JSON")
	parse := func(a []string) error {
		if err := fs.Parse(a); err != nil {
			if err == flag.ErrHelp {
				return flagHelp
			}
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		return nil
	}
	if err := parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: exercise run: give the scenario file", ErrUsage)
	}
	file := fs.Arg(0)
	if err := parse(fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	if *httpURL == "" || *tokenFile == "" {
		return fmt.Errorf("%w: exercise run needs --server-http and --token-file", ErrUsage)
	}
	if !(*speed > 0 && *speed <= 1000) {
		return fmt.Errorf("%w: --speed %v: want 0 < speed <= 1000", ErrUsage, *speed)
	}
	token, err := readSecret("token-file", *tokenFile)
	if err != nil {
		return err
	}
	pw, err := readSecret("mqtt-password-file", *mqttPWFile)
	if err != nil {
		return err
	}
	d, err := loadSimDeployment(*dep)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	sc, err := exercise.Parse(file, b, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "borderwatch exercise: %q, %d events, speed %gx; everything injected is marked EXERCISE\n", sc.Name, len(sc.Events), *speed)
	hc, err := httpClient(*caFile)
	if err != nil {
		return err
	}
	score, err := exercise.Run(ctx, exercise.Options{Scenario: sc, Deployment: d, Server: *httpURL, Token: token, Speed: *speed, Logger: env.Logger,
		HTTP: hc, Send: simnet.Options{CoTAddr: *cotAddr, MQTTAddr: *mqttAddr, MQTTUser: *mqttUser, MQTTPassword: pw, HTTPClient: hc}})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(score)
	}
	return score.WriteText(env.Stdout)
}
