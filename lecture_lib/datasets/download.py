"""Download Pascal VOC and COCO for users who are online: checked downloads, safe extraction.

The course itself never downloads (its machines are offline; the chapters use
:mod:`lecture_lib.datasets.synthetic` unless ``VOC_ROOT`` / ``COCO_ROOT`` point at real data). These
functions are for readers who want the real datasets:

- :func:`download_url` streams to a temporary name in the target folder, hashes while writing, checks the
  byte count against the server's ``Content-Length`` and the expected checksum, and only then renames the
  file into place (``os.replace``), so an interrupted download never leaves a file that looks complete.
- :func:`extract_archive` reads every member of a tar or zip archive first and refuses the whole archive
  if any member has an absolute path, a ``..`` component, a link whose target leaves ``root``, or is a
  device or FIFO; only then is anything written (tar extraction additionally uses Python's ``"data"``
  filter where available).
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

import hashlib
import os
import stat
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

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


@dataclass(frozen=True)
class Archive:
    """One downloadable file: its URL, file name, checksum (if any is known) and where it unpacks.

    Taught in: chapter "Pascal VOC and COCO".
    """

    url: str
    filename: str
    md5: str | None = None
    base_dir: str = ""


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
    """Hex digest of a file, read in 1 MiB chunks (``algorithm``: any name ``hashlib.new`` accepts).

    Taught in: chapter "Pascal VOC and COCO".
    """
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
    path = Path(path)
    expected = {k: v.lower() for k, v in (("md5", md5), ("sha256", sha256)) if v is not None}
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


def _inside(root: Path, target: Path) -> bool:
    try:
        target.relative_to(root)
    except ValueError:
        return False
    return True


def _check_name(archive: Path, name: str, root: Path) -> None:
    if (
        not name
        or name.startswith(("/", "\\"))
        or PurePosixPath(name).is_absolute()
        or PureWindowsPath(name).is_absolute()
        or PureWindowsPath(name).drive
    ):
        raise ValueError(f"{archive}: member {name!r} has an absolute path; refusing to extract the archive")
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        raise ValueError(f"{archive}: member {name!r} contains '..'; refusing to extract the archive")
    if not _inside(root, (root / name).resolve()):
        raise ValueError(f"{archive}: member {name!r} would be written outside {root}; refusing to extract")


def _check_tar_member(archive: Path, member: tarfile.TarInfo, root: Path) -> None:
    _check_name(archive, member.name, root)
    if member.issym() or member.islnk():
        link = member.linkname
        if link.startswith(("/", "\\")) or PureWindowsPath(link).drive:
            raise ValueError(
                f"{archive}: link {member.name!r} -> {link!r} points to an absolute path; refusing"
            )
        # a symbolic link is relative to its own folder, a hard link to the archive's root
        start = (root / member.name).parent if member.issym() else root
        if not _inside(root, (start / link).resolve()):
            raise ValueError(
                f"{archive}: link {member.name!r} -> {link!r} leaves {root}; refusing to extract"
            )
    elif not (member.isfile() or member.isdir()):
        raise ValueError(f"{archive}: member {member.name!r} is a device or FIFO; refusing to extract")


def extract_archive(archive: str | os.PathLike, root: str | os.PathLike) -> Path:
    """Extract a tar (plain, gz, bz2, xz) or zip archive into ``root`` after checking every member.

    The whole archive is refused, before anything is written, if a member has an absolute path, a ``..``
    component, would land outside ``root``, is a link whose target leaves ``root`` (or any link, in a zip),
    or is a device or FIFO. Zip members' CRC-32 are verified first (``testzip``). Returns ``root``.

    Taught in: chapter "Pascal VOC and COCO".
    """
    archive = Path(archive)
    root_path = Path(root)
    root_path.mkdir(parents=True, exist_ok=True)
    root_resolved = root_path.resolve()
    if not archive.is_file():
        raise FileNotFoundError(f"{archive}: archive does not exist")
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _check_name(archive, info.filename, root_resolved)
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise ValueError(
                        f"{archive}: member {info.filename!r} is a symbolic link; refusing to extract"
                    )
            bad = zf.testzip()
            if bad is not None:
                raise ValueError(f"{archive}: member {bad!r} fails its CRC-32 check (corrupted or truncated)")
            zf.extractall(root_resolved)
        return root_path
    try:
        tf = tarfile.open(archive, "r:*")
    except tarfile.TarError as exc:
        raise ValueError(f"{archive}: neither a zip nor a readable tar archive ({exc})") from exc
    with tf:
        members = tf.getmembers()
        for member in members:
            _check_tar_member(archive, member, root_resolved)
        if hasattr(tarfile, "data_filter"):
            tf.extractall(root_resolved, members=members, filter="data")
        else:  # Python without extraction filters: the checks above are the protection
            tf.extractall(root_resolved, members=members)
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
    if year not in VOC_ARCHIVES:
        raise ValueError(f"year={year!r} must be one of {sorted(VOC_ARCHIVES)}")
    entry = VOC_ARCHIVES[year]
    root = Path(root)
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
    if split not in COCO_IMAGES:
        raise ValueError(f"split={split!r} must be one of {sorted(COCO_IMAGES)}")
    if sha256 is not None and not isinstance(sha256, dict):
        raise TypeError(
            f"sha256 must be a dict {{file name: hex digest}} or None, got {type(sha256).__name__}"
        )
    root = Path(root)
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
