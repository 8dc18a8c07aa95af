package hamming

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

// TestRunBenchFromEnvironment runs RunBench with the JSON BenchConfig in
// $HAMMING_BENCH (skipped when unset), e.g.
//
//	HAMMING_BENCH='{"N":1000000,"Bits":256,"Radius":31,"Data":"uniform"}' \
//	  GOMAXPROCS=1 go test -run RunBenchFromEnvironment -v ./index/hamming/
func TestRunBenchFromEnvironment(t *testing.T) {
	env := os.Getenv("HAMMING_BENCH")
	if env == "" {
		t.Skip("HAMMING_BENCH not set")
	}
	var cfg BenchConfig
	if err := json.Unmarshal([]byte(env), &cfg); err != nil {
		t.Fatal(err)
	}
	res, err := RunBench(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res)
	t.Logf("%s", out)
	if res.Recall != 1 {
		t.Errorf("recall %v, want 1", res.Recall)
	}
}
