// Package features is the match rule's geometric verifier: it describes a
// picture by a small set of binary local features (corners, each with a
// position, an orientation and a 256-bit descriptor of the grey pattern
// around it) and measures how well two such sets agree under one
// geometric transform.
//
// # Why
//
// Perceptual hashes summarise a whole picture in 64–256 bits, so two
// unrelated pictures with the same layout (a planet and a crescent-moon
// clip art, one logo in two icon themes, a flag drawn twice, grey panels)
// can sit as near one another as a heavily edited copy sits to its
// original. A re-upload is the same pixels moved: cropped, scaled, padded,
// captioned, turned a little, mirrored, re-encoded. Its corners are the
// original's corners, carried by one similarity or affine transform. A
// look-alike drawn again has corners of its own, and even where a few
// descriptors agree by chance they do not agree on one transform. The
// verifier's score is the number of descriptor matches that one transform
// explains (RANSAC inliers).
//
// # Model
//
// Extract scales a grey picture to LongSide pixels on its long side and
// finds FAST-9 corners on six scales (steps of 1.2 from 1 down to 0.4) —
// again at the lower FlatThreshold when fewer than MaxPoints/4 turn up,
// since a dark or plain photo's corners are faint — ranks them
// by the Harris measure, spreads them over a 4×4 grid and keeps at most
// MaxPoints, shared among the scales in proportion to their size. Each corner gets the intensity-centroid orientation and a
// steered BRIEF descriptor on a smoothed copy (ORB, Rublee et al. 2011;
// the sampling pattern here is drawn from a fixed seed, not ORB's learned
// one). The pattern's 128 point pairs come with their mirror images (y
// flipped in the corner's own frame), so the descriptor of a mirrored
// picture is a fixed permutation of the bits: Set.Mirror turns a query's
// set into its mirror image's without the pixels, and a registered picture
// needs one stored set for both.
//
// A picture forced into another frame (a portrait photo stretched to
// 16:9 is stretched 2.4 times along one axis) keeps neither its corners'
// geometry within a plausible affine transform nor its descriptors. So
// Extract also finds corners on the picture forced into a LongSide square
// (Config.Square, Set.Square), as the perceptual hashes see every
// picture: in the two pictures' square copies the stretch is undone, and
// Verify counts the better of the own and the square copies' agreements.
// A set from before square copies (a registration of an older build)
// has none, and only its own copy is compared.
//
// Agreement matches descriptors by Hamming distance (nearest neighbour
// with a ratio test, cross-checked) and fits an affine transform with a
// limited anisotropy (so a 16:9 stretch fits, a fold does not) by RANSAC
// on a fixed seed: the same two sets always give the same score.
//
// No maintained pure-Go implementation of ORB or a comparable detector
// was found (the Go bindings wrap OpenCV through cgo, which the project's
// static builds exclude; go.viam.com/rdk's keypoints is AGPL and brings a
// robotics framework), so it is written here, small and bounded.
//
// # Guarantees and limits
//
//   - Nothing is kept. A Set holds corner positions (quantised to the
//     scaled picture's grid), orientations and descriptors: derived data
//     from which the picture cannot be redrawn. It holds no pixels, and
//     Extract keeps none after it returns.
//   - Bounded. At most MaxPoints corners (DefaultConfig: 96) in each of
//     the two copies, of 38 bytes each when encoded (MarshalBinary): at
//     most 7,309 bytes whatever the picture's size; UnmarshalBinary
//     refuses anything larger or malformed.
//   - Hostile sizes. Tiny, one-pixel-wide and flat pictures give an empty
//     set, never a panic; Agreement of an empty set is zero.
//   - Deterministic. The same pixels give the same set on every run and
//     machine (integer arithmetic for detection and description).
package features
