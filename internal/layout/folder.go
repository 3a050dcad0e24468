package layout

import (
	"fmt"
	"io/fs"
	"path"

	"github.com/borderwatch/borderwatch/internal/deployment"
)

// Result is a layout generated for a deployment folder.
type Result struct {
	Layout *Layout
	// File is the generated file's name relative to the folder
	// (layout.generated in deployment.yaml); Data is its new content.
	File string
	Data []byte
}

// FromFolder loads the deployment folder dir of fsys without its generated
// layout, reads its layout rules and generates the layout at density.
func FromFolder(fsys fs.FS, dir string, o deployment.Options, density float64) (*Result, error) {
	o.SkipLayout = true
	f, err := deployment.Open(fsys, dir, o)
	if err != nil {
		return nil, err
	}
	if f.LayoutRules == "" || f.LayoutGenerated == "" {
		return nil, fmt.Errorf("layout: %s has no layout section (layout.rules, layout.generated)", path.Join(dir, deployment.ManifestFile))
	}
	b, err := fs.ReadFile(fsys, path.Join(dir, f.LayoutRules))
	if err != nil {
		return nil, fmt.Errorf("layout: %w", err)
	}
	display := dir
	if o.DisplayDir != "" {
		display = o.DisplayDir
	}
	r, err := ParseRules(path.Join(display, f.LayoutRules), b)
	if err != nil {
		return nil, err
	}
	l, err := Generate(f.Deployment, f.Line, r, density)
	if err != nil {
		return nil, err
	}
	return &Result{Layout: l, File: f.LayoutGenerated, Data: Encode(l, f.LayoutRules)}, nil
}
