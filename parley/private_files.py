"""Files that hold case data: readable by Parley's own account only, whatever the umask.

Evidence, backups, exports of the directory or of everything held about a person: each
is written 0600 (read and write for the owner, nothing for anyone else), inside a folder
of 0700. A plain ``open()`` under the usual umask of 022 makes files anyone on the host
can read; these functions do not depend on the umask.

No Django here: settings use it for the var folder before Django is set up.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """Make the folder if need be, and make it 0700 (one made earlier, more open, too).

    A folder Parley does not own (given by the operator, say) is left as it is, with a
    warning: refusing to start would be worse than saying so.
    """
    path = Path(path)
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != FOLDER_MODE:
        try:
            path.chmod(FOLDER_MODE)
        except PermissionError:
            logger.warning("%s can be read by other accounts; make it mode 0700", path)
    return path


def private_file_open(path: Path, *, replace: bool = False) -> BinaryIO:
    """A new file opened for writing bytes, 0600. An existing file is refused
    (FileExistsError) unless ``replace``, when it is emptied and made 0600 too."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    descriptor = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "wb")


def is_private_folder(path: Path) -> bool:
    """Whether nobody but its owner may list or enter the folder."""
    return stat.S_IMODE(Path(path).stat().st_mode) & 0o077 == 0
