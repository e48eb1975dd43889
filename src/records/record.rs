//! Records inside a batch: a borrowing walker for an uncompressed records block, the codec
//! wrappers, and an owned decode for the few places that need whole records.
//!
//! A v2 record is:
//!
//! ```text
//! length: varint            (bytes after this field)
//! attributes: i8            (unused, kept as-is)
//! timestampDelta: varlong   (relative to the batch's baseTimestamp)
//! offsetDelta: varint       (relative to the batch's baseOffset)
//! keyLength: varint (-1 = null), key
//! valueLength: varint (-1 = null), value
//! headersCount: varint
//!   headerKeyLength: varint, headerKey (a String in Java; not validated here)
//!   headerValueLength: varint (-1 = null), headerValue
//! ```
//!
//! Varints are zig-zag encoded exactly like Java's `ByteUtils.readVarint` / `readVarlong` (at most
//! 5 and 10 bytes). The walker keeps the raw bytes of every field so the renumbering path can
//! re-emit a record with only its offset delta changed.

use std::ops::Range;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::compression::{self as kc, Compressor, Decompressor};

use super::batch::{verify_crc, Batch, Compression};
use super::RecordsError;

/// Largest expansion a snappy block can claim relative to its compressed size. The densest
/// snappy element is a 3-byte copy of 64 bytes (~21x); anything claiming more is rejected before
/// the decoder allocates the claimed size.
const SNAPPY_MAX_RATIO: usize = 32;

/// The xerial snappy-java stream header Kafka's snappy codec writes.
const XERIAL_MAGIC: &[u8; 8] = b"\x82SNAPPY\x00";
/// Length of the whole xerial header (magic + version + compatible version).
const XERIAL_HEADER_LEN: usize = 16;

/// A cursor over a byte slice that reads Kafka's primitive encodings without panicking.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| "unexpected end of record data".to_string())?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn i8(&mut self) -> Result<i8, String> {
        Ok(self.byte()? as i8)
    }

    pub(crate) fn i16(&mut self) -> Result<i16, String> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| {
                format!(
                    "field of {n} bytes overruns the data ({} bytes left)",
                    self.remaining()
                )
            })?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// Java `ByteUtils.readVarint`: at most 5 bytes, zig-zag.
    pub(crate) fn varint(&mut self) -> Result<i32, String> {
        let mut value: u32 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if b & 0x80 == 0 {
                // Like Java's `value |= b << i`: bits shifted past 32 fall off.
                value |= u32::from(b) << shift;
                break;
            }
            value |= u32::from(b & 0x7f) << shift;
            shift += 7;
            if shift > 28 {
                return Err("varint is longer than 5 bytes".to_string());
            }
        }
        Ok(((value >> 1) as i32) ^ -((value & 1) as i32))
    }

    /// Java `ByteUtils.readVarlong`: at most 10 bytes, zig-zag.
    pub(crate) fn varlong(&mut self) -> Result<i64, String> {
        let mut value: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if b & 0x80 == 0 {
                value |= u64::from(b) << shift;
                break;
            }
            value |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if shift > 63 {
                return Err("varlong is longer than 10 bytes".to_string());
            }
        }
        Ok(((value >> 1) as i64) ^ -((value & 1) as i64))
    }

    /// A varint length followed by that many bytes; -1 means null.
    fn nullable_bytes(&mut self, what: &str) -> Result<Option<&'a [u8]>, String> {
        let len = self.varint()?;
        match len {
            -1 => Ok(None),
            n if n < -1 => Err(format!("invalid {what} length {n}")),
            n => self.take(n as usize).map(Some),
        }
    }
}

/// Appends Java's `ByteUtils.writeVarint` encoding of `value`.
pub(crate) fn put_varint(out: &mut BytesMut, value: i32) {
    let mut v = ((value << 1) ^ (value >> 31)) as u32;
    while v & !0x7f != 0 {
        out.put_u8(((v & 0x7f) | 0x80) as u8);
        v >>= 7;
    }
    out.put_u8(v as u8);
}

/// Appends Java's `ByteUtils.writeVarlong` encoding of `value`.
#[cfg(test)]
pub(crate) fn put_varlong(out: &mut BytesMut, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v & !0x7f != 0 {
        out.put_u8(((v & 0x7f) | 0x80) as u8);
        v >>= 7;
    }
    out.put_u8(v as u8);
}

/// One record of an uncompressed records block, borrowing from the block.
///
/// The data path only looks inside records when it must (renumbering a compacted batch, reading a
/// transaction marker); borrowing keeps that allocation-free apart from the header list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// The record's attribute byte (unused by Kafka today; preserved verbatim).
    pub attributes: i8,
    /// Timestamp relative to the batch's `base_timestamp`.
    pub timestamp_delta: i64,
    /// Offset relative to the batch's `base_offset`.
    pub offset_delta: i32,
    /// The key, `None` for a null key.
    pub key: Option<&'a [u8]>,
    /// The value, `None` for a null value (a tombstone).
    pub value: Option<&'a [u8]>,
    /// Headers in wire order, repeated keys included: `(key, value)`, value `None` when null.
    pub headers: Vec<(&'a [u8], Option<&'a [u8]>)>,
}

/// A record plus the raw spans the renumbering path needs to re-emit it.
#[derive(Clone, Debug)]
pub(crate) struct RawRecord<'a> {
    pub(crate) view: RecordView<'a>,
    /// The record body (everything after the length varint).
    pub(crate) body: &'a [u8],
    /// Where the offsetDelta varint sits inside `body`.
    pub(crate) offset_delta_span: Range<usize>,
}

/// Parses one record body (the bytes after its length varint).
fn parse_body(body: &[u8]) -> Result<RawRecord<'_>, String> {
    let mut r = Reader::new(body);
    let attributes = r.i8()?;
    let timestamp_delta = r.varlong()?;
    let od_start = r.pos();
    let offset_delta = r.varint()?;
    let offset_delta_span = od_start..r.pos();
    let key = r.nullable_bytes("key")?;
    let value = r.nullable_bytes("value")?;
    let count = r.varint()?;
    if count < 0 {
        return Err(format!("invalid negative header count {count}"));
    }
    // Each header takes at least two bytes (two length varints); this bounds the allocation.
    if count as usize > r.remaining() / 2 {
        return Err(format!(
            "header count {count} cannot fit in the {} bytes left in the record",
            r.remaining()
        ));
    }
    let mut headers = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let key_len = r.varint()?;
        if key_len < 0 {
            return Err(format!("invalid negative header key length {key_len}"));
        }
        let hkey = r.take(key_len as usize)?;
        let hvalue = r.nullable_bytes("header value")?;
        headers.push((hkey, hvalue));
    }
    if r.remaining() != 0 {
        return Err(format!(
            "record declares {} bytes but its fields end after {}",
            body.len(),
            r.pos()
        ));
    }
    Ok(RawRecord {
        view: RecordView {
            attributes,
            timestamp_delta,
            offset_delta,
            key,
            value,
            headers,
        },
        body,
        offset_delta_span,
    })
}

/// Iterates the records of an *uncompressed* records block (decompress first with
/// [`decompress`]), yielding each record or the first error, after which it stops.
///
/// Errors carry offset -1 (the block alone does not know its batch); batch-level callers relabel
/// them. The iterator walks to the end of the block; comparing the count with the batch's
/// `records_count` is the caller's job.
#[derive(Clone, Debug)]
pub struct RecordIter<'a> {
    reader: Reader<'a>,
    failed: bool,
}

impl<'a> RecordIter<'a> {
    /// Starts walking `block` from its first record.
    pub fn new(block: &'a [u8]) -> Self {
        RecordIter {
            reader: Reader::new(block),
            failed: false,
        }
    }

    pub(crate) fn next_raw(&mut self) -> Option<Result<RawRecord<'a>, RecordsError>> {
        if self.failed || self.reader.remaining() == 0 {
            return None;
        }
        let at = self.reader.pos();
        let result = (|| {
            let len = self.reader.varint()?;
            if len < 0 {
                return Err(format!("invalid negative record length {len}"));
            }
            let body = self.reader.take(len as usize)?;
            parse_body(body)
        })();
        match result {
            Ok(raw) => Some(Ok(raw)),
            Err(reason) => {
                self.failed = true;
                Some(Err(RecordsError::corrupt(
                    -1,
                    format!("bad record at block byte {at}: {reason}"),
                )))
            }
        }
    }
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Result<RecordView<'a>, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_raw().map(|r| r.map(|raw| raw.view))
    }
}

fn codec_error(codec: Compression, err: impl std::fmt::Display) -> RecordsError {
    RecordsError::Compression {
        offset: -1,
        codec,
        message: err.to_string(),
    }
}

/// Rejects a snappy input whose blocks claim more output than they could possibly hold, before
/// the decoder allocates the claimed size (a 5-byte input may claim 4 GiB).
fn check_snappy_claims(data: &[u8]) -> Result<(), RecordsError> {
    let check_block = |block: &[u8]| -> Result<(), RecordsError> {
        let claimed =
            snap::raw::decompress_len(block).map_err(|e| codec_error(Compression::Snappy, e))?;
        if claimed > block.len().saturating_mul(SNAPPY_MAX_RATIO) {
            return Err(codec_error(
                Compression::Snappy,
                format!(
                    "block of {} bytes claims {claimed} uncompressed bytes",
                    block.len()
                ),
            ));
        }
        Ok(())
    };
    if data.len() < XERIAL_HEADER_LEN || data[..XERIAL_MAGIC.len()] != XERIAL_MAGIC[..] {
        // Raw snappy (no xerial framing), which snappy-java also accepts.
        return check_block(data);
    }
    let mut r = Reader::new(&data[XERIAL_HEADER_LEN..]);
    while r.remaining() > 0 {
        let len = r
            .take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .map_err(|e| codec_error(Compression::Snappy, e))?;
        let block = r
            .take(len)
            .map_err(|e| codec_error(Compression::Snappy, e))?;
        check_block(block)?;
    }
    Ok(())
}

fn decompress_with<D: Decompressor<Bytes>>(
    codec: Compression,
    data: &[u8],
) -> Result<Vec<u8>, RecordsError> {
    let mut input = Bytes::copy_from_slice(data);
    D::decompress(&mut input, |out| {
        let mut v = Vec::with_capacity(bytes::Buf::remaining(out));
        v.put(out);
        Ok(v)
    })
    .map_err(|e| codec_error(codec, format!("{e:#}")))
}

fn compress_with<C: Compressor<BytesMut, BufMut = BytesMut>>(
    codec: Compression,
    data: &[u8],
) -> Result<Vec<u8>, RecordsError> {
    let mut out = BytesMut::new();
    C::compress(&mut out, |tmp| {
        tmp.put_slice(data);
        Ok(())
    })
    .map_err(|e| codec_error(codec, format!("{e:#}")))?;
    Ok(out.to_vec())
}

/// Decompresses a records block with Kafka's framing for `codec` (via `kafka-protocol`'s codecs:
/// xerial snappy, LZ4 frame, gzip, zstd). `Compression::None` returns a copy.
///
/// Errors are [`RecordsError::Compression`] with offset -1.
pub fn decompress(codec: Compression, data: &[u8]) -> Result<Vec<u8>, RecordsError> {
    match codec {
        Compression::None => Ok(data.to_vec()),
        Compression::Gzip => decompress_with::<kc::Gzip>(codec, data),
        Compression::Snappy => {
            check_snappy_claims(data)?;
            decompress_with::<kc::Snappy>(codec, data)
        }
        Compression::Lz4 => decompress_with::<kc::Lz4>(codec, data),
        Compression::Zstd => decompress_with::<kc::Zstd>(codec, data),
    }
}

/// Compresses a records block the way Kafka frames `codec`, so the renumbering path can put a
/// rewritten block back under the batch's original codec. `Compression::None` returns a copy.
///
/// Errors are [`RecordsError::Compression`] with offset -1.
pub fn compress(codec: Compression, data: &[u8]) -> Result<Vec<u8>, RecordsError> {
    match codec {
        Compression::None => Ok(data.to_vec()),
        Compression::Gzip => compress_with::<kc::Gzip>(codec, data),
        Compression::Snappy => compress_with::<kc::Snappy>(codec, data),
        Compression::Lz4 => compress_with::<kc::Lz4>(codec, data),
        Compression::Zstd => compress_with::<kc::Zstd>(codec, data),
    }
}

/// A fully decoded record with absolute offset and timestamp.
///
/// For tests and for exact offset translation, which must know which source offsets a batch
/// really holds; the forwarding path never builds these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedRecord {
    /// Absolute source offset (`base_offset + offset_delta`).
    pub offset: i64,
    /// Absolute timestamp: `base_timestamp + timestamp_delta`, or the batch's `max_timestamp`
    /// for `LogAppendTime` batches (as the Java consumer reports it).
    pub timestamp: i64,
    /// The record's attribute byte.
    pub attributes: i8,
    /// The key, `None` for a null key.
    pub key: Option<Bytes>,
    /// The value, `None` for a null value.
    pub value: Option<Bytes>,
    /// Headers in wire order, repeated keys included.
    pub headers: Vec<(Bytes, Option<Bytes>)>,
}

/// Returns the uncompressed records block of a batch (zero-copy when the codec is `none`).
pub(crate) fn uncompressed_block(batch: &Batch) -> Result<Bytes, RecordsError> {
    let base = batch.header.base_offset;
    let codec = batch.header.compression()?;
    match codec {
        Compression::None => Ok(batch
            .bytes
            .slice(super::batch::HEADER_SIZE.min(batch.bytes.len())..)),
        c => decompress(c, batch.records_block())
            .map(Bytes::from)
            .map_err(|e| e.at(base)),
    }
}

/// Decodes every record of a batch (any codec) into owned records with absolute offsets and
/// timestamps, after checking the CRC, that every record parses, and that their number matches
/// `records_count`.
pub fn decode_records(batch: &Batch) -> Result<Vec<OwnedRecord>, RecordsError> {
    verify_crc(batch)?;
    let h = &batch.header;
    let block = uncompressed_block(batch)?;
    let expected = usize::try_from(h.records_count).unwrap_or(0);
    // Every record takes at least 7 bytes; never pre-allocate more than the block can hold.
    let mut out = Vec::with_capacity(expected.min(block.len() / 7));
    for view in RecordIter::new(&block) {
        let view = view.map_err(|e| e.at(h.base_offset))?;
        let timestamp = if h.is_log_append_time() {
            h.max_timestamp
        } else {
            h.base_timestamp.wrapping_add(view.timestamp_delta)
        };
        out.push(OwnedRecord {
            offset: h.base_offset.wrapping_add(i64::from(view.offset_delta)),
            timestamp,
            attributes: view.attributes,
            key: view.key.map(|k| block.slice_ref(k)),
            value: view.value.map(|v| block.slice_ref(v)),
            headers: view
                .headers
                .iter()
                .map(|(k, v)| (block.slice_ref(k), v.map(|v| block.slice_ref(v))))
                .collect(),
        });
    }
    if out.len() != expected {
        return Err(RecordsError::corrupt(
            h.base_offset,
            format!(
                "batch declares {} records but its block holds {}",
                h.records_count,
                out.len()
            ),
        ));
    }
    Ok(out)
}
