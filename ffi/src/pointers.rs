//! Turning C pointers into Rust references and slices: every check in one place.

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

/// `&mut T` from a pointer the caller promises is NULL or valid and unaliased.
///
/// # Safety
/// `ptr` must be NULL or point to a valid `T` that nothing else accesses for `'a`.
pub(crate) unsafe fn borrow_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, bw_result> {
    // SAFETY: the caller guarantees `ptr` is NULL or valid and unaliased for `'a`;
    // `as_mut` checks for NULL.
    unsafe { ptr.as_mut() }.ok_or(bw_result::NullPointer)
}

/// A byte slice from a pointer and a length; NULL is allowed only with length 0.
///
/// # Safety
/// Unless NULL, `ptr` must point to `len` readable bytes that nothing mutates for `'a`.
pub(crate) unsafe fn slice<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], bw_result> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(bw_result::NullPointer)
        };
    }
    // SAFETY: `ptr` is not NULL and the caller guarantees `len` readable bytes there.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// A mutable byte slice from a pointer and a length; NULL is refused.
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

/// Writes `value` through an output pointer (checked non-NULL by the caller's `borrow_mut`).
pub(crate) fn put<T>(out: &mut T, value: T) -> bw_result {
    *out = value;
    bw_result::Ok
}
