//! Printing to stdout so that a closed pipe (`mixtape ls | head`) ends the
//! command quietly instead of panicking.

use std::io::{self, Write};

/// A buffered stdout writer whose errors propagate (BrokenPipe included).
pub struct Out {
    inner: io::BufWriter<io::Stdout>,
}

impl Out {
    /// A new buffered stdout.
    pub fn new() -> Self {
        Out {
            inner: io::BufWriter::new(io::stdout()),
        }
    }

    /// Print one line.
    pub fn line(&mut self, s: impl AsRef<str>) -> io::Result<()> {
        self.inner.write_all(s.as_ref().as_bytes())?;
        self.inner.write_all(b"\n")
    }

    /// Print one line of raw bytes (paths that are not UTF-8 round-trip).
    pub fn bytes_line(&mut self, b: &[u8]) -> io::Result<()> {
        self.inner.write_all(b)?;
        self.inner.write_all(b"\n")
    }

    /// Flush what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        let _ = self.inner.flush();
    }
}

/// Was this error caused by writing to a closed pipe?
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .map(|io| io.kind() == io::ErrorKind::BrokenPipe)
            .unwrap_or(false)
    })
}

/// `line`, then for each count that is not zero `sep` and the count put
/// into its text (`{}` marks where): the optional tail of a summary line.
pub fn with_counts(mut line: String, sep: &str, counts: &[(u64, &str)]) -> String {
    for &(n, text) in counts {
        if n > 0 {
            line.push_str(sep);
            line.push_str(&text.replacen("{}", &n.to_string(), 1));
        }
    }
    line
}

/// `""` for one, `"s"` otherwise: `format!("{n} track{}", plural(n))`.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
