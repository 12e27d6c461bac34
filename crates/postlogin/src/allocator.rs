//! The Action's memory allocator in WebAssembly: power-of-two size classes with a free list each.
//!
//! Rust's default wasm allocator (dlmalloc) is ~9 kB of the Action's wasm, a tenth of what Auth0
//! loads on every cold start. An Action's allocation pattern is the same on every login, so
//! blocks freed by one login serve the next and memory stays flat without coalescing or ever
//! shrinking. The cost is up to 2× rounding per block, on allocations that are small and brief.
//! Single-threaded by construction: wasm32-unknown-unknown without atomics has one thread.

use std::alloc::Layout;

/// wasm memory grows in 64 KiB pages.
pub(crate) const PAGE: usize = 65_536;
/// Blocks up to this size are aligned to their size, which covers every alignment up to it.
const MAX_NATURAL_ALIGN: usize = 4096;
const CLASSES: usize = usize::BITS as usize;

pub(crate) struct SizeClasses {
    /// Head of each class's free list (0 = empty); a free block's first word links the next.
    free: [usize; CLASSES],
    /// The unallocated rest of the region obtained from `grow`.
    next: usize,
    end: usize,
}

impl SizeClasses {
    pub(crate) const fn new() -> Self {
        SizeClasses {
            free: [0; CLASSES],
            next: 0,
            end: 0,
        }
    }

    /// `grow(pages)` adds `pages` pages of zeroed memory and returns the address where they
    /// start (`memory.grow` semantics), or `None` when memory is exhausted.
    ///
    /// # Safety
    /// Addresses from `grow` must be valid, writable and owned by this allocator.
    pub(crate) unsafe fn alloc(
        &mut self,
        layout: Layout,
        grow: impl FnOnce(usize) -> Option<usize>,
    ) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            return std::ptr::null_mut();
        };
        let head = self.free[class];
        if head != 0 && layout.align() <= MAX_NATURAL_ALIGN {
            // SAFETY: a free block starts with the link written by `dealloc`.
            self.free[class] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        let size = 1usize << class;
        let align = size.min(MAX_NATURAL_ALIGN).max(layout.align());
        let mut start = align_up(self.next, align);
        if start.checked_add(size).is_none_or(|stop| stop > self.end) {
            let pages = (size + align).div_ceil(PAGE);
            let Some(base) = grow(pages) else {
                return std::ptr::null_mut();
            };
            if base != self.end {
                // Not contiguous with what we had (or the first growth): start over there; the
                // old remainder is abandoned, which happens at most once per foreign growth.
                self.next = base;
            }
            self.end = base + pages * PAGE;
            start = align_up(self.next, align);
        }
        self.next = start + size;
        start as *mut u8
    }

    /// # Safety
    /// `ptr` must come from `alloc` (or `realloc`) with the same `layout`, and not be freed yet.
    pub(crate) unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        if let Some(class) = class_of(layout) {
            // SAFETY: the block is ours, at least one word long and word-aligned.
            unsafe { *(ptr as *mut usize) = self.free[class] };
            self.free[class] = ptr as usize;
        }
    }

    /// Whether a block for `old` can hold `new_size` bytes as it is.
    pub(crate) fn fits(old: Layout, new_size: usize) -> bool {
        Layout::from_size_align(new_size, old.align())
            .is_ok_and(|new| class_of(new) == class_of(old))
    }
}

/// log2 of the block size for `layout`: at least a word, at least the alignment.
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout
        .size()
        .max(layout.align())
        .max(size_of::<usize>())
        .checked_next_power_of_two()?;
    Some(size.trailing_zeros() as usize)
}

fn align_up(address: usize, align: usize) -> usize {
    (address + align - 1) & !(align - 1)
}

#[cfg(target_arch = "wasm32")]
mod global {
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::UnsafeCell;

    use super::{SizeClasses, PAGE};

    pub struct ActionAllocator(UnsafeCell<SizeClasses>);

    // SAFETY: wasm32-unknown-unknown without the atomics feature runs one thread.
    unsafe impl Sync for ActionAllocator {}

    fn grow(pages: usize) -> Option<usize> {
        let previous = core::arch::wasm32::memory_grow(0, pages);
        (previous != usize::MAX).then(|| previous * PAGE)
    }

    unsafe impl GlobalAlloc for ActionAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: one thread, and no allocator call re-enters another.
            unsafe { (*self.0.get()).alloc(layout, grow) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: as above; the caller guarantees `ptr` and `layout` match.
            unsafe { (*self.0.get()).dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            if SizeClasses::fits(layout, new_size) {
                return ptr;
            }
            // SAFETY: the caller's contract, passed on; copying min(old, new) bytes.
            unsafe {
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let moved = self.alloc(new_layout);
                if !moved.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                moved
            }
        }
    }

    #[global_allocator]
    static ALLOCATOR: ActionAllocator = ActionAllocator(UnsafeCell::new(SizeClasses::new()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake wasm memory: a page-aligned arena handed out a few pages at a time.
    struct Memory {
        base: *mut u8,
        pages: usize,
        used: usize,
    }

    impl Memory {
        fn new(pages: usize) -> Memory {
            let layout = Layout::from_size_align(pages * PAGE, PAGE).unwrap();
            // SAFETY: non-zero size; freed in Drop with the same layout.
            let base = unsafe { std::alloc::alloc_zeroed(layout) };
            assert!(!base.is_null());
            Memory {
                base,
                pages,
                used: 0,
            }
        }

        fn grow(&mut self, pages: usize) -> Option<usize> {
            (self.used + pages <= self.pages).then(|| {
                self.used += pages;
                self.base as usize + (self.used - pages) * PAGE
            })
        }
    }

    impl Drop for Memory {
        fn drop(&mut self) {
            let layout = Layout::from_size_align(self.pages * PAGE, PAGE).unwrap();
            // SAFETY: allocated in `new` with this layout.
            unsafe { std::alloc::dealloc(self.base, layout) };
        }
    }

    fn alloc(heap: &mut SizeClasses, memory: &mut Memory, size: usize, align: usize) -> usize {
        let layout = Layout::from_size_align(size, align).unwrap();
        // SAFETY: the arena is ours and large enough for these tests.
        let ptr = unsafe { heap.alloc(layout, |pages| memory.grow(pages)) } as usize;
        assert_ne!(ptr, 0, "out of memory for {size}/{align}");
        assert_eq!(ptr % align, 0, "{size}/{align} misaligned at {ptr:#x}");
        ptr
    }

    #[test]
    fn blocks_are_aligned_and_do_not_overlap() {
        let mut memory = Memory::new(64);
        let mut heap = SizeClasses::new();
        let mut blocks: Vec<(usize, usize)> = Vec::new();
        for (i, (size, align)) in [
            (1, 1),
            (24, 8),
            (100, 4),
            (4096, 4096),
            (3, 2),
            (70_000, 8),
            (16, 16),
        ]
        .into_iter()
        .cycle()
        .take(50)
        .enumerate()
        {
            let start = alloc(&mut heap, &mut memory, size + i % 3, align);
            for &(other, other_size) in &blocks {
                assert!(
                    start + size <= other || other + other_size <= start,
                    "overlap"
                );
            }
            blocks.push((start, size + i % 3));
        }
    }

    #[test]
    fn freed_blocks_serve_the_next_login_so_memory_stays_flat() {
        let mut memory = Memory::new(64);
        let mut heap = SizeClasses::new();
        let login = |heap: &mut SizeClasses, memory: &mut Memory| {
            let sizes = [12usize, 300, 5000, 33, 33, 8, 60_000];
            let blocks: Vec<(usize, Layout)> = sizes
                .iter()
                .map(|&size| {
                    (
                        alloc(heap, memory, size, 8),
                        Layout::from_size_align(size, 8).unwrap(),
                    )
                })
                .collect();
            for (ptr, layout) in blocks.into_iter().rev() {
                // SAFETY: allocated just above with this layout.
                unsafe { heap.dealloc(ptr as *mut u8, layout) };
            }
        };
        login(&mut heap, &mut memory);
        let after_first = memory.used;
        for _ in 0..1000 {
            login(&mut heap, &mut memory);
        }
        assert_eq!(memory.used, after_first);
    }

    #[test]
    fn growth_failure_is_a_null_pointer_not_a_crash() {
        let mut memory = Memory::new(2);
        let mut heap = SizeClasses::new();
        let layout = Layout::from_size_align(3 * PAGE, 8).unwrap();
        // SAFETY: the arena is ours.
        let ptr = unsafe { heap.alloc(layout, |pages| memory.grow(pages)) };
        assert!(ptr.is_null());
    }

    #[test]
    fn realloc_in_place_within_a_class_only() {
        let layout = Layout::from_size_align(20, 4).unwrap();
        assert!(SizeClasses::fits(layout, 32));
        assert!(!SizeClasses::fits(layout, 33));
        assert!(SizeClasses::fits(layout, 17));
        assert!(!SizeClasses::fits(layout, 16));
    }
}
