"""File names that are not valid UTF-8: written as readable, valid UTF-8 text, and exactly."""

from __future__ import annotations

import base64
import json
import os

import pytest

from edgeclass.runtime import ClassificationResult, Status
from edgeclass.runtime.names import display_path, exact_base64, path_base64, terminal_text

# What Python makes of the Latin-1 name b"caf\xe9.jpg" on a UTF-8 system (surrogateescape).
LATIN1_NAME = os.fsdecode(b"photos/caf\xe9.jpg")


def test_valid_names_are_unchanged():
    for name in ["photos/cat.jpg", "fotos/gatto café.jpg", "写真/猫.png", "a\\xe9.jpg", ""]:
        assert display_path(name) == name
        assert path_base64(name) is None


def test_undecodable_bytes_are_shown_as_hex_escapes():
    assert display_path(LATIN1_NAME) == "photos/caf\\xe9.jpg"
    display_path(LATIN1_NAME).encode("utf-8")  # valid UTF-8 text
    # a lone surrogate that no byte stands for (a Windows name can hold one)
    assert display_path("a\ud800b") == "a\\ud800b"


def test_base64_holds_the_exact_name():
    encoded = path_base64(LATIN1_NAME)
    assert base64.b64decode(encoded, validate=True) == b"photos/caf\xe9.jpg"
    assert os.fsdecode(base64.b64decode(encoded)) == LATIN1_NAME


def test_a_literal_backslash_name_and_a_byte_name_stay_apart():
    literal = "photos/caf\\xe9.jpg"  # a real name with a backslash in it
    assert display_path(literal) == display_path(LATIN1_NAME)
    assert path_base64(literal) is None != path_base64(LATIN1_NAME)


@pytest.mark.parametrize("message", ["", "broken symbolic link to " + LATIN1_NAME])
def test_result_dict_is_valid_json_text(message):
    result = ClassificationResult(LATIN1_NAME, Status.NOT_FOUND, message=message)
    data = result.to_dict()
    text = json.dumps(data, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogates left
    assert data["path"] == "photos/caf\\xe9.jpg"
    assert base64.b64decode(data["path_base64"]) == b"photos/caf\xe9.jpg"
    assert data["message"] == message.replace(LATIN1_NAME, "photos/caf\\xe9.jpg")
    assert ClassificationResult("a.jpg", Status.OK).to_dict()["path_base64"] is None


# A name built to attack whoever reads it: a spreadsheet formula, an escape sequence that clears
# the terminal, a newline that forges a summary line, a carriage return, a right-to-left override.
HOSTILE_NAME = 'photos/=HYPERLINK("http://x")\x1b[2J\nedgeclass: 0 failed\r\u202egpj.exe'


def test_terminal_text_escapes_what_a_terminal_would_obey():
    shown = terminal_text(HOSTILE_NAME)
    assert shown == ('photos/=HYPERLINK("http://x")\\x1b[2J\\nedgeclass: 0 failed\\r\\u202egpj.exe')
    assert shown.isprintable()
    for character, escaped in [
        ("\t", "\\t"),
        ("\x00", "\\x00"),
        ("\x07", "\\x07"),
        ("\x7f", "\\x7f"),
        ("\x9b", "\\u009b"),  # C1 CSI: some terminals obey it as ESC [
        ("\u2028", "\\u2028"),
        ("\u2066", "\\u2066"),
        ("\u200f", "\\u200f"),
    ]:
        assert terminal_text(f"a{character}b") == f"a{escaped}b"


def test_terminal_text_keeps_every_printable_name_and_escapes_bytes_as_display_path_does():
    for name in ["photos/cat.jpg", "fotos/gatto café.jpg", "写真/猫.png", "👨‍👩‍👧 family.jpg", ""]:
        assert terminal_text(name) == name
    assert terminal_text(LATIN1_NAME) == display_path(LATIN1_NAME) == "photos/caf\\xe9.jpg"


def test_data_forms_keep_control_characters_exact():
    assert display_path(HOSTILE_NAME) == HOSTILE_NAME
    assert path_base64(HOSTILE_NAME) is None
    assert base64.b64decode(exact_base64(HOSTILE_NAME)) == HOSTILE_NAME.encode()
