"""Archive objects: their keys (Firehose's layout), our record format, and reading Firehose's own.

Our objects are gzip'd JSON lines, one Kinesis record a line, with everything a replay needs:
`{"StreamCreationTimestamp", "ShardId", "SequenceNumber", "ApproximateArrivalTimestamp", "PartitionKey",
"Data": base64}`. The first is the incarnation of the stream the record was read from (the archive
lease's, as the drain's rows name it; absent from objects written before it was recorded).
Base64 keeps the record's bytes exactly as the stream held them, whatever they are (the game's
JSON, malformed JSON, invalid UTF-8). Each object carries the S3 metadata
`alienportal-format: jsonl-1`, which is how a replay tells ours from a Firehose's: Firehose
writes the raw record bytes one after another (concatenated JSON, no delimiter), with no shard,
sequence number or arrival time, and no such metadata.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

FORMAT_METADATA_KEY = "alienportal-format"
FORMAT_JSONL = "jsonl-1"
# Firehose's object names carry the delivery stream's version here; ours are version 1 too.
OBJECT_VERSION = 1
# Records of a Firehose object have no shard and no sequence number: they get this shard id and
# a sequence number taken from a hash of their bytes, so that the same record delivered twice
# (Firehose is at-least-once) is the same (shard, sequence number) and counts once.
FIREHOSE_SHARD_ID = "firehose"
_HASH_BYTES = 15  # 120 bits: 37 decimal digits, well inside NUMERIC(130, 0)


@dataclass(frozen=True, slots=True)
class ArchivedRecord:
    """One record of the archive: its bytes, where it came from, and when it reached the stream.

    `stream_created_at` is the incarnation of the stream it was read from, None where unknown
    (Firehose objects, and ours written before it was recorded): replay then finds it.
    """

    shard_id: str
    sequence_number: int
    arrival: datetime | None
    data: bytes
    partition_key: str = ""
    stream_created_at: datetime | None = None


def object_key(*, prefix: str, stream_name: str, shard_id: str, first: int, last: int, arrival: datetime) -> str:
    """Return the key of the object holding a shard's records `first`..`last` (arrival of `first`).

    Firehose's layout (`<prefix>YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<id>.gz`,
    UTC arrival time of the oldest record); the `<id>` is the shard and sequence range instead of
    a random UUID, so uploading the same range again overwrites the same object.
    """
    moment = arrival.astimezone(UTC)
    return (
        f"{prefix}{moment:%Y/%m/%d/%H}/"
        f"{stream_name}-{OBJECT_VERSION}-{moment:%Y-%m-%d-%H-%M-%S}-{shard_id}-{first}-{last}.gz"
    )


def _arrival_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def records_encode(records: Iterable[ArchivedRecord]) -> bytes:
    """Return the gzip'd JSON-lines body of an object holding `records`."""
    lines = [
        json.dumps(
            {
                **(
                    {"StreamCreationTimestamp": _arrival_text(record.stream_created_at)}
                    if record.stream_created_at is not None
                    else {}
                ),
                "ShardId": record.shard_id,
                "SequenceNumber": str(record.sequence_number),
                "ApproximateArrivalTimestamp": _arrival_text(record.arrival),
                "PartitionKey": record.partition_key,
                "Data": base64.b64encode(record.data).decode("ascii"),
            },
            separators=(",", ":"),
        )
        for record in records
    ]
    # mtime=0: the same records always give the same bytes, so a re-upload is a true overwrite.
    return gzip.compress(("\n".join(lines) + "\n").encode("ascii"), mtime=0)


def records_decode(body: bytes) -> Iterator[ArchivedRecord]:
    """Read back an object written by records_encode."""
    for line in gzip.decompress(body).splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        arrival = item.get("ApproximateArrivalTimestamp")
        created = item.get("StreamCreationTimestamp")
        yield ArchivedRecord(
            shard_id=item["ShardId"],
            sequence_number=int(item["SequenceNumber"]),
            arrival=datetime.fromisoformat(arrival.replace("Z", "+00:00")) if arrival else None,
            data=base64.b64decode(item["Data"]),
            partition_key=item.get("PartitionKey", ""),
            stream_created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
        )


def firehose_sequence_number(data: bytes) -> int:
    """Return the stand-in sequence number of a Firehose record: a hash of its bytes."""
    return int.from_bytes(hashlib.sha256(data).digest()[:_HASH_BYTES], "big")


_WHITESPACE = " \t\r\n"


def firehose_split(raw: bytes) -> Iterator[bytes]:
    """Split a Firehose object's (decompressed) body into its records' bytes.

    Records are JSON values written back to back with no delimiter, so each record ends where a
    JSON decoder stops. Bytes that do not decode (a malformed record) run up to the next `{`
    from which a JSON value does decode, and come out as one record of their own (it becomes a
    dead letter, as it did in the drain). Whitespace between records is not part of them.
    """
    # surrogateescape maps every byte, valid UTF-8 or not, to a character and back exactly.
    text = raw.decode("utf-8", "surrogateescape")
    decoder = json.JSONDecoder()
    position, end = 0, len(text)
    while position < end:
        while position < end and text[position] in _WHITESPACE:
            position += 1
        if position >= end:
            break
        try:
            _, stop = decoder.raw_decode(text, position)
        except ValueError:
            stop = _next_value_start(decoder, text, position + 1)
        yield text[position:stop].encode("utf-8", "surrogateescape")
        position = stop


def _next_value_start(decoder: json.JSONDecoder, text: str, start: int) -> int:
    candidate = text.find("{", start)
    while candidate != -1:
        try:
            decoder.raw_decode(text, candidate)
            return candidate
        except ValueError:
            candidate = text.find("{", candidate + 1)
    return len(text)


def firehose_decode(body: bytes, *, arrival: datetime | None) -> Iterator[ArchivedRecord]:
    """Read a Firehose object (gzip, or plain if it was delivered uncompressed)."""
    raw = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
    for data in firehose_split(raw):
        yield ArchivedRecord(
            shard_id=FIREHOSE_SHARD_ID, sequence_number=firehose_sequence_number(data), arrival=arrival, data=data
        )
