//! Integration tests for `mixtape playlist`.
#[allow(unused_imports)]
use crate::support::*;
