#!/usr/bin/env bash
# Regenerates the sample documents that `make run` evaluates from their Markdown
# sources: samples/src/cv.md -> samples/cv.pdf and samples/src/project-report.md ->
# samples/project-report.docx. The outputs are committed, so only someone changing a
# sample needs this script and its tools:
#   apt-get install -y --no-install-recommends libreoffice-writer python3-markdown
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/make-samples.XXXXXX)
trap 'rm -rf "$work"' EXIT

command -v soffice >/dev/null || { echo "make-samples: soffice not found (libreoffice-writer)" >&2; exit 1; }
/usr/bin/python3 -c 'import markdown' 2>/dev/null \
    || { echo "make-samples: python3-markdown is not installed" >&2; exit 1; }

# Writes $2 (HTML) from $1 (Markdown) with a plain, print-friendly style.
to_html() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import markdown

source, target = sys.argv[1], sys.argv[2]
body = markdown.markdown(open(source, encoding="utf-8").read(), extensions=["tables"])
style = """
body { font-family: 'DejaVu Sans', sans-serif; font-size: 10pt; line-height: 1.3; }
h1 { font-size: 18pt; margin-bottom: 2pt; }
h2 { font-size: 12pt; border-bottom: 1px solid #888; margin-top: 10pt; }
h3 { font-size: 10.5pt; margin-bottom: 2pt; }
table { border-collapse: collapse; }
td, th { border: 1px solid #888; padding: 2pt 4pt; }
"""
with open(target, "w", encoding="utf-8") as out:
    out.write('<!DOCTYPE html><html><head><meta charset="utf-8">'
              f"<style>{style}</style></head><body>{body}</body></html>")
PY
}

# Runs LibreOffice with a throw-away profile, so no user profile is read or written.
office() {
    soffice -env:UserInstallation="file://$work/profile" --headless --norestore "$@" >/dev/null
}

to_html "$root/samples/src/cv.md" "$work/cv.html"
office --infilter="HTML (StarWriter)" --convert-to pdf:writer_pdf_Export --outdir "$work" "$work/cv.html"
install -m 0644 "$work/cv.pdf" "$root/samples/cv.pdf"

to_html "$root/samples/src/project-report.md" "$work/project-report.html"
office --infilter="HTML (StarWriter)" --convert-to 'docx:MS Word 2007 XML' --outdir "$work" \
    "$work/project-report.html"
install -m 0644 "$work/project-report.docx" "$root/samples/project-report.docx"

echo "wrote samples/cv.pdf ($(pdfinfo "$root/samples/cv.pdf" | awk '/^Pages:/ {print $2}') pages)" \
     "and samples/project-report.docx"
