from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from phago import Colony, DocumentInput, InputError, SourceError
from phago.sources import SUPPORTED_SUFFIXES, SourceErrors, collect_files, load_file, load_files

LIMIT = 1_000_000


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def reason(path: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(SourceError) as info:
        load_file(path, max_bytes=max_bytes)
    assert info.value.path == str(path)
    assert str(info.value) == f"{path}: {info.value.reason}"
    return info.value.reason


def only(path: Path) -> DocumentInput:
    docs = load_file(path, max_bytes=LIMIT)
    assert len(docs) == 1
    return docs[0]


# -- collect_files -------------------------------------------------------------------------------------
def test_supported_suffixes() -> None:
    assert frozenset({".txt", ".md", ".markdown", ".json", ".jsonl", ".html", ".htm"}) == SUPPORTED_SUFFIXES


def test_directories_are_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    for name in ["b.txt", "a/z.md", "a/b/c.json", "a/a.html", "c.jsonl", "B.markdown", "a/d.htm"]:
        write(tmp_path / name, "words here")
    rel = [p.relative_to(tmp_path).as_posix() for p in collect_files([tmp_path])]
    assert rel == ["B.markdown", "a/a.html", "a/b/c.json", "a/d.htm", "a/z.md", "b.txt", "c.jsonl"]


def test_hidden_entries_and_unsupported_suffixes_are_skipped_in_directories(tmp_path: Path) -> None:
    write(tmp_path / "keep.txt", "words")
    write(tmp_path / ".hidden.txt", "words")
    write(tmp_path / ".git" / "notes.md", "words")
    write(tmp_path / "sub" / ".secret" / "x.txt", "words")
    write(tmp_path / "image.png", b"\x89PNG")
    write(tmp_path / "noext", "words")
    assert collect_files([tmp_path]) == [tmp_path / "keep.txt"]


def test_explicit_files_keep_their_order_and_duplicates_are_dropped(tmp_path: Path) -> None:
    b = write(tmp_path / "b.txt", "words")
    a = write(tmp_path / "a.MD", "words")  # suffixes match case-insensitively
    hidden = write(tmp_path / ".named.txt", "words")  # named explicitly, so not skipped
    assert collect_files([b, a, hidden, tmp_path / "." / "b.txt", tmp_path]) == [b, a, hidden]


def test_explicit_unsupported_file_is_an_error(tmp_path: Path) -> None:
    pdf = write(tmp_path / "paper.pdf", b"%PDF")
    with pytest.raises(SourceError) as info:
        collect_files([pdf])
    assert info.value.path == str(pdf)
    assert "unsupported file type '.pdf'" in info.value.reason
    assert ".md" in info.value.reason and ".jsonl" in info.value.reason


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(SourceError) as info:
        collect_files([missing])
    assert str(info.value) == f"{missing}: no such file or directory"


def test_directory_without_supported_files_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "empty" / "photo.jpg", b"\xff\xd8")
    with pytest.raises(SourceError, match="directory holds no supported files"):
        collect_files([tmp_path / "empty"])


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="platform has no symlinks")
def test_symlink_loop_does_not_recurse_forever(tmp_path: Path) -> None:
    write(tmp_path / "d" / "a.txt", "words")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d", target_is_directory=True)
    assert collect_files([tmp_path / "d"]) == [tmp_path / "d" / "a.txt"]


# -- size, emptiness, encoding -------------------------------------------------------------------------
def test_text_file_is_one_document_titled_by_stem(tmp_path: Path) -> None:
    path = write(tmp_path / "field-notes.txt", "Bees dance.\n\nThey forage.")
    doc = only(path)
    assert doc == DocumentInput(
        "Bees dance.\n\nThey forage.", "field-notes", {"path": str(path), "format": "txt"}, str(path)
    )


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", "x" * 101)
    assert reason(path, max_bytes=100) == "file is 101 bytes; the limit is 100 bytes (ingest.max_file_bytes)"
    assert only(write(tmp_path / "fits.txt", "y" * 100)).text == "y" * 100  # the limit itself is allowed


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  "])
def test_empty_or_blank_file_is_refused(tmp_path: Path, content: bytes) -> None:
    assert reason(write(tmp_path / "empty.txt", content)) == "file is empty"


def test_file_without_words_is_refused(tmp_path: Path) -> None:
    assert "no words" in reason(write(tmp_path / "dots.txt", "... !!! ---"))


def test_binary_file_is_refused_with_offset(tmp_path: Path) -> None:
    path = write(tmp_path / "data.txt", b"abc\x00def")
    assert reason(path) == "looks binary (NUL byte at offset 3); only UTF-8 text is accepted"
    late = write(tmp_path / "late.txt", b"a" * 10_000 + b"\x00")  # beyond the first 8 KiB too
    assert "NUL byte at offset 10000" in reason(late)


def test_latin1_file_is_refused_with_byte_offset(tmp_path: Path) -> None:
    path = write(tmp_path / "cafe.txt", "un café noir".encode("latin-1"))
    assert reason(path) == "not valid UTF-8 at byte 6 (0xe9); only UTF-8 text is accepted"


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.txt", b"\xef\xbb\xbfcaf\xc3\xa9 au lait")
    assert only(path).text == "café au lait"


def test_offsets_count_the_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.txt", b"\xef\xbb\xbfab\xffcd")
    assert "not valid UTF-8 at byte 5" in reason(path)


def test_missing_file_and_directory_are_refused_by_load_file(tmp_path: Path) -> None:
    assert reason(tmp_path / "gone.txt") == "no such file or directory"
    (tmp_path / "dir.txt").mkdir()
    assert reason(tmp_path / "dir.txt").startswith("is a directory")
    assert reason(write(tmp_path / "x.csv", "a,b")).startswith("unsupported file type '.csv'")


# -- Markdown ------------------------------------------------------------------------------------------
def test_markdown_title_is_first_heading(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.md", "Intro line.\n\n## The Waggle Dance ##\n\nBees dance.\n\n# Later\n")
    doc = only(path)
    assert doc.title == "The Waggle Dance"
    assert "Bees dance." in doc.text
    assert doc.metadata == {"path": str(path), "format": "markdown"}


def test_markdown_without_heading_uses_stem_and_ignores_code_comments(tmp_path: Path) -> None:
    path = write(tmp_path / "setup.markdown", "Run this:\n\n```sh\n# install it\npip install x\n```\n#tag\n")
    assert only(path).title == "setup"


def test_markdown_front_matter_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path / "post.md", "---\nlayout: post\ntags: [a]\n---\n# Magma\n\nMolten rock.\n")
    doc = only(path)
    assert doc.title == "Magma"
    assert "layout" not in doc.text and doc.text.startswith("# Magma")
    assert reason(write(tmp_path / "only-front.md", "---\ntitle: x\n---\n\n")) == "file is empty"


# -- HTML ----------------------------------------------------------------------------------------------
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title> Hive  Heat </title>
<style>body { color: red }</style><script>var secret = "tracking";</script></head>
<body><h1>Cooling the brood</h1><p>Workers fan their <b>wings</b> to move air<br>and carry water</p>
<ul><li>first point</li><li>second point</li></ul><div>Fish &amp; chips</div>
<script>document.write("injected")</script></body></html>
"""


def test_html_title_and_visible_text(tmp_path: Path) -> None:
    path = write(tmp_path / "hive.html", PAGE)
    doc = only(path)
    assert doc.title == "Hive Heat"
    assert doc.metadata == {"path": str(path), "format": "html"}
    for hidden in ("secret", "tracking", "injected", "color", "Hive Heat"):
        assert hidden not in doc.text
    lines = doc.text.split("\n")
    assert "Cooling the brood" in lines  # block elements end the line: no run-on sentences
    assert "Workers fan their wings to move air" in lines  # inline <b> keeps its spaces
    assert "and carry water" in lines
    assert "first point" in lines and "second point" in lines
    assert "Fish & chips" in lines


def test_html_title_falls_back_to_h1_then_stem(tmp_path: Path) -> None:
    assert only(write(tmp_path / "a.htm", "<h1>Lava <i>flows</i></h1><p>Hot.</p>")).title == "Lava flows"
    assert only(write(tmp_path / "plain.html", "<p>Just text.</p>")).title == "plain"


def test_html_unclosed_head_ends_at_content(tmp_path: Path) -> None:
    doc = only(write(tmp_path / "sloppy.html", "<head><title>T</title><p>Visible text</p>"))
    assert (doc.title, doc.text) == ("T", "Visible text")


def test_html_without_visible_text_is_empty(tmp_path: Path) -> None:
    path = write(
        tmp_path / "blank.html", "<html><head><title>Only a title</title></head><body> </body></html>"
    )
    assert reason(path) == "file is empty"


# -- JSON ----------------------------------------------------------------------------------------------
def test_json_single_object(tmp_path: Path) -> None:
    path = write(tmp_path / "one.json", json.dumps({"text": "Magma rises.", "title": "Magma", "year": 2020}))
    doc = only(path)
    assert (doc.text, doc.title, doc.source) == ("Magma rises.", "Magma", str(path))
    assert doc.metadata == {"year": 2020, "path": str(path), "format": "json", "record": 1}


def test_json_array_beir_style(tmp_path: Path) -> None:
    records = [
        {"_id": "d1", "title": "Starter", "text": "Yeast and bacteria.", "metadata": {"lang": "en"}},
        {"_id": "d2", "title": "", "text": "Gluten forms a network."},
    ]
    path = write(tmp_path / "corpus.json", json.dumps(records))
    docs = load_file(path, max_bytes=LIMIT)
    assert [d.text for d in docs] == ["Yeast and bacteria.", "Gluten forms a network."]
    assert [d.title for d in docs] == ["Starter", ""]
    assert docs[0].metadata == {"_id": "d1", "lang": "en", "path": str(path), "format": "json", "record": 1}
    assert docs[1].metadata["_id"] == "d2" and docs[1].metadata["record"] == 2


def test_malformed_json_reports_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.json", '[\n  {"text": "ok"},\n  {"text": oops}\n]')
    assert reason(path) == "not valid JSON: Expecting value (line 3, column 12)"


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([{"text": "fine"}, {"title": "no text"}], "record 2: missing non-empty string field 'text'"),
        ([{"text": "   "}], "record 1: missing non-empty string field 'text'"),
        ([{"text": 42}], "record 1: field 'text' must be a non-empty string, got number"),
        ([{"text": "fine", "title": ["x"]}], "record 1: field 'title' must be a string, got array"),
        ([{"text": "fine", "metadata": "x"}], "record 1: field 'metadata' must be an object, got string"),
        ([{"text": "fine"}, "just a string"], "record 2: expected a JSON object, got string"),
        ([{"text": "bad\u0000byte"}], "record 1: field 'text' contains a NUL character"),
        ([], "no records (the top-level array is empty)"),
        ("a string", "top level must be an object or an array of objects, got string"),
        (7, "top level must be an object or an array of objects, got number"),
    ],
)
def test_bad_json_records(tmp_path: Path, records: object, expected: str) -> None:
    assert reason(write(tmp_path / "r.json", json.dumps(records))).startswith(expected)


def test_json_nan_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "nan.json", '{"text": "fine", "score": NaN}')
    assert reason(path) == "not valid JSON: NaN is not allowed (JSON has no NaN or Infinity)"


# -- JSONL ---------------------------------------------------------------------------------------------
def test_jsonl_one_document_per_line(tmp_path: Path) -> None:
    lines = [json.dumps({"_id": "a", "text": "Plates move."}), "", json.dumps({"text": "Vents emit gas."})]
    path = write(tmp_path / "c.jsonl", "\r\n".join(lines) + "\n")
    docs = load_file(path, max_bytes=LIMIT)
    assert [d.text for d in docs] == ["Plates move.", "Vents emit gas."]
    assert docs[0].metadata == {"_id": "a", "path": str(path), "format": "jsonl", "line": 1}
    assert docs[1].metadata["line"] == 3


def test_jsonl_bad_line_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "c.jsonl", '{"text": "one"}\n\n{"text": "two",}\n')
    assert (
        reason(path)
        == "line 3: not valid JSON: Expecting property name enclosed in double quotes (column 16)"
    )


def test_jsonl_record_without_text(tmp_path: Path) -> None:
    path = write(tmp_path / "c.jsonl", '{"text": "one"}\n{"body": "two"}\n')
    assert reason(path) == "line 2: missing non-empty string field 'text'"
    assert (
        reason(write(tmp_path / "d.jsonl", '{"text": "ok"}\n[1]\n'))
        == "line 2: expected a JSON object, got array"
    )


# -- load_files ----------------------------------------------------------------------------------------
def test_load_files_loads_everything_in_order(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "a.txt", "Alpha text.")
    write(tmp_path / "docs" / "b.jsonl", '{"text": "Beta one."}\n{"text": "Beta two."}\n')
    extra = write(tmp_path / "c.md", "# Gamma\n\nGamma text.")
    docs = load_files([tmp_path / "docs", extra], max_bytes=LIMIT)
    assert [d.text for d in docs] == ["Alpha text.", "Beta one.", "Beta two.", "# Gamma\n\nGamma text."]
    assert load_files([], max_bytes=LIMIT) == []


def test_load_files_reports_every_failure(tmp_path: Path) -> None:
    good = write(tmp_path / "in" / "good.txt", "Fine text.")
    binary = write(tmp_path / "in" / "bin.txt", b"\x00\x01")
    bad_json = write(tmp_path / "in" / "bad.json", "{")
    big = write(tmp_path / "big.md", "z" * 200)
    missing = tmp_path / "missing.txt"
    with pytest.raises(SourceErrors) as info:
        load_files([tmp_path / "in", big, missing], max_bytes=100)
    err = info.value
    assert isinstance(err, InputError)
    assert [e.path for e in err.errors] == [str(missing), str(bad_json), str(binary), str(big)]
    assert str(err).split("\n") == [str(e) for e in err.errors]
    assert str(good) not in str(err)
    assert "line 1, column 2" in str(err) and "NUL byte at offset 0" in str(err) and "200 bytes" in str(err)


def test_loaded_documents_can_be_ingested_and_queried(tmp_path: Path) -> None:
    write(tmp_path / "bees.md", "# Bees\n\nForager bees perform a waggle dance to share nectar locations.")
    write(tmp_path / "lava.html", "<title>Lava</title><p>Basaltic lava flows from shield volcanoes.</p>")
    write(
        tmp_path / "bread.jsonl",
        '{"_id": "s1", "title": "Starter", "text": "A sourdough starter ferments."}\n',
    )
    docs = load_files([tmp_path], max_bytes=LIMIT)
    with Colony() as colony:
        ids = colony.ingest_many(docs)
        assert len(set(ids)) == 3
        colony.digest()
        hits = colony.query("waggle dance", k=3)
        assert hits and hits[0].document_id == ids[0] and hits[0].title == "Bees"
        starter = colony.document(colony.query("sourdough starter", k=1)[0].document_id)
        assert starter.title == "Starter"
        assert starter.source == str(tmp_path / "bread.jsonl")
        assert starter.metadata["_id"] == "s1" and starter.metadata["format"] == "jsonl"
