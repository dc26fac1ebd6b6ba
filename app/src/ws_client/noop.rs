//! The server build of the socket: pages render on the server without ever opening one
//! (effects run only in the browser), so there is nothing to do. Same signatures as `web`.

use super::LinkState;
use crate::protocol::{ClientMsg, DecodeError, ServerMsg};

#[derive(Clone)]
pub struct Socket {}

impl Socket {
    pub fn send(&self, _msg: ClientMsg) {}

    pub fn reconnect(&self) {}
}

pub fn open(
    _decode: fn(&str) -> Result<ServerMsg, DecodeError>,
    _hello: impl Fn() -> Option<ClientMsg> + 'static,
    _on_message: impl Fn(ServerMsg) + 'static,
    _on_link: impl Fn(LinkState) + 'static,
) -> Socket {
    Socket {}
}
