//! The idempotent producer's identity on the target (producer id and epoch) and Kafka's sequence
//! arithmetic. With them the broker drops a retried batch it already appended, so retries never
//! duplicate. Each partition's next sequence lives in its queue (`produce::queue`), the one place
//! that hands out that partition's batches in order.

use crate::records::ProducerFields;

/// The producer id and epoch strait writes under, or none for a non-idempotent producer (`acks`
/// other than `all`), whose batches carry no producer id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProducerIdentity(Option<(i64, i16)>);

impl ProducerIdentity {
    /// An identity from InitProducerId's (id, epoch), or none.
    pub fn new(identity: Option<(i64, i16)>) -> Self {
        ProducerIdentity(identity)
    }

    /// Whether this producer is idempotent.
    pub fn is_idempotent(&self) -> bool {
        self.0.is_some()
    }

    /// The producer fields of a batch whose first record gets `base_sequence` (ignored, and all
    /// fields -1, for a non-idempotent producer).
    pub fn fields(&self, base_sequence: i32) -> ProducerFields {
        match self.0 {
            Some((producer_id, producer_epoch)) => ProducerFields {
                producer_id,
                producer_epoch,
                base_sequence,
            },
            None => ProducerFields {
                producer_id: -1,
                producer_epoch: -1,
                base_sequence: -1,
            },
        }
    }
}

/// The sequence after a batch of `count` sequence numbers starting at `sequence`. Sequences wrap
/// to 0 after `i32::MAX`, as Kafka's do.
pub fn next_sequence(sequence: i32, count: i32) -> i32 {
    ((i64::from(sequence) + i64::from(count)) % (i64::from(i32::MAX) + 1)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotent_batches_carry_the_identity_and_their_sequence() {
        let id = ProducerIdentity::new(Some((42, 3)));
        assert!(id.is_idempotent());
        assert_eq!(
            id.fields(15),
            ProducerFields {
                producer_id: 42,
                producer_epoch: 3,
                base_sequence: 15
            }
        );
    }

    #[test]
    fn sequences_wrap_like_kafka() {
        assert_eq!(next_sequence(10, 5), 15);
        assert_eq!(next_sequence(i32::MAX, 3), 2);
        assert_eq!(next_sequence(next_sequence(0, i32::MAX), 3), 2);
    }

    #[test]
    fn non_idempotent_batches_carry_no_producer() {
        let id = ProducerIdentity::new(None);
        assert!(!id.is_idempotent());
        assert_eq!(
            id.fields(7),
            ProducerFields {
                producer_id: -1,
                producer_epoch: -1,
                base_sequence: -1
            }
        );
    }
}
