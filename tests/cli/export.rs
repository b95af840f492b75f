//! Integration tests for `mixtape export`.
#[allow(unused_imports)]
use crate::support::*;
