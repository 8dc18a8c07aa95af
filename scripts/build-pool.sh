#!/usr/bin/env bash
# build-pool.sh DIR — rebuild the pool of unrelated real images that
# `hashwatch eval --pool DIR` measures false alerts on (see README,
# "Measuring false alerts at scale").
#
# It downloads (apt-get download: nothing is installed) Debian packages that
# ship many permissively licensed raster images — clip art, game art and
# textures, astronomy pictures, maps, wallpapers, icons — extracts each with
# dpkg-deb -x into a staging folder, and lets eval/internal/poolbuild keep
# the PNG/JPEG/GIF/WebP/BMP files of at least 64×64 px and at most 20 MP,
# de-duplicated by SHA-256 and by identical pHash, at most 3,000 per package
# (POOL_MAX_PER_FAMILY; games ship thousands of animation frames), as
# DIR/<package>/<file>,
# plus 2×2 tiles of the development photos as DIR/dev-tiles/. Each
# package's copyright file goes to DIR/LICENSES/<package>. DIR/MANIFEST.tsv
# lists family, path, sha256, width, height and split (tune or holdout).
#
# The .deb files are kept in $POOL_DEBS (default ~/.cache/hashwatch-pool-debs)
# so a rebuild downloads nothing new. Needs apt-get, dpkg-deb and go, about
# 3.5 GB of downloads and 10 GB of scratch space while it runs.
#
# Environment: POOL_DEBS (download cache), DEV (development photos, default
# ../shared/datasets/dev beside the checkout; empty to skip the tiles),
# PACKAGES (space-separated list replacing the default one).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 DIR   (e.g. $0 ~/.cache/hashwatch-pool)" >&2
	exit 2
fi
out=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
debs=${POOL_DEBS:-$HOME/.cache/hashwatch-pool-debs}
dev=${DEV-$repo/../shared/datasets/dev}

# Packages chosen for many distinct raster pictures (a few look-ups with
# apt-cache show; the ones not in the current release are skipped).
default_packages=(
	openclipart-png tuxpaint-stamps-default tuxpaint-data
	wesnoth-1.16-data freeciv-data widelands-data megaglest-data
	hedgewars-data supertux-data frozen-bubble-data pingus-data
	lincity-ng-data freedroidrpg-data neverball-data extremetuxracer-data
	xmoto-data boswars-data scorched3d-data minetest-data naev-data
	colobot-common-textures ufoai-textures
	stellarium-data kstars-data marble-data gcompris-qt-data python3-skimage
	desktop-base gnome-backgrounds mate-backgrounds plasma-workspace-wallpapers
	sway-backgrounds lomiri-wallpapers ukui-wallpapers
	debian-edu-artwork-emerald debian-edu-artwork-softwaves debian-edu-artwork-spacefun
	faenza-icon-theme
)
if [[ -n ${PACKAGES:-} ]]; then
	read -r -a packages <<<"$PACKAGES"
else
	packages=("${default_packages[@]}")
fi

if [[ -e $out && -n $(ls -A "$out" 2>/dev/null) && ! -f $out/MANIFEST.tsv ]]; then
	echo "$0: $out exists and is not a pool (no MANIFEST.tsv); refusing to overwrite it" >&2
	exit 1
fi

mkdir -p "$debs"
available=()
for p in "${packages[@]}"; do
	if apt-cache show --no-all-versions "$p" >/dev/null 2>&1; then
		available+=("$p")
	else
		echo "build-pool: $p is not available here, skipped" >&2
	fi
done
if [[ ${#available[@]} -eq 0 ]]; then
	echo "$0: none of the packages is available; run 'apt-get update' first" >&2
	exit 1
fi
missing=()
for p in "${available[@]}"; do
	compgen -G "$debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
	echo "build-pool: downloading ${#missing[@]} packages into $debs" >&2
	(cd "$debs" && apt-get download "${missing[@]}")
fi

staging=$(mktemp -d "${TMPDIR:-/tmp}/hashwatch-pool.XXXXXX")
trap 'rm -rf "$staging"' EXIT
new=$out.new
rm -rf "$new"
mkdir -p "$new/LICENSES" "$staging/files"
for p in "${available[@]}"; do
	deb=$(ls "$debs/${p}"_*.deb | sort -V | tail -n 1)
	x=$staging/x/$p
	mkdir -p "$x"
	dpkg-deb -x "$deb" "$x"
	for c in "$x"/usr/share/doc/*/copyright; do
		[[ -f $c ]] && cp "$c" "$new/LICENSES/$p" && break
	done
	rm -rf "$x/usr/share/doc"
	mv "$x" "$staging/files/$p"
done

cd "$repo"
GOFLAGS=-tags=nodynamic go run ./eval/internal/poolbuild -staging "$staging/files" -dev "$dev" -out "$new" \
	-max-per-family "${POOL_MAX_PER_FAMILY:-3000}"
if [[ -n $dev ]]; then
	cat >"$new/LICENSES/dev-tiles" <<'EOF'
dev-tiles: 2×2 non-overlapping tiles of the development photos
(../shared/datasets/dev; see its LICENSES folder). Tiles of one photo are
unrelated to each other only approximately (one sky, one wall), so they are
one family and always in the same split.
EOF
fi
rm -rf "$out"
mv "$new" "$out"
echo "build-pool: $(($(wc -l <"$out/MANIFEST.tsv") - 1)) images in $out" >&2
cut -f1,6 "$out/MANIFEST.tsv" | tail -n +2 | sort | uniq -c | sort -rn >&2
