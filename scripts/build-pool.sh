#!/usr/bin/env bash
# build-pool.sh DIR — rebuild the pool of unrelated real images that
# `hashwatch eval --pool DIR` measures false alerts on (see README,
# "Measuring false alerts at scale").
# build-pool.sh --add DIR — add to the pool DIR the default packages it
# does not hold yet (each must be one of poolbuild's laterFamilies, held
# out whole), leaving its files and their split unchanged; only new files
# and a renamed MANIFEST.tsv are written, so DIR may be a hard-linked copy
# (cp -al) of a pool in use.
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
# The packages of the second list below (new kinds of picture: space art
# and landscape photographs, racing and shooter textures, icon themes,
# flags and maps, documentation screenshots and plots) were added after the
# tune split had been tuned on; poolbuild holds each of them out whole
# (laterFamilies) and de-duplicates them after the original ones, so a
# rebuild from scratch gives the original files the same split as before.
# Pictures of packages named *-doc* live under usr/share/doc, which is
# kept for them; of the others it is dropped.
#
# The .deb files are kept in $POOL_DEBS (default ~/.cache/hashwatch-pool-debs)
# so a rebuild downloads nothing new. Needs apt-get, dpkg-deb and go, about
# 6 GB of downloads and 20 GB of scratch space while it runs.
#
# Environment: POOL_DEBS (download cache), DEV (development photos, default
# ../shared/datasets/dev beside the checkout; empty to skip the tiles),
# PACKAGES (space-separated list replacing the default one).
set -euo pipefail

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	# This file's opening comment is its help.
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
	exit 0
fi
add=
if [[ ${1:-} == --add ]]; then
	add=1
	shift
fi
if [[ $# -ne 1 || $1 == -* ]]; then
	echo "usage: $0 [--add] DIR   (e.g. $0 ~/.cache/hashwatch-pool; --help for more)" >&2
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
# Added later: held out whole (eval/internal/poolbuild laterFamilies).
later_packages=(
	endless-sky-data freeorion-data supertuxkart-data warzone2100-data
	fillets-ng-data openarena-data trigger-rally-data torcs-data redeclipse-data
	enigma-data lugaru-data krita-data oxygen-icon-theme moka-icon-theme
	kgeography-data gimp-help-en kicad-doc-en imagemagick-6-doc
	python-scipy-doc python-statsmodels-doc python-astropy-doc python-pandas-doc
)
if [[ -n ${PACKAGES:-} ]]; then
	read -r -a packages <<<"$PACKAGES"
else
	packages=("${default_packages[@]}" "${later_packages[@]}")
fi

if [[ -e $out && -n $(ls -A "$out" 2>/dev/null) && ! -f $out/MANIFEST.tsv ]]; then
	echo "$0: $out exists and is not a pool (no MANIFEST.tsv); refusing to overwrite it" >&2
	exit 1
fi
if [[ -n $add ]]; then
	if [[ ! -f $out/MANIFEST.tsv ]]; then
		echo "$0: $out is not a pool (no MANIFEST.tsv); nothing to add to" >&2
		exit 1
	fi
	have=" $(tail -n +2 "$out/MANIFEST.tsv" | cut -f1 | sort -u | tr '\n' ' ') "
	todo=()
	[[ -n ${PACKAGES:-} ]] || packages=("${later_packages[@]}")
	for p in "${packages[@]}"; do
		[[ $have == *" $p "* || -e $out/LICENSES/$p ]] || todo+=("$p")
	done
	packages=("${todo[@]}")
	if [[ ${#packages[@]} -eq 0 ]]; then
		echo "build-pool: $out holds every package already" >&2
		exit 0
	fi
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
if [[ -n $add ]]; then
	new=$out
else
	new=$out.new
	rm -rf "$new"
fi
mkdir -p "$new/LICENSES" "$staging/files" "$staging/licenses"
for p in "${available[@]}"; do
	deb=$(ls "$debs/${p}"_*.deb | sort -V | tail -n 1)
	x=$staging/x/$p
	mkdir -p "$x"
	dpkg-deb -x "$deb" "$x"
	for c in "$x"/usr/share/doc/*/copyright; do
		[[ -f $c ]] && cp "$c" "$staging/licenses/$p" && break
	done
	if [[ $p == *-doc* ]]; then
		rm -f "$x"/usr/share/doc/*/copyright "$x"/usr/share/doc/*/changelog*
	else
		rm -rf "$x/usr/share/doc"
	fi
	mv "$x" "$staging/files/$p"
done

# copy_licenses DIR: the copyright files of the packages just laid out.
copy_licenses() {
	local c
	for c in "$staging"/licenses/*; do
		[[ -f $c ]] && cp "$c" "$1/LICENSES/"
	done
	return 0
}

cd "$repo"
if [[ -n $add ]]; then
	GOFLAGS=-tags=nodynamic go run ./eval/internal/poolbuild -staging "$staging/files" -add "$out" \
		-max-per-family "${POOL_MAX_PER_FAMILY:-3000}"
	copy_licenses "$out"
	echo "build-pool: $(($(wc -l <"$out/MANIFEST.tsv") - 1)) images in $out" >&2
	cut -f1,6 "$out/MANIFEST.tsv" | tail -n +2 | sort | uniq -c | sort -rn >&2
	exit 0
fi
GOFLAGS=-tags=nodynamic go run ./eval/internal/poolbuild -staging "$staging/files" -dev "$dev" -out "$new" \
	-max-per-family "${POOL_MAX_PER_FAMILY:-3000}"
copy_licenses "$new"
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
