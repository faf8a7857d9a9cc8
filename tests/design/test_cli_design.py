"""``porestudio latent | interpolate | design`` on a real tiny pVAE (one-line errors, exit 2)."""

from __future__ import annotations

import numpy as np
import pytest

from porestudio.cli import main
from porestudio.structures.dataset import open_dataset


def test_design_from_a_csv_writes_candidates_and_baselines(pvae_dir, cnn_dir, squares_set,
                                                           tmp_path, capsys):  # fmt: skip
    csv = tmp_path / "targets.csv"
    csv.write_text("porosity,k\n0.2,0.12\n0.28,0.2\n")
    out = tmp_path / "designs.h5"
    args = ["design", str(pvae_dir), "--targets", str(csv), "--candidates", "2",
            "--cnn", str(cnn_dir), "--data", str(squares_set), "--k-init", "10",
            "--steps", "5", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "targets.csv line 2" in text and "baseline" in text
    with open_dataset(out) as ds:
        p = ds.properties(["target_row", "rank", "verified_k_zz", "permeability_lu", "novelty"])
        assert set(p["target_row"]) == {0, 1}
        assert (p["rank"] == 0).sum() == 2  # one baseline per target
        np.testing.assert_allclose(p["permeability_lu"][:, 2, 2], p["verified_k_zz"])
        assert np.isfinite(p["verified_k_zz"]).all()
    assert main(args) == 2  # the output exists: refused without --overwrite
    assert "exists" in capsys.readouterr().err


def test_design_from_a_start_structure(pvae_dir, squares_set, tmp_path, capsys):
    out = tmp_path / "variants.h5"
    args = ["design", str(pvae_dir), "--porosity", "0.25", "--k", "0.15", "--candidates", "2",
            "--data", str(squares_set), "--start", f"{squares_set}:3", "--k-init", "0",
            "--steps", "3", "--verify", "none", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    with open_dataset(out) as ds:
        assert set(ds.properties(["rank"])["rank"]) >= {0, 1}
    bad = [*args[:-2], "--start", str(tmp_path / "missing.npy"), "--out", str(tmp_path / "x.h5")]
    assert main(bad) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--porosity", "1.4", "--k", "0.2"], "porosity 1.4 is outside (0, 1)"),
        (["--porosity", "0.2", "--k", "-1"], "must be > 0"),
        (["--porosity", "0.2", "--kx", "1"], "no output for k_xx"),
        (
            ["--porosity", "0.2", "--k", "1e-12", "--units", "m2", "--voxel-size", "-1"],
            "voxel size",
        ),
        ([], "no targets"),
        (["--porosity", "0.2", "--k", "0.2", "--polish-steps", "-1"], "0 or more"),
        (["--porosity", "0.2", "--k", "0.2", "--scorer", "estimate"], "scorer 'estimate' needs"),
    ],
)
def test_design_bad_input_is_one_line_exit_2(pvae_dir, squares_set, tmp_path, capsys, extra,
                                             message):  # fmt: skip
    args = ["design", str(pvae_dir), "--data", str(squares_set), "--out", str(tmp_path / "d.h5")]
    assert main(args + extra) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0 and "Traceback" not in err


def test_design_with_a_wrong_csv_row(pvae_dir, squares_set, tmp_path, capsys):
    csv = tmp_path / "t.csv"
    csv.write_text("porosity,k\n0.2,0.1\n0.3,zero\n")
    args = ["design", str(pvae_dir), "--targets", str(csv), "--data", str(squares_set),
            "--out", str(tmp_path / "d.h5")]  # fmt: skip
    assert main(args) == 2
    assert "t.csv line 3: not a number" in capsys.readouterr().err


def test_latent_and_interpolate(pvae_dir, squares_set, tmp_path, capsys):
    lat = tmp_path / "lat.h5"
    assert main(["latent", str(pvae_dir), str(squares_set), "--out", str(lat)]) == 0
    assert "explained variance" in capsys.readouterr().out
    out = tmp_path / "path.h5"
    args = ["interpolate", str(pvae_dir), "--from", f"{squares_set}:0", "--to",
            f"{squares_set}:3", "--steps", "4", "--method", "lerp", "--out", str(out),
            "--plot", str(tmp_path / "path.png")]  # fmt: skip
    assert main(args) == 0
    with open_dataset(out) as ds:
        assert len(ds) == 4
    assert (tmp_path / "path.png").read_bytes()[:4] == b"\x89PNG"
    bad = ["interpolate", str(pvae_dir), "--from", str(tmp_path / "missing.tif"), "--to",
           f"{squares_set}:3", "--out", str(tmp_path / "p2.h5")]  # fmt: skip
    assert main(bad) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_a_dataset_that_does_not_fit_the_model(pvae_dir, tmp_path, capsys):
    from porestudio.structures.generators import generate_dataset

    other = generate_dataset(tmp_path / "g.h5", "squares", 3, 1, size=24, depth=2,
                             pore_size=4, n_pores=(3, 6))  # fmt: skip
    assert main(["latent", str(pvae_dir), str(other), "--out", str(tmp_path / "l.h5")]) == 2
    assert "20x20 sections" in capsys.readouterr().err
