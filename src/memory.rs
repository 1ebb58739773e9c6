//! Memory that held secrets (docs/security.md#memory): every freed heap block is wiped, and the
//! pages of the secret types are locked in RAM where the system allows it.
//!
//! The crate's only `unsafe` code lives here, each block with a `// SAFETY:` note:
//!
//! - [`WipingAllocator`], the binary's global allocator: the system allocator, with every block
//!   overwritten with zeros before it is freed. Our own secrets are wiped by their types
//!   (`zeroize`); this covers the copies other code makes and frees unwiped — the SDK's request
//!   bodies and signing keys, the XML of an STS answer, hyper's and rustls' buffers, a `String`
//!   grown by a library. A reallocation is a new block, a copy and the old block freed (and so
//!   wiped), never an in-place move that would leave the old bytes behind.
//! - [`lock_pages`]: `mlock(2)` on the pages a secret buffer occupies, so they are never written
//!   to swap. Best effort: where it is refused (`RLIMIT_MEMLOCK` reached, no permission, a
//!   system without it) nothing happens and the secret is still wiped on drop. Pages are counted,
//!   so two secrets sharing a page keep it locked until both are gone.
//! - In debug builds only (the test binary, never a release build), a scanner that looks for
//!   given byte strings in every block as it is freed, before it is wiped, and reports where the
//!   block was freed from: the proof that a secret never sits in a buffer nobody wipes
//!   (`tests/memory.rs`). It does nothing unless [`SCAN_VARIABLE`] is set.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// The system allocator, wiping every block before it is freed.
pub struct WipingAllocator;

// SAFETY: every method forwards to `System` with the caller's pointer and layout unchanged;
// `dealloc` only writes zeros to the `layout.size()` bytes the caller owned and is giving back.
// `realloc` is the trait's provided method: `alloc` + copy + `dealloc` (so the old block is
// wiped).
unsafe impl GlobalAlloc for WipingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        #[cfg(debug_assertions)]
        scan::on_free(ptr, layout.size());
        // SAFETY: `ptr` is a live block of `layout.size()` bytes owned by the caller (the
        // contract of `dealloc`), so writing to all of it is allowed; then it goes back to
        // `System`, which allocated it with this layout.
        unsafe {
            wipe(ptr, layout.size());
            System.dealloc(ptr, layout);
        }
    }
}

/// Overwrites `size` bytes at `ptr` with zeros, in a way the compiler cannot drop as a store to
/// memory about to be freed.
///
/// # Safety
/// `ptr` must be valid for writes of `size` bytes.
unsafe fn wipe(ptr: *mut u8, size: usize) {
    // SAFETY: the caller guarantees `ptr` is writable for `size` bytes.
    unsafe { std::ptr::write_bytes(ptr, 0, size) };
    // The pointer escapes to code the compiler cannot see into, which may read the memory: the
    // zeros must really be written before the block is freed.
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86"))]
    // SAFETY: an empty assembly block; it reads a register and touches nothing.
    unsafe {
        std::arch::asm!("/* {0} */", in(reg) ptr, options(nostack, readonly, preserves_flags));
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86")))]
    {
        std::hint::black_box(ptr);
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

/// Pages locked by [`lock_pages`], and how many live locks cover each.
fn locked_pages() -> &'static Mutex<BTreeMap<usize, u32>> {
    static PAGES: OnceLock<Mutex<BTreeMap<usize, u32>>> = OnceLock::new();
    PAGES.get_or_init(|| Mutex::new(BTreeMap::new()))
}

fn page_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(rustix::param::page_size)
}

/// The pages of a buffer locked in RAM: unlocked when dropped (after the buffer was wiped —
/// the secret types declare the buffer first, so it is dropped first). Empty when locking was
/// refused.
#[derive(Default)]
pub struct PageLock {
    first: usize,
    count: usize,
}

impl std::fmt::Debug for PageLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PageLock({} pages)", self.count)
    }
}

/// Locks the pages holding `len` bytes at `ptr` in RAM (`mlock(2)`), silently doing nothing
/// where that is refused.
pub fn lock_pages(ptr: *const u8, len: usize) -> PageLock {
    if len == 0 {
        return PageLock::default();
    }
    let page = page_size();
    let first = ptr as usize / page;
    let last = (ptr as usize).saturating_add(len - 1) / page;
    let count = last - first + 1;
    let mut pages = locked_pages()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: `mlock` reads and writes no memory; it asks the kernel to keep the given address
    // range resident, and the kernel checks the range (an unmapped one is an error, ignored).
    let locked = unsafe { rustix::mm::mlock((first * page) as *mut _, count * page) };
    if locked.is_err() {
        return PageLock::default();
    }
    for p in first..first + count {
        *pages.entry(p).or_insert(0) += 1;
    }
    PageLock { first, count }
}

impl Drop for PageLock {
    fn drop(&mut self) {
        if self.count == 0 {
            return;
        }
        let page = page_size();
        let mut pages = locked_pages()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for p in self.first..self.first + self.count {
            let Some(n) = pages.get_mut(&p) else { continue };
            *n -= 1;
            if *n == 0 {
                pages.remove(&p);
                // SAFETY: as for `mlock`: no memory is accessed, the kernel checks the range.
                let _ = unsafe { rustix::mm::munlock((p * page) as *mut _, page) };
            }
        }
    }
}

/// How many live locks cover the page holding `ptr` (for tests).
pub fn locks_on(ptr: *const u8) -> u32 {
    let page = ptr as usize / page_size();
    locked_pages()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&page)
        .copied()
        .unwrap_or(0)
}

/// Starts what must run before any secret is read: in debug builds, the free-time scanner when
/// [`SCAN_VARIABLE`] asks for it.
pub fn start() {
    #[cfg(debug_assertions)]
    scan::start();
}

/// Debug builds only: `PATH:HEX,HEX,…` — report to `PATH` every freed block that holds one of
/// the byte strings given in hex (tests/memory.rs).
pub const SCAN_VARIABLE: &str = "MFA_TEST_MEMORY_SCAN";

#[cfg(debug_assertions)]
mod scan {
    //! The free-time scanner of debug builds. The patterns are kept XOR-masked, so the scanner's
    //! own copy is never one of the secrets a memory scan looks for.

    use std::cell::Cell;
    use std::fs::File;
    use std::io::Write;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicBool, Ordering};

    const MASK: u8 = 0xA5;

    static ACTIVE: AtomicBool = AtomicBool::new(false);
    static PATTERNS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    static REPORT: OnceLock<File> = OnceLock::new();

    thread_local! {
        /// Set while this thread scans or reports: the blocks it frees then are not scanned.
        static BUSY: Cell<bool> = const { Cell::new(false) };
    }

    pub(super) fn start() {
        let Some(value) = std::env::var_os(super::SCAN_VARIABLE) else {
            return;
        };
        let Some((path, hexes)) = value.to_str().and_then(|v| v.rsplit_once(':')) else {
            return;
        };
        let patterns: Vec<Vec<u8>> = hexes
            .split(',')
            .filter(|h| !h.is_empty())
            .filter_map(masked_from_hex)
            .collect();
        let Ok(file) = File::options().append(true).create(true).open(path) else {
            return;
        };
        let _ = writeln!(&file, "start pid={}", std::process::id());
        if PATTERNS.set(patterns).is_ok() && REPORT.set(file).is_ok() {
            ACTIVE.store(true, Ordering::Release);
        }
    }

    /// Decodes hex straight into masked bytes: the plain pattern never exists here.
    fn masked_from_hex(hex: &str) -> Option<Vec<u8>> {
        let digits = hex.as_bytes();
        if !digits.len().is_multiple_of(2) {
            return None;
        }
        let nibble = |d: u8| (d as char).to_digit(16).map(|n| n as u8);
        digits
            .chunks(2)
            .map(|pair| Some((nibble(pair[0])? << 4 | nibble(pair[1])?) ^ MASK))
            .collect()
    }

    pub(super) fn on_free(ptr: *mut u8, size: usize) {
        if !ACTIVE.load(Ordering::Acquire) || size == 0 {
            return;
        }
        let Ok(busy) = BUSY.try_with(|b| b.replace(true)) else {
            return;
        };
        if busy {
            return;
        }
        // SAFETY: called from `dealloc` with a live block of `size` bytes, before it is wiped or
        // freed; it is only read.
        let block = unsafe { std::slice::from_raw_parts(ptr, size) };
        if let (Some(patterns), Some(report)) = (PATTERNS.get(), REPORT.get()) {
            for (index, pattern) in patterns.iter().enumerate() {
                if contains_masked(block, pattern) {
                    let trace = std::backtrace::Backtrace::force_capture();
                    let record = format!(
                        "hit pid={} pattern={index} size={size}\n{trace}\nend\n",
                        std::process::id()
                    );
                    let _ = (&*report).write_all(record.as_bytes());
                }
            }
        }
        let _ = BUSY.try_with(|b| b.set(false));
    }

    fn contains_masked(block: &[u8], pattern: &[u8]) -> bool {
        let Some(&first) = pattern.first() else {
            return false;
        };
        if block.len() < pattern.len() {
            return false;
        }
        (0..=block.len() - pattern.len()).any(|at| {
            block[at] ^ MASK == first
                && block[at..at + pattern.len()]
                    .iter()
                    .zip(pattern)
                    .all(|(b, p)| b ^ MASK == *p)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pages_are_counted_and_unlocked_with_the_last_lock() {
        // A page of its own, so no other test's secret shares it.
        let buffer = vec![7u8; 3 * page_size()];
        let inside = buffer[page_size()..].as_ptr();
        let a = lock_pages(inside, 100);
        assert!(a.count > 0, "mlock of one page refused (RLIMIT_MEMLOCK 0?)");
        let b = lock_pages(inside, 100);
        assert_eq!(locks_on(inside), 2);
        drop(a);
        assert_eq!(locks_on(inside), 1, "still held by the second lock");
        drop(b);
        assert_eq!(locks_on(inside), 0);
        assert_eq!(lock_pages(inside, 0).count, 0);
    }

    #[test]
    fn wipe_zeroes_the_block() {
        let mut block = vec![0xAAu8; 64];
        // SAFETY: the vector's 64 bytes are writable.
        unsafe { wipe(block.as_mut_ptr(), block.len()) };
        assert!(block.iter().all(|b| *b == 0));
    }
}
