"""Failures a person can read, for every bundle: the last line is the cause (file and reason), the
traceback goes to a log file (or the terminal with MEDRESTORE_DEBUG=1), and a folder with one bad
input writes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from tests.conftest import bundle_inference
from tests.reliability.conftest import last_line, results


def write_bad_input(case, folder: Path) -> Path:
    """An input every bundle must refuse: NaN intensities (images) or NaN k-space."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bad.npy"
    if case.input_key == "image":
        np.save(path, np.full((32, 32), np.nan, np.float32))
    else:
        np.save(path, np.full((4, 64, 64), np.nan, np.complex64))
    return path


def test_failure_ends_with_the_cause_and_logs_the_traceback(case, tmp_path):
    data = tmp_path / "in"
    bad = write_bad_input(case, data)
    proc = bundle_inference(case.name, data, tmp_path / "out", check=False)
    assert proc.returncode != 0
    line = last_line(proc)
    assert line.startswith("error: ") and str(bad) in line and "NaN" in line, line
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "Failed to evaluate" not in text
    log = re.search(r"full traceback in (\S+?);", text)
    assert log and "Traceback" in Path(log.group(1)).read_text()


def test_debug_variable_prints_the_traceback(case, tmp_path):
    data = tmp_path / "in"
    write_bad_input(case, data)
    proc = bundle_inference(case.name, data, tmp_path / "out", env={"MEDRESTORE_DEBUG": "1"}, check=False)
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    assert last_line(proc).startswith("error: ")


def test_one_bad_input_among_good_ones_writes_nothing(case, tmp_path):
    data, out = tmp_path / "in", tmp_path / "out"
    for i in range(2):
        case.write_input(data / f"good{i}{case.input_suffixes[0]}", i)
    bad = write_bad_input(case, data)
    proc = bundle_inference(case.name, data, out, check=False)
    assert proc.returncode != 0
    line = last_line(proc)
    assert "1 of 3 inputs cannot be used, nothing was written" in line and str(bad) in line, line
    assert results(out) == []


def test_malformed_datalist_names_the_file_and_line(case, tmp_path):
    data = tmp_path / "in"
    case.write_input(data / f"img{case.input_suffixes[0]}", 0)
    key = case.input_key
    datalist = tmp_path / "list.json"
    entry = f'{{"{key}": "img{case.input_suffixes[0]}"}}'
    datalist.write_text('{"test": [\n    ' + entry + ",\n]}\n")  # trailing comma: line 3 is invalid
    proc = bundle_inference(case.name, data, tmp_path / "out", extra=["--datalist", str(datalist)], check=False)
    assert proc.returncode != 0
    line = last_line(proc)
    assert str(datalist) in line and "not valid JSON" in line and "line 3" in line, line


def test_progress_names_every_file_with_its_time(case, tmp_path):
    data, out = tmp_path / "in", tmp_path / "out"
    for i in range(2):
        case.write_input(data / f"img{i}{case.input_suffixes[0]}", i)
    proc = bundle_inference(case.name, data, out)
    for i in (1, 2):
        assert re.search(
            rf"\[{i}/2\] \S*img{i - 1}\S* -> \S*img{i - 1}_{case.postfix}\.nii\.gz \(.*, [\d.]+ s\)", proc.stdout
        ), proc.stdout[-2000:]
    assert "restored 2 file(s)" in proc.stdout
