// Package hashing turns media bytes into fingerprints: it sniffs and decodes
// images under explicit limits, applies EXIF orientation, trims uniform
// borders and computes perceptual hashes, and it holds the rule that decides
// whether two fingerprints show the same picture.
//
// # Guarantees
//
//   - Limits first. Every decode is preceded by a byte limit and a check of
//     the declared dimensions (image.DecodeConfig) against a pixel limit, so
//     a decompression bomb is refused before any pixel buffer is allocated.
//     Errors wrap the sentinels ErrTooLarge, ErrUnsupported and ErrCorrupt,
//     which callers test with errors.Is.
//   - Nothing is kept. Media bytes and decoded pixels live only for the
//     duration of a call; a Fingerprint holds hashes, dimensions and the
//     SHA-256 of the input, never pixels.
//   - Deterministic. The same bytes give the same fingerprint on every run.
//
// # Model
//
// A Fingerprint is a set of Views of one picture, each carrying one Hash per
// Algorithm (PDQ, pHash, dHash), all computed on one small grey working copy
// of the picture, as it is seen: decoding composites transparent pixels
// over white, so what a transparent pixel hides never reaches a hash.
// A crawled image is hashed cheaply: one decode (a colour JPEG's luma at
// reduced scale, its colours only in the small copy the colour summary
// reads: decodePicture), the picture as served, its border-trimmed interior,
// fixed cuts at each side, which meet the registered corner crops on their
// side (evening out a copy cut unequally from a corner) and, at the top and
// bottom, the whole picture (dropping a caption band) (queryViews,
// CutMeets), and, when row statistics find a caption band (band.go), the
// picture without it (without both, when it has one above and one below),
// its halves and quarters, which meet only the registered picture's whole
// views (a photo in a collage or a grid: partViews, PartMeets), and its
// mirror image, which meets only the registered crop and turned views
// (MirroredMeets). A registered image also gets the
// views that undo what re-uploaders do — mirror, turns, crops — cut from a
// larger copy of the whole picture (not its trimmed interior: trimming an
// edited copy does not land where trimming the original did), plus trimmed
// mirror and turns when it has borders (registrationViews), and the
// reference PDQ of the full picture for export. A Rule compares a query view with a registered
// view, algorithm by algorithm, and decides; with a Background (an
// embedded sample of unrelated pictures' hashes) it also asks the pair to
// be nearer than either view is to anything in that sample, so views that
// lie where many unrelated pictures lie match only near-identical copies.
//
// More algorithms slot in by adding an Algorithm constant and computing its
// Hash in the view hasher: storage and matching are keyed by algorithm name
// and carry codes of up to 256 bits.
//
// This package knows nothing of crawling, storage or HTTP.
package hashing
