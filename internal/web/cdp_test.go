package web

// The DevTools client lives in webtest so internal/e2e can use it too.

import "github.com/borderwatch/borderwatch/internal/web/webtest"

var (
	needChromium = webtest.NeedChromium
	launch       = webtest.Launch
	artefacts    = webtest.Artefacts
)
