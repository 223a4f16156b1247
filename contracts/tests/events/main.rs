//! The event contracts on the wire: every event survives a round trip through its
//! envelope, the JSON has the agreed shape, `RawEnvelope::decode` refuses what a
//! consumer must dead-letter (with a reason an operator can read), readers tolerate
//! older and newer producers, and each event goes to its owner's exchange under the
//! routing key of docs/contract.md §5.

mod samples;

mod decoding;
mod round_trip;
mod routing;
mod tolerant_readers;
