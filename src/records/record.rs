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

/// The xerial snappy-java stream header (magic, version 1, compatible version 1) Kafka's snappy
/// codec writes; `kafka-protocol` treats input without exactly this prefix as raw snappy, and so
/// does the length check here.
const XERIAL_HEADER: &[u8; 16] = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01";

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
pub(crate) struct RecordView<'a> {
    /// The record's attribute byte (unused by Kafka today; preserved verbatim).
    pub(crate) attributes: i8,
    /// Timestamp relative to the batch's `base_timestamp`.
    pub(crate) timestamp_delta: i64,
    /// Offset relative to the batch's `base_offset`.
    pub(crate) offset_delta: i32,
    /// The key, `None` for a null key.
    pub(crate) key: Option<&'a [u8]>,
    /// The value, `None` for a null value (a tombstone).
    pub(crate) value: Option<&'a [u8]>,
    /// Headers in wire order, repeated keys included: `(key, value)`, value `None` when null.
    pub(crate) headers: Vec<(&'a [u8], Option<&'a [u8]>)>,
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
pub(crate) struct RecordIter<'a> {
    reader: Reader<'a>,
    failed: bool,
}

impl<'a> RecordIter<'a> {
    /// Starts walking `block` from its first record.
    pub(crate) fn new(block: &'a [u8]) -> Self {
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
    if !data.starts_with(XERIAL_HEADER) {
        // Raw snappy (no xerial framing), which snappy-java also accepts.
        return check_block(data);
    }
    let mut r = Reader::new(&data[XERIAL_HEADER.len()..]);
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
pub(crate) fn decompress(codec: Compression, data: &[u8]) -> Result<Vec<u8>, RecordsError> {
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
pub(crate) fn compress(codec: Compression, data: &[u8]) -> Result<Vec<u8>, RecordsError> {
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
pub(crate) struct OwnedRecord {
    /// Absolute source offset (`base_offset + offset_delta`).
    pub(crate) offset: i64,
    /// Absolute timestamp: `base_timestamp + timestamp_delta`, or the batch's `max_timestamp`
    /// for `LogAppendTime` batches (as the Java consumer reports it).
    pub(crate) timestamp: i64,
    /// The record's attribute byte.
    pub(crate) attributes: i8,
    /// The key, `None` for a null key.
    pub(crate) key: Option<Bytes>,
    /// The value, `None` for a null value.
    pub(crate) value: Option<Bytes>,
    /// Headers in wire order, repeated keys included.
    pub(crate) headers: Vec<(Bytes, Option<Bytes>)>,
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
pub(crate) fn decode_records(batch: &Batch) -> Result<Vec<OwnedRecord>, RecordsError> {
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

#[cfg(test)]
mod tests {
    use bytes::{BufMut, Bytes, BytesMut};

    use super::*;
    use crate::records::test_support::*;

    fn varint_bytes(v: i32) -> Vec<u8> {
        let mut b = BytesMut::new();
        put_varint(&mut b, v);
        b.to_vec()
    }

    fn varlong_bytes(v: i64) -> Vec<u8> {
        let mut b = BytesMut::new();
        put_varlong(&mut b, v);
        b.to_vec()
    }

    #[test]
    fn varints_match_java_byte_utils() {
        // Encodings from Kafka's ByteUtilsTest.
        let cases: [(i32, &[u8]); 8] = [
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (i32::MAX, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
            (i32::MIN, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (v, enc) in cases {
            assert_eq!(varint_bytes(v), enc, "{v}");
            let mut r = Reader::new(enc);
            assert_eq!(r.varint().unwrap(), v);
            assert_eq!(r.remaining(), 0);
        }
        for v in [0i64, -1, 1, 1 << 40, -(1 << 40), i64::MAX, i64::MIN] {
            let enc = varlong_bytes(v);
            let mut r = Reader::new(&enc);
            assert_eq!(r.varlong().unwrap(), v);
            assert_eq!(r.remaining(), 0);
        }
        assert_eq!(varlong_bytes(i64::MIN).len(), 10);
        // Over-long encodings are rejected like Java's illegalVarintException.
        assert!(Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
            .varint()
            .is_err());
        assert!(Reader::new(&[0x80; 11]).varlong().is_err());
        assert!(Reader::new(&[0x80]).varint().is_err());
        // A non-canonical (padded) varint still decodes, as in Java.
        assert_eq!(Reader::new(&[0x82, 0x80, 0x00]).varint().unwrap(), 1);
    }

    #[test]
    fn codecs_round_trip() {
        let data: Vec<u8> = (0..100_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 977) as u8)
            .collect();
        for codec in CODECS {
            for input in [&data[..], &data[..1], &[][..]] {
                let c = compress(codec, input).unwrap();
                assert_eq!(decompress(codec, &c).unwrap(), input, "{codec}");
            }
        }
        // Snappy's xerial framing splits into 32 KiB blocks; 100 kB spans four.
        let c = compress(Compression::Snappy, &data).unwrap();
        assert!(c.starts_with(XERIAL_HEADER));
    }

    #[test]
    fn decompresses_what_java_compressed() {
        let plain = batches(&java_fixture(Compression::None));
        for codec in CODECS {
            for (batch, plain) in batches(&java_fixture(codec)).iter().zip(&plain) {
                assert_eq!(batch.header.compression().unwrap(), codec);
                let block = decompress(codec, batch.records_block()).unwrap();
                assert_eq!(block, plain.records_block(), "{codec}");
            }
        }
    }

    #[test]
    fn decodes_java_records_every_codec() {
        for codec in CODECS {
            let got = batches(&java_fixture(codec));
            assert_eq!(got.len(), 2);
            let a = decode_records(&got[0]).unwrap();
            let b = decode_records(&got[1]).unwrap();
            assert_eq!(
                a,
                (0..3).map(|i| java_record(i, 100 + i)).collect::<Vec<_>>()
            );
            let gapped = [200, 203, 207];
            let expect: Vec<_> = (0..3).map(|i| java_record(i, gapped[i as usize])).collect();
            assert_eq!(b, expect, "{codec}");
            // The repeated header key survives, in order.
            assert_eq!(a[0].headers.len(), 3);
            assert_eq!(a[0].headers[0].0, a[0].headers[1].0);
        }
    }

    #[test]
    fn decodes_java_compacted_batches() {
        for codec in CODECS {
            let got = batches(&java_compacted_fixture(codec));
            let recs = decode_records(&got[0]).unwrap();
            let expect: Vec<_> = [0i64, 3, 5]
                .iter()
                .map(|&i| java_record(i, 300 + i))
                .collect();
            assert_eq!(recs, expect, "{codec}");
            assert_eq!(got[0].header.last_offset_delta, 7);
            assert!(decode_records(&got[1]).unwrap().is_empty());
        }
    }

    #[test]
    fn log_append_time_reports_max_timestamp() {
        let records = hand_records([0, 1, 2]);
        let mut h = HandHeader::for_records(0, &records);
        h.flags = 0x08;
        let batch =
            Batch::from_bytes(build_batch(h, Compression::None, &encode_block(&records))).unwrap();
        for r in decode_records(&batch).unwrap() {
            assert_eq!(r.timestamp, h.max_timestamp);
        }
    }

    #[test]
    fn walker_sees_every_field() {
        let records = hand_records([0, 4, 9]);
        let block = encode_block(&records);
        let views: Vec<RecordView<'_>> = RecordIter::new(&block).map(Result::unwrap).collect();
        assert_eq!(views.len(), 3);
        for (v, r) in views.iter().zip(&records) {
            assert_eq!(v.attributes, 0);
            assert_eq!(v.timestamp_delta, r.timestamp_delta);
            assert_eq!(v.offset_delta, r.offset_delta);
            assert_eq!(v.key, r.key.as_deref());
            assert_eq!(v.value, r.value.as_deref());
            let headers: Vec<(&[u8], Option<&[u8]>)> = r
                .headers
                .iter()
                .map(|(k, v)| (&k[..], v.as_deref()))
                .collect();
            assert_eq!(v.headers, headers);
        }
    }

    #[test]
    fn walker_rejects_malformed_records() {
        let good = encode_block(&hand_records([0, 1, 2]));
        // Every truncation of a valid block fails (or yields fewer records), never panics.
        for cut in 0..good.len() {
            let results: Vec<_> = RecordIter::new(&good[..cut]).collect();
            assert!(results.len() <= 3);
            if cut > 0 {
                assert!(results.last().unwrap().is_err() || results.len() < 3);
            }
            // The iterator stops after an error.
            assert!(results.iter().filter(|r| r.is_err()).count() <= 1);
        }
        let body = |f: &dyn Fn(&mut BytesMut)| {
            let mut b = BytesMut::new();
            b.put_i8(0);
            put_varlong(&mut b, 0);
            put_varint(&mut b, 0);
            f(&mut b);
            let mut block = BytesMut::new();
            put_varint(&mut block, b.len() as i32);
            block.put_slice(&b);
            block.to_vec()
        };
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("negative record length", varint_bytes(-3)),
            ("key length -2", body(&|b| put_varint(b, -2))),
            (
                "value length beyond record",
                body(&|b| {
                    put_varint(b, -1);
                    put_varint(b, 1000);
                }),
            ),
            (
                "negative header count",
                body(&|b| {
                    put_varint(b, -1);
                    put_varint(b, -1);
                    put_varint(b, -1);
                }),
            ),
            (
                "header count larger than the record",
                body(&|b| {
                    put_varint(b, -1);
                    put_varint(b, -1);
                    put_varint(b, i32::MAX);
                }),
            ),
            (
                "null header key",
                body(&|b| {
                    put_varint(b, -1);
                    put_varint(b, -1);
                    put_varint(b, 1);
                    put_varint(b, -1);
                    put_varint(b, -1);
                }),
            ),
            (
                "bytes left after the headers",
                body(&|b| {
                    put_varint(b, -1);
                    put_varint(b, -1);
                    put_varint(b, 0);
                    b.put_u8(0);
                }),
            ),
        ];
        for (what, block) in cases {
            let first = RecordIter::new(&block).next().unwrap();
            assert!(
                matches!(first, Err(RecordsError::CorruptBatch { offset: -1, .. })),
                "{what}: {first:?}"
            );
        }
    }

    #[test]
    fn decode_records_checks_count_and_crc() {
        let records = hand_records([0, 1, 2]);
        let block = encode_block(&records);
        let mut h = HandHeader::for_records(10, &records);
        h.records_count = 4;
        h.last_offset_delta = 3;
        let batch = Batch::from_bytes(build_batch(h, Compression::Gzip, &block)).unwrap();
        let err = decode_records(&batch).unwrap_err();
        assert!(
            err.to_string()
                .contains("declares 4 records but its block holds 3"),
            "{err}"
        );
        assert!(matches!(err, RecordsError::CorruptBatch { offset: 10, .. }));

        let mut bytes = build_batch(
            HandHeader::for_records(10, &records),
            Compression::None,
            &block,
        )
        .to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let batch = Batch::from_bytes(Bytes::from(bytes)).unwrap();
        assert!(decode_records(&batch)
            .unwrap_err()
            .to_string()
            .contains("CRC"));
    }

    #[test]
    fn codec_errors_name_the_codec_and_batch() {
        let records = hand_records([0, 1, 2]);
        let h = HandHeader::for_records(77, &records);
        for codec in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let mut bytes = build_batch(h, codec, &encode_block(&records)).to_vec();
            // Garble the compressed block (past any stream magic) and re-stamp the CRC.
            for b in &mut bytes[HEADER_SIZE_FOR_TESTS + 20..] {
                *b ^= 0x5a;
            }
            restamp_crc(&mut bytes);
            let batch = Batch::from_bytes(Bytes::from(bytes)).unwrap();
            match decode_records(&batch) {
                Err(RecordsError::Compression {
                    offset, codec: c, ..
                }) => {
                    assert_eq!((offset, c), (77, codec));
                }
                // Some codecs cannot tell garbage from data (snappy has no checksum); the record
                // walker must then reject what comes out.
                Err(RecordsError::CorruptBatch { offset, .. }) => assert_eq!(offset, 77),
                other => panic!("{codec}: {other:?}"),
            }
        }
    }

    const HEADER_SIZE_FOR_TESTS: usize = crate::records::batch::HEADER_SIZE;

    #[test]
    fn snappy_rejects_absurd_length_claims() {
        // Raw snappy claiming 4 GiB from 5 bytes.
        let raw = [0xff, 0xff, 0xff, 0xff, 0x0f];
        let err = decompress(Compression::Snappy, &raw).unwrap_err();
        assert!(matches!(
            err,
            RecordsError::Compression {
                offset: -1,
                codec: Compression::Snappy,
                ..
            }
        ));
        // The same block inside xerial framing.
        let mut framed = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
        framed.extend_from_slice(&(raw.len() as u32).to_be_bytes());
        framed.extend_from_slice(&raw);
        assert!(decompress(Compression::Snappy, &framed).is_err());
        // A block length beyond the input.
        let mut framed = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
        framed.extend_from_slice(&1000u32.to_be_bytes());
        assert!(decompress(Compression::Snappy, &framed).is_err());
        // Highly compressible data is still within the bound.
        let zeros = vec![0u8; 1 << 20];
        let c = compress(Compression::Snappy, &zeros).unwrap();
        assert_eq!(decompress(Compression::Snappy, &c).unwrap(), zeros);
    }
}
