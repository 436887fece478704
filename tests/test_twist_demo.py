"""The generator demo: each picture moves the way the flow of its operator says (docs/convtwist.md)."""
import numpy as np
import pytest

from examples import twist_demo

CENTRE = twist_demo.CANVAS / 2  # where the twist grids vanish: 2j/w - 1 = 0


@pytest.fixture(scope="module")
def results():
    return twist_demo.experiments()


def centre_of_mass(image):
    i, j = np.indices(image.shape)
    return (image * i).sum() / image.sum(), (image * j).sum() / image.sum()


def rms_radius(image, about):
    i, j = np.indices(image.shape)
    return np.sqrt((image * ((i - about[0]) ** 2 + (j - about[1]) ** 2)).sum() / image.sum())


def test_the_canvas_holds_the_bundled_digit_scaled_to_one_where_the_offset_puts_it():
    from examples import mnist_data
    digit = mnist_data.load_dir(mnist_data.BUNDLED)[2][0]
    image = twist_demo.digit_on_canvas(offset=(3, -5))
    top, left = (twist_demo.CANVAS - 28) // 2 + 3, (twist_demo.CANVAS - 28) // 2 - 5
    np.testing.assert_array_equal(image[top:top + 28, left:left + 28], digit / 255.0)
    assert image.sum() == pytest.approx(digit.sum() / 255.0) and image.shape == (twist_demo.CANVAS,) * 2


def test_gaussian_blurs_and_keeps_the_mass(results):
    _, before, after = results["blur"]
    assert after.sum() == pytest.approx(before.sum(), rel=1e-9)
    assert after.max() < 0.6 * before.max()
    com = centre_of_mass(before)
    assert rms_radius(after, com) > rms_radius(before, com) + 0.5


@pytest.mark.parametrize("name,shift", [("translate-x", (0, -16)), ("translate-y", (16, 0)),
                                        ("translate-diagonal", (16, -16))])
def test_sobel_near_identity_translates(results, name, shift):
    """I + eps A moves the first moment by exactly -8 eps per step (sum A = 0, sum j A = 8)."""
    _, before, after = results[name]
    moved = np.subtract(centre_of_mass(after), centre_of_mass(before))
    np.testing.assert_allclose(moved, shift, atol=0.01)  # exact but for the ripple tail leaving the canvas


def test_twist_rotation_keeps_the_radius_and_turns_by_the_predicted_angle(results):
    _, before, after = results["rotate"]
    (i0, j0), (i1, j1) = (np.subtract(centre_of_mass(im), CENTRE) for im in (before, after))
    assert np.hypot(i0, j0) > 10  # off the centre, so the picture shows the turn (a centred digit barely moved)
    assert np.hypot(i1, j1) == pytest.approx(np.hypot(i0, j0), abs=0.3)
    turned = np.arctan2(i1, j1) - np.arctan2(i0, j0)  # rows point down: positive is clockwise on screen
    assert turned == pytest.approx(300 * 0.08 / CENTRE, abs=0.05)


def test_twist_scaling_magnifies_about_the_centre(results):
    _, before, after = results["scale"]
    com_before, com_after = centre_of_mass(before), centre_of_mass(after)
    assert np.hypot(*np.subtract(com_after, com_before)) < 1.0
    growth = rms_radius(after, com_after) / rms_radius(before, com_before)
    assert growth == pytest.approx(np.exp(300 * 0.08 / CENTRE), rel=0.1)


def test_main_writes_one_png_per_experiment(tmp_path):
    pytest.importorskip("matplotlib")
    assert twist_demo.main(["--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{k}.png" for k in twist_demo.experiments())
    assert all((tmp_path / n).read_bytes()[:4] == b"\x89PNG" for n in names)


def test_unwritable_output_is_one_line_and_exit_2(tmp_path, capsys):
    """--out naming a file (or a place that cannot be created) ended in a traceback."""
    taken = tmp_path / "file"
    taken.write_text("mine")
    assert twist_demo.main(["--out", str(taken)]) == 2
    err = capsys.readouterr().err
    assert err == f"twist_demo: cannot write to {taken}: File exists\n"  # the reason, without Python's "[Errno 17]"
    assert taken.read_text() == "mine"


def test_an_empty_out_is_refused_as_no_path(capsys):
    """--out "" (an unset shell variable) was "cannot write to : No such file or directory"; the MNIST
    example's and crosscheck's options say it this way."""
    with pytest.raises(SystemExit) as exit_info:
        twist_demo.main(["--out", ""])
    assert exit_info.value.code == 2 and "argument --out: needs a path, got ''" in capsys.readouterr().err
