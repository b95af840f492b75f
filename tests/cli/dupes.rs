//! Integration tests for `mixtape dupes`.
#[allow(unused_imports)]
use crate::support::*;
