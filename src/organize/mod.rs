//! Organise files into a template-driven folder layout; integrity check; the undo journal.
