"""Tests of lecture_lib.datasets.download with local files (file:// URLs, fake openers), never the network."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import time
import urllib.error
import zipfile
from pathlib import Path

import pytest

from lecture_lib.datasets import coco, download, synthetic, voc


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _no_network(*args, **kwargs):
    raise AssertionError("the network was used")


class FakeResponse(io.BytesIO):
    """What urlopen returns, with a Content-Length header that may lie."""

    def __init__(self, data: bytes, length: int | None = None) -> None:
        super().__init__(data)
        self.headers = {} if length is None else {"Content-Length": str(length)}


def _tar(path: Path, members: list[tuple[str, bytes | None, str | None, bytes]]) -> Path:
    """members: (name, data, linkname, type) with type tarfile.REGTYPE / SYMTYPE / LNKTYPE."""
    with tarfile.open(path, "w") as tf:
        for name, data, link, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if link is not None:
                info.linkname = link
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


# ----------------------------------------------------------------------------------- download_url


def test_tables_hold_the_official_names():
    for entry in download.VOC_ARCHIVES.values():
        assert entry.url.startswith("http://host.robots.ox.ac.uk/pascal/VOC/voc20")
        assert entry.url.endswith("/" + entry.filename) and len(entry.md5) == 32
    assert download.VOC_ARCHIVES["2012"].filename == "VOCtrainval_11-May-2012.tar"
    for split, entry in download.COCO_IMAGES.items():
        assert entry.url == f"http://images.cocodataset.org/zips/{split}.zip" and entry.md5 is None
    assert download.COCO_ANNOTATIONS.url.endswith("/annotations/annotations_trainval2017.zip")


def test_download_file_url_with_checksums(tmp_path):
    source = tmp_path / "src.bin"
    source.write_bytes(b"course data" * 1000)
    dest = tmp_path / "out" / "data.bin"
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    got = download.download_url(source.as_uri(), dest, md5=_md5(source), sha256=sha, progress=False)
    assert got == dest and dest.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["data.bin"]  # no temporary file left
    # a second call finds the verified file and does not open the URL
    download.download_url(source.as_uri(), dest, md5=_md5(source), opener=_no_network, progress=False)
    assert download.file_digest(dest, "md5") == _md5(source)


def test_wrong_checksum_keeps_nothing(tmp_path):
    source = tmp_path / "src.bin"
    source.write_bytes(b"abc")
    dest = tmp_path / "out" / "data.bin"
    with pytest.raises(ValueError, match=r"src\.bin: md5 of the downloaded data\.bin is .* expected 0{32}"):
        download.download_url(source.as_uri(), dest, md5="0" * 32, progress=False)
    assert list(dest.parent.iterdir()) == []


def test_existing_file_with_wrong_checksum_is_replaced(tmp_path):
    source = tmp_path / "src.bin"
    source.write_bytes(b"good")
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"stale")
    download.download_url(source.as_uri(), dest, md5=_md5(source), progress=False)
    assert dest.read_bytes() == b"good"


def test_truncated_download_is_refused(tmp_path):
    dest = tmp_path / "data.bin"

    def opener(url, timeout):
        return FakeResponse(b"12345", length=10)

    with pytest.raises(ValueError, match="received 5 bytes but Content-Length is 10"):
        download.download_url("http://example.invalid/data.bin", dest, opener=opener, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_offline_gives_a_clear_message(tmp_path):
    def offline(url, timeout):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    url = "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar"
    with pytest.raises(ConnectionError, match=r"could not download http://host\.robots.*offline"):
        download.download_url(url, tmp_path / "x.tar", opener=offline, progress=False)

    def not_found(url, timeout):
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    with pytest.raises(ConnectionError, match="HTTP 404"):
        download.download_url(url, tmp_path / "x.tar", opener=not_found, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_missing_local_file_url_is_a_connection_error(tmp_path):
    with pytest.raises(ConnectionError, match="could not download"):
        download.download_url((tmp_path / "absent.tar").as_uri(), tmp_path / "x.tar", progress=False)


# ------------------------------------------------------------------------------------ extraction


def test_extract_tar_and_zip(tmp_path):
    tar = _tar(
        tmp_path / "ok.tar",
        [("top/a.txt", b"A", None, tarfile.REGTYPE), ("top/link", None, "a.txt", tarfile.SYMTYPE)],
    )
    out = tmp_path / "out_tar"
    download.extract_archive(tar, out)
    assert (out / "top" / "a.txt").read_bytes() == b"A" and (out / "top" / "link").read_bytes() == b"A"
    with zipfile.ZipFile(tmp_path / "ok.zip", "w") as zf:
        zf.writestr("dir/b.txt", b"B")
    download.extract_archive(tmp_path / "ok.zip", tmp_path / "out_zip")
    assert (tmp_path / "out_zip" / "dir" / "b.txt").read_bytes() == b"B"


@pytest.mark.parametrize(
    "member, message",
    [
        (("../evil", b"x", None, tarfile.REGTYPE), r"'\.\./evil' contains '\.\.'"),
        (("ok/../../evil", b"x", None, tarfile.REGTYPE), "contains '..'"),
        (("/tmp/evil_abs", b"x", None, tarfile.REGTYPE), "absolute path"),
        (("link", None, "../../outside", tarfile.SYMTYPE), "leaves"),
        (("link", None, "/etc/passwd", tarfile.SYMTYPE), "absolute path"),
        (("hard", None, "../outside", tarfile.LNKTYPE), "leaves"),
        (("fifo", None, None, tarfile.FIFOTYPE), "device or FIFO"),
    ],
)
def test_malicious_tar_is_refused_and_nothing_is_written(tmp_path, member, message):
    archive = _tar(tmp_path / "evil.tar", [("first.txt", b"harmless", None, tarfile.REGTYPE), member])
    root = tmp_path / "root"
    with pytest.raises(ValueError, match=rf"evil\.tar.*{message}"):
        download.extract_archive(archive, root)
    assert list(root.iterdir()) == []  # not even the harmless member
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil_abs").exists()


@pytest.mark.parametrize("name", ["../evil", "/abs/evil", "C:/evil", "a/../../evil"])
def test_malicious_zip_is_refused(tmp_path, name):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("fine.txt", b"ok")
        zf.writestr(zipfile.ZipInfo(name), b"x")  # ZipInfo keeps the name as given
    root = tmp_path / "root"
    with pytest.raises(ValueError, match=r"evil\.zip.*refusing"):
        download.extract_archive(tmp_path / "evil.zip", root)
    assert list(root.iterdir()) == [] and not (tmp_path / "evil").exists()


def test_zip_symlink_and_bad_crc_are_refused(tmp_path):
    info = zipfile.ZipInfo("link")
    info.external_attr = 0o120777 << 16  # a symbolic link, as Info-ZIP stores it
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as zf:
        zf.writestr(info, "../../etc/passwd")
    with pytest.raises(ValueError, match="symbolic link"):
        download.extract_archive(tmp_path / "link.zip", tmp_path / "r1")
    with zipfile.ZipFile(tmp_path / "crc.zip", "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("data.txt", b"A" * 100)
    raw = bytearray((tmp_path / "crc.zip").read_bytes())
    at = raw.index(b"A" * 100)
    raw[at] = ord("B")  # flip one stored byte: the CRC-32 no longer matches
    (tmp_path / "crc.zip").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"crc\.zip: member 'data\.txt' fails its CRC-32"):
        download.extract_archive(tmp_path / "crc.zip", tmp_path / "r2")


def test_not_an_archive(tmp_path):
    (tmp_path / "plain.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"plain\.txt: neither a zip nor"):
        download.extract_archive(tmp_path / "plain.txt", tmp_path / "r")
    with pytest.raises(FileNotFoundError, match="absent"):
        download.extract_archive(tmp_path / "absent.tar", tmp_path / "r")


# -------------------------------------------------------------------------------------- datasets


def test_download_voc_end_to_end(tmp_path, monkeypatch):
    src = tmp_path / "src"
    synthetic.make_voc_shapes(src, 4, (32, 32), seed=0)
    archive = tmp_path / "server" / "VOCtrainval_11-May-2012.tar"
    archive.parent.mkdir()
    with tarfile.open(archive, "w") as tf:
        tf.add(src / "VOCdevkit", arcname="VOCdevkit")
    entry = download.Archive(archive.as_uri(), archive.name, _md5(archive), "VOCdevkit/VOC2012")
    monkeypatch.setitem(download.VOC_ARCHIVES, "2012", entry)
    root = tmp_path / "data"
    base = download.download_voc(root, "2012", progress=False)
    assert base == root / "VOCdevkit" / "VOC2012"
    assert len(voc.VOCSegmentation(root, image_set="trainval")) == 4
    assert download.download_voc(root, "2012", opener=_no_network, progress=False) == base  # marker: no work


def test_download_voc_bad_checksum_extracts_nothing(tmp_path, monkeypatch):
    archive = _tar(
        tmp_path / "VOCtrainval_11-May-2012.tar", [("VOCdevkit/x.txt", b"x", None, tarfile.REGTYPE)]
    )
    entry = download.Archive(archive.as_uri(), "VOCtrainval_11-May-2012.tar", "f" * 32, "VOCdevkit/VOC2012")
    monkeypatch.setitem(download.VOC_ARCHIVES, "2012", entry)
    root = tmp_path / "data"
    with pytest.raises(ValueError, match="md5"):
        download.download_voc(root, progress=False)
    assert not (root / "VOCdevkit").exists()
    with pytest.raises(ValueError, match="year="):
        download.download_voc(root, "2013")


def _coco_server(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "src"
    synthetic.make_coco_shapes(src, 4, (32, 32), seed=0)
    server = tmp_path / "server"
    server.mkdir()
    for name, folder in (("val2017.zip", "val2017"), ("annotations_trainval2017.zip", "annotations")):
        with zipfile.ZipFile(server / name, "w") as zf:
            for path in sorted((src / folder).iterdir()):
                zf.write(path, f"{folder}/{path.name}")
    monkeypatch.setitem(
        download.COCO_IMAGES, "val2017", download.Archive((server / "val2017.zip").as_uri(), "val2017.zip")
    )
    monkeypatch.setattr(
        download,
        "COCO_ANNOTATIONS",
        download.Archive((server / "annotations_trainval2017.zip").as_uri(), "annotations_trainval2017.zip"),
    )


def test_download_coco_end_to_end(tmp_path, monkeypatch):
    _coco_server(tmp_path, monkeypatch)
    root = tmp_path / "data"
    image_dir, ann_file = download.download_coco(root, "val2017", progress=False)
    assert (image_dir, ann_file) == (root / "val2017", root / "annotations" / "instances_val2017.json")
    assert len(coco.CocoDetection(image_dir, ann_file)) == 4
    recorded = (root / "val2017.zip.sha256").read_text().split()[0]
    assert recorded == hashlib.sha256((root / "val2017.zip").read_bytes()).hexdigest()
    again = download.download_coco(root, "val2017", opener=_no_network, progress=False)
    assert again == (image_dir, ann_file)


def test_download_coco_detects_a_changed_zip_and_a_wrong_trusted_hash(tmp_path, monkeypatch):
    _coco_server(tmp_path, monkeypatch)
    root = tmp_path / "data"
    download.download_coco(root, "val2017", annotations=False, progress=False)
    (root / "val2017.zip.extracted").unlink()
    with open(root / "val2017.zip", "ab") as f:
        f.write(b"tampered")
    with pytest.raises(ValueError, match=r"val2017\.zip: SHA-256 differs from the one recorded"):
        download.download_coco(root, "val2017", annotations=False, progress=False)
    other = tmp_path / "other"
    with pytest.raises(ValueError, match="sha256 of the downloaded val2017.zip"):
        download.download_coco(
            other, "val2017", annotations=False, sha256={"val2017.zip": "0" * 64}, progress=False
        )
    with pytest.raises(ValueError, match="split="):
        download.download_coco(other, "test2017")


def test_download_coco_records_the_digest_of_a_new_download(tmp_path, monkeypatch):
    """A zip downloaded again (the old one deleted, the server's changed) gets a new record, not the old one."""
    _coco_server(tmp_path, monkeypatch)
    root = tmp_path / "data"
    download.download_coco(root, "val2017", annotations=False, progress=False)
    old = (root / "val2017.zip.sha256").read_text()
    (root / "val2017.zip").unlink()
    (root / "val2017.zip.extracted").unlink()
    served = tmp_path / "server" / "val2017.zip"
    with zipfile.ZipFile(served, "a") as zf:  # the server now has a different (still valid) archive
        zf.writestr("val2017/README.txt", "a new file")
    download.download_coco(root, "val2017", annotations=False, progress=False)
    record = (root / "val2017.zip.sha256").read_text()
    assert record != old
    assert record.split()[0] == hashlib.sha256((root / "val2017.zip").read_bytes()).hexdigest()
    (root / "val2017.zip.extracted").unlink()
    download.download_coco(root, "val2017", annotations=False, opener=_no_network, progress=False)


# ------------------------------------------------------------------------------- issue 15: archives


@pytest.fixture(params=["with data filter", "without data filter"])
def filter_mode(request, monkeypatch):
    """Run a test as on Python 3.11.7 and as on 3.10.0-3.10.11 / 3.11.0-3.11.3, where tarfile has no filter."""
    if request.param == "without data filter":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    return request.param


def _outside_files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.rglob("evil*") if p.parent.name != "archives")


def test_symlink_chain_through_earlier_links_is_refused_before_anything_is_written(tmp_path, filter_mode):
    archive = _tar(
        tmp_path / "chain.tar",
        [
            ("first.txt", b"harmless", None, tarfile.REGTYPE),
            ("l2", None, ".", tarfile.SYMTYPE),
            ("l1", None, "l2/l2/..", tarfile.SYMTYPE),  # looks inside, but l2/l2/.. is the root's parent
            ("l1/evil.txt", b"outside", None, tarfile.REGTYPE),
        ],
    )
    root = tmp_path / "a" / "root"
    with pytest.raises(ValueError, match=r"chain\.tar: member 'l1' leaves .*refusing"):
        download.extract_archive(archive, root)
    assert list(root.iterdir()) == []  # not even first.txt
    assert not (tmp_path / "a" / "evil.txt").exists() and _outside_files(tmp_path) == []


@pytest.mark.parametrize(
    "members, bad",
    [
        # a link loop, then a file through it
        (
            [
                ("a", None, "b", tarfile.SYMTYPE),
                ("b", None, "a", tarfile.SYMTYPE),
                ("a/x", b"x", None, tarfile.REGTYPE),
            ],
            "a/x",
        ),
        # a folder made a link to its own parent through a second link
        (
            [
                ("sub/", None, None, tarfile.DIRTYPE),
                ("sub/up", None, "..", tarfile.SYMTYPE),
                ("x", None, "sub/up/..", tarfile.SYMTYPE),
            ],
            "x",
        ),
        # a file written through a link that points outside only once resolved
        ([("d", None, ".", tarfile.SYMTYPE), ("e", None, "d/d/d/..", tarfile.SYMTYPE)], "e"),
        # a hard link whose target goes through a symbolic link leaving the root
        ([("s", None, ".", tarfile.SYMTYPE), ("h", None, "s/../etc/passwd", tarfile.LNKTYPE)], "h"),
    ],
)
def test_links_resolved_through_other_links_are_refused(tmp_path, filter_mode, members, bad):
    archive = _tar(tmp_path / "evil.tar", members)
    root = tmp_path / "root"
    with pytest.raises(ValueError, match=rf"evil\.tar: member '{re.escape(bad)}'"):
        download.extract_archive(archive, root)
    assert list(root.iterdir()) == []


def test_links_that_stay_inside_through_other_links_are_extracted(tmp_path, filter_mode):
    archive = _tar(
        tmp_path / "ok.tar",
        [
            ("sub/f.txt", b"F", None, tarfile.REGTYPE),
            ("alias", None, "sub", tarfile.SYMTYPE),
            ("alias2", None, "alias/f.txt", tarfile.SYMTYPE),
            ("self", None, ".", tarfile.SYMTYPE),
            ("self/self/g.txt", b"G", None, tarfile.REGTYPE),
        ],
    )
    root = tmp_path / "root"
    download.extract_archive(archive, root)
    assert (root / "alias2").read_bytes() == b"F" and (root / "g.txt").read_bytes() == b"G"


def test_a_link_already_on_disk_is_followed_too(tmp_path, filter_mode):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "out").symlink_to(tmp_path / "elsewhere")
    archive = _tar(tmp_path / "evil.tar", [("out/evil.txt", b"x", None, tarfile.REGTYPE)])
    with pytest.raises(ValueError, match=r"evil\.tar: member 'out/evil\.txt'"):
        download.extract_archive(archive, root)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_declared_sizes_are_capped_before_extraction(tmp_path):
    tar = _tar(
        tmp_path / "big.tar",
        [("a.bin", b"x" * 100, None, tarfile.REGTYPE), ("b.bin", b"y" * 100, None, tarfile.REGTYPE)],
    )
    with pytest.raises(ValueError, match=r"big\.tar: members would take 200 bytes .* max_bytes=150"):
        download.extract_archive(tar, tmp_path / "r1", max_bytes=150)
    assert list((tmp_path / "r1").iterdir()) == []
    download.extract_archive(tar, tmp_path / "r2", max_bytes=200)
    # a zip bomb: 64 MiB of zeros deflate to about 64 KiB; refused from its header, before inflating anything
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", bytes(64 * 2**20))
    assert (tmp_path / "bomb.zip").stat().st_size < 2**20
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"bomb\.zip: members would take 67108864 bytes"):
        download.extract_archive(tmp_path / "bomb.zip", tmp_path / "r3", max_bytes=2**20)
    assert time.perf_counter() - start < 1.0 and list((tmp_path / "r3").iterdir()) == []
    with pytest.raises(TypeError, match="max_bytes"):
        download.extract_archive(tar, tmp_path / "r4", max_bytes=1.5e9)


def test_a_zip_member_holding_more_than_its_header_declares_is_stopped(tmp_path, monkeypatch):
    with zipfile.ZipFile(tmp_path / "liar.zip", "w") as zf:
        zf.writestr("small.txt", b"0123456789")
    real_open = zipfile.ZipFile.open

    def lying_open(self, name, *args, **kwargs):  # the stream delivers far more than the header says
        real_open(self, name, *args, **kwargs).close()
        return io.BytesIO(b"z" * 10_000)

    monkeypatch.setattr(zipfile.ZipFile, "open", lying_open)
    with pytest.raises(
        ValueError, match=r"liar\.zip: member 'small\.txt' holds more than its declared 10 bytes"
    ):
        download.extract_archive(tmp_path / "liar.zip", tmp_path / "root")
    written = tmp_path / "root" / "small.txt"
    assert not written.exists() or written.stat().st_size <= 10


def test_truncated_tar_gz_names_the_archive_and_writes_nothing(tmp_path):
    import gzip
    import os

    src = tmp_path / "plain.tar"
    _tar(src, [(f"m{i}.bin", os.urandom(50_000), None, tarfile.REGTYPE) for i in range(6)])
    packed = gzip.compress(src.read_bytes())
    for name, data in (("head.tar.gz", packed[:100]), ("middle.tar.gz", packed[: len(packed) // 2])):
        (tmp_path / name).write_bytes(data)
        root = tmp_path / f"root_{name}"
        with pytest.raises(ValueError, match=rf"{re.escape(name)}: truncated or corrupted tar archive"):
            download.extract_archive(tmp_path / name, root)
        assert list(root.iterdir()) == []


def test_encrypted_zip_member_names_the_archive(tmp_path):
    with zipfile.ZipFile(tmp_path / "locked.zip", "w") as zf:
        zf.writestr("plain.txt", b"ok")
        zf.writestr("secret.txt", b"not really encrypted")
    raw = bytearray((tmp_path / "locked.zip").read_bytes())
    # set the "encrypted" flag bit of secret.txt in its local header (flags at +6, name at +30) and in the
    # central directory (flags at +8, name at +46)
    for signature, flags, name in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = raw.find(signature)
        while at >= 0:
            if raw[at + name : at + name + 10] == b"secret.txt":
                raw[at + flags] |= 0x1
            at = raw.find(signature, at + 1)
    (tmp_path / "locked.zip").write_bytes(bytes(raw))
    with zipfile.ZipFile(tmp_path / "locked.zip") as zf, pytest.raises(RuntimeError):
        zf.read("secret.txt")
    root = tmp_path / "root"
    with pytest.raises(ValueError, match=r"locked\.zip: member 'secret\.txt' is encrypted"):
        download.extract_archive(tmp_path / "locked.zip", root)
    assert list(root.iterdir()) == []


def test_zip_name_used_as_file_and_folder_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "clash.zip", "w") as zf:
        zf.writestr("a", b"file")
        zf.writestr("a/b", b"inside a file?")
    with pytest.raises(ValueError, match=r"clash\.zip: 'a' is both a file and a folder"):
        download.extract_archive(tmp_path / "clash.zip", tmp_path / "root")


# ------------------------------------------------------------------------ issue 15: small arguments


def test_file_digest_refuses_a_file_descriptor_and_leaves_it_open(tmp_path):
    import os

    path = tmp_path / "f.bin"
    path.write_bytes(b"data")
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(TypeError, match=r"path=\d+ must be a path"):
            download.file_digest(fd)
        os.fstat(fd)  # still open
    finally:
        os.close(fd)
    for bad in (None, b"f.bin"):
        with pytest.raises(TypeError, match="path="):
            download.file_digest(bad)
    with pytest.raises(ValueError, match="algorithm='nope'"):
        download.file_digest(path, "nope")
    with pytest.raises(TypeError, match="algorithm="):
        download.file_digest(path, 256)


def test_download_url_arguments_are_checked_before_any_work(tmp_path):
    kwargs = {"opener": _no_network, "progress": False}
    url = "http://example.invalid/data.bin"
    with pytest.raises(TypeError, match="md5=123"):
        download.download_url(url, tmp_path / "x", md5=123, **kwargs)
    with pytest.raises(ValueError, match="md5='abc' must be 32 hexadecimal digits"):
        download.download_url(url, tmp_path / "x", md5="abc", **kwargs)
    with pytest.raises(ValueError, match="sha256="):
        download.download_url(url, tmp_path / "x", sha256="0" * 32, **kwargs)
    for bad in (None, 3, b"x"):
        with pytest.raises(TypeError, match="path="):
            download.download_url(url, bad, **kwargs)
    with pytest.raises(TypeError, match="url="):
        download.download_url(None, tmp_path / "x", **kwargs)
    with pytest.raises(ValueError, match="url="):
        download.download_url("data.bin", tmp_path / "x", **kwargs)
    with pytest.raises(TypeError, match="progress="):
        download.download_url(url, tmp_path / "x", opener=_no_network, progress="False")
    with pytest.raises(TypeError, match="opener="):
        download.download_url(url, tmp_path / "x", opener=3, progress=False)
    for bad in (0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="timeout="):
            download.download_url(url, tmp_path / "x", timeout=bad, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_download_voc_and_coco_arguments_are_checked(tmp_path):
    for bad in (None, 3):
        with pytest.raises(TypeError, match="root="):
            download.download_voc(bad, opener=_no_network)
        with pytest.raises(TypeError, match="root="):
            download.download_coco(bad, opener=_no_network)
    with pytest.raises(ValueError, match="year=2012"):
        download.download_voc(tmp_path, 2012, opener=_no_network)
    with pytest.raises(TypeError, match="progress="):
        download.download_voc(tmp_path, progress="False", opener=_no_network)
    with pytest.raises(TypeError, match="annotations="):
        download.download_coco(tmp_path, annotations="False", opener=_no_network)
    with pytest.raises(ValueError, match=r"sha256\['val2017\.zip'\]="):
        download.download_coco(tmp_path, sha256={"val2017.zip": "xyz"}, opener=_no_network)
    with pytest.raises(TypeError, match="opener="):
        download.download_coco(tmp_path, opener="urllib")
    assert list(tmp_path.iterdir()) == []


def test_archive_entries_are_checked():
    with pytest.raises(ValueError, match="url="):
        download.Archive("no scheme", "x.tar")
    with pytest.raises(ValueError, match="filename="):
        download.Archive("http://a/x.tar", "../x.tar")
    with pytest.raises(TypeError, match="md5=123"):
        download.Archive("http://a/x.tar", "x.tar", 123)
    with pytest.raises(ValueError, match="base_dir="):
        download.Archive("http://a/x.tar", "x.tar", None, "../up")


def test_tar_gz_bomb_is_refused_from_its_headers_before_decompressing_it(tmp_path):
    import gzip

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        for name in ("zeros1.bin", "zeros2.bin"):
            info = tarfile.TarInfo(name)
            info.size = 32 * 2**20
            tf.addfile(info, io.BytesIO(bytes(info.size)))
    (tmp_path / "bomb.tar.gz").write_bytes(gzip.compress(raw.getvalue(), compresslevel=9))
    assert (tmp_path / "bomb.tar.gz").stat().st_size < 2**20
    start = time.perf_counter()
    with pytest.raises(
        ValueError, match=r"bomb\.tar\.gz: members would take 33554432 bytes .*max_bytes=1048576"
    ):
        download.extract_archive(tmp_path / "bomb.tar.gz", tmp_path / "root", max_bytes=2**20)
    assert time.perf_counter() - start < 0.5  # the first header sufficed: nothing was decompressed past it
    assert list((tmp_path / "root").iterdir()) == []
