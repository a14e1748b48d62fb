"""Safe report output: atomic writes, a manifest of what pyqgd wrote, and all-or-nothing report folders.

Three guarantees, for the CLI and for anyone writing reports from Python:

* **Atomic files** — :func:`atomic_write_bytes` / :func:`atomic_write_text` write to a temporary file in the target's
  own folder, ``fsync`` it and ``os.replace`` it over the target (a rename within one file system is atomic on POSIX
  and Windows): a reader sees the old file or the new one, never a truncated one, even on a full disk or a kill.
* **Never overwrite a foreign file** — every folder pyqgd writes into holds a manifest (:data:`MANIFEST`) with the
  SHA-256 of each file pyqgd wrote there. A file that exists but is not in the manifest, or whose content changed
  since pyqgd wrote it, belongs to the user: :class:`OutputDir` refuses to replace it unless ``force=True``.
* **A killed run leaves the previous complete report or none** — :meth:`OutputDir.transaction` stages every file of
  a run in a hidden folder next to the targets; only when all are written does the commit (1) remove the previous
  run's *index* file (e.g. ``report.json``), (2) mark the manifest incomplete, listing old and new content, (3)
  remove the previous run's other files, (4) rename the new files in except the index, (5) write the manifest of the
  new files, (6) rename the index in. Killed before step 1: the previous report is untouched; killed during steps
  1–6: there is no index file, i.e. no report.
  :func:`report_state` tells the two apart.
* **One run per folder** — :meth:`OutputDir.check` (and :meth:`OutputDir.transaction`) take an exclusive lock on the
  folder (``flock`` on the folder itself: no lock file is left behind) held until the run ends; a second run into the
  same folder is refused with a clear :class:`OutputError` instead of removing the first one's staging files. Under
  the lock, stale staging folders and temporary files of a killed run are removed.
* **A user's edit is never lost** — a file listed in the manifest whose content differs from what pyqgd wrote is the
  user's: it is neither replaced nor deleted (a run that would remove it, e.g. ``demo`` after ``estimate`` into the
  same folder, is refused) unless ``force=True``.

Library code: nothing here prints.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from glob import escape as glob_escape
from pathlib import Path

__all__ = [
    "MANIFEST",
    "MIN_FREE_BYTES",
    "OutputError",
    "OutputDir",
    "atomic_savefig",
    "atomic_write_bytes",
    "atomic_write_text",
    "report_state",
]

#: Name of the manifest file in every output folder pyqgd writes into.
MANIFEST = ".pyqgd-manifest.json"
#: Free space an output folder must have before a run starts (a report and its plots take a few MB).
MIN_FREE_BYTES = 50 * 2**20
_STAGING_PREFIX = ".pyqgd-staging-"


class OutputError(ValueError):
    """The output folder cannot take the run's files (not a folder, not writable, full, or holds a user's file)."""


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not supported on every platform / file system
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, ``os.replace``).

    On any error the temporary file is removed and ``path`` keeps its previous content (or stays absent).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report gets the permissions of a normal file
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path, text: str) -> Path:
    """:func:`atomic_write_bytes` of ``text`` encoded as UTF-8."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_savefig(fig, path, **savefig_kwargs) -> Path:
    """``fig.savefig`` into memory, then :func:`atomic_write_bytes` (format from ``path``'s suffix unless given):
    a full disk or a kill never leaves a truncated image."""
    import io as _io

    path = Path(path)
    buf = _io.BytesIO()
    savefig_kwargs.setdefault("format", path.suffix.lstrip(".") or "png")
    fig.savefig(buf, **savefig_kwargs)
    return atomic_write_bytes(path, buf.getvalue())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (read-only folder or file system)"
    return exc.strerror or str(exc)


class OutputDir:
    """A folder that receives one run's files under the guarantees of the module docstring.

    ``check(names)`` validates everything that can be validated before a long run (call it first);
    ``transaction(index)`` yields a staging folder to write into and commits it atomically on success.
    """

    def __init__(self, path, *, force: bool = False, option: str = "--out"):
        self.path = Path(path)
        self.force = bool(force)
        self.option = option
        self._lock_fd: int | None = None

    # ---- the lock -------------------------------------------------------------------------------------------
    def lock(self) -> None:
        """Take the folder's exclusive lock (kept until :meth:`unlock` or the process ends); raise
        :class:`OutputError` when another run holds it. Idempotent."""
        if self._lock_fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise OutputError(f"{self.option} {self.path}: cannot open the folder ({_describe(exc)}); choose a "
                              "writable folder") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputError(f"{self.option} {self.path} is in use by another pyqgd run; wait until it finishes or "
                              "choose another folder") from None
        self._lock_fd = fd
        self._clean_stale()

    def unlock(self) -> None:
        """Release the lock taken by :meth:`lock` (closing the folder's descriptor)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __del__(self):
        with contextlib.suppress(Exception):
            self.unlock()

    # ---- manifest -------------------------------------------------------------------------------------------
    def _manifest(self) -> dict:
        f = self.path / MANIFEST
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
            files, previous = data.get("files", {}), data.get("previous", {})
            if not isinstance(files, dict) or not isinstance(previous, dict):
                raise ValueError
            return {"files": {str(k): str(v) for k, v in files.items()},
                    "previous": {str(k): str(v) for k, v in previous.items()},
                    "complete": bool(data.get("complete", True))}
        except FileNotFoundError:
            return {"files": {}, "previous": {}, "complete": True}
        except (OSError, ValueError, AttributeError):
            raise OutputError(f"{f} is damaged; delete it (pyqgd then treats every file in {self.path} as yours) "
                              "or choose another --out") from None

    def _write_manifest(self, files: dict, complete: bool, previous: dict | None = None) -> None:
        data = {"tool": "pyqgd", "complete": complete, "files": dict(sorted(files.items()))}
        if previous:
            data["previous"] = dict(sorted(previous.items()))
        atomic_write_text(self.path / MANIFEST, json.dumps(data, indent=2))

    def foreign(self, names, *, removed: bool = True) -> list[str]:
        """Those of ``names`` that exist in the folder but were not written by pyqgd (or were edited since); with
        ``removed`` also the files of the manifest (which a commit replaces or deletes) edited since pyqgd wrote them."""
        manifest = self._manifest()
        owned, previous = manifest["files"], manifest["previous"]
        out = []
        names = list(names)
        if removed:
            names += [name for name in owned if name not in names and (self.path / name).exists()]
        for name in names:
            f = self.path / name
            if not (f.exists() or f.is_symlink()):
                continue
            if f.is_symlink() or not f.is_file() or (name not in owned and name not in previous):
                out.append(name)
                continue
            with contextlib.suppress(OSError):
                # during an interrupted commit a file may still hold the previous run's content
                if _sha256(f) not in (owned.get(name), previous.get(name)):
                    out.append(name)
        return out

    # ---- up-front validation --------------------------------------------------------------------------------
    def check(self, names=()) -> None:
        """Raise :class:`OutputError` (one line, what to do) unless the run can write ``names`` here.

        Checks: the path is a folder or can be created; a probe file can be written and removed; at least
        :data:`MIN_FREE_BYTES` are free; none of ``names`` is a user's file (unless ``force``).
        """
        p = self.path
        if p.exists() and not p.is_dir():
            raise OutputError(f"{self.option} {p} is a file, not a folder; choose a folder path")
        existing = p
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise OutputError(f"{self.option} {p}: {existing} is a file, not a folder; choose another path")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(f"{self.option} {p}: cannot write into {existing} (permission denied); choose a "
                              "writable folder")
        if shutil.disk_usage(existing).total == 0:
            raise OutputError(f"{self.option} {p}: {existing} is on a virtual file system (such as /proc or /sys) "
                              "that cannot hold files; choose a folder on a disk")
        free = self.free_bytes(existing)
        if free < MIN_FREE_BYTES:
            raise OutputError(f"{self.option} {p}: only {free / 2**20:.1f} MiB free on its disk (a report needs "
                              f"~{MIN_FREE_BYTES / 2**20:.0f} MiB); free some space or choose another folder")
        try:
            p.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".pyqgd-probe-", dir=p)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise OutputError(f"{self.option} {p}: cannot write there ({_describe(exc)}); choose a writable "
                              "folder") from None
        self.lock()
        self._manifest()  # raises if damaged
        self._check_foreign(names)

    @staticmethod
    def free_bytes(folder) -> int:
        """Free bytes on the file system holding ``folder``."""
        return shutil.disk_usage(folder).free

    def _check_foreign(self, names) -> None:
        if self.force:
            return
        foreign = self.foreign(names)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise OutputError(f"{self.option} {self.path} already holds {shown}, not written by pyqgd (or edited "
                              "since); this run would replace or delete it: choose another folder, move the file(s), "
                              "or pass --force to replace them")

    def _clean_stale(self) -> None:
        """Remove what a killed run left (only under the lock): staging folders, probe files and the temporary files
        of :func:`atomic_write_bytes` (``.<name>.<random>.tmp``) of the manifest and of the files it lists."""
        for d in self.path.glob(_STAGING_PREFIX + "*"):
            with contextlib.suppress(OSError):
                shutil.rmtree(d)
        try:
            owned = set(self._manifest()["files"])
        except OutputError:
            owned = set()
        for name in owned | {MANIFEST}:
            for f in self.path.glob(f".{glob_escape(name)}.*.tmp"):
                with contextlib.suppress(OSError):
                    f.unlink()
        for f in self.path.glob(".pyqgd-probe-*"):
            with contextlib.suppress(OSError):
                f.unlink()

    # ---- the transaction ------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, index: str):
        """Yield a staging folder; on normal exit commit its files into this folder (module docstring, steps 1–6).

        ``index`` is the file whose presence marks a complete report (e.g. ``"report.json"``); it must be among
        the staged files. On an exception nothing in the folder changes and the staging folder is removed.
        OSErrors (full disk, permissions) are raised as :class:`OutputError`.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.option} {self.path}: cannot create the folder ({_describe(exc)})") from None
        self.lock()
        try:
            staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.path))
        except OSError as exc:
            raise OutputError(f"{self.option} {self.path}: cannot write there ({_describe(exc)})") from None
        try:
            yield staging
            self._commit(staging, index)
        except OSError as exc:
            raise OutputError(f"{self.option} {self.path}: writing the report failed ({_describe(exc)}); the "
                              "previous report, if any, is unchanged") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _commit(self, staging: Path, index: str) -> list[Path]:
        new = sorted(f.name for f in staging.iterdir() if f.is_file())
        if index not in new:
            raise ValueError(f"the staged report has no {index}")
        self._check_foreign(new)  # names only known now (e.g. plots) are checked again before anything changes
        for name in new:  # make the staged files durable before any rename
            fd = os.open(staging / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        hashes = {name: _sha256(staging / name) for name in new}
        old = self._manifest()["files"]
        # 1. the previous report stops being one: its index goes first
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path / index)
        # 2. the manifest claims old and new content of every name (an interrupted commit leaves nothing that a
        #    later run would call foreign)
        self._write_manifest({**old, **hashes}, complete=False, previous=old)
        # 3. remove the previous run's other files that this run does not replace
        for name in old:
            if name not in hashes:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path / name)
        _fsync_dir(self.path)
        # 4. rename the new files in, except the index
        for name in new:
            if name != index:
                os.replace(staging / name, self.path / name)
        # 5. the manifest lists exactly the new files; 6. the index appears last: the report is complete
        self._write_manifest(hashes, complete=True)
        os.replace(staging / index, self.path / index)
        _fsync_dir(self.path)
        return [self.path / name for name in new]


def report_state(path, index: str = "report.json") -> str:
    """"complete" (the index file and every file in the manifest are there with their recorded hashes), "none"
    (no index file) or "inconsistent" (an index file next to missing or altered files — must never happen)."""
    path = Path(path)
    if not (path / index).is_file():
        return "none"
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "inconsistent"
    if not data.get("complete") or index not in data.get("files", {}):
        return "inconsistent"
    for name, digest in data["files"].items():
        f = path / name
        if not f.is_file() or _sha256(f) != digest:
            return "inconsistent"
    return "complete"
