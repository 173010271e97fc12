import csv

from medrestore.handlers import GroupedMetricsWriter, tag_filenames


class _Meta(dict):
    @property
    def meta(self):
        return self


def test_tagged_rows_are_summarised_per_group(tmp_path):
    batch = [{"image": _Meta(filename_or_obj="a.nii.gz"), "degradation": "kspace"}]
    assert tag_filenames(batch) == [{"filename_or_obj": "a.nii.gz#kspace"}]
    for metric, values in {"val_psnr": [30.0, 32.0, 40.0], "val_ssim": [0.8, 0.9, 0.95]}.items():
        rows = [
            f"a#bicubic,{values[0]},{values[0]}",
            f"b#bicubic,{values[1]},{values[1]}",
            f"a#kspace,{values[2]},{values[2]}",
        ]
        (tmp_path / f"{metric}_raw.csv").write_text("filename,class0,mean\n" + "\n".join(rows) + "\n")
    GroupedMetricsWriter(str(tmp_path), ["val_psnr", "val_ssim"])(None)
    with open(tmp_path / "metrics_by_degradation.csv", newline="") as f:
        table = {row["group"]: row for row in csv.DictReader(f)}
    assert float(table["bicubic"]["val_psnr_mean"]) == 31.0 and table["bicubic"]["n"] == "2"
    assert float(table["kspace"]["val_ssim_mean"]) == 0.95 and float(table["kspace"]["val_psnr_std"]) == 0.0
