// The same tone in Rust, as a cdylib with no dependencies: `rustc --crate-type cdylib`.
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};

#[no_mangle]
pub extern "C" fn rust_teen(text: *const c_char, is_final: c_int) -> *mut c_char {
    let text = unsafe { CStr::from_ptr(text) }.to_string_lossy();
    let out = if is_final != 0 { format!("Rusty yo! {} Totally.", text) } else { format!("Rusty yo! {}", text) };
    CString::new(out).unwrap().into_raw()
}

#[no_mangle]
pub extern "C" fn rust_teen_free(s: *mut c_char) {
    if !s.is_null() {
        unsafe { drop(CString::from_raw(s)) };
    }
}
