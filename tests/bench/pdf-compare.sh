#!/usr/bin/env bash
# Builds tests/bench/pdf_bench.c against poppler-glib and the static MuPDF, then compares
# both with pdftotext on every PDF under the corpus folders and on generated PDFs whose
# single page has a large content stream (for the in-page time limit).
#
#   tests/bench/pdf-compare.sh [CORPUS_DIR] [RUNS]
#   tests/bench/pdf-compare.sh --files RUNS FILE.pdf...
#
# With --files it measures only the named files, without the generated PDFs;
# tests/bench/bench_api.py uses that for the service's sample PDF.
#
# Needs libpoppler-glib-dev, poppler-utils, libmupdf-dev and the libraries MuPDF's static
# archive leaves unresolved: libmujs-dev libgumbo-dev libopenjp2-7-dev libjbig2dec0-dev
# libharfbuzz-dev. Prints a table; asserts nothing.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
files_only=0
if [ "${1:-}" = --files ]; then
    [ $# -ge 3 ] || { echo "usage: pdf-compare.sh --files RUNS FILE.pdf..." >&2; exit 64; }
    files_only=1
    runs=$2
    shift 2
else
    corpus=${1:-$root/../shared/corpus}
    runs=${2:-3}
fi
work=$(mktemp -d /tmp/pdf-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT

cc -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -o "$work/pdf_bench" "$root/tests/bench/pdf_bench.c" \
    $(pkg-config --cflags poppler-glib) -isystem /usr/include \
    $(pkg-config --libs poppler-glib) \
    /usr/lib/libmupdf.a /usr/lib/libmupdf-third.a \
    $(pkg-config --libs freetype2 harfbuzz) -lmujs -lgumbo -lopenjp2 -ljbig2dec -ljpeg -lz -lm -lpthread

if [ "$files_only" = 1 ]; then
    "$work/pdf_bench" -n "$runs" "$@"
    exit 0
fi

# Two single-page PDFs whose content stream repeats one text-showing operator N times:
# 8000 times (a 2 KB file) for every engine, and 1,000,000 times for the MuPDF abort
# test, which sets fz_cookie.abort from a watchdog thread after 200 ms.
make_heavy_page() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, zlib
line = b"BT /F1 9 Tf 1 0 0 1 40 700 Tm (slow page filler words) Tj ET\n"
content = zlib.compress(line * int(sys.argv[2]), 9)
objs = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
    b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]
out = bytearray(b"%PDF-1.4\n")
offsets = []
for i, body in enumerate(objs, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for off in offsets:
    out += b"%010d 00000 n \n" % off
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
PY
}
make_heavy_page "$work/heavy_page_8k_ops.pdf" 8000
make_heavy_page "$work/heavy_page_1m_ops.pdf" 1000000

echo "machine: $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), $(uname -m)"
echo "poppler-glib $(pkg-config --modversion poppler-glib), MuPDF static $(grep -o 'FZ_VERSION "[^"]*"' /usr/include/mupdf/fitz/version.h | cut -d'"' -f2), $(pdftotext -v 2>&1 | head -1)"
echo
mapfile -t files < <(find "$corpus/cv" "$corpus/report" "$corpus/job" "$corpus/tricky" -name '*.pdf' | sort)
"$work/pdf_bench" -n "$runs" -s "$work/heavy_page_8k_ops.pdf" \
    -a 200 "$work/heavy_page_1m_ops.pdf" "${files[@]}"
echo
ls -l "$work/pdf_bench" | awk '{printf "bench binary with both engines: %.1f MiB\n", $5 / 1048576}'
