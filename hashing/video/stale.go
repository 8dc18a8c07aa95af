package video

import (
	"os"
	"path/filepath"
	"time"
)

// tempPattern names the temporary copies of videos (os.CreateTemp).
const tempPattern = "hashwatch-video-*"

// removeStale deletes the temporary video copies a killed process left in
// dir, os.TempDir() and /dev/shm (where earlier versions put them): those
// older than wall, the longest a live one can be in use. It returns how
// many it removed.
func removeStale(dir string, wall time.Duration) int {
	n := 0
	seen := map[string]bool{}
	for _, d := range []string{dir, os.TempDir(), "/dev/shm"} {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		names, _ := filepath.Glob(filepath.Join(d, tempPattern))
		for _, name := range names {
			fi, err := os.Lstat(name)
			if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < wall {
				continue
			}
			if os.Remove(name) == nil {
				n++
			}
		}
	}
	return n
}
