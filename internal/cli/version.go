// version.go holds bex version.

package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the bex version printed by bex version. Release builds set it
// with -ldflags "-X github.com/bexrun/bex/internal/cli.Version=v1.2.3";
// otherwise it comes from the module's build information.
var Version = ""

var versionCommand = &command{
	name:    "version",
	summary: "print the version of bex and of Go",
	help:    "Version prints the bex version, the VCS revision when known, and the Go version and platform.\n",
	new:     func() config { return &VersionConfig{} },
}

// VersionConfig is the configuration of bex version; it has no flags.
type VersionConfig struct{}

// Flags registers no flags.
func (c *VersionConfig) Flags(*flag.FlagSet) {}

func (c *VersionConfig) run(_ context.Context, _ *App, s *streams, _ []string) int {
	fmt.Fprintf(s.stdout, "bex %s %s %s/%s\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}

// version returns Version, or the main module's version and VCS revision.
func version() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
