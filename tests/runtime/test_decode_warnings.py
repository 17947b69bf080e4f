"""Warnings raised while a file decodes are that file's notes, thread by thread."""

from __future__ import annotations

import threading
import warnings

from hostile_inputs import EXIF_WARNINGS, jpegs_with_odd_exif, plain_jpeg

from edgeclass.runtime import load_image
from edgeclass.runtime.decode_warnings import noted_warnings, with_notes


def test_each_thread_notes_only_the_warnings_of_its_own_files(tmp_path):
    odd = jpegs_with_odd_exif(tmp_path)
    plain = plain_jpeg(tmp_path / "plain.jpg")
    start = threading.Barrier(3)
    notes: dict[str, list[list[str]]] = {}

    def decode(path):
        start.wait(timeout=60)
        seen = []
        for _ in range(20):
            with noted_warnings() as found:
                load_image(path)
            seen.append(found)
        notes[path.name] = seen

    threads = [threading.Thread(target=decode, args=(path,)) for path in [*odd, plain]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for name, text in EXIF_WARNINGS.items():
        assert notes[name] == [[f"Pillow: {text}"]] * 20  # every time, not once per process
    assert notes["plain.jpg"] == [[]] * 20


def _warn_from_here() -> None:
    warnings.warn("shown once from here", UserWarning, stacklevel=1)


def test_noting_leaves_other_warnings_as_they_were(tmp_path):
    [odd, _] = jpegs_with_odd_exif(tmp_path)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")  # once per place: a change of the filters resets it
        with noted_warnings() as notes:
            load_image(odd)
        for _ in range(3):
            _warn_from_here()
            with noted_warnings():
                load_image(odd)
        load_image(odd)  # outside a noted block: shown as usual
    assert [str(w.message) for w in shown] == ["shown once from here", EXIF_WARNINGS[odd.name]]
    assert notes == [f"Pillow: {EXIF_WARNINGS[odd.name]}"]


def test_with_notes_joins_the_message_and_the_notes():
    assert with_notes("", []) == ""
    assert with_notes(".png file holds JPEG data", ["Pillow: x"]) == (
        ".png file holds JPEG data; Pillow: x"
    )
