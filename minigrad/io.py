"""Writing files whole or not at all (every file the project writes goes through ``atomic_write``),
and reading the .npz files it writes."""
import contextlib
import os
import stat
import tempfile
import zipfile

import numpy as np


def _new_file_mode(path):
    """The mode open() would leave: an existing file's own, else 0o666 less the umask (mkstemp's
    temporary is 0o600, which made every checkpoint and plot unreadable to the user's group)."""
    with contextlib.suppress(FileNotFoundError):
        return stat.S_IMODE(os.stat(path).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(path, suffix=""):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    ``suffix`` keeps the temporary name's ending for writers that insist on one (np.savez adds
    ".npz" to names without it). A failure leaves ``path`` as it was and no temporary behind.
    A symbolic link is written through, as open(path, "w") would: the rename replaces its target.
    """
    path = os.fspath(path)
    if not path:  # realpath would make it the working directory
        raise FileNotFoundError("cannot write '': the path is empty")
    target = os.path.realpath(path)  # renaming onto the link itself would swap it for a plain file
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path}: directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    except OSError as e:  # name the file asked for, not the temporary one
        raise OSError(e.errno, f"cannot write {path}: {e.strerror}") from e
    os.close(fd)
    try:
        yield tmp
        try:
            with open(tmp, "rb+") as f:  # data on disk before the rename: after a crash, old file or new
                os.fsync(f.fileno())
            os.chmod(tmp, _new_file_mode(target))
            os.replace(tmp, target)
        except OSError as e:  # path is a directory, say
            raise OSError(e.errno, f"cannot write {path}: {e.strerror}") from e
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


class NotAnNpzFile(ValueError):
    pass


def load_npz(path):
    """The named arrays of an .npz file, pickles refused. np.load alone returns a bare array for a
    .npy file and reports any other file as pickled data: those raise NotAnNpzFile naming the path."""
    if not isinstance(path, (str, bytes, os.PathLike)):  # open() takes an int for a descriptor, and closes it
        raise TypeError(f"not a path: {path!r} (the path of an .npz file: a str or os.PathLike)")
    with open(path, "rb") as f:
        if not zipfile.is_zipfile(f):
            raise NotAnNpzFile(f"{path}: not an .npz file (np.savez writes one, named arrays in a zip; "
                               f"np.save writes a single .npy array)")
        f.seek(0)
        with np.load(f, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
