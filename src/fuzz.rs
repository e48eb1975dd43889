//! Fuzz targets for every parser of outside input (bolero): record batches as fetched, Fetch and
//! Produce responses, `mm2.properties`, MM2's internal-topic records and connector JSON (the JAAS
//! parser's target is in `config/security/jaas.rs`, beside the private parser).
//!
//! Under `cargo test` (stable) each target replays its committed corpus and crashes
//! (`src/__fuzz__/<target>/`) and then runs random inputs for a second; `scripts/fuzz.sh` runs them
//! coverage-guided (libFuzzer through `cargo bolero`, nightly) for as long as asked and keeps the
//! corpus it grows. Every target asserts more than "no panic" where the input allows: a batch that
//! decodes keeps every record (key, value, headers, timestamp, order) through the rewrite, the
//! split and the join of the halves; an MM2 record that decodes encodes back to what decodes the same.

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::messages::{FetchResponse, ProduceResponse};
use kafka_protocol::protocol::{Decodable, StrBytes};
use kafka_protocol::records::{Record as KpRecord, TimestampType};
use std::sync::Arc;

use crate::config::properties;
use crate::fetch::response::interpret;
use crate::offsets::mm2_records::{Checkpoint, Heartbeat, OffsetSync};
use crate::plan::Route;
use crate::records::record::OwnedRecord;
use crate::records::test_support::kp_encode;
use crate::records::{
    can_join, decode_records, join, rewrite_for_target, split_batches, split_in_two, trim_before,
    AbortedFilter, Batch, Compression, ProducerFields,
};

/// What a consumer sees of a record, offsets aside.
fn seen(r: &OwnedRecord) -> OwnedRecord {
    OwnedRecord {
        offset: 0,
        ..r.clone()
    }
}

/// Every path a fetched batch can take, on whatever `records` holds; where the batch decodes, the
/// rewrite, the split and the join of the halves must keep its records.
fn exercise_records(records: &Bytes) {
    let Ok(split) = split_batches(records) else {
        return;
    };
    for b in &split.batches {
        let decoded = decode_records(b);
        let mut out = BytesMut::new();
        let fields = ProducerFields {
            producer_id: 7,
            producer_epoch: 0,
            base_sequence: 0,
        };
        let rewritten = rewrite_for_target(b, fields, &mut out);
        if let (Ok(source), Ok(Some(_))) = (&decoded, &rewritten) {
            let ready = Batch::from_bytes(out.freeze()).expect("a rewritten batch parses");
            let got = decode_records(&ready).expect("a rewritten batch decodes");
            let want: Vec<_> = source.iter().map(seen).collect();
            assert_eq!(got.iter().map(seen).collect::<Vec<_>>(), want);
            if let Some([a, c]) = split_in_two(&ready).expect("a rewritten batch splits") {
                let mut halves = decode_records(&a).expect("first half decodes");
                halves.extend(decode_records(&c).expect("second half decodes"));
                assert_eq!(halves.iter().map(seen).collect::<Vec<_>>(), want);
                if can_join(&a.header, &c.header) {
                    let joined = join(&[a.bytes.clone(), c.bytes.clone()]).expect("halves join");
                    let joined = Batch::from_bytes(joined).expect("a joined batch parses");
                    let got = decode_records(&joined).expect("a joined batch decodes");
                    assert_eq!(got.iter().map(seen).collect::<Vec<_>>(), want);
                }
            }
        }
        let _ = trim_before(b, b.header.base_offset.saturating_add(1));
        let _ = AbortedFilter::new([(b.header.producer_id, b.header.base_offset)]).skip(b);
    }
}

/// Structured input for valid batches: records (key, value, headers), codec, offset gaps, and
/// byte flips applied afterwards.
type BuiltBatch = (
    Vec<(
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Vec<(String, Option<Vec<u8>>)>,
    )>,
    u8,
    u8,
    Vec<(u16, u8)>,
);

fn build_batch((records, codec, gap, flips): &BuiltBatch) -> Option<Bytes> {
    if records.is_empty() {
        return None;
    }
    let codec = match codec % 5 {
        0 => Compression::None,
        1 => Compression::Gzip,
        2 => Compression::Snappy,
        3 => Compression::Lz4,
        _ => Compression::Zstd,
    };
    let step = i64::from(gap % 3) + 1;
    let kp: Vec<KpRecord> = (records.iter().enumerate())
        .map(|(i, (key, value, headers))| {
            let offset = 100 + i as i64 * step;
            let mut h = IndexMap::new();
            for (k, v) in headers {
                h.insert(StrBytes::from_string(k.clone()), v.clone().map(Bytes::from));
            }
            KpRecord {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 3,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset,
                sequence: (offset - 101) as i32,
                timestamp: 1_700_000_000_000 + i as i64,
                key: key.clone().map(Bytes::from),
                value: value.clone().map(Bytes::from),
                headers: h,
            }
        })
        .collect();
    let mut bytes = kp_encode(&kp, codec).to_vec();
    for (at, mask) in flips {
        let n = bytes.len();
        bytes[usize::from(*at) % n] ^= mask;
    }
    Some(Bytes::from(bytes))
}

#[test]
fn fuzz_record_batch_bytes() {
    bolero::check!().for_each(|input: &[u8]| {
        exercise_records(&Bytes::copy_from_slice(input));
    });
}

#[test]
fn fuzz_record_batch_built() {
    bolero::check!()
        .with_type::<BuiltBatch>()
        .for_each(|input| {
            if let Some(bytes) = build_batch(input) {
                exercise_records(&bytes);
            }
        });
}

#[test]
fn fuzz_fetch_response() {
    let route = Arc::new(Route {
        source_topic: "t".into(),
        remote_topic: "s.t".into(),
        partition: 0,
    });
    bolero::check!().for_each(|input: &[u8]| {
        let Some((&v, rest)) = input.split_first() else {
            return;
        };
        let version = 4 + i16::from(v % 10);
        let mut buf = Bytes::copy_from_slice(rest);
        let Ok(resp) = FetchResponse::decode(&mut buf, version) else {
            return;
        };
        for t in &resp.responses {
            for p in &t.partitions {
                for committed in [false, true] {
                    let _ = interpret(&route, p.log_start_offset.max(0), p, committed);
                }
                if let Some(records) = &p.records {
                    exercise_records(records);
                }
            }
        }
    });
}

#[test]
fn fuzz_produce_response() {
    bolero::check!().for_each(|input: &[u8]| {
        let Some((&v, rest)) = input.split_first() else {
            return;
        };
        let mut buf = Bytes::copy_from_slice(rest);
        if let Ok(resp) = ProduceResponse::decode(&mut buf, 3 + i16::from(v % 9)) {
            let _ = crate::protocol::produce_request::results(&resp);
        }
    });
}

#[test]
fn fuzz_properties() {
    bolero::check!().for_each(|input: &[u8]| {
        if let Ok(text) = std::str::from_utf8(input) {
            let _ = properties::parse(text);
        }
    });
}

#[test]
fn fuzz_mm2_records() {
    bolero::check!()
        .with_type::<(Vec<u8>, Vec<u8>)>()
        .for_each(|(key, value)| {
            if let Ok(s) = OffsetSync::decode(key, value) {
                let again =
                    OffsetSync::decode(&s.encode_key().unwrap(), &s.encode_value().unwrap());
                assert_eq!(again.unwrap(), s);
            }
            if let Ok(c) = Checkpoint::decode(key, value) {
                let again =
                    Checkpoint::decode(&c.encode_key().unwrap(), &c.encode_value().unwrap());
                assert_eq!(again.unwrap(), c);
            }
            if let Ok(h) = Heartbeat::decode(key, value) {
                let again = Heartbeat::decode(&h.encode_key().unwrap(), &h.encode_value().unwrap());
                assert_eq!(again.unwrap(), h);
            }
        });
}

#[test]
fn fuzz_connector_json() {
    bolero::check!().for_each(|input: &[u8]| {
        if let Ok(text) = std::str::from_utf8(input) {
            let _ = crate::config::connect::connector_from_json("fuzz.json", text);
        }
    });
}

/// The crashes the targets found, kept: a response declaring two billion array elements (Fetch v4,
/// Produce v3: `throttle_time_ms` then the `responses` count, or the count first) once aborted the
/// process on allocation inside kafka-protocol's decoder (vendor/README.md); now it fails to decode.
#[test]
fn a_corrupt_array_count_fails_to_decode_instead_of_aborting() {
    let mut fetch = Bytes::from_static(&[0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]);
    assert!(FetchResponse::decode(&mut fetch, 4).is_err());
    let mut produce = Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff, 0, 0]);
    assert!(ProduceResponse::decode(&mut produce, 3).is_err());
    // Flexible versions count with an unsigned varint: 2^32 - 1 elements.
    let mut compact = Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(FetchResponse::decode(&mut compact, 12).is_err());
}
