// composecheck validates Compose files with compose-go, the library the
// docker compose CLI itself loads them with: the Compose specification's
// schema, then interpolation, `extends`, `depends_on` targets, profiles and
// the rest of the model. It prints the normalised project as JSON so tests
// can read what `docker compose config --format json` would show.
//
//	composecheck [--profile NAME]... FILE...
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

type profiles []string

func (p *profiles) String() string     { return fmt.Sprint(*p) }
func (p *profiles) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	var wanted profiles
	flag.Var(&wanted, "profile", "enable a profile (repeatable)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: composecheck [--profile NAME]... FILE...")
		os.Exit(2)
	}
	opts, err := cli.NewProjectOptions(flag.Args(),
		cli.WithName("rentezy"),
		cli.WithProfiles(wanted),
		cli.WithResolvedPaths(false),
	)
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := json.MarshalIndent(project, "", "  ")
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compose file invalid:", err)
	os.Exit(1)
}
