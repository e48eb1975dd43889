//! Idempotent-producer state on the target: the producer id and epoch strait writes under, and the
//! next sequence number per target partition. With it the broker drops a retried batch it already
//! appended, so retries never duplicate.

use std::collections::HashMap;

use crate::records::ProducerFields;

/// Producer identity plus per-partition sequences. `None` identity means a non-idempotent producer
/// (`acks` other than `all`), whose batches carry no producer id.
#[derive(Debug, Default)]
pub struct Sequences {
    identity: Option<(i64, i16)>,
    next: HashMap<(String, i32), i32>,
}

impl Sequences {
    /// State for a producer with `identity` (id, epoch), or none for a non-idempotent producer.
    pub fn new(identity: Option<(i64, i16)>) -> Self {
        Sequences {
            identity,
            next: HashMap::new(),
        }
    }

    /// A new identity (after InitProducerId): every partition's sequence restarts at 0.
    pub fn reset(&mut self, identity: (i64, i16)) {
        self.identity = Some(identity);
        self.next.clear();
    }

    /// Whether this producer is idempotent.
    pub fn is_idempotent(&self) -> bool {
        self.identity.is_some()
    }

    /// The producer fields for the next batch of `partition`.
    pub fn fields_for(&self, topic: &str, partition: i32) -> ProducerFields {
        match self.identity {
            Some((producer_id, producer_epoch)) => ProducerFields {
                producer_id,
                producer_epoch,
                base_sequence: self
                    .next
                    .get(&(topic.to_string(), partition))
                    .copied()
                    .unwrap_or(0),
            },
            None => ProducerFields {
                producer_id: -1,
                producer_epoch: -1,
                base_sequence: -1,
            },
        }
    }

    /// Records that a batch of `count` sequence numbers was assigned to `partition`. Sequences wrap
    /// to 0 after `i32::MAX`, as Kafka's do.
    pub fn advance(&mut self, topic: &str, partition: i32, count: i32) {
        if self.identity.is_none() {
            return;
        }
        let entry = self.next.entry((topic.to_string(), partition)).or_insert(0);
        *entry = ((i64::from(*entry) + i64::from(count)) % (i64::from(i32::MAX) + 1)) as i32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_advance_per_partition_and_reset_with_identity() {
        let mut s = Sequences::new(Some((42, 0)));
        s.advance("t", 0, 10);
        s.advance("t", 0, 5);
        s.advance("t", 1, 3);
        assert_eq!(s.fields_for("t", 0).base_sequence, 15);
        assert_eq!(s.fields_for("t", 1).base_sequence, 3);
        assert_eq!(s.fields_for("u", 0).base_sequence, 0);
        s.reset((43, 0));
        assert_eq!(
            s.fields_for("t", 0),
            ProducerFields {
                producer_id: 43,
                producer_epoch: 0,
                base_sequence: 0
            }
        );
    }

    #[test]
    fn sequences_wrap_like_kafka() {
        let mut s = Sequences::new(Some((1, 0)));
        s.advance("t", 0, i32::MAX);
        s.advance("t", 0, 3);
        assert_eq!(s.fields_for("t", 0).base_sequence, 2);
    }

    #[test]
    fn non_idempotent_batches_carry_no_producer() {
        let mut s = Sequences::new(None);
        s.advance("t", 0, 5);
        assert_eq!(s.fields_for("t", 0).base_sequence, -1);
        assert_eq!(s.fields_for("t", 0).producer_id, -1);
    }
}
