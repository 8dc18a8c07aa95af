package main

import (
	"embed"
	"io/fs"
)

// wasmFS holds the browser's hashing module that `make build` puts in
// wasm/ (see wasm/README.md); built without it, only the README is there
// and the console's registration page uploads files instead.
//
//go:embed wasm
var wasmFS embed.FS

// browserHashing returns the module's files for the console.
func browserHashing() fs.FS {
	sub, err := fs.Sub(wasmFS, "wasm")
	if err != nil {
		panic(err) // the embedded directory exists by construction
	}
	return sub
}
