//! A progress line on standard error while something slow runs (parameters, keys, a proof).
//!
//! On a terminal it is a spinner with the elapsed time; elsewhere (CI, pipes) one line when the
//! stage starts and one when it ends. `ZKMARGIN_QUIET=1` silences it.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// One slow stage.
pub struct Stage {
    bar: Option<ProgressBar>,
    started: Instant,
    quiet: bool,
}

fn quiet() -> bool {
    std::env::var_os("ZKMARGIN_QUIET").is_some_and(|v| v == "1")
}

impl Stage {
    pub fn start(message: String) -> Stage {
        let quiet = quiet();
        let bar = if !quiet && console_is_terminal() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(message);
            bar.enable_steady_tick(Duration::from_millis(120));
            Some(bar)
        } else {
            if !quiet {
                eprintln!("… {message}");
            }
            None
        };
        Stage {
            bar,
            started: Instant::now(),
            quiet,
        }
    }

    /// Ends the stage with a line saying what was done and how long it took.
    pub fn finish(self, message: String) -> Duration {
        let elapsed = self.started.elapsed();
        let line = format!("✓ {message} in {:.2} s", elapsed.as_secs_f64());
        match &self.bar {
            Some(bar) => bar.finish_with_message(line),
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
        elapsed
    }
}

fn console_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
