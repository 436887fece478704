"""MNIST for the example: an IDX reader, the bundled 5,000 digits, and full MNIST with checksummed downloads."""
import gzip
import hashlib
import http.client
import math
import os
import shutil
import textwrap
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from minigrad.io import atomic_write

FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
BUNDLED = Path(__file__).parent / "data" / "mnist-5k"
# The standard files' MD5s and public mirrors, as torchvision's datasets/mnist.py lists them.
MD5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
       "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
       "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
       "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b9f39c255"}
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(ValueError):
    """Missing, truncated or corrupt data; the message names the file and what is wrong."""


def read_idx(path):
    """Read an IDX file (gzip'd or raw) into an ndarray, checking magic number, rank and size."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (magic bytes {raw[:4].hex() or 'missing'})")
    ndim = raw[3]
    if not 1 <= ndim <= 4 or len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path}: IDX header is truncated or has rank {ndim}")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = math.prod(dims) * dtype.itemsize  # exact: np.prod wraps around in int64
    body = raw[4 + 4 * ndim:]
    if len(body) != expected:
        raise DataError(f"{path}: header says {dims} ({expected} bytes of data) but the file holds {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _find(directory, stem):
    for name in (stem + ".gz", stem):
        if (Path(directory) / name).is_file():
            return Path(directory) / name
    raise DataError(f"{directory}: no {stem}.gz or {stem} found")


def load_dir(directory):
    """The four standard MNIST files from a directory: (train_x, train_y, test_x, test_y)."""
    arrays = {key: read_idx(_find(directory, stem)) for key, stem in FILES.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1:
            raise DataError(f"{directory}: {split} images {images.shape} / labels {labels.shape} are not MNIST-shaped")
        if images.dtype != np.uint8:  # the example scales by 255
            raise DataError(f"{directory}: {split} images must be unsigned bytes as MNIST's are, got {images.dtype}")
        if len(images) != len(labels):
            raise DataError(f"{directory}: {len(images)} {split} images but {len(labels)} labels")
        low, high = (labels.min(), labels.max()) if labels.size else (0, 0)
        if labels.dtype.kind not in "iu" or not 0 <= low <= high <= 9:
            raise DataError(f"{directory}: {split} labels must be digits 0-9, found {labels.dtype} from {low} to {high}")
        if not len(images):  # training divided by the count; testing reported 0 of 0 as 0.00%
            raise DataError(f"{directory}: the {split} files hold no images")
    return arrays["train_images"], arrays["train_labels"], arrays["test_images"], arrays["test_labels"]


def cache_dir():
    """$MINIGRAD_DATA, else the user cache directory (XDG_CACHE_HOME or ~/.cache) / minigrad / mnist."""
    if os.environ.get("MINIGRAD_DATA"):
        return Path(os.environ["MINIGRAD_DATA"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "minigrad" / "mnist"


def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(directory, mirrors=MIRRORS, checksums=MD5, timeout=10.0):
    """Fetch every file missing from ``directory``, trying each mirror in turn. A file lands only
    complete and with the right MD5 (temporary file + rename); a failure leaves nothing behind."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a read-only home, say: the default run falls back like an offline one
        raise DataError(f"cannot create the cache directory {directory}: {e.strerror}") from None
    for name, md5 in checksums.items():
        if (directory / name).is_file() and _md5(directory / name) == md5:
            continue
        failures = []
        for mirror in mirrors:
            try:
                with atomic_write(directory / name) as tmp:
                    with urllib.request.urlopen(mirror + name, timeout=timeout) as response, open(tmp, "wb") as out:
                        shutil.copyfileobj(response, out)
                    actual = _md5(tmp)
                    if actual != md5:
                        raise DataError(f"checksum mismatch (md5 {actual}, expected {md5})")
                break
            except (OSError, ValueError, http.client.HTTPException) as e:  # URLError is an OSError
                failures.append(f"{mirror}: {getattr(e, 'reason', e)}")  # URLError's str wraps its reason in <>
        else:
            raise DataError(f"could not download {name}: " + "; ".join(failures))
    return directory


def load(data="bundled", log=print):
    """(train_x, train_y, test_x, test_y, description) for --data: "bundled", "mnist" or a directory.

    "mnist" uses the cache and downloads what is missing; if that fails it falls back to the
    bundled digits and says so in one line."""
    if data == "bundled":
        return (*load_dir(BUNDLED), "bundled mnist-5k (4,000 train / 1,000 test)")
    if data == "mnist":
        try:
            return (*load_dir(download(cache_dir(), mirrors=MIRRORS)), f"MNIST from {cache_dir()}")
        except DataError as e:
            log(f"full MNIST unavailable ({textwrap.shorten(str(e), 300)}); using the bundled 5,000 digits")
            return (*load_dir(BUNDLED), "bundled mnist-5k (4,000 train / 1,000 test)")
    if not Path(data).is_dir():
        raise DataError(f"--data {data}: not 'bundled', 'mnist' or an existing directory")
    return (*load_dir(data), f"MNIST files from {data}")
