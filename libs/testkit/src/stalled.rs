//! A request that never finishes: its headers promise a body that never comes. The
//! server's handler waits for it, holding whatever slot it took, until the server cuts it
//! off: a deterministic way to fill a concurrency limit and to outlive a time limit.

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// An open connection whose `POST path` is waiting for the rest of its body.
#[derive(Debug)]
pub struct StalledRequest {
    stream: TcpStream,
}

impl StalledRequest {
    /// Sends the headers and the first byte of a JSON body to `address`
    /// (`http://host:port`), and no more.
    pub async fn start(address: &str, path: &str) -> Self {
        let host = address.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host)
            .await
            .expect("connect for a stalled request");
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
             content-length: 100\r\n\r\n{{"
        );
        stream
            .write_all(head.as_bytes())
            .await
            .expect("send a stalled request");
        Self { stream }
    }

    /// The status code the server answered with, once it cuts the request off; panics
    /// if it has not within 10 s.
    pub async fn status(self) -> u16 {
        tokio::time::timeout(std::time::Duration::from_secs(10), self.answer())
            .await
            .expect("the server never cut the stalled request off")
    }

    async fn answer(mut self) -> u16 {
        let mut answer = Vec::new();
        let mut buffer = [0u8; 1024];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = self
                .stream
                .read(&mut buffer)
                .await
                .expect("read the answer");
            if read == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..read]);
        }
        let text = String::from_utf8_lossy(&answer);
        text.split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"))
    }
}
