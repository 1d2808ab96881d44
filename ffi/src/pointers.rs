//! Turning C pointers into Rust references, slices and outputs: every check in one place.
//! A NULL pointer is refused whatever length comes with it.

use core::marker::PhantomData;
use core::ptr::NonNull;

use crate::result::bw_result;

/// `&T` from a pointer the caller promises is NULL or valid.
///
/// # Safety
/// `ptr` must be NULL or point to a valid, initialised `T` that nothing mutates for `'a`.
pub(crate) unsafe fn borrow<'a, T>(ptr: *const T) -> Result<&'a T, bw_result> {
    // SAFETY: the caller guarantees `ptr` is NULL or valid for reads for `'a`; `as_ref`
    // checks for NULL.
    unsafe { ptr.as_ref() }.ok_or(bw_result::NullPointer)
}

/// `&mut T` from a pointer the caller promises is NULL or valid and unaliased: for objects
/// the library reads and updates (a node, a slot writer). Pure outputs go through
/// [`output`] instead.
///
/// # Safety
/// `ptr` must be NULL or point to a valid `T` that nothing else accesses for `'a`.
pub(crate) unsafe fn borrow_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, bw_result> {
    // SAFETY: the caller guarantees `ptr` is NULL or valid and unaliased for `'a`;
    // `as_mut` checks for NULL.
    unsafe { ptr.as_mut() }.ok_or(bw_result::NullPointer)
}

/// A byte slice from a pointer and a length; NULL is refused, even with length 0.
///
/// # Safety
/// Unless NULL, `ptr` must point to `len` readable bytes that nothing mutates for `'a`.
pub(crate) unsafe fn slice<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], bw_result> {
    if ptr.is_null() {
        return Err(bw_result::NullPointer);
    }
    // SAFETY: `ptr` is not NULL and the caller guarantees `len` readable bytes there.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// A mutable byte slice from a pointer and a length; NULL is refused, even with length 0.
///
/// # Safety
/// Unless NULL, `ptr` must point to `len` writable bytes that nothing else accesses for
/// `'a`.
pub(crate) unsafe fn slice_mut<'a>(ptr: *mut u8, len: usize) -> Result<&'a mut [u8], bw_result> {
    if ptr.is_null() {
        return Err(bw_result::NullPointer);
    }
    // SAFETY: `ptr` is not NULL and the caller guarantees `len` writable, unaliased bytes.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// An output argument, checked non-NULL. The library only ever writes it whole, once, on
/// success ([`Out::put`]); it never reads it or makes a reference to it, so the caller may
/// pass an uninitialised variable (whose bytes need not be a valid `T`).
pub(crate) struct Out<'a, T> {
    ptr: NonNull<T>,
    _written: PhantomData<&'a mut T>,
}

/// An output argument from a pointer the caller promises is NULL or writable.
///
/// # Safety
/// `ptr` must be NULL or valid for writes of a `T` (aligned, unaliased) for `'a`.
pub(crate) unsafe fn output<'a, T>(ptr: *mut T) -> Result<Out<'a, T>, bw_result> {
    NonNull::new(ptr)
        .map(|ptr| Out {
            ptr,
            _written: PhantomData,
        })
        .ok_or(bw_result::NullPointer)
}

impl<T> Out<'_, T> {
    /// Writes `value` and reports success: the one way an output is written.
    pub(crate) fn put(self, value: T) -> bw_result {
        // SAFETY: `ptr` is not NULL, and `output`'s caller guaranteed it valid for writes
        // of a `T` for as long as `self` lives. `write` neither reads nor drops what was
        // there.
        unsafe { self.ptr.as_ptr().write(value) };
        bw_result::Ok
    }
}
