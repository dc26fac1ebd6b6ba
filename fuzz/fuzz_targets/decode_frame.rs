//! Any text a client could send: decoding never panics, and what decodes re-encodes to itself.
#![no_main]

use raffler_core::protocol::ClientMsg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match ClientMsg::decode(text) {
        Ok(msg) => assert_eq!(ClientMsg::decode(&msg.to_json()), Ok(msg)),
        Err(err) => {
            let _ = err.to_server_msg().to_json();
        }
    }
});
