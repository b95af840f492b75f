//! Integration tests for `mixtape scan`.
#[allow(unused_imports)]
use crate::support::*;
