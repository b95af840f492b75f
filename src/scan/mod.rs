//! The scan pipeline: walk roots, decide what changed, read files in parallel, write through one writer.
