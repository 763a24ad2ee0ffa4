package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed moves the flags that follow a command's positional arguments
// in front of them, so that `jitgate approve ID --reason TEXT` works as
// people type it: urfave/cli v2 stops reading flags at the first positional
// argument. Everything after "--" is left alone.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	flags := app.Flags
	cmds := app.Commands
	// Walk global flags and the command path.
	for len(rest) > 0 {
		tok := rest[0]
		if strings.HasPrefix(tok, "-") {
			n := flagWidth(flags, tok, rest)
			out = append(out, rest[:n]...)
			rest = rest[n:]
			continue
		}
		cmd := findCommand(cmds, tok)
		if cmd == nil {
			break
		}
		out = append(out, tok)
		rest = rest[1:]
		flags, cmds = cmd.Flags, cmd.Subcommands
		if len(cmds) == 0 {
			break
		}
	}
	var fl, pos []string
	for len(rest) > 0 {
		tok := rest[0]
		switch {
		case tok == "--":
			pos = append(pos, rest...)
			rest = nil
		case strings.HasPrefix(tok, "-") && tok != "-":
			n := flagWidth(flags, tok, rest)
			fl = append(fl, rest[:n]...)
			rest = rest[n:]
		default:
			pos = append(pos, tok)
			rest = rest[1:]
		}
	}
	return append(append(out, fl...), pos...)
}

// flagWidth is how many tokens the flag at rest[0] takes: 1, or 2 when it
// takes a value given as the next token.
func flagWidth(flags []cli.Flag, tok string, rest []string) int {
	if strings.Contains(tok, "=") || len(rest) < 2 {
		return 1
	}
	name := strings.TrimLeft(tok, "-")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if _, isBool := f.(*cli.BoolFlag); isBool {
				return 1
			}
			return 2
		}
	}
	return 1
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
