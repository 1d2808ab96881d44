//! Tracing of the engine's decisions, through the `log` or the `defmt` crate.
//!
//! With neither feature the macros expand to nothing that survives compilation (their
//! arguments are only borrowed), so a build that does not trace pays nothing. With
//! `log` they call `log::debug!` and friends; with `defmt` (and not `log`), the
//! `defmt` macros, for firmware that logs over RTT or semihosting. Format strings use
//! only `{}` and `{:?}`, which both understand; every traced type implements `Display`
//! or `Debug` and, with `defmt`, `defmt::Format`.

/// Traces at `$level` (`trace`, `debug`, `info` or `warn`).
#[cfg(feature = "log")]
macro_rules! trace_at {
    (trace, $($arg:expr),+ $(,)?) => { log::trace!($($arg),+) };
    (debug, $($arg:expr),+ $(,)?) => { log::debug!($($arg),+) };
    (info, $($arg:expr),+ $(,)?) => { log::info!($($arg),+) };
    (warn, $($arg:expr),+ $(,)?) => { log::warn!($($arg),+) };
}

/// Traces at `$level` (`trace`, `debug`, `info` or `warn`).
#[cfg(all(feature = "defmt", not(feature = "log")))]
macro_rules! trace_at {
    (trace, $($arg:expr),+ $(,)?) => { defmt::trace!($($arg),+) };
    (debug, $($arg:expr),+ $(,)?) => { defmt::debug!($($arg),+) };
    (info, $($arg:expr),+ $(,)?) => { defmt::info!($($arg),+) };
    (warn, $($arg:expr),+ $(,)?) => { defmt::warn!($($arg),+) };
}

/// Traces at `$level`: without `log` or `defmt`, nothing (the arguments are borrowed so
/// that they count as used, and the optimiser drops them).
#[cfg(not(any(feature = "log", feature = "defmt")))]
macro_rules! trace_at {
    ($level:ident, $format:expr $(, $arg:expr)* $(,)?) => {{
        $( let _ = &$arg; )*
    }};
}

pub(crate) use trace_at;
