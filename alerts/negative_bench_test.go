package alerts

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkNegativeCheck is what the negative bank adds to every new
// alert's transaction: a scan of every entry's PDQ (random codes, none near
// the query) when the bank holds none, 1,000 or MaxNegatives entries. The
// transaction's own fsync (milliseconds) is not part of it.
func BenchmarkNegativeCheck(b *testing.B) {
	for _, n := range []int{0, 1_000, MaxNegatives} {
		b.Run(map[int]string{0: "empty", 1_000: "1k", MaxNegatives: "max"}[n], func(b *testing.B) {
			db, err := openDB(filepath.Join(b.TempDir(), "hw.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			rng := rand.New(rand.NewPCG(1, 2))
			random := func() hashing.Hash {
				return hashing.Hash{Algorithm: hashing.PDQ, Code: hashing.Code{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}, Quality: 100}
			}
			err = db.Update(func(tx *bolt.Tx) error {
				pdqs := tx.Bucket(bucketNegativePDQ)
				for i := range n {
					if err := pdqs.Put(store.IDKey(uint64(i+1)), encodeNegativePDQ(random())); err != nil {
						return err
					}
				}
				return nil
			}, nil)
			if err != nil {
				b.Fatal(err)
			}
			q := random()
			b.ReportAllocs()
			b.ResetTimer()
			err = db.View(func(tx *bolt.Tx) error {
				for i := range b.N {
					if err := negativeCheck(tx, mediaSum(i), q); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}
