//! The firmware's clock: SysTick interrupts once a millisecond and the handler counts them.
//!
//! Why interrupts counted in software rather than a free-running counter: under QEMU the
//! DWT cycle counter does not count (it reads 0), and SysTick's 24-bit counter wraps every
//! 0.67 s at 25 MHz, so it would have to be polled. Counting interrupts lets the main loop
//! sleep (`wfi`) between ticks, and if the host starves the emulator, ticks are lost
//! rather than bunched: the engines see time pause, never jump.

use core::sync::atomic::{AtomicU32, Ordering};

use bellwether::Instant;
use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use cortex_m_semihosting::{nr, syscall1};

/// The processor clock of the MPS2 AN386 image (QEMU models the same 25 MHz).
pub const CORE_CLOCK_HZ: u32 = 25_000_000;
/// SysTick interrupts per second: one per millisecond, the engines' time unit.
const TICKS_PER_SECOND: u32 = 1_000;

/// Milliseconds since [`Clock::start`]; wraps after 49 days, far beyond this run.
static MILLIS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    MILLIS.fetch_add(1, Ordering::Relaxed);
}

/// The millisecond clock. Owning SysTick keeps anyone else from reprogramming it.
pub struct Clock {
    _systick: SYST,
}

impl Clock {
    /// Starts SysTick from the processor clock, interrupting every millisecond; time 0 is
    /// now.
    pub fn start(mut systick: SYST) -> Clock {
        systick.disable_counter();
        systick.set_clock_source(SystClkSource::Core);
        systick.set_reload(CORE_CLOCK_HZ / TICKS_PER_SECOND - 1);
        systick.clear_current();
        MILLIS.store(0, Ordering::Relaxed);
        systick.enable_interrupt();
        systick.enable_counter();
        Clock { _systick: systick }
    }

    /// The current time, in milliseconds since the clock started.
    pub fn now(&self) -> Instant {
        Instant::from_millis(u64::from(MILLIS.load(Ordering::Relaxed)))
    }

    /// Sleeps until the next tick.
    pub fn wait_for_tick(&self) {
        let start = MILLIS.load(Ordering::Relaxed);
        while MILLIS.load(Ordering::Relaxed) == start {
            cortex_m::asm::wfi();
        }
    }
}

/// The host's elapsed time in milliseconds (semihosting `SYS_ELAPSED` / `SYS_TICKFREQ`),
/// to compare the emulated clock with; `None` if the debugger does not support them.
/// (`SYS_CLOCK` is no use for this: QEMU answers it with its own CPU time, which stands
/// still while the core sleeps in `wfi`.)
pub fn host_elapsed_ms() -> Option<u64> {
    let mut ticks = [0u32; 2];
    // SAFETY: SYS_ELAPSED writes two words to the block its argument points to, which is
    // `ticks`, live and writable for the duration of the call.
    let status = unsafe { syscall1(nr::ELAPSED, ticks.as_mut_ptr() as usize) };
    // SAFETY: SYS_TICKFREQ takes no argument block.
    let frequency = unsafe { syscall1(nr::TICKFREQ, 0) };
    if status != 0 || frequency == 0 || frequency == usize::MAX {
        return None;
    }
    let ticks = u64::from(ticks[0]) | (u64::from(ticks[1]) << 32);
    Some(ticks / (frequency as u64 / 1_000).max(1))
}
