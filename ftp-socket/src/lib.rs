//! Socket tuning that both FTP adapters need and `socket2` does not offer: a receive
//! low-water mark (`SO_RCVLOWAT`, see socket(7)) on plain data connections, and when to
//! set it.
//!
//! A download read as fast as it arrives wakes its reader once for every segment the
//! sender pushes, often well under the 64 KiB the reader asks for. On loopback that cost
//! ftp-std about a quarter of its wall time on a 1 GiB download, and ftp-tokio more
//! (each wake-up is also a trip through the runtime's `epoll_wait`). With the mark at
//! 64 KiB the kernel wakes the reader only once that much is queued, or at the end of
//! the stream (FIN, reset, error), so no read is ever held back at the end.
//!
//! The mark goes on once one read brought at least half of it (32 KiB): that much
//! queued at once means the data outpaces the reader, and batching costs no latency.
//! (Not "a full read": on loopback a segment is 65 483 bytes, so a reader woken for
//! every segment reads one at a time and never fills a 64 KiB read.) A slow link never
//! queues that much between two reads, so it keeps the wake-up per segment its
//! progress reports rely on.
//! If a fast stream slows to a trickle, bytes below the mark wait in the kernel:
//! [`LowWater::release_if_waiting`] turns the mark off when the session's timer comes
//! due, so a trickle is never mistaken for an idle connection. A blocking read with a
//! timeout (`SO_RCVTIMEO`) returns what is queued when the timeout expires, so ftp-std
//! needs no such step.
//!
//! TLS data connections never get the mark: a server may send its close_notify and
//! wait for ours before it closes the connection, and that last short record would sit
//! below the mark until the timeout.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let mut sender = TcpStream::connect(listener.local_addr()?)?;
//! let (mut receiver, _) = listener.accept()?;
//! // 200 000 bytes, then the end of the stream (which the mark never holds back).
//! let sending = std::thread::spawn(move || sender.write_all(&[7; 200_000]));
//!
//! let mut mark = ftp_socket::LowWater::new();
//! let mut buf = vec![0; ftp_socket::LOW_WATER];
//! let mut total = 0;
//! loop {
//!     let n = receiver.read(&mut buf)?;
//!     if n == 0 {
//!         break;
//!     }
//!     total += n;
//!     mark.after_read((&receiver).into(), n);
//! }
//! sending.join().unwrap()?;
//! assert_eq!(total, 200_000);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;

use socket2::SockRef;

/// The mark: as much as the adapters read from a data socket at once by default
/// (`Config::socket_io_size`).
pub const LOW_WATER: usize = 64 * 1024;

/// Whether one data connection's receive low-water mark is on. Keep one per data
/// connection; a new connection starts with the kernel's default (1 byte).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LowWater {
    on: bool,
}

impl LowWater {
    /// The mark off, as on a new socket.
    pub const fn new() -> Self {
        LowWater { on: false }
    }

    /// Whether the mark is on.
    pub const fn is_on(&self) -> bool {
        self.on
    }

    /// After a read of `read` bytes: half of [`LOW_WATER`] or more at once means the
    /// data outpaces the reader, so the mark goes on. Where the kernel refuses it (or has
    /// none), nothing changes: the mark only saves wake-ups.
    pub fn after_read(&mut self, socket: SockRef<'_>, read: usize) {
        if !self.on && read >= LOW_WATER / 2 {
            self.on = set_recv_low_water(&socket, LOW_WATER).is_ok();
        }
    }

    /// When the session's timer comes due during a download: if bytes are queued below
    /// the mark, turns the mark off (the kernel then wakes the reader for them) and
    /// returns true, so the caller counts the connection as active rather than idle.
    /// The look at the queue never blocks, whatever the socket's mode.
    pub fn release_if_waiting(&mut self, socket: SockRef<'_>) -> bool {
        if !self.on {
            return false;
        }
        let waiting = bytes_waiting(&socket);
        if waiting && set_recv_low_water(&socket, 1).is_ok() {
            self.on = false;
        }
        waiting
    }
}

/// Whether at least one byte is queued: a peek that does not wait. Nothing queued
/// (`WouldBlock`) or a failed socket is "no": the reader finds out about a failure.
#[cfg(unix)]
fn bytes_waiting(socket: &SockRef<'_>) -> bool {
    let mut probe = [std::mem::MaybeUninit::new(0u8)];
    matches!(
        socket.recv_with_flags(&mut probe, libc::MSG_PEEK | libc::MSG_DONTWAIT),
        Ok(n) if n > 0
    )
}

/// The mark is never on where it cannot be set.
#[cfg(not(unix))]
fn bytes_waiting(_socket: &SockRef<'_>) -> bool {
    false
}

/// Sets `SO_RCVLOWAT`.
#[cfg(unix)]
#[allow(unsafe_code)]
fn set_recv_low_water(socket: &SockRef<'_>, bytes: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let value = libc::c_int::try_from(bytes).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: the descriptor is borrowed for the call, and `value` lives across it with
    // the size passed.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere the option is not settable (Windows refuses `SO_RCVLOWAT`).
#[cfg(not(unix))]
fn set_recv_low_water(_socket: &SockRef<'_>, _bytes: usize) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sender = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (receiver, _) = listener.accept().unwrap();
        (sender, receiver)
    }

    fn mark_of(socket: &TcpStream) -> usize {
        SockRef::from(socket).recv_lowat_for_test()
    }

    trait Lowat {
        fn recv_lowat_for_test(&self) -> usize;
    }
    impl Lowat for SockRef<'_> {
        #[allow(unsafe_code)]
        fn recv_lowat_for_test(&self) -> usize {
            use std::os::fd::AsRawFd;
            let mut value: libc::c_int = 0;
            let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: the out-pointers are valid for the sizes given.
            let rc = unsafe {
                libc::getsockopt(
                    self.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_RCVLOWAT,
                    (&mut value as *mut libc::c_int).cast(),
                    &mut len,
                )
            };
            assert_eq!(rc, 0);
            value as usize
        }
    }

    #[test]
    fn only_a_big_read_turns_the_mark_on() {
        let (_sender, receiver) = pair();
        let mut mark = LowWater::new();
        mark.after_read((&receiver).into(), 1000);
        mark.after_read((&receiver).into(), LOW_WATER / 2 - 1);
        assert!(!mark.is_on());
        assert_eq!(mark_of(&receiver), 1);
        // One loopback segment (65 483 bytes): less than a full 64 KiB read, enough.
        mark.after_read((&receiver).into(), 65_483);
        assert!(mark.is_on());
        assert_eq!(mark_of(&receiver), LOW_WATER);
    }

    #[test]
    fn bytes_below_the_mark_release_it_and_can_then_be_read() {
        let (mut sender, mut receiver) = pair();
        let mut mark = LowWater::new();
        // Nothing queued, mark off: nothing to release.
        assert!(!mark.release_if_waiting((&receiver).into()));
        mark.after_read((&receiver).into(), LOW_WATER);
        assert!(mark.is_on());
        // Mark on, nothing queued: still nothing, and the mark stays. (The socket is
        // blocking: the look must not wait.)
        assert!(!mark.release_if_waiting((&receiver).into()));
        assert!(mark.is_on());
        sender.write_all(b"a trickle").unwrap();
        // The bytes reach the receiver's queue within moments (5 s at the most here).
        let mut released = false;
        for _ in 0..5000 {
            if mark.release_if_waiting((&receiver).into()) {
                released = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(released);
        assert!(!mark.is_on());
        assert_eq!(mark_of(&receiver), 1);
        let mut buf = [0; 64];
        assert_eq!(receiver.read(&mut buf).unwrap(), 9);
        assert_eq!(&buf[..9], b"a trickle");
    }

    #[test]
    fn a_blocking_read_under_the_mark_returns_at_its_timeout_with_what_is_queued() {
        // ftp-std relies on this: with SO_RCVTIMEO, a trickle below the mark still
        // arrives, at the latest when the read's timeout expires.
        let (mut sender, mut receiver) = pair();
        let mut mark = LowWater::new();
        mark.after_read((&receiver).into(), LOW_WATER);
        assert!(mark.is_on());
        // The read below really waits under the mark.
        assert_eq!(mark_of(&receiver), LOW_WATER);
        receiver
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        sender.write_all(b"slow").unwrap();
        let mut buf = [0; LOW_WATER];
        assert_eq!(receiver.read(&mut buf).unwrap(), 4);
        // And the end of the stream is never held back.
        sender.write_all(b"end").unwrap();
        drop(sender);
        assert_eq!(receiver.read(&mut buf).unwrap(), 3);
        assert_eq!(receiver.read(&mut buf).unwrap(), 0);
    }
}
