#!/usr/bin/env bash
# Writes fixtures/testsrc-12s.h264, the committed H.264 stream the capture
# tests and the demo run on: ffmpeg's testsrc2 pattern, 640x360, 30 fps, 12 s,
# an IDR keyframe every second and no B-frames (frames leave the encoder in
# capture order, as a body-worn camera's do).
#
# Determinism: one encoder thread (x264's output depends on the thread count),
# fixed size, rate, GOP and CRF, no scene-cut keyframes. The same ffmpeg/x264
# build gives the same bytes; another build may not, so the fixture is
# committed and its SHA-256 recorded in fixtures/README.md and host/capture.
# Run it again only to replace the fixture on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v ffmpeg >/dev/null || { echo "make-fixture: ffmpeg is not installed" >&2; exit 3; }

out=fixtures/testsrc-12s.h264
mkdir -p fixtures
ffmpeg -hide_banner -loglevel error -nostdin -y \
  -f lavfi -i testsrc2=size=640x360:rate=30 -t 12 \
  -c:v libx264 -preset medium -crf 28 -threads 1 \
  -g 30 -keyint_min 30 -sc_threshold 0 -bf 0 -pix_fmt yuv420p \
  -f h264 "$out"

echo "$out: $(stat -c %s "$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1)"
echo "ffmpeg: $(ffmpeg -hide_banner -version | head -1)"
