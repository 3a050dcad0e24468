package cli

// commands is the subcommand table. Add one line per subcommand.
var commands = []command{
	{"serve", "run the server (listeners, tracker, alerts, web UI)", runServe},
	{"demo", "run the server on the embedded Iraq–Syria deployment with a live simulated day", runDemo},
	{"check-config", "validate the configuration from environment and flags, and exit", runCheckConfig},
	{"dump-config", "print the effective configuration, secrets redacted", runDumpConfig},
	{"version", "print the version", runVersion},
	{"deployment", "validate, show, export (GeoJSON/KML) or re-lay-out a deployment", runDeployment},
	{"track", "track an mtt-jsonl benchmark scenario into a tracks file", runTrack},
	{"eval", "score a tracks file against an mtt-jsonl scenario (mean GOSPA)", runEval},
	{"sim", "simulate the border: send to a running server (CoT, MAVLink, MQTT), record JSONL (--out) or report realism", runSim},
	{"exercise", "run a scripted exercise (YAML) against a live server and score detection, response and interception", runExercise},
	{"audit", "verify the hash chain of the audit log, or show entries", runAudit},
	{"cot", "enrol, list or revoke TAK device certificates for CoT over mutual TLS", runCoT},
}
