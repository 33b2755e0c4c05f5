"""Download Pascal VOC and COCO for users who are online: checked downloads, safe extraction.

The course itself never downloads (its machines are offline; the chapters use
:mod:`lecture_lib.datasets.synthetic` unless ``VOC_ROOT`` / ``COCO_ROOT`` point at real data). These
functions are for readers who want the real datasets:

- :func:`download_url` streams to a temporary name in the target folder, hashes while writing, checks the
  byte count against the server's ``Content-Length`` and the expected checksum, and only then renames the
  file into place (``os.replace``), so an interrupted download never leaves a file that looks complete.
- :func:`extract_archive` reads every member of a tar or zip archive first and refuses the whole archive
  if any member has an absolute path, a ``..`` component, a link whose target leaves ``root`` (resolved
  through the links the archive itself creates before it, so chains such as ``l2 -> .``,
  ``l1 -> l2/l2/..`` are followed), is a device or FIFO, is encrypted, or if the members' sizes add up to
  more than ``max_bytes``; only then is anything written. This holds on every Python the package supports;
  tar extraction additionally uses Python's ``"data"`` filter where available, as a second line.
- Offline, a ``ConnectionError`` says which URL failed and how to place the file by hand.

What is verified, honestly:

- VOC: MD5 of the tar archives, the values recorded in torchvision's VOC dataset table (the VOC web pages
  themselves list no checksums); a mismatch raises before extraction.
- COCO 2017: the COCO site publishes no checksums. Verified are the byte count against ``Content-Length``
  and, before extraction, the CRC-32 that the ZIP format stores for every member
  (``zipfile.ZipFile.testzip``), which catches truncated or corrupted files but not a deliberately altered
  archive. The SHA-256 of each downloaded zip is written next to it (``<name>.sha256``) and checked on later
  calls; pass ``sha256={file name: hex digest}`` to check against values you trust.

Taught in: chapter "Pascal VOC and COCO" (section "Getting the real data").
"""

from __future__ import annotations

import gzip
import hashlib
import lzma
import os
import re
import stat
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from .._validate import check_bool, check_int, check_path, check_real, describe

__all__ = [
    "COCO_ANNOTATIONS",
    "COCO_IMAGES",
    "VOC_ARCHIVES",
    "Archive",
    "download_coco",
    "download_url",
    "download_voc",
    "extract_archive",
    "file_digest",
]


def _check_url(url: Any) -> str:
    if not isinstance(url, str):
        raise TypeError(f"url={describe(url)} must be a str, not {type(url).__name__}")
    if not urllib.parse.urlsplit(url).scheme or any(c.isspace() for c in url):
        raise ValueError(f"url={url!r} must be a URL with a scheme, such as 'http://...' or 'file:///...'")
    return url


def _check_hex(name: str, value: Any, length: int) -> str | None:
    """None or a hex digest of ``length`` characters (any case)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(
            f"{name}={describe(value)} must be a hex digest (str) or None, not {type(value).__name__}"
        )
    if len(value) != length or re.fullmatch(r"[0-9a-fA-F]*", value) is None:
        raise ValueError(f"{name}={value!r} must be {length} hexadecimal digits")
    return value.lower()


def _check_opener(opener: Any) -> None:
    if opener is not None and not callable(opener):
        raise TypeError(f"opener={describe(opener)} must be callable (url, timeout=...) or None")


@dataclass(frozen=True)
class Archive:
    """One downloadable file: its URL, file name, checksum (if any is known) and where it unpacks.

    Taught in: chapter "Pascal VOC and COCO".
    """

    url: str
    filename: str
    md5: str | None = None
    base_dir: str = ""

    def __post_init__(self) -> None:
        _check_url(self.url)
        if not isinstance(self.filename, str):
            raise TypeError(
                f"filename={describe(self.filename)} must be a str, not {type(self.filename).__name__}"
            )
        if not self.filename or re.search(r"[/\\\x00]", self.filename) or self.filename in (".", ".."):
            raise ValueError(f"filename={self.filename!r} must be a plain file name (no folder, not empty)")
        _check_hex("md5", self.md5, 32)
        if not isinstance(self.base_dir, str):
            raise TypeError(
                f"base_dir={describe(self.base_dir)} must be a str, not {type(self.base_dir).__name__}"
            )
        parts = PurePosixPath(self.base_dir.replace("\\", "/")).parts
        if self.base_dir.startswith(("/", "\\")) or PureWindowsPath(self.base_dir).drive or ".." in parts:
            raise ValueError(f"base_dir={self.base_dir!r} must be a relative folder without '..'")


#: VOC archives (MD5 from torchvision's table). "2007-test" unpacks into the same VOCdevkit/VOC2007.
VOC_ARCHIVES: dict[str, Archive] = {
    "2012": Archive(
        "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",
        "VOCtrainval_11-May-2012.tar",
        "6cd6e144f989b92b3379bac3b3de84fd",
        "VOCdevkit/VOC2012",
    ),
    "2007": Archive(
        "http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtrainval_06-Nov-2007.tar",
        "VOCtrainval_06-Nov-2007.tar",
        "c52e279531787c972589f7e41ab4ae64",
        "VOCdevkit/VOC2007",
    ),
    "2007-test": Archive(
        "http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtest_06-Nov-2007.tar",
        "VOCtest_06-Nov-2007.tar",
        "b6e924de25625d8de591ea690078ad9f",
        "VOCdevkit/VOC2007",
    ),
}

#: COCO 2017 image archives (no published checksum; see the module docstring for what is verified).
COCO_IMAGES: dict[str, Archive] = {
    "train2017": Archive(
        "http://images.cocodataset.org/zips/train2017.zip", "train2017.zip", None, "train2017"
    ),
    "val2017": Archive("http://images.cocodataset.org/zips/val2017.zip", "val2017.zip", None, "val2017"),
}

#: COCO 2017 train and val annotations (instances, keypoints, captions) in one zip.
COCO_ANNOTATIONS = Archive(
    "http://images.cocodataset.org/annotations/annotations_trainval2017.zip",
    "annotations_trainval2017.zip",
    None,
    "annotations",
)

Opener = Callable[..., Any]
_CHUNK = 1 << 20


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks (``algorithm``: any fixed-length name ``hashlib.new``
    accepts, such as "sha256" or "md5").

    ``path`` must be a str or os.PathLike: an int would be taken by ``open`` as a file descriptor (and
    closed), so it is refused.

    Taught in: chapter "Pascal VOC and COCO".
    """
    path = check_path("path", path)
    if not isinstance(algorithm, str):
        raise TypeError(f"algorithm={describe(algorithm)} must be a str such as 'sha256'")
    if algorithm.lower() not in hashlib.algorithms_available or algorithm.lower().startswith("shake"):
        raise ValueError(
            f"algorithm={algorithm!r} is not a fixed-length hash hashlib provides (e.g. 'sha256')"
        )
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download_url(
    url: str,
    path: str | os.PathLike,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    opener: Opener | None = None,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``path`` through a temporary file, verified before it is renamed into place.

    If ``path`` exists and matches the given checksum(s) nothing is downloaded; an existing file with no
    checksum to check against is kept as it is. Raises ``ConnectionError`` when the URL cannot be reached
    (offline, DNS, refused, HTTP error), ``ValueError`` naming the URL, file and both digests when a
    checksum differs, or when fewer bytes than ``Content-Length`` arrived. ``opener(url, timeout=...)``
    defaults to ``urllib.request.urlopen`` (``file://`` URLs work too).

    Taught in: chapter "Pascal VOC and COCO".
    """
    _check_url(url)
    path = check_path("path", path)
    digests = {"md5": _check_hex("md5", md5, 32), "sha256": _check_hex("sha256", sha256, 64)}
    expected = {k: v for k, v in digests.items() if v is not None}
    _check_opener(opener)
    check_bool("progress", progress)
    check_real("timeout", timeout, 0.0, strict_minimum=True)
    if path.exists():
        if not expected or all(file_digest(path, a) == v for a, v in expected.items()):
            return path
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = urllib.request.urlopen if opener is None else opener
    try:
        response = opener(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise ConnectionError(f"{url}: the server answered HTTP {exc.code} ({exc.reason})") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConnectionError(
            f"could not download {url} ({reason}). You appear to be offline or the server is unreachable; "
            f"download it by other means and place it at {path} (its checksum is still verified)"
        ) from exc
    hashes = {a: hashlib.new(a) for a in ("md5", "sha256")}
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with response, os.fdopen(fd, "wb") as out:
            length = response.headers.get("Content-Length") if hasattr(response, "headers") else None
            total = int(length) if length is not None else None
            bar = _progress(total, path.name, progress)
            received = 0
            try:
                for block in iter(lambda: response.read(_CHUNK), b""):
                    out.write(block)
                    received += len(block)
                    for h in hashes.values():
                        h.update(block)
                    bar.update(len(block))
            finally:
                bar.close()
        if total is not None and received != total:
            raise ValueError(
                f"{url}: received {received} bytes but Content-Length is {total} (truncated download)"
            )
        for algorithm, value in expected.items():
            actual = hashes[algorithm].hexdigest()
            if actual != value:
                raise ValueError(
                    f"{url}: {algorithm} of the downloaded {path.name} is {actual}, expected {value}; "
                    "the file was not kept"
                )
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _progress(total: int | None, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, disable=not enabled)


# --------------------------------------------------------------------------------------- extraction

#: The most an archive may hold once extracted, summed over its members' sizes: 64 GiB (COCO's
#: train2017.zip, the largest archive here, holds 19 GB). Pass ``max_bytes`` to change it.
MAX_EXTRACTED_BYTES = 64 * 2**30
_MAX_LINK_HOPS = 40  # as the kernel's ELOOP limit
_SEPARATORS = r"[/\\]" if os.name == "nt" else "/"
# what a broken compressed stream raises inside tarfile (an OSError without errno is a codec's, not the disk's)
_STREAM_ERRORS = (EOFError, tarfile.TarError, zlib.error, lzma.LZMAError, gzip.BadGzipFile)


def _inside(root: Path, target: Path) -> bool:
    try:
        target.relative_to(root)
    except ValueError:
        return False
    return True


def _is_absolute(name: str) -> bool:
    return (
        name.startswith(("/", "\\"))
        or PurePosixPath(name).is_absolute()
        or PureWindowsPath(name).is_absolute()
        or bool(PureWindowsPath(name).drive)
    )


def _check_name(archive: Path, name: str, root: Path) -> None:
    if not name or "\x00" in name or _is_absolute(name):
        raise ValueError(f"{archive}: member {name!r} has an absolute path; refusing to extract the archive")
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        raise ValueError(f"{archive}: member {name!r} contains '..'; refusing to extract the archive")
    if not _inside(root, (root / name).resolve()):
        raise ValueError(f"{archive}: member {name!r} would be written outside {root}; refusing to extract")


def _components(name: str) -> list[str]:
    return [p for p in re.split(_SEPARATORS, name) if p not in ("", ".")]


class _TarPlan:
    """The tree a tar archive builds under ``root``, member after member, simulated without writing.

    ``links`` holds the symbolic links the archive has created so far (canonical path relative to root ->
    target), ``plain`` the files and folders; links already on disk under ``root`` are read with
    ``os.readlink``. :meth:`resolve` follows a path through all of them, as the kernel will during
    extraction, and refuses it when it leaves ``root``.
    """

    def __init__(self, archive: Path, root: Path) -> None:
        self.archive, self.root = archive, root
        self.links: dict[str, str] = {}
        self.plain: set[str] = set()

    def _refuse(self, member: str, why: str) -> ValueError:
        return ValueError(f"{self.archive}: member {member!r} {why}; refusing to extract the archive")

    def resolve(self, parts: list[str], member: str, follow_last: bool = True) -> list[str]:
        """The canonical components (relative to ``root``) that ``parts`` lead to, links followed."""
        todo = list(reversed(parts))  # a stack: the next component is at the end
        here: list[str] = []
        hops = 0
        while todo:
            part = todo.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if not here:
                    raise self._refuse(member, f"leaves {self.root} (links followed)")
                here.pop()
                continue
            key = "/".join([*here, part])
            on_disk = key not in self.links and key not in self.plain and os.path.islink(self.root / key)
            if (key in self.links or on_disk) and (todo or follow_last):
                hops += 1
                if hops > _MAX_LINK_HOPS:
                    raise self._refuse(member, f"passes through more than {_MAX_LINK_HOPS} links (a loop)")
                target = self.links[key] if key in self.links else os.readlink(self.root / key)
                if _is_absolute(target):
                    real = Path(os.path.realpath(target))
                    if key in self.links or not _inside(self.root, real):
                        raise self._refuse(member, f"leaves {self.root} through the link {key!r}")
                    here = list(real.relative_to(self.root).parts)
                    continue
                todo.extend(reversed(re.split(_SEPARATORS, target)))
                continue
            here.append(part)
        return here

    def add(self, member: tarfile.TarInfo) -> None:
        """Check one member against the tree built so far, then add it to the tree."""
        parts = _components(member.name)
        if member.issym() or member.islnk():
            link = member.linkname
            kind = "symbolic link" if member.issym() else "hard link"
            if not link or "\x00" in link or _is_absolute(link):
                raise self._refuse(member.name, f"is a {kind} to the absolute path {link!r}")
        if member.issym():
            if not parts:
                raise self._refuse(member.name, "is a symbolic link in place of the extraction folder")
            parent = self.resolve(parts[:-1], member.name)
            # a symbolic link is relative to its own folder; its target must stay inside, links followed
            self.resolve([*parent, *re.split(_SEPARATORS, member.linkname)], member.name)
            key = "/".join([*parent, parts[-1]])
            self.links[key] = member.linkname
            self.plain.discard(key)
            return
        if member.islnk():  # a hard link names another member, relative to the archive's root
            self.resolve(re.split(_SEPARATORS, member.linkname), member.name)
        elif not (member.isfile() or member.isdir()):
            raise self._refuse(member.name, "is a device or FIFO")
        # files are opened (and folders made) through any link at their own name: follow it too
        self.plain.add("/".join(self.resolve(parts, member.name)))


def _check_total(archive: Path, total: int, max_bytes: int) -> None:
    if total > max_bytes:
        raise ValueError(
            f"{archive}: members would take {total} bytes once extracted, more than max_bytes={max_bytes}; "
            "refusing to extract the archive (pass a larger max_bytes if you trust it)"
        )


def _extract_tar(archive: Path, root: Path, max_bytes: int) -> None:
    try:
        tf = tarfile.open(archive, "r:*")
    except tarfile.ReadError as exc:
        raise ValueError(f"{archive}: neither a zip nor a readable tar archive ({exc})") from exc
    except (*_STREAM_ERRORS, OSError) as exc:  # a compressed stream cut short or corrupted in its first block
        raise ValueError(
            f"{archive}: truncated or corrupted tar archive ({type(exc).__name__}: {exc})"
        ) from exc
    with tf:
        plan, sizes, total, members = _TarPlan(archive, root), {}, 0, []
        try:
            # header after header: each is checked, and the sizes so far capped, before the stream is read
            # past its data to the next header (on a compressed stream that means decompressing it)
            while (member := tf.next()) is not None:
                _check_name(archive, member.name, root)
                plan.add(member)
                # tarfile copies exactly member.size bytes per file (a hard link may copy its target's)
                size = (
                    sizes.get(member.linkname, 0) if member.islnk() else member.size if member.isfile() else 0
                )
                sizes[member.name] = size
                total += size
                _check_total(archive, total, max_bytes)
                members.append(member)
        except (*_STREAM_ERRORS, OSError) as exc:
            raise ValueError(
                f"{archive}: truncated or corrupted tar archive ({type(exc).__name__}: {exc})"
            ) from exc
        try:
            if hasattr(tarfile, "data_filter"):  # a second line of defence where Python has it
                tf.extractall(root, members=members, filter="data")
            else:  # Python 3.10.0-3.10.11, 3.11.0-3.11.3: the plan above is the protection
                tf.extractall(root, members=members)
        except _STREAM_ERRORS as exc:
            raise ValueError(f"{archive}: extraction failed ({type(exc).__name__}: {exc})") from exc
        except OSError as exc:
            if exc.errno is not None:  # the disk's error (full, read-only...): keep it, with the archive
                raise
            raise ValueError(f"{archive}: corrupted compressed stream ({exc})") from exc


_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def _extract_zip(archive: Path, root: Path, max_bytes: int) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{archive}: unreadable zip archive ({exc})") from exc
    with zf:
        infos = zf.infolist()
        files = set()
        for info in infos:
            _check_name(archive, info.filename, root)
            where = f"{archive}: member {info.filename!r}"
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ValueError(f"{where} is a symbolic link; refusing to extract")
            if info.flag_bits & 0x1:
                raise ValueError(f"{where} is encrypted (password-protected); refusing to extract")
            if info.compress_type not in _ZIP_METHODS:
                raise ValueError(f"{where} uses compression method {info.compress_type}, which zipfile lacks")
            if not info.is_dir():
                files.add("/".join(_components(info.filename)))
        for name in files:
            parts = name.split("/")
            for k in range(1, len(parts)):
                if "/".join(parts[:k]) in files:
                    raise ValueError(f"{archive}: {'/'.join(parts[:k])!r} is both a file and a folder")
        _check_total(archive, sum(i.file_size for i in infos if not i.is_dir()), max_bytes)
        try:
            bad = zf.testzip()  # decompresses everything once: at most the declared sizes
        except (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
            raise ValueError(f"{archive}: corrupted or truncated zip archive ({exc})") from exc
        if bad is not None:
            raise ValueError(f"{archive}: member {bad!r} fails its CRC-32 check (corrupted or truncated)")
        for info in infos:
            try:
                _write_zip_member(zf, info, root)
            except (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError) as exc:
                raise ValueError(f"{archive}: member {info.filename!r} is corrupted ({exc})") from exc
            except ValueError as exc:
                raise ValueError(f"{archive}: {exc}") from None


def _write_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path) -> None:
    """Write one (checked) member, counting its bytes: more than its header declares stops it at once."""
    target = root.joinpath(*_components(info.filename))
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(info) as source, open(target, "wb") as out:
        for block in iter(lambda: source.read(_CHUNK), b""):
            written += len(block)
            if written > info.file_size:
                raise ValueError(
                    f"member {info.filename!r} holds more than its declared {info.file_size} bytes; "
                    "extraction stopped"
                )
            out.write(block)
    if written != info.file_size:
        raise ValueError(
            f"member {info.filename!r} holds {written} bytes, its header declares {info.file_size}"
        )


def extract_archive(
    archive: str | os.PathLike, root: str | os.PathLike, *, max_bytes: int = MAX_EXTRACTED_BYTES
) -> Path:
    """Extract a tar (plain, gz, bz2, xz) or zip archive into ``root`` after checking every member.

    The whole archive is refused with a ``ValueError`` naming it and the member, before anything is
    written, if a member has an absolute path, a ``..`` component, would land outside ``root``, is a link
    whose target leaves ``root`` (links resolved through the links earlier members create, and through links
    already under ``root``), is any link in a zip, is a device or FIFO, is an encrypted zip member, or if the
    members' declared sizes add up to more than ``max_bytes``. While a zip member is written its bytes are
    counted, so a member holding more than its header declares is stopped (a tar member is copied for
    exactly its declared size by ``tarfile``). Zip members' CRC-32 are verified first (``testzip``). A
    truncated or corrupted archive raises ``ValueError`` naming it. Returns ``root``.

    Taught in: chapter "Pascal VOC and COCO".
    """
    archive = check_path("archive", archive)
    root_path = check_path("root", root)
    max_bytes = check_int("max_bytes", max_bytes, minimum=0)
    if not archive.is_file():
        raise FileNotFoundError(f"{archive}: archive does not exist")
    root_path.mkdir(parents=True, exist_ok=True)
    root_resolved = root_path.resolve()
    if zipfile.is_zipfile(archive):
        _extract_zip(archive, root_resolved, max_bytes)
    else:
        _extract_tar(archive, root_resolved, max_bytes)
    return root_path


# ----------------------------------------------------------------------------------------- datasets


def download_voc(
    root: str | os.PathLike, year: str = "2012", *, opener: Opener | None = None, progress: bool = True
) -> Path:
    """Download and extract a Pascal VOC archive into ``root``; returns ``root/VOCdevkit/VOC<year>``.

    ``year``: "2012" (trainval, about 2 GB), "2007" (trainval) or "2007-test". The MD5 is checked before
    extraction; a marker file ``root/<archive>.extracted`` makes a second call return at once.
    Then ``VOCSegmentation(root, year=...)`` and ``VOCDetection(root, year=...)`` read it.

    Taught in: chapter "Pascal VOC and COCO".
    """
    root = check_path("root", root)
    if not isinstance(year, str) or year not in VOC_ARCHIVES:
        raise ValueError(f"year={describe(year)} must be one of {sorted(VOC_ARCHIVES)}")
    _check_opener(opener)
    check_bool("progress", progress)
    entry = VOC_ARCHIVES[year]
    base = root / entry.base_dir
    marker = root / f"{entry.filename}.extracted"
    if marker.is_file() and base.is_dir():
        return base
    archive = download_url(entry.url, root / entry.filename, md5=entry.md5, opener=opener, progress=progress)
    extract_archive(archive, root)
    marker.write_text(f"{entry.md5}\n")
    return base


def _checked_zip(
    entry: Archive, root: Path, sha256: dict[str, str], opener: Opener | None, progress: bool
) -> Path:
    path = root / entry.filename
    record = root / f"{entry.filename}.sha256"
    trusted = sha256.get(entry.filename)
    if path.exists() and trusted is None and record.is_file():
        recorded = record.read_text().split()[0]
        if file_digest(path, "sha256") != recorded:
            raise ValueError(
                f"{path}: SHA-256 differs from the one recorded at download time in {record}; delete both "
                "and download again"
            )
    existed = path.exists()
    download_url(entry.url, path, sha256=trusted, opener=opener, progress=progress)
    if not existed or trusted is not None or not record.is_file():  # a new (or re-verified) file: record it
        record.write_text(f"{file_digest(path, 'sha256')}  {entry.filename}\n")
    return path


def download_coco(
    root: str | os.PathLike,
    split: str = "val2017",
    *,
    annotations: bool = True,
    sha256: dict[str, str] | None = None,
    opener: Opener | None = None,
    progress: bool = True,
) -> tuple[Path, Path]:
    """Download and extract COCO 2017 images (and annotations) into ``root``.

    ``split``: "val2017" (5,000 images, about 1 GB) or "train2017" (118,287 images, about 18 GB).
    Returns ``(root/<split>, root/annotations/instances_<split>.json)``, the arguments of
    ``CocoDetection``. See the module docstring for what is verified (no official checksum exists).

    Taught in: chapter "Pascal VOC and COCO".
    """
    root = check_path("root", root)
    if not isinstance(split, str) or split not in COCO_IMAGES:
        raise ValueError(f"split={describe(split)} must be one of {sorted(COCO_IMAGES)}")
    check_bool("annotations", annotations)
    if sha256 is not None and not isinstance(sha256, dict):
        raise TypeError(
            f"sha256 must be a dict {{file name: hex digest}} or None, got {type(sha256).__name__}"
        )
    for name, digest in (sha256 or {}).items():
        if not isinstance(name, str):
            raise TypeError(f"sha256 keys must be file names (str); got {describe(name)}")
        _check_hex(f"sha256[{name!r}]", digest, 64)
    _check_opener(opener)
    check_bool("progress", progress)
    root.mkdir(parents=True, exist_ok=True)
    entries = [COCO_IMAGES[split]] + ([COCO_ANNOTATIONS] if annotations else [])
    for entry in entries:
        marker = root / f"{entry.filename}.extracted"
        if marker.is_file() and (root / entry.base_dir).is_dir():
            continue
        archive = _checked_zip(entry, root, sha256 or {}, opener, progress)
        extract_archive(archive, root)
        marker.write_text("extracted\n")
    return root / split, root / "annotations" / f"instances_{split}.json"
