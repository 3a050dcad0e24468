// Command borderwatch is the border command-and-control server and its
// tools. Everything lives in internal/cli; main only binds it to the
// process.
package main

import (
	"context"
	"os"

	"github.com/borderwatch/borderwatch/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), cli.OSEnv(), os.Args[1:]))
}
