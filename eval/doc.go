// Package eval measures detection quality: it registers half of a folder of
// photos, applies a fixed suite of the edits re-uploaders make to every
// photo of both halves, matches everything through the production path
// (hashing.Hasher, database.DB, hashing.Rule) and reports recall per edit on the
// registered half, false alerts on the unregistered half and its edits, and
// the distances of true and false pairs.
//
// Detection is measured, never assumed. The split is deterministic
// (alternate files by sorted name) and can be swapped, so thresholds tuned on
// one half can be checked on the other. The edits are made in Go by package
// fixtures and are deterministic, so a run is reproducible bit for bit.
//
// Nothing here is used by the crawler; it is a tool for developers and for
// deciding defaults.
package eval
