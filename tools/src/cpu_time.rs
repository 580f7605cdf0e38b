//! CPU time of the calling thread: what a cost measurement should count on a machine shared
//! with other work (time the thread spends waiting for a core is not counted).
//!
//! On Unix this is `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`; elsewhere it falls back to wall
//! time, which counts waiting too.

use std::time::Duration;

/// A point on the calling thread's CPU clock.
#[derive(Debug, Clone, Copy)]
pub struct ThreadCpuClock {
    #[cfg(unix)]
    start: Duration,
    #[cfg(not(unix))]
    start: std::time::Instant,
}

impl ThreadCpuClock {
    /// Starts measuring now.
    pub fn start() -> Self {
        #[cfg(unix)]
        {
            Self {
                start: thread_cpu_time(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {
                start: std::time::Instant::now(),
            }
        }
    }

    /// CPU time the calling thread has used since [`start`](Self::start).
    pub fn elapsed(&self) -> Duration {
        #[cfg(unix)]
        {
            thread_cpu_time().saturating_sub(self.start)
        }
        #[cfg(not(unix))]
        {
            self.start.elapsed()
        }
    }
}

/// Whether [`ThreadCpuClock`] counts CPU time (true) or falls back to wall time.
pub const COUNTS_CPU_TIME: bool = cfg!(unix);

#[cfg(unix)]
fn thread_cpu_time() -> Duration {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `time` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID needs no set-up.
    let result = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) };
    assert_eq!(result, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeping_uses_far_less_cpu_time_than_busy_work() {
        let clock = ThreadCpuClock::start();
        std::thread::sleep(Duration::from_millis(50));
        let asleep = clock.elapsed();
        let clock = ThreadCpuClock::start();
        let wall = std::time::Instant::now();
        let mut sum = 0.0_f64;
        while wall.elapsed() < Duration::from_millis(50) {
            sum += std::hint::black_box(1.0);
        }
        let busy = clock.elapsed();
        println!("50 ms asleep: {asleep:?} CPU; 50 ms busy: {busy:?} CPU ({sum:.0} additions)");
        if COUNTS_CPU_TIME {
            assert!(
                asleep < Duration::from_millis(10),
                "sleeping used {asleep:?}"
            );
        }
        assert!(
            busy > asleep,
            "busy {busy:?} should exceed asleep {asleep:?}"
        );
    }
}
