"""The IDX reader, the bundled digits, and downloads against a server on 127.0.0.1."""
import gzip
import hashlib
import http.server
import os
import socket
import threading

import numpy as np
import pytest

from examples import mnist_data
from examples.mnist_data import BUNDLED, DataError, load_dir, read_idx

SHA256 = {"train-images-idx3-ubyte.gz": "a1eb0ea124b48450c7517a3a89b75d74280f769bd56d399a82504d79416dcc32",
          "train-labels-idx1-ubyte.gz": "42a67fd1d99b69f0e6c3d36f0b35cdee8ca4759aae5de275be2b128427ae5f35",
          "t10k-images-idx3-ubyte.gz": "637ed5adeae399a96ab9a1decf3a18dd385c5e390d861393832e6e3a97819345",
          "t10k-labels-idx1-ubyte.gz": "b3e450bcb4f9a14135630fac882fe90b9e82bb01f2cc83ac9d25aa180c88e923"}


# The IDX format's type codes (LeCun's page): big-endian data of these types
IDX_CODES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def write_idx(path, array, compress=True, code=0x08):
    """An independent IDX writer: magic 0 0 code rank, big-endian uint32 dims, then the data."""
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + np.ascontiguousarray(array, dtype=IDX_CODES[code]).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


def test_bundled_files_are_intact_and_load():
    for name, digest in SHA256.items():
        assert hashlib.sha256((BUNDLED / name).read_bytes()).hexdigest() == digest
    train_x, train_y, test_x, test_y = load_dir(BUNDLED)
    assert train_x.shape == (4000, 28, 28) and test_x.shape == (1000, 28, 28) and train_x.dtype == np.uint8
    assert np.bincount(train_y).tolist() == [400] * 10 and np.bincount(test_y).tolist() == [100] * 10


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("code", sorted(IDX_CODES))
def test_read_idx_round_trip(tmp_path, compress, code):
    """Every IDX type, read into its native-order dtype."""
    signs = 1 if code == 0x08 else (-1) ** np.arange(4)
    a = (np.arange(2 * 3 * 4).reshape(2, 3, 4) * signs).astype(IDX_CODES[code])
    write_idx(tmp_path / "a", a, compress, code)
    b = read_idx(tmp_path / "a")
    assert b.dtype == a.dtype.newbyteorder("=")
    np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("content,message", [
    (b"", r"not an IDX file \(magic bytes missing\)"),
    (b"\x01\x00\x08\x01\x00\x00\x00\x02ab", "not an IDX file"),
    (b"\x00\x01\x08\x01\x00\x00\x00\x02ab", "not an IDX file"),  # the magic's second byte is 0 too
    (b"\x00\x00\x08\x03\x00\x00", "header is truncated"),
    # ranks 1 to 4 only: MNIST's files have 1 and 3; a rank-5 file, complete, is not one of them
    (b"\x00\x00\x08\x05" + b"\x00\x00\x00\x01" * 5 + b"a", "has rank 5"),
    (b"\x00\x00\x08\x00a", "has rank 0"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05abc", r"header says \(5,\) \(5 bytes of data\) but the file holds 3"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x02abc", r"header says \(2,\) \(2 bytes of data\) but the file holds 3"),
    (gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05abc", mtime=0)[:-6], "cannot read"),
    (b"\x1f\x8b\x08garbage", "cannot read"),
    # dimensions whose product is 2^64: in int64 it wrapped to 0 bytes, passed, and reshape failed
    (b"\x00\x00\x08\x04" + b"\x00\x01\x00\x00" * 4, r"header says \(65536, 65536, 65536, 65536\) \(18446744073709551616 bytes"),
])
def test_read_idx_rejects_corrupt_files(tmp_path, content, message):
    (tmp_path / "bad").write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_idx(tmp_path / "bad")


def test_load_dir_checks_counts_and_presence(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 28, 28)), compress=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(2))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((1, 28, 28)))
    with pytest.raises(DataError, match="no t10k-labels-idx1-ubyte"):
        load_dir(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(1))
    with pytest.raises(DataError, match="3 train images but 2 labels"):
        load_dir(tmp_path)


@pytest.mark.parametrize("labels, code, message", [
    (np.array([3, -1]), 0x09, "labels must be digits 0-9, found int8 from -1 to 3"),
    (np.array([3, 10]), 0x08, "labels must be digits 0-9, found uint8 from 3 to 10"),
    (np.array([3.5, 1]), 0x0D, "labels must be digits 0-9, found float32"),
    (np.zeros(0), 0x0D, "labels must be digits 0-9, found float32"),  # the message took min() of nothing
])
def test_load_dir_refuses_labels_that_are_not_digits(tmp_path, labels, code, message):
    """Negative and fractional labels passed (the check was only max > 9): -1 later failed in
    cross_entropy with a traceback, and 3.5 trained as 3."""
    for split in ("train", "t10k"):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", np.zeros((len(labels), 28, 28)))
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", labels, code=code)
    with pytest.raises(DataError, match=message):
        load_dir(tmp_path)


def test_load_dir_refuses_images_that_are_not_28_by_28(tmp_path):
    for split in ("train", "t10k"):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", np.zeros((2, 20, 20)))
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", np.zeros(2))
    with pytest.raises(DataError, match=r"train images \(2, 20, 20\) / labels \(2,\) are not MNIST-shaped"):
        load_dir(tmp_path)


@pytest.mark.parametrize("empty", ["train", "test"])
def test_load_dir_refuses_a_split_without_images(tmp_path, empty):
    """No train images ended the example in a ZeroDivisionError; no test images reported 0.00%."""
    for split, name in (("train", "train"), ("test", "t10k")):
        n = 0 if split == empty else 2
        write_idx(tmp_path / f"{name}-images-idx3-ubyte.gz", np.zeros((n, 28, 28)))
        write_idx(tmp_path / f"{name}-labels-idx1-ubyte.gz", np.zeros(n))
    with pytest.raises(DataError, match=f"the {empty} files hold no images"):
        load_dir(tmp_path)


def test_load_dir_refuses_images_that_are_not_bytes(tmp_path):
    """float32 images passed and were divided by 255 like bytes."""
    for split in ("train", "t10k"):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", np.zeros((2, 28, 28)), code=0x0D)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", np.zeros(2))
    with pytest.raises(DataError, match="train images must be unsigned bytes as MNIST's are, got float32"):
        load_dir(tmp_path)


class Server:
    """A throwaway HTTP server on 127.0.0.1 serving a folder; ``truncate`` cuts every body short."""

    def __init__(self, directory, truncate=False):
        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(directory), **kwargs)

            def log_message(self, *args):
                pass

            def copyfile(self, source, outputfile):
                data = source.read()
                outputfile.write(data[: len(data) // 2] if truncate else data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def mirror():
    server = Server(BUNDLED)
    yield server
    server.close()


def md5s():
    return {name: hashlib.md5((BUNDLED / name).read_bytes()).hexdigest() for name in SHA256}


def dead_url():
    server = Server(BUNDLED)
    server.close()
    return server.url  # nothing listens there any more


def test_download_success_and_second_mirror_fallback(tmp_path, mirror):
    """Into a directory whose parents do not exist yet, as ~/.cache/minigrad/mnist's may not."""
    out = mnist_data.download(tmp_path / "cache" / "minigrad" / "mnist", mirrors=(dead_url(), mirror.url),
                              checksums=md5s(), timeout=5)
    assert sorted(os.listdir(out)) == sorted(SHA256)
    assert load_dir(out)[0].shape == (4000, 28, 28)


def test_a_cached_file_with_the_wrong_checksum_is_fetched_again(tmp_path, mirror):
    name = "train-labels-idx1-ubyte.gz"
    (tmp_path / name).write_bytes(b"a truncated earlier copy")
    mnist_data.download(tmp_path, mirrors=(mirror.url,), checksums=md5s(), timeout=5)
    assert (tmp_path / name).read_bytes() == (BUNDLED / name).read_bytes()


def test_a_cached_file_with_the_right_checksum_is_not_fetched_again(tmp_path):
    """"Needs a network connection once": with the four files cached, no mirror is asked."""
    for name in SHA256:
        (tmp_path / name).write_bytes((BUNDLED / name).read_bytes())
    assert mnist_data.download(tmp_path, mirrors=(dead_url(),), checksums=md5s(), timeout=5) == tmp_path


def test_data_that_is_no_directory_is_refused_naming_the_choices(tmp_path):
    with pytest.raises(DataError, match=r"--data .*nowhere: not 'bundled', 'mnist' or an existing directory"):
        mnist_data.load(str(tmp_path / "nowhere"))
    assert mnist_data.load("bundled")[-1] == "bundled mnist-5k (4,000 train / 1,000 test)"


def test_a_server_that_never_answers_times_out(tmp_path):
    """urlopen without a timeout waits for ever on a server that accepts the connection and says nothing."""
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel completes connections; nobody reads them
    errors = []

    def fetch():
        try:
            mnist_data.download(tmp_path, mirrors=(f"http://127.0.0.1:{silent.getsockname()[1]}/",),
                                checksums=md5s(), timeout=0.5)
        except DataError as e:
            errors.append(str(e))
    try:
        thread = threading.Thread(target=fetch, daemon=True)
        thread.start()
        thread.join(30)
        assert not thread.is_alive(), "download still waiting after 30 s"
    finally:
        silent.close()
    assert len(errors) == 1 and "timed out" in errors[0] and os.listdir(tmp_path) == []


def test_checksum_mismatch_leaves_nothing(tmp_path, mirror):
    wrong = dict(md5s(), **{"train-images-idx3-ubyte.gz": "0" * 32})
    with pytest.raises(DataError, match="checksum mismatch"):
        mnist_data.download(tmp_path, mirrors=(mirror.url,), checksums=wrong, timeout=5)
    assert "train-images-idx3-ubyte.gz" not in os.listdir(tmp_path)
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp")]


def test_server_gone_leaves_nothing(tmp_path):
    with pytest.raises(DataError, match="could not download"):
        mnist_data.download(tmp_path, mirrors=(dead_url(),), checksums=md5s(), timeout=5)
    assert os.listdir(tmp_path) == []


def test_interrupted_transfer_leaves_nothing(tmp_path):
    server = Server(BUNDLED, truncate=True)
    try:
        with pytest.raises(DataError, match="could not download"):
            mnist_data.download(tmp_path, mirrors=(server.url,), checksums=md5s(), timeout=5)
    finally:
        server.close()
    assert os.listdir(tmp_path) == []


def test_full_mnist_falls_back_to_bundled_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    monkeypatch.setattr(mnist_data, "MIRRORS", (dead_url(),))
    lines = []
    *arrays, description = mnist_data.load("mnist", log=lines.append)
    assert arrays[0].shape == (4000, 28, 28) and "bundled" in description
    assert len(lines) == 1 and "using the bundled 5,000 digits" in lines[0]


def test_the_fallback_line_gives_every_mirrors_reason(tmp_path, monkeypatch):
    """The line was cut at 160 characters: offline, the second mirror's reason ended 'Name or servi'."""
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    monkeypatch.setattr(mnist_data, "MIRRORS", (dead_url(), dead_url()))
    lines = []
    mnist_data.load("mnist", log=lines.append)
    assert lines[0].count("Connection refused") == 2 and "<urlopen error" not in lines[0]


def test_a_cache_that_cannot_be_created_falls_back_like_offline(tmp_path, monkeypatch):
    """mkdir's OSError escaped load("mnist"): the run ended with an error instead of the bundled digits."""
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "file" / "mnist"))
    lines = []
    *arrays, description = mnist_data.load("mnist", log=lines.append)
    assert "bundled" in description and len(lines) == 1 and "cannot create the cache directory" in lines[0]


def test_cache_dir_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    assert mnist_data.cache_dir() == tmp_path
    monkeypatch.delenv("MINIGRAD_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert mnist_data.cache_dir() == tmp_path / "minigrad" / "mnist"
