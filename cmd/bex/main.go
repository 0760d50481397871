package main

import "github.com/bexrun/bex/internal/cli"

func main() { cli.Main() }
