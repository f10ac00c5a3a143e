"""Request and response body compression of the endpoint."""

from __future__ import annotations

import gzip
import zlib

import lz4.frame
import pytest
from backports import zstd

from attrib.chserver.compression import body_decoder, compress, response_encoding
from attrib.chserver.errors import CANNOT_DECOMPRESS, UNKNOWN_COMPRESSION_METHOD, ClickHouseError

DATA = b"".join(b"row %d\t%s\n" % (i, b"x" * (i % 50)) for i in range(5000))
ENCODERS = {
    "lz4": lz4.frame.compress,
    "zstd": zstd.compress,
    "gzip": gzip.compress,
    "deflate": zlib.compress,
}


@pytest.mark.parametrize("method", ["lz4", "zstd", "gzip"])
def test_a_body_of_several_frames_decodes_in_small_pieces(method: str) -> None:
    encode = ENCODERS[method]
    body = encode(DATA[:30000]) + encode(DATA[30000:])  # one frame per insert block
    decoder = body_decoder(method)
    decoded = b"".join(decoder.feed(body[i : i + 777]) for i in range(0, len(body), 777))
    decoder.finish()
    assert decoded == DATA


@pytest.mark.parametrize("method", ["lz4", "zstd", "gzip", "deflate"])
def test_a_truncated_body_is_an_error(method: str) -> None:
    decoder = body_decoder(method)
    decoder.feed(ENCODERS[method](DATA)[:-5])
    with pytest.raises(ClickHouseError) as caught:
        decoder.finish()
    assert caught.value.code == CANNOT_DECOMPRESS


def test_unknown_content_encoding_is_refused() -> None:
    with pytest.raises(ClickHouseError) as caught:
        body_decoder("snappy")
    assert caught.value.code == UNKNOWN_COMPRESSION_METHOD
    assert body_decoder("identity").feed(b"abc") == b"abc"


def test_response_encoding_follows_the_client_order() -> None:
    assert response_encoding("lz4,zstd,br,gzip,deflate") == "lz4"
    assert response_encoding("br, zstd;q=0, gzip") == "gzip"
    assert response_encoding("br") is None
    assert response_encoding(None) is None
    assert lz4.frame.decompress(compress(DATA, "lz4")) == DATA
    assert zstd.decompress(compress(DATA, "zstd")) == DATA
