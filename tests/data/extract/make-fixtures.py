#!/usr/bin/python3
"""Write the small documents that tests/unit/test_extract.c reads.

Every file is built here from nothing: DOCX parts as XML strings zipped with zipfile,
PDFs object by object. qpdf (Debian package qpdf) encrypts two of the PDFs. The
outputs are committed, so tests never need this script or qpdf; run it again only to
change a fixture:

    /usr/bin/python3 tests/data/extract/make-fixtures.py
"""

import os
import struct
import subprocess
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
R_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
V = "urn:schemas-microsoft-com:vml"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}.document.main+xml"/>'
    "</Types>"
)


def package_rels(rel_ns):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{rel_ns}/officeDocument" Target="word/document.xml"/>'
        "</Relationships>"
    )


def document(body, w=W, extra_ns=""):
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{w}" xmlns:r="{R}" xmlns:mc="{MC}" xmlns:wps="{WPS}" '
        f'xmlns:v="{V}" {extra_ns}><w:body>{body}<w:sectPr/></w:body></w:document>'
    )


def para(*runs):
    return "<w:p>" + "".join(runs) + "</w:p>"


def run(text):
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def write_zip(name, entries, compression=zipfile.ZIP_DEFLATED):
    path = os.path.join(HERE, name)
    with zipfile.ZipFile(path, "w", compression) as zf:
        for entry_name, data in entries:
            info = zipfile.ZipInfo(entry_name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            zf.writestr(info, data)
    return path


def docx_entries(document_xml, rels_xml=None, extra=()):
    entries = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", package_rels(R)),
        ("word/document.xml", document_xml),
    ]
    if rels_xml is not None:
        entries.append(("word/_rels/document.xml.rels", rels_xml))
    entries.extend(extra)
    return entries


def make_structure_docx():
    """Body, table, text box with a fallback copy, notes, headers and footer."""
    textbox = (
        "<w:r><mc:AlternateContent>"
        "<mc:Choice Requires=\"wps\"><w:drawing><wps:wsp><wps:txbx><w:txbxContent>"
        + para(run("Boxed skills: C, PostgreSQL"))
        + "</w:txbxContent></wps:txbx></wps:wsp></w:drawing></mc:Choice>"
        "<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>"
        + para(run("Boxed skills: C, PostgreSQL"))
        + "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )
    cell = lambda *paras: "<w:tc><w:tcPr/>" + "".join(paras) + "</w:tc>"
    table = (
        "<w:tbl><w:tblPr/><w:tblGrid/>"
        "<w:tr>" + cell(para(run("Year"))) + cell(para(run("Role"))) + cell(para(run("Team"))) + "</w:tr>"
        "<w:tr>" + cell(para(run("2021"))) + cell(para(run("Backend engineer")), para(run("on call"))) + cell("<w:p/>") + "</w:tr>"
        "</w:tbl>"
    )
    body = (
        para("<w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr>", run("Dana Reyes"))
        + para(run("Name:"), "<w:r><w:tab/></w:r>", run("Dana"), "<w:r><w:br/></w:r>", run("Second line"))
        + para(run("Tracked "), "<w:del><w:r><w:delText>removed </w:delText></w:r></w:del>", run("change"))
        + para("<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>",
               "<w:r><w:instrText> HYPERLINK \"https://example.org\" </w:instrText></w:r>",
               "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>", run("example.org"),
               "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>")
        + para(run("Well"), "<w:r><w:noBreakHyphen/></w:r>", run("known"),
               "<w:r><w:footnoteReference w:id=\"1\"/></w:r>")
        + table
        + para(textbox)
        + "<w:p/><w:p/><w:p/>"
        + para(run("Last paragraph"))
    )
    header = lambda text: (
        f'<?xml version="1.0" encoding="UTF-8"?><w:hdr xmlns:w="{W}">' + para(run(text)) + "</w:hdr>"
    )
    footer = f'<?xml version="1.0" encoding="UTF-8"?><w:ftr xmlns:w="{W}">' + para(run("Page footer")) + "</w:ftr>"
    footnotes = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:footnotes xmlns:w="{W}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:id="1">' + para(run("A footnote")) + "</w:footnote></w:footnotes>"
    )
    rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_RELS}">'
        f'<Relationship Id="rId9" Type="{R}/footer" Target="footer1.xml"/>'
        f'<Relationship Id="rId8" Type="{R}/header" Target="header2.xml"/>'
        f'<Relationship Id="rId7" Type="{R}/header" Target="/word/header1.xml"/>'
        f'<Relationship Id="rId6" Type="{R}/footnotes" Target="footnotes.xml"/>'
        f'<Relationship Id="rId5" Type="{R}/hyperlink" Target="https://example.org" TargetMode="External"/>'
        f'<Relationship Id="rId4" Type="{R}/header" Target="header3.xml"/>'
        "</Relationships>"
    )
    write_zip("structure.docx", docx_entries(document(body), rels, [
        ("word/header1.xml", header("Dana Reyes, dana@example.org")),
        ("word/header2.xml", header("Dana Reyes, dana@example.org")),
        ("word/footer1.xml", footer),
        ("word/footnotes.xml", footnotes),
        # header3.xml is named by a relationship but missing: it must cost nothing.
    ]))


def make_strict_docx():
    body = para(run("Strict namespace text")) + para(run("Second paragraph"))
    entries = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", package_rels(R_STRICT)),
        ("word/document.xml", document(body, w=W_STRICT)),
    ]
    write_zip("strict.docx", entries)


def patch_declared_sizes(path, entry_name, fake_size):
    """Rewrite the uncompressed size that both headers declare for one entry."""
    data = bytearray(open(path, "rb").read())
    name = entry_name.encode()
    patched = 0
    pos = 0
    while True:
        pos = data.find(name, pos)
        if pos < 0:
            break
        if data[pos - 30:pos - 26] == b"PK\x03\x04":
            struct.pack_into("<I", data, pos - 30 + 22, fake_size)
            patched += 1
        if data[pos - 46:pos - 42] == b"PK\x01\x02":
            struct.pack_into("<I", data, pos - 46 + 24, fake_size)
            patched += 1
        pos += 1
    assert patched == 2, patched
    open(path, "wb").write(bytes(data))


def make_zip_bombs():
    # 8 MiB of text inflating from about 8 KiB, and a header that claims 100 bytes.
    filler = "x" * (8 * 1024 * 1024)
    body = para(run("Start of a huge part")) + para(run(filler))
    path = write_zip("bomb.docx", docx_entries(document(body)))
    patch_declared_sizes(path, "word/document.xml", 100)

    extra = [(f"e/{i}", "") for i in range(64)]
    write_zip("many_entries.docx", docx_entries(document(para(run("Few words"))), extra=extra))


def make_parser_limit_docx():
    # Past libxml2's own limits without XML_PARSE_HUGE: a text node over 10 MB, and
    # elements nested deeper than 256.
    body = para(run("Start of a huge run")) + para(run("y" * (11 * 1024 * 1024)))
    write_zip("huge_text_node.docx", docx_entries(document(body)))
    nested = "<w:sdt><w:sdtContent>" * 300 + para(run("Deep")) + \
        "</w:sdtContent></w:sdt>" * 300
    write_zip("deep_nesting.docx", docx_entries(document(nested)))
    # Broken XML whose error message quotes an element named like a limit.
    mismatch = para(run("Text")) + "<XML_PARSE_HUGE></w:body></w:document>"
    write_zip("limit_named_tag.docx", docx_entries(
        document("").replace("<w:sectPr/></w:body></w:document>", mismatch)))


def make_broken_docx():
    write_zip("no_main_part.docx", [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", package_rels(R)),
        ("word/styles.xml", "<styles/>"),
    ])

    laughs = (
        '<?xml version="1.0"?><!DOCTYPE w:document ['
        '<!ENTITY a "lol lol lol lol lol lol lol lol lol lol">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + f']><w:document xmlns:w="{W}"><w:body>' + para(run("&j;")) + "</w:body></w:document>"
    )
    write_zip("billion_laughs.docx", docx_entries(laughs))

    xxe = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
        f'<w:document xmlns:w="{W}"><w:body>' + para(run("&secret;")) + "</w:body></w:document>"
    )
    write_zip("external_entity.docx", docx_entries(xxe))

    write_zip("bad_xml.docx", docx_entries(document(para(run("unclosed <b>")))[:-20]))

    structure = open(os.path.join(HERE, "structure.docx"), "rb").read()
    open(os.path.join(HERE, "truncated.docx"), "wb").write(structure[: len(structure) * 6 // 10])

    write_zip("sheet.xlsx", [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("xl/workbook.xml", "<workbook/>"),
    ])
    write_zip("text.odt", [
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("content.xml", "<office:document-content/>"),
    ], compression=zipfile.ZIP_STORED)


def pdf_bytes(page_contents, fonts=True):
    """A minimal PDF with one page per content stream, Helvetica as /F1."""
    objects = []
    page_count = len(page_contents)
    first_page = 4
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(page_count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, content in enumerate(page_contents):
        resources = "/Resources << /Font << /F1 3 0 R >> >>" if fonts else ""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {resources} "
            f"/Contents {first_page + 2 * i + 1} 0 R >>".encode()
        )
        packed = zlib.compress(content, 9)
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def text_page(*lines):
    ops = [b"BT /F1 12 Tf 72 720 Td 16 TL"]
    for line in lines:
        ops.append(b"(" + line.encode("latin-1") + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def make_pdfs():
    def write(name, data):
        open(os.path.join(HERE, name), "wb").write(data)

    write("text.pdf", pdf_bytes([
        text_page("Dana Reyes", "Backend engineer"),
        text_page("Second page text"),
    ]))
    write("no_text.pdf", pdf_bytes([b"0 0 1 rg 72 72 200 200 re f"], fonts=False))
    write("many_pages.pdf", pdf_bytes([text_page(f"Page {i + 1}") for i in range(12)]))
    # One page that keeps poppler busy for a minute or more: 20000 text-showing
    # operators at the same spot (about 4 KiB compressed).
    heavy = b"BT /F1 9 Tf 1 0 0 1 40 700 Tm (slow page filler words) Tj ET\n" * 20000
    write("heavy_page.pdf", pdf_bytes([heavy]))
    write("damaged.pdf", b"%PDF-1.7\nthis is not a PDF body at all\n")

    source = os.path.join(HERE, "text.pdf")
    for name, user in (("encrypted_user.pdf", "secret"), ("encrypted_owner.pdf", "")):
        subprocess.run(
            ["qpdf", "--encrypt", user, "owner-password", "256", "--", source,
             os.path.join(HERE, name)],
            check=True,
        )


def main():
    make_structure_docx()
    make_strict_docx()
    make_zip_bombs()
    make_parser_limit_docx()
    make_broken_docx()
    make_pdfs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
