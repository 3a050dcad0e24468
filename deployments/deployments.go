// Package deployments embeds the deployment folders shipped with
// borderwatch, so that the binary runs the reference deployment from any
// working directory. Load one with internal/deployment:
//
//	dep, err := deployment.Load(deployments.FS, deployments.Reference)
package deployments

import "embed"

// Reference is the folder of the reference deployment, the Iraq–Syria
// border, inside FS.
const Reference = "iraq-syria"

// FS holds the shipped deployment folders, read-only.
//
//go:embed iraq-syria
var FS embed.FS
