//! `ana inspect`, end to end through the binary.
