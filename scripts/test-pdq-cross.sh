#!/usr/bin/env bash
# Cross-architecture checks for hashing/pdq, whose hashes must be bit-exact
# with the reference C++ PDQ on every platform. Run from the repository root:
#
#   scripts/test-pdq-cross.sh
#
# 1. go vet and go test on the host.
# 2. go test with GOAMD64=v3 (FMA/AVX2 code generation) when the host CPU
#    supports it.
# 3. A static check that the compiled package contains no fused
#    multiply-add instruction on any architecture where Go may fuse float
#    operations (a fused x*y+z rounds once instead of twice and breaks
#    exactness; the code prevents it with explicit float32 conversions).
# 4. The test binary cross-compiled for arm64 (and ppc64le, s390x, riscv64)
#    and run under qemu user emulation when qemu is installed
#    (Debian: apt-get install qemu-user); skipped with a message otherwise.
set -euo pipefail

pkg=./hashing/pdq/
pkgdir=hashing/pdq

if [[ ! -f go.mod || ! -d $pkgdir ]]; then
	echo "run from the repository root (no go.mod or $pkgdir here)" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== go vet $pkg"
go vet "$pkg"

if [[ ${PDQ_SKIP_HOST:-} != 1 ]]; then
	echo "== go test $pkg (host: $(go env GOOS)/$(go env GOARCH))"
	go test -count=1 "$pkg"
fi

if [[ $(go env GOARCH) == amd64 ]]; then
	if grep -qw fma /proc/cpuinfo 2>/dev/null && grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
		echo "== GOAMD64=v3 go test $pkg"
		GOAMD64=v3 go test -count=1 "$pkg"
	else
		echo "== SKIP GOAMD64=v3 tests: this CPU lacks FMA/AVX2"
	fi
fi

# Fused multiply-add mnemonics in Go assembly listings: VFMADD231SS and
# friends on amd64; FMADDS, FMSUBS, FNMADDS, FNMSUBS (and the D forms) on
# arm64, ppc64, s390x, riscv64, loong64.
fma_re='[[:space:]]V?FN?M(ADD|SUB)[A-Z0-9]*[[:space:]]'
echo "== no fused multiply-add in compiled $pkg"
fail=0
for target in amd64:v3 arm64 ppc64le s390x riscv64 loong64; do
	arch=${target%%:*}
	env=(GOOS=linux GOARCH="$arch")
	if [[ $target == *:* ]]; then
		env+=(GOAMD64="${target#*:}")
	fi
	# -S prints the assembly; cmd/go replays it from the build cache.
	env "${env[@]}" go build -gcflags=-S "$pkg" >"$tmp/asm.$arch" 2>&1
	if ! grep -q 'TEXT.*hashing/pdq' "$tmp/asm.$arch"; then
		echo "   $target: no assembly listing produced" >&2
		fail=1
	elif grep -E "$fma_re" "$tmp/asm.$arch" >"$tmp/fma.$arch"; then
		echo "   $target: FUSED MULTIPLY-ADD FOUND:" >&2
		sed 's/^/     /' "$tmp/fma.$arch" >&2
		fail=1
	else
		echo "   $target: none"
	fi
done
if ((fail)); then
	exit 1
fi

# Emulated runs. The test binary reads testdata/, so it runs in the package
# directory.
run_emulated() {
	local arch=$1 qemu=$2 required=$3
	local bin=""
	for b in "qemu-$qemu" "qemu-$qemu-static"; do
		if command -v "$b" >/dev/null 2>&1; then
			bin=$b
			break
		fi
	done
	if [[ -z $bin ]]; then
		if [[ $required == yes ]]; then
			echo "== SKIP $arch tests: qemu-$qemu not found (apt-get install qemu-user)"
		else
			echo "== skip $arch tests: qemu-$qemu not found"
		fi
		return 0
	fi
	echo "== $arch: go test -c, run under $bin"
	GOOS=linux GOARCH=$arch go test -c -o "$tmp/pdq.$arch" "$pkg"
	(cd "$pkgdir" && "$bin" "$tmp/pdq.$arch" -test.count=1)
}

# PDQ_CROSS_ALL=1 (make soak) also runs the big-endian and other
# architectures; make test runs arm64, the one the hashing issue names.
run_emulated arm64 aarch64 yes
if [[ ${PDQ_CROSS_ALL:-} == 1 ]]; then
	run_emulated ppc64le ppc64le no
	run_emulated s390x s390x no
	run_emulated riscv64 riscv64 no
fi

echo "== all pdq cross checks passed"
