"""Tests of lecture_lib.datasets.download with local files (file:// URLs, fake openers), never the network."""

from __future__ import annotations

import hashlib
import io
import tarfile
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
