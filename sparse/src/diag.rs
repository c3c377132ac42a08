//! The `sparse` tool's own diagnostics: progress, notes and warnings go through the `log`
//! macros to one [`simplelog::TermLogger`] on stderr, set up once by [`init`].
//!
//! stdout is kept for what a command produces (`sparse list`'s table, `check`'s report,
//! a completion script), so a script can pipe it; everything else is a log record on
//! stderr, each line tagged with its level (`[WARN] ...`), in colour when stderr is a
//! terminal and `NO_COLOR` is unset. `-v` adds debug records (the commands `sparse` runs),
//! `-vv` trace; `-q` leaves warnings and errors, `-qq` errors only.
//!
//! The error that ends a command is not a log record: [`crate::commands::main`] prints it as the
//! program's result, with its exit status, whatever the verbosity.
//!
//! ```
//! use sparse::diag::{level_for, Verbosity};
//! use log::LevelFilter;
//!
//! assert_eq!(level_for(Verbosity { verbose: 0, quiet: 0 }), LevelFilter::Info);
//! assert_eq!(level_for(Verbosity { verbose: 1, quiet: 0 }), LevelFilter::Debug);
//! assert_eq!(level_for(Verbosity { verbose: 0, quiet: 1 }), LevelFilter::Warn);
//! assert_eq!(level_for(Verbosity { verbose: 0, quiet: 9 }), LevelFilter::Error);
//! ```

use std::io::IsTerminal;

use log::{Level, LevelFilter};
use simplelog::{Color, ColorChoice, ConfigBuilder, LevelPadding, TermLogger, TerminalMode};

/// How many `-v` and `-q` flags were given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verbosity {
    /// Count of `-v`.
    pub verbose: u8,
    /// Count of `-q`.
    pub quiet: u8,
}

/// The most verbose level shown: info by default, one step per `-v` (more) or `-q` (less),
/// never quieter than errors.
pub fn level_for(v: Verbosity) -> LevelFilter {
    const LEVELS: [LevelFilter; 5] = [
        LevelFilter::Error,
        LevelFilter::Warn,
        LevelFilter::Info,
        LevelFilter::Debug,
        LevelFilter::Trace,
    ];
    let i = (2 + i16::from(v.verbose) - i16::from(v.quiet)).clamp(0, 4);
    LEVELS[i as usize]
}

/// Colours when stderr is a terminal and `NO_COLOR` is unset or empty
/// (<https://no-color.org>); never in a pipe or a file.
pub fn color_choice(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> ColorChoice {
    let no_color = no_color.is_some_and(|v| !v.is_empty());
    if stderr_is_terminal && !no_color {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    }
}

/// Installs the stderr logger for `sparse`'s own records (targets under `sparse`; the
/// libraries it uses stay quiet). A second call is a no-op.
pub fn init(v: Verbosity) {
    let mut config = ConfigBuilder::new();
    config
        .set_time_level(LevelFilter::Off)
        .set_thread_level(LevelFilter::Off)
        .set_target_level(LevelFilter::Off)
        .set_location_level(LevelFilter::Off)
        .set_level_padding(LevelPadding::Off)
        .set_level_color(Level::Error, Some(Color::Red))
        .set_level_color(Level::Warn, Some(Color::Yellow))
        .set_level_color(Level::Info, Some(Color::Green))
        .set_level_color(Level::Debug, Some(Color::Cyan))
        .set_level_color(Level::Trace, None)
        .add_filter_allow_str("sparse");
    let colors = color_choice(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    // Err only when a logger is already installed (a second call): keep that one.
    let _ = TermLogger::init(level_for(v), config.build(), TerminalMode::Stderr, colors);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn verbosity_steps_and_clamps() {
        let l = |verbose, quiet| level_for(Verbosity { verbose, quiet });
        assert_eq!(l(0, 0), LevelFilter::Info);
        assert_eq!(l(2, 0), LevelFilter::Trace);
        assert_eq!(l(200, 0), LevelFilter::Trace);
        assert_eq!(l(0, 2), LevelFilter::Error);
        assert_eq!(l(1, 1), LevelFilter::Info);
    }

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(matches!(color_choice(true, None), ColorChoice::Auto));
        assert!(matches!(color_choice(false, None), ColorChoice::Never));
        assert!(matches!(
            color_choice(true, Some(OsStr::new("1"))),
            ColorChoice::Never
        ));
        // An empty NO_COLOR does not count (no-color.org).
        assert!(matches!(
            color_choice(true, Some(OsStr::new(""))),
            ColorChoice::Auto
        ));
    }
}
