//! Integration tests: each runs the real `mixtape` binary in a temporary
//! folder (see `support::TestEnv`). One module per feature.

mod support;

mod albums;
mod art;
mod cd;
mod cue_images;
mod device;
mod dupes;
mod export;
mod faults;
mod hostile;
mod house;
mod keeper;
mod library;
mod loudness;
mod modify;
mod native;
mod never_lose;
mod newuser;
mod ogg_output;
mod organize;
mod playlist;
mod profiles;
mod query;
mod scan;
mod sidecars;
