//! Per-connection state that commands read and change.

/// One connected client.
pub struct Client {
    pub id: u64,
    /// Selected database.
    pub db: usize,
    /// Whether the client switched to RESP3 with HELLO 3.
    pub resp3: bool,
    pub name: Option<Vec<u8>>,
    /// Set by QUIT: close once the pending replies are written.
    pub close_after_reply: bool,
    pub addr: String,
    pub laddr: String,
}

impl Client {
    pub fn new(id: u64, addr: String, laddr: String) -> Client {
        Client {
            id,
            db: 0,
            resp3: false,
            name: None,
            close_after_reply: false,
            addr,
            laddr,
        }
    }

    /// RESET: back to the state of a fresh connection, keeping identity.
    pub fn reset(&mut self) {
        self.db = 0;
        self.resp3 = false;
        self.name = None;
    }
}
