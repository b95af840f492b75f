//! Integration tests for `mixtape organize`.
#[allow(unused_imports)]
use crate::support::*;
