//! Integration tests for `mixtape query`.
#[allow(unused_imports)]
use crate::support::*;
