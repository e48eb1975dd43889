//! What a partition's result in a Produce answer means for its queue: acknowledged, retried,
//! retried under a new producer id, or refused (the partition is parked).

use kafka_protocol::ResponseError;

use super::queue::Failure;
use crate::protocol::produce_request::PartitionResult;

/// How one partition's result in a Produce answer is handled.
#[derive(Debug)]
pub(super) enum Verdict {
    /// Appended (or already appended: a duplicate of a batch the broker has).
    Done,
    /// Not appended, and why.
    Fail(Failure),
    /// Not appended because the batch is larger than the target topic accepts: cut it and retry
    /// (the broker's error text attached).
    TooLarge(String),
}

/// Classifies one partition's produce result.
pub(super) fn verdict(r: &PartitionResult) -> Verdict {
    if r.error_code == 0 {
        return Verdict::Done;
    }
    match ResponseError::try_from_code(r.error_code) {
        // The broker already has this batch (a retry of an append whose answer was lost).
        Some(ResponseError::DuplicateSequenceNumber) => Verdict::Done,
        Some(
            ResponseError::OutOfOrderSequenceNumber
            | ResponseError::UnknownProducerId
            | ResponseError::InvalidProducerEpoch
            | ResponseError::ProducerFenced,
        ) => Verdict::Fail(Failure::Sequence),
        Some(e @ (ResponseError::MessageTooLarge | ResponseError::RecordListTooLarge)) => {
            Verdict::TooLarge(format!("{e:?}"))
        }
        Some(e) if e.is_retriable() => Verdict::Fail(Failure::Retry),
        Some(e) => Verdict::Fail(Failure::Refused(match &r.message {
            Some(m) => format!("{e:?}: {m}"),
            None => format!("{e:?}"),
        })),
        None => Verdict::Fail(Failure::Refused(format!(
            "unknown error code {}",
            r.error_code
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(code: i16) -> PartitionResult {
        PartitionResult {
            topic: "t".into(),
            partition: 0,
            error_code: code,
            base_offset: 0,
            message: None,
        }
    }

    #[test]
    fn verdicts_follow_kafka_error_semantics() {
        assert!(matches!(verdict(&result(0)), Verdict::Done));
        assert!(matches!(verdict(&result(46)), Verdict::Done)); // DUPLICATE_SEQUENCE_NUMBER
        assert!(matches!(
            verdict(&result(45)),
            Verdict::Fail(Failure::Sequence)
        )); // OUT_OF_ORDER_SEQUENCE_NUMBER
        assert!(matches!(
            verdict(&result(59)),
            Verdict::Fail(Failure::Sequence)
        )); // UNKNOWN_PRODUCER_ID
        assert!(matches!(verdict(&result(6)), Verdict::Fail(Failure::Retry))); // NOT_LEADER_OR_FOLLOWER
        assert!(matches!(
            verdict(&result(19)),
            Verdict::Fail(Failure::Retry)
        )); // NOT_ENOUGH_REPLICAS
        assert!(matches!(verdict(&result(10)), Verdict::TooLarge(_))); // MESSAGE_TOO_LARGE
        assert!(matches!(verdict(&result(18)), Verdict::TooLarge(_))); // RECORD_LIST_TOO_LARGE
        assert!(matches!(
            verdict(&result(29)),
            Verdict::Fail(Failure::Refused(_))
        )); // TOPIC_AUTHORIZATION_FAILED
        assert!(matches!(
            verdict(&result(87)),
            Verdict::Fail(Failure::Refused(_))
        )); // INVALID_RECORD
    }
}
